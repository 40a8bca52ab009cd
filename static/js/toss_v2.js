/* The Toss column with SDK v2: widgets() with the server's price handed to setAmount (coupons re-priced by
   the server), and the payment window without the widget (payment(), API client key). Every text shown
   comes from the page (#toss2-text). */
(function () {
  "use strict";
  var shared = TossPanel("toss2", {show: show, update: updateButtons, coupons: current, applyCode: applyCode});
  if (!shared) return;
  var panel = shared.panel, $ = shared.$, text = shared.text, state = shared.state, say = shared.say;
  var money = shared.money, explain = shared.explain, requote = shared.requote;
  var payButton = $("toss2-pay");
  var windowButton = $("toss2-window-pay");
  var fixedBox = shared.fixedBox;
  var codeInput = shared.codeInput;
  state.code = "";
  state.rendering = false;
  var widgets = null;     // TossPayments(widget client key).widgets({customerKey})
  var payment = null;     // TossPayments(API client key).payment({customerKey})
  var customerKey = $("order-form").dataset.customerKey;

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

  function current(fixed) {
    return wanted(fixed, state.code);
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

  /* The SDK's window is open (its Promise resolved without leaving the page). */
  function opened() {
    say("toss2-message", text.window_open, "info");
  }

  payButton.addEventListener("click", function () {
    shared.order("v2", "", function (placed, params) {
      var ready = placed.amount === state.quote.amount ? Promise.resolve() : show(placed);
      return ready.then(function () {
        return Shop.report(placed.order_id, "checkout", "toss.request_payment", "toss.request_payment_v2",
                           {amount_won: placed.amount}, {amount: placed.amount, params: params}, "toss");
      }).then(function () {
        return widgets.requestPayment(params);
      }).then(opened);
    });
  });

  windowButton.addEventListener("click", function () {
    var method = $("toss2-window-method").value;
    shared.order("v2-payment", method, function (placed, params) {
      params.method = method;
      params.amount = {currency: "KRW", value: placed.amount};   // the stored order's amount
      return Shop.report(placed.order_id, "checkout", "toss.request_payment", "toss.payment_window",
                         {method: method, amount_won: placed.amount}, {params: params}, "toss")
        .then(function () { return payment.requestPayment(params); }).then(opened);
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
