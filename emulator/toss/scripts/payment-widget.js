/* Emulated Toss Payments payment widget v1: the same global and call surface as
   https://js.tosspayments.com/v1/payment-widget (PaymentWidget, renderPaymentMethods, updateAmount,
   renderAgreement, requestPayment). The emulator serves it after core.js, inside the same function. */
if (window.PaymentWidget) return;
var METHODS = ["카드", "계좌이체", "가상계좌", "휴대폰", "간편결제"];

function parseAmount(amount) {
  var value = amount !== null && typeof amount === "object" ? amount.value : amount;
  if (typeof value !== "number" || !isFinite(value) || Math.floor(value) !== value) {
    throw sdkError("INVALID_AMOUNT_VALUE");
  }
  if (value <= 0) throw sdkError("BELOW_ZERO_AMOUNT");
  return value;
}

function PaymentWidget(clientKey, customerKey, options) {
  var state = {amount: null, method: METHODS[0], methods: null, agreement: null, busy: false};

  function renderPaymentMethods(selector, amount, opts) {
    if (state.methods) throw sdkError("PAYMENT_METHODS_WIDGET_ALREADY_RENDERED");
    var host = find(selector);
    state.amount = parseAmount(amount);
    var events = emitter();
    var show = methodsBox(host, METHODS.map(function (m) { return [m, TEXT.methods[m]]; }), state.amount,
                          function (m) { state.method = m; });

    state.methods = {
      UPDATE_REASON: {COUPON: "COUPON", POINT: "POINT"},
      updateAmount: function (value, reason) {
        state.amount = parseAmount(value);
        show(state.amount);
      },
      on: events.on,
      getSelectedPaymentMethod: function () {
        var out = {type: "NORMAL", method: state.method};
        if (state.method === "간편결제") out.easyPay = {provider: "토스페이"};
        return out;
      }
    };
    setTimeout(function () { events.emit("ready", undefined, true); }, 0);
    return state.methods;
  }

  function renderAgreement(selector, opts) {
    if (state.agreement) throw sdkError("AGREEMENT_WIDGET_ALREADY_RENDERED");
    var events = emitter();
    var box = agreementBox(find(selector), function () { events.emit("change", status()); });
    function status() {
      return {agreedRequiredTerms: box.checked,
              terms: [{id: "emulator-terms", agreed: box.checked, required: true, title: TEXT.agreement, content: ""}]};
    }
    state.agreement = {on: events.on, getAgreementStatus: status};
    return state.agreement;
  }

  function validate(info) {
    if (!state.methods) return sdkError("NOT_SELECTED_PAYMENT_METHOD");
    if (!info || typeof info !== "object") return sdkError("INVALID_PARAMETERS");
    if (typeof info.orderId !== "string" || !ORDER_ID.test(info.orderId)) {
      return sdkError("INVALID_PARAMETERS", MESSAGES.ORDER_ID);
    }
    if (typeof info.orderName !== "string" || !info.orderName.trim()) {
      return sdkError("INVALID_PARAMETERS", MESSAGES.ORDER_NAME);
    }
    if (state.agreement && !state.agreement.getAgreementStatus().agreedRequiredTerms) {
      return sdkError("NEED_AGREEMENT_WITH_REQUIRED_TERMS");
    }
    try { parseAmount(state.amount); } catch (e) { return e; }
    if (info.successUrl !== undefined && !absoluteUrl(info.successUrl)) return sdkError("INCORRECT_SUCCESS_URL_FORMAT");
    if (info.failUrl !== undefined && !absoluteUrl(info.failUrl)) return sdkError("INCORRECT_FAIL_URL_FORMAT");
    if (state.busy) return sdkError("INVALID_METHOD_TRANSACTION");
    return null;
  }

  function requestPayment(info) {
    return new Promise(function (resolve, reject) {
      var error = validate(info);
      if (error) { reject(error); return; }
      state.busy = true;
      function done() { state.busy = false; }
      post("/sdk/payments", {
        product: "widget", clientKey: clientKey, customerKey: customerKey, amount: state.amount,
        method: state.method, orderId: info.orderId, orderName: info.orderName, successUrl: info.successUrl,
        failUrl: info.failUrl, customerName: info.customerName, customerEmail: info.customerEmail,
        customerMobilePhone: info.customerMobilePhone, metadata: info.metadata
      }).then(function (created) {
        openWindow(created, function (params) { return params; }, resolve, reject, done);
      }, function (e) { done(); reject(e); });
    });
  }

  return {
    renderPaymentMethods: renderPaymentMethods,
    renderAgreement: renderAgreement,
    requestPayment: requestPayment
  };
}

PaymentWidget.ANONYMOUS = ANONYMOUS;
PaymentWidget.version = "emulator";
window.PaymentWidget = PaymentWidget;
