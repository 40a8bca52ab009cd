/* The Toss column: payment widget v1, coupons priced by the server, the pay button, and the
   server-created checkout form. Every text shown comes from the page (#toss-text). */
(function () {
  "use strict";
  var shared = TossPanel("toss", {show: show, update: updatePayButton, coupons: current, applyCode: applyCode});
  if (!shared) return;
  var panel = shared.panel, $ = shared.$, text = shared.text, state = shared.state, say = shared.say;
  var money = shared.money, requote = shared.requote;
  var payButton = $("toss-pay");
  var fixedBox = shared.fixedBox;
  var codeInput = shared.codeInput;
  var widget = null;
  var methods = null;
  state.codes = [];

  function updatePayButton() {
    payButton.disabled = !(state.ready && state.quote && !state.busy);
  }

  function couponReason() {
    return methods && methods.UPDATE_REASON ? methods.UPDATE_REASON.COUPON : undefined;
  }

  /* The coupons the buyer asks for: the fixed one (checkbox) and the applied codes. */
  function wanted(fixed, codes) {
    return (fixed ? [fixedBox.value] : []).concat(codes);
  }

  function current(fixed) {
    return wanted(fixed, state.codes);
  }

  /* The coupons the server granted, each with its discount and a button that removes it. */
  function listCoupons(quote) {
    var list = $("toss-coupon-list");
    list.textContent = "";
    (quote.lines || []).forEach(function (line) {
      var li = document.createElement("li");
      li.dataset.code = line.code;
      var code = document.createElement("code");
      code.textContent = line.code;
      li.appendChild(code);
      li.appendChild(document.createTextNode(" −" + money(line.discount) + " "));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "toss-coupon-remove";
      remove.textContent = text.coupon_remove;
      remove.setAttribute("aria-label", text.coupon_remove + " " + line.code);
      remove.addEventListener("click", function () { removeCoupon(line.code); });
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  /* Show a quote and hand its amount to the widget (the server's amount, never the page's sum). */
  function show(quote) {
    state.quote = quote;
    $("toss-subtotal").textContent = money(quote.subtotal);
    $("toss-discount").textContent = quote.discount ? "−" + money(quote.discount) : money(0);
    $("toss-total").textContent = money(quote.amount);
    listCoupons(quote);
    if (methods) {
      methods.updateAmount(quote.amount, couponReason());
    } else if (widget) {
      render(quote.amount);
    }
    updatePayButton();
  }

  function render(amount) {
    try {
      methods = widget.renderPaymentMethods("#toss-methods", {value: amount}, {variantKey: "DEFAULT"});
      widget.renderAgreement("#toss-agreement", {variantKey: "AGREEMENT"});
    } catch (err) {
      say("toss-message", text.widget_error + " (" + (err && err.code || "UNKNOWN") + ")", "refusal");
      return;
    }
    if (methods && typeof methods.on === "function") {
      methods.on("ready", function () { state.ready = true; updatePayButton(); });
    } else {
      state.ready = true;
    }
    updatePayButton();
  }

  function applyCode() {
    var code = codeInput.value.trim().toUpperCase();
    if (!code) return;
    if (state.codes.indexOf(code) >= 0 || (fixedBox.checked && code === fixedBox.value)) {
      say("toss-coupon-message", text.coupon_twice.replace("__CODE__", code), "info");
      return;
    }
    say("toss-coupon-message", "");
    requote(wanted(fixedBox.checked, state.codes.concat([code])), function () {}).then(function (res) {
      if (res.quote) {
        state.codes.push(code);
        codeInput.value = "";
        say("toss-coupon-message", text.coupon_applied.replace("__CODE__", code), "info");
      }
    });
  }

  function removeCoupon(code) {
    if (code === fixedBox.value && fixedBox.checked) {
      fixedBox.checked = false;
    }
    var codes = state.codes.filter(function (c) { return c !== code; });
    say("toss-coupon-message", "");
    requote(wanted(fixedBox.checked, codes), function () {}).then(function (res) {
      if (res.quote) {
        state.codes = codes;
        say("toss-coupon-message", text.coupon_removed.replace("__CODE__", code), "info");
      }
    });
  }

  payButton.addEventListener("click", function () {
    var selected = methods && typeof methods.getSelectedPaymentMethod === "function"
      ? methods.getSelectedPaymentMethod() : null;
    shared.order(undefined, (selected && selected.method) || "", function (order, params) {
      if (order.amount !== state.quote.amount) {
        show({subtotal: order.subtotal, discount: order.discount, amount: order.amount, coupons: order.coupons,
              lines: state.quote.lines});
      }
      return Shop.report(order.order_id, "checkout", "toss.request_payment", "toss.request_payment",
                         {amount_won: order.amount}, {amount: order.amount, params: params}, "toss")
        .then(function () {
          say("toss-message", text.window_open, "info");
          return widget.requestPayment(params);
        });
    });
  });

  /* The server-created checkout: copy the buyer's choice into the form just before it is posted. */
  var form = $("toss-checkout-form");
  form.addEventListener("submit", function () {
    var req = Shop.orderRequest("toss", {});
    ["product_id", "quantity", "buyer_name", "buyer_email"].forEach(function (name) {
      form.elements[name].value = req[name];
    });
    var holder = form.querySelector(".toss-checkout-coupons");
    holder.textContent = "";
    (state.quote ? state.quote.coupons : []).forEach(function (code) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "coupons";
      input.value = code;
      holder.appendChild(input);
    });
  });

  if (typeof window.PaymentWidget !== "function") {
    say("toss-message", text.script_missing, "refusal");
  } else {
    widget = window.PaymentWidget(panel.dataset.clientKey, $("order-form").dataset.customerKey);
  }
  requote(wanted(fixedBox.checked, state.codes));
})();
