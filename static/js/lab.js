/* The attack lab page: runs an attack (POST /lab/run/<attack>) and shows its verdict, steps and flows.
   Every word comes from the #lab-text JSON block of the template. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("lab-text").textContent);

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function table(headers, rows) {
    var t = el("table", "lab-table"), head = el("tr");
    headers.forEach(function (h) { head.appendChild(el("th", null, h)); });
    t.appendChild(head);
    rows.forEach(function (cells) {
      var tr = el("tr", cells.ok ? "ok" : "bad");
      cells.values.forEach(function (v) { tr.appendChild(el("td", null, v)); });
      t.appendChild(tr);
    });
    return t;
  }

  function mark(ok) { return ok ? "✓" : "✗"; }

  function render(box, result) {
    box.textContent = "";
    box.appendChild(el("h4", null, T.flows));
    if (result.flows.length) {
      var links = el("ul", "lab-flows");
      result.flows.forEach(function (f) {
        var li = el("li"), a = el("a", "lab-flow-link", f.order_id);
        a.href = f.url;
        li.appendChild(a);
        li.appendChild(el("span", "lab-role", " — " + f.role));
        links.appendChild(li);
      });
      box.appendChild(links);
    } else {
      box.appendChild(el("p", "lab-muted", T.noFlow));
    }

    box.appendChild(el("h4", null, T.steps));
    var steps = el("ol", "lab-steps");
    result.steps.forEach(function (s) {
      var li = el("li");
      li.appendChild(el("span", "lab-action", s.action));
      li.appendChild(el("code", "lab-request", s.request + " → " + (s.status === null ? "—" : s.status)));
      steps.appendChild(li);
    });
    box.appendChild(steps);

    var seen = result.observed;
    box.appendChild(el("h4", null, T.found));
    if (seen.orders.length) {
      box.appendChild(el("h5", null, T.orders));
      box.appendChild(table([T.order, T.role, T.status, T.amount, T.expected], seen.orders.map(function (o) {
        return {ok: o.ok, values: [mark(o.ok) + " " + o.order_id, o.role, o.status || T.none,
                                   o.amount === null ? "" : o.amount, o.expected.join(" / ")]};
      })));
    }
    if (seen.payments.length) {
      box.appendChild(el("h5", null, T.payments));
      box.appendChild(table([T.payment, T.role, T.status, T.amount, T.expected], seen.payments.map(function (p) {
        return {ok: p.ok, values: [mark(p.ok) + " " + p.pg + " " + p.id, p.role, p.status || T.none,
                                   p.amount === null ? "" : p.amount,
                                   p.expected.length ? p.expected.join(" / ") : T.any]};
      })));
    }
    if (seen.checks.length) {
      box.appendChild(el("h5", null, T.checks));
      var checks = el("ul", "lab-checks");
      seen.checks.forEach(function (c) { checks.appendChild(el("li", c.ok ? "ok" : "bad", mark(c.ok) + " " + c.text)); });
      box.appendChild(checks);
    }
    box.hidden = false;
  }

  function run(card) {
    var id = card.getAttribute("data-attack");
    var button = card.querySelector(".lab-run"), verdict = card.querySelector(".lab-verdict");
    var box = card.querySelector(".lab-result");
    button.disabled = true;
    button.textContent = T.running;
    verdict.textContent = "";
    verdict.className = "lab-verdict";
    card.removeAttribute("data-verdict");
    return Shop.postJSON("/lab/run/" + encodeURIComponent(id), {}).then(function (answer) {
      if (!answer.ok || !answer.data.verdict) {
        verdict.textContent = fill(T.failed, {status: answer.status});
        verdict.classList.add("broken");
        return false;
      }
      var held = answer.data.verdict === "held";
      verdict.textContent = held ? T.held : T.broken;
      verdict.classList.add(held ? "held" : "broken");
      card.setAttribute("data-verdict", answer.data.verdict);
      render(box, answer.data);
      return held;
    }).catch(function () {
      verdict.textContent = fill(T.failed, {status: "—"});
      verdict.classList.add("broken");
      return false;
    }).then(function (held) {
      button.disabled = false;
      button.textContent = T.run;
      return held;
    });
  }

  document.querySelectorAll(".lab-attack").forEach(function (card) {
    var button = card.querySelector(".lab-run");
    button.addEventListener("click", function () { run(card); });
    button.disabled = false;   // rendered off until wired, so no click is lost
  });

  var all = document.getElementById("lab-run-all");
  if (all) all.addEventListener("click", function () {
    var cards = Array.prototype.slice.call(document.querySelectorAll(".lab-attack"));
    var summary = document.getElementById("lab-summary"), held = 0, done = 0;
    all.disabled = true;
    cards.reduce(function (chain, card) {
      return chain.then(function () {
        return run(card).then(function (ok) {
          done += 1;
          if (ok) held += 1;
          summary.textContent = fill(T.summary, {held: held, total: done});
        });
      });
    }, Promise.resolve()).then(function () { all.disabled = false; });
  });
  if (all) all.disabled = false;
})();
