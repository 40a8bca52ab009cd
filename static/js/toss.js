/* The Toss column: payment widget v1, coupons priced by the server, the pay button, and the
   server-created checkout form. Every text shown comes from the page (#toss-text). */
(function () {
  "use strict";
  var panel = document.getElementById("toss-panel");
  if (!panel) return;

  function $(id) { return document.getElementById(id); }
  var text = JSON.parse($("toss-text").textContent);
  var payButton = $("toss-pay");
  var fixedBox = $("toss-coupon-fixed");
  var codeInput = $("toss-coupon-code");
  var state = {codes: [], quote: null, ready: false, busy: false, asked: 0};
  var widget = null;
  var methods = null;

  function money(n) {
    return panel.dataset.money.replace("{n}", Number(n).toLocaleString("en-US"));
  }

  function say(id, message, kind) {
    var node = $(id);
    node.textContent = message || "";
    node.classList.toggle("refusal", kind === "refusal");
    node.classList.toggle("info", kind === "info");
  }

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

  /* Re-price with the current choice; on refusal keep the last good quote and undo the change. */
  function requote(coupons, undo) {
    return price(coupons).then(function (res) {
      if (res.stale) return res;
      if (res.refused) {
        say("toss-coupon-message", res.refused, "refusal");
        if (undo) {
          undo();
        } else {
          state.quote = null;   // the product or quantity changed and cannot be priced this way
          updatePayButton();
        }
        return res;
      }
      show(res.quote);
      return res;
    });
  }

  fixedBox.addEventListener("change", function () {
    var ticked = fixedBox.checked;
    say("toss-coupon-message", "");
    requote(wanted(ticked, state.codes), function () { fixedBox.checked = !ticked; });
  });

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
  $("toss-coupon-apply").addEventListener("click", applyCode);
  codeInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); applyCode(); }
  });

  ["product", "quantity"].forEach(function (id) {
    $(id).addEventListener("change", function () {
      say("toss-coupon-message", "");
      requote(wanted(fixedBox.checked, state.codes));
    });
  });

  function busy(on) {
    state.busy = on;
    updatePayButton();
  }

  /* requestPayment was rejected (window closed, missing agreement, ...): no redirect follows. */
  function rejected(order, err) {
    var code = (err && err.code) || "UNKNOWN";
    var phase = code === "USER_CANCEL" ? "authenticate" : "checkout";
    Shop.report(order.order_id, phase, "toss.rejection", "toss.rejection",
                {code: code, message: (err && err.message) || ""}, {code: code, message: err && err.message},
                "browser");
    say("toss-message", (text.codes[code] || text.codes.GENERIC) + " (" + code + ")", "refusal");
    busy(false);
  }

  payButton.addEventListener("click", function () {
    if (!state.quote || state.busy) return;
    busy(true);
    say("toss-message", text.creating_order, "info");
    var selected = methods && typeof methods.getSelectedPaymentMethod === "function"
      ? methods.getSelectedPaymentMethod() : null;
    var body = Shop.orderRequest("toss", {coupons: state.quote.coupons,
                                          pay_method: (selected && selected.method) || ""});
    Shop.postJSON("/api/orders", body).then(function (r) {
      if (!r.ok) {
        say("toss-message", r.data.message || text.codes.GENERIC, "refusal");
        busy(false);
        return;
      }
      var order = r.data;
      document.dispatchEvent(new CustomEvent("flow:started", {detail: {pg: "toss", order_id: order.order_id}}));
      if (order.amount !== state.quote.amount) {
        show({subtotal: order.subtotal, discount: order.discount, amount: order.amount, coupons: order.coupons,
              lines: state.quote.lines});
      }
      var params = {orderId: order.order_id, orderName: order.order_name,
                    successUrl: panel.dataset.successUrl, failUrl: panel.dataset.failUrl};
      if (order.buyer_email) params.customerEmail = order.buyer_email;
      if (order.buyer_name) params.customerName = order.buyer_name;
      return Shop.report(order.order_id, "checkout", "toss.request_payment", "toss.request_payment",
                         {amount_won: order.amount}, {amount: order.amount, params: params}, "toss")
        .then(function () {
          say("toss-message", text.window_open, "info");
          return widget.requestPayment(params);
        })
        .catch(function (err) { rejected(order, err); });
    }, function () {
      say("toss-message", text.network_error, "refusal");
      busy(false);
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
