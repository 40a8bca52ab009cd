/* The Toss column with SDK v2: widgets() with the server's price handed to setAmount (coupons re-priced by
   the server), and the payment window without the widget (payment(), API client key). Every text shown
   comes from the page (#toss2-text). */
(function () {
  "use strict";
  var panel = document.getElementById("toss2-panel");
  if (!panel) return;

  function $(id) { return document.getElementById(id); }
  var text = JSON.parse($("toss2-text").textContent);
  var payButton = $("toss2-pay");
  var windowButton = $("toss2-window-pay");
  var fixedBox = $("toss2-coupon-fixed");
  var codeInput = $("toss2-coupon-code");
  var state = {code: "", quote: null, ready: false, busy: false, asked: 0, rendering: false};
  var widgets = null;     // TossPayments(widget client key).widgets({customerKey})
  var payment = null;     // TossPayments(API client key).payment({customerKey})
  var customerKey = $("order-form").dataset.customerKey;

  function money(n) {
    return panel.dataset.money.replace("{n}", Number(n).toLocaleString("en-US"));
  }

  function say(id, message, kind) {
    var node = $(id);
    node.textContent = message || "";
    node.classList.toggle("refusal", kind === "refusal");
    node.classList.toggle("info", kind === "info");
  }

  function explain(err) {
    var code = (err && err.code) || "UNKNOWN";
    return (text.codes[code] || text.codes.GENERIC) + " (" + code + ")";
  }

  function updateButtons() {
    payButton.disabled = !(widgets && state.ready && state.quote && !state.busy);
    windowButton.disabled = !(payment && state.quote && !state.busy);
  }

  function wanted(fixed, code) {
    var list = [];
    if (fixed) list.push(fixedBox.value);
    if (code) list.push(code);
    return list;
  }

  /* Ask the server to price the order. Resolves {quote} or {refused: message}; stale answers are dropped. */
  function price(coupons) {
    var mine = ++state.asked;
    return Shop.postJSON("/api/quote", Shop.orderRequest("toss", {coupons: coupons})).then(function (r) {
      if (mine !== state.asked) return {stale: true};
      if (!r.ok) return {refused: r.data.message || text.codes.GENERIC};
      return {quote: r.data};
    }, function () {
      return {refused: text.network_error};
    });
  }

  /* setAmount first (the SDK requires it before rendering), then render the widgets once. */
  function render() {
    state.rendering = true;
    Promise.all([
      widgets.renderPaymentMethods({selector: "#toss2-methods", variantKey: "DEFAULT"}),
      widgets.renderAgreement({selector: "#toss2-agreement", variantKey: "AGREEMENT"})
    ]).then(function () {
      state.ready = true;
      updateButtons();
    }, function (err) {
      say("toss2-message", text.widget_error + " " + explain(err), "refusal");
    });
  }

  /* Show a quote and hand the server's amount to the widget (never the page's own sum). */
  function show(quote) {
    state.quote = quote;
    $("toss2-subtotal").textContent = money(quote.subtotal);
    $("toss2-discount").textContent = quote.discount ? "−" + money(quote.discount) : money(0);
    $("toss2-total").textContent = money(quote.amount);
    updateButtons();
    if (!widgets) return Promise.resolve();
    return widgets.setAmount({currency: "KRW", value: quote.amount}).then(function () {
      if (!state.rendering) render();
    }, function (err) {
      say("toss2-message", explain(err), "refusal");
    });
  }

  function requote(coupons, undo) {
    return price(coupons).then(function (res) {
      if (res.stale) return res;
      if (res.refused) {
        say("toss2-coupon-message", res.refused, "refusal");
        if (undo) {
          undo();
        } else {
          state.quote = null;
          updateButtons();
        }
        return res;
      }
      show(res.quote);
      return res;
    });
  }

  fixedBox.addEventListener("change", function () {
    var ticked = fixedBox.checked;
    say("toss2-coupon-message", "");
    requote(wanted(ticked, state.code), function () { fixedBox.checked = !ticked; });
  });

  function applyCode() {
    var code = codeInput.value.trim().toUpperCase();
    var before = state.code;
    say("toss2-coupon-message", "");
    requote(wanted(fixedBox.checked, code), function () { state.code = before; }).then(function (res) {
      if (res.quote) {
        state.code = code;
        say("toss2-coupon-message", code ? text.coupon_applied.replace("__CODE__", code) : text.coupon_removed,
            "info");
      }
    });
  }
  $("toss2-coupon-apply").addEventListener("click", applyCode);
  codeInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); applyCode(); }
  });
  ["product", "quantity"].forEach(function (id) {
    $(id).addEventListener("change", function () {
      say("toss2-coupon-message", "");
      requote(wanted(fixedBox.checked, state.code));
    });
  });

  function busy(on) {
    state.busy = on;
    updateButtons();
  }

  /* The SDK's Promise was rejected (window closed, missing agreement, wrong key, ...): no redirect follows. */
  function rejected(order, err) {
    var code = (err && err.code) || "UNKNOWN";
    var phase = code === "USER_CANCEL" ? "authenticate" : "checkout";
    Shop.report(order.order_id, phase, "toss.rejection", "toss.rejection",
                {code: code, message: (err && err.message) || ""}, {code: code, message: err && err.message},
                "browser");
    say("toss2-message", explain(err), "refusal");
    busy(false);
  }

  /* Store the order on the server (sdk tells it which key pair confirms it), then hand it to the SDK. */
  function order(sdk, payMethod, then) {
    if (!state.quote || state.busy) return;
    busy(true);
    say("toss2-message", text.creating_order, "info");
    Shop.postJSON("/api/orders", Shop.orderRequest("toss", {coupons: state.quote.coupons, sdk: sdk,
                                                            pay_method: payMethod})).then(function (r) {
      if (!r.ok) {
        say("toss2-message", r.data.message || text.codes.GENERIC, "refusal");
        busy(false);
        return;
      }
      var placed = r.data;
      document.dispatchEvent(new CustomEvent("flow:started", {detail: {pg: "toss", order_id: placed.order_id}}));
      var params = {orderId: placed.order_id, orderName: placed.order_name,
                    successUrl: panel.dataset.successUrl, failUrl: panel.dataset.failUrl};
      if (placed.buyer_email) params.customerEmail = placed.buyer_email;
      if (placed.buyer_name) params.customerName = placed.buyer_name;
      return then(placed, params).then(function () {
        say("toss2-message", text.window_open, "info");
      }).catch(function (err) { rejected(placed, err); });
    }, function () {
      say("toss2-message", text.network_error, "refusal");
      busy(false);
    });
  }

  payButton.addEventListener("click", function () {
    order("v2", "", function (placed, params) {
      var ready = placed.amount === state.quote.amount ? Promise.resolve() : show(placed);
      return ready.then(function () {
        return Shop.report(placed.order_id, "checkout", "toss.request_payment", "toss.request_payment_v2",
                           {amount_won: placed.amount}, {amount: placed.amount, params: params}, "toss");
      }).then(function () {
        return widgets.requestPayment(params);
      });
    });
  });

  windowButton.addEventListener("click", function () {
    var method = $("toss2-window-method").value;
    order("v2-payment", method, function (placed, params) {
      params.method = method;
      params.amount = {currency: "KRW", value: placed.amount};   // the stored order's amount
      return Shop.report(placed.order_id, "checkout", "toss.request_payment", "toss.payment_window",
                         {method: method, amount_won: placed.amount}, {params: params}, "toss")
        .then(function () { return payment.requestPayment(params); });
    });
  });

  if (typeof window.TossPayments !== "function") {
    say("toss2-message", text.script_missing, "refusal");
  } else {
    try {
      widgets = window.TossPayments(panel.dataset.clientKey).widgets({customerKey: customerKey});
    } catch (err) {
      say("toss2-message", text.widget_error + " " + explain(err), "refusal");
    }
    if (!panel.dataset.apiClientKey) {
      say("toss2-coupon-message", text.no_api_key, "info");
    } else {
      try {
        payment = window.TossPayments(panel.dataset.apiClientKey).payment({customerKey: customerKey});
      } catch (err) {
        say("toss2-message", explain(err), "refusal");
      }
    }
  }
  requote(wanted(fixedBox.checked, state.code));
})();
