/* The shop's page helpers: JSON calls with the CSRF token, browser-reported steps, the PortOne columns' boxes. */
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": token ? token.content : ""},
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        return {ok: resp.ok, status: resp.status, data: data};
      });
    });
  }

  /* Record a step the browser saw (reported, never trusted by the server). The summary is a key of
     the server's table (shop/views.py BROWSER_SUMMARIES) with its values, not prose: the server
     shows it in each reader's language. */
  function report(orderId, phase, name, summaryKey, values, data, to) {
    if (!orderId) return Promise.resolve(null);
    return postJSON("/api/flows/" + encodeURIComponent(orderId) + "/events",
                    {phase: phase, name: name, summary_key: summaryKey, values: values || {},
                     data: data || null, to: to || "browser"})
      .catch(function () { return null; });
  }

  /* What the buyer picked in the product form, shared by both PG panels. */
  function orderRequest(pg, extra) {
    var body = {
      pg: pg,
      product_id: document.getElementById("product").value,
      quantity: parseInt(document.getElementById("quantity").value, 10),
      buyer_name: document.getElementById("buyer-name").value,
      buyer_email: document.getElementById("buyer-email").value,
      coupons: []
    };
    for (var k in (extra || {})) body[k] = extra[k];
    return body;
  }

  /* A PortOne column of the checkout page (static/js/portone.js, portone_v2.js), by its ids' prefix
     ("portone", "portone-v2"): its form, words, pay button and result box; null where the page has none. */
  function portonePanel(prefix) {
    var form = document.getElementById(prefix + "-panel");
    if (!form) return null;
    var text = JSON.parse(document.getElementById(prefix + "-text").textContent);
    var payButton = document.getElementById(prefix + "-pay");
    var result = document.getElementById(prefix + "-result");

    function show(message, status) {
      result.hidden = false;
      result.textContent = "";
      result.className = "portone-result" + (status ? " status-" + status : "");
      if (status) {
        result.dataset.status = status;
        var title = document.createElement("strong");
        title.className = "portone-verdict";
        title.textContent = text.statuses[status] || status;
        result.appendChild(title);
      } else {
        delete result.dataset.status;
      }
      var p = document.createElement("p");
      p.className = "portone-message";
      p.textContent = message;
      result.appendChild(p);
    }

    function links(answer) {
      var p = document.createElement("p");
      p.className = "portone-links";
      [[answer.result_url, text.result_link, "portone-result-link"],
       [answer.flow_url, text.flow_link, "portone-flow-link"]].forEach(function (l, i) {
        if (!l[0]) return;
        if (i) p.appendChild(document.createTextNode(" · "));
        var a = document.createElement("a");
        a.href = l[0];
        a.textContent = l[1];
        a.className = l[2];
        p.appendChild(a);
      });
      result.appendChild(p);
    }

    /* The server creates the order and computes the amount; the page only names the product. Resolves with
       the order, or with null when the server refused (said in the box, the pay button back on). */
    function order(url, pg, extra) {
      return postJSON(url, orderRequest(pg, extra)).then(function (res) {
        var order = res.data;
        if (!res.ok) {
          show(order.message || text.order_failed);
          if (order.order_id) links({result_url: "/orders/" + encodeURIComponent(order.order_id)});
          payButton.disabled = false;
          return null;
        }
        document.dispatchEvent(new CustomEvent("flow:started", {detail: {pg: pg, order_id: order.order_id}}));
        return order;
      });
    }

    return {form: form, text: text, payButton: payButton, show: show, links: links, order: order};
  }

  window.Shop = {postJSON: postJSON, report: report, orderRequest: orderRequest, portonePanel: portonePanel};
})();
