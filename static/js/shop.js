/* The shop's page helpers: JSON calls with the CSRF token, and browser-reported steps. */
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

  window.Shop = {postJSON: postJSON, report: report, orderRequest: orderRequest};
})();
