/* Emulated Toss Payments SDK v2: the same global and call surface as https://js.tosspayments.com/v2/standard
   (TossPayments(clientKey), .widgets({customerKey}) with setAmount / renderPaymentMethods / renderAgreement /
   requestPayment, .payment({customerKey}) with requestPayment / requestBillingAuth). The emulator serves it
   after core.js, inside the same function. */
if (window.TossPayments) return;
/* [code, the Korean method its label is translated from] */
var WIDGET_METHODS = [["CARD", "카드"], ["TRANSFER", "계좌이체"], ["VIRTUAL_ACCOUNT", "가상계좌"],
                      ["MOBILE_PHONE", "휴대폰"], ["TOSSPAY", "간편결제"]];
var WINDOW_METHODS = ["CARD", "TRANSFER", "VIRTUAL_ACCOUNT", "MOBILE_PHONE"];

/* {currency: "KRW", value} -> value; throws the SDK's amount errors. */
function amountValue(amount) {
  if (!amount || typeof amount !== "object") throw sdkError("INVALID_AMOUNT_VALUE");
  if (amount.currency !== "KRW") throw sdkError("INVALID_AMOUNT_CURRENCY");
  var value = amount.value;
  if (typeof value !== "number" || !isFinite(value) || Math.floor(value) !== value) {
    throw sdkError("INVALID_AMOUNT_VALUE");
  }
  if (value <= 0) throw sdkError("BELOW_ZERO_AMOUNT");
  return value;
}

function checkCustomerKey(options) {
  var key = options && options.customerKey;
  if (key !== ANONYMOUS && !(typeof key === "string" && CUSTOMER_KEY.test(key))) {
    throw sdkError("INVALID_CUSTOMER_KEY");
  }
  return key;
}

/* What requestPayment of either kind checks before anything is sent; returns an error or null. */
function checkOrder(req) {
  if (!req || typeof req !== "object") return sdkError("INVALID_PARAMETERS");
  if (typeof req.orderId !== "string" || !ORDER_ID.test(req.orderId)) {
    return sdkError("INVALID_PARAMETERS", MESSAGES.ORDER_ID);
  }
  if (typeof req.orderName !== "string" || !req.orderName.trim()) {
    return sdkError("INVALID_PARAMETERS", MESSAGES.ORDER_NAME);
  }
  return checkUrls(req, false);
}

function checkUrls(req, required) {
  if ((required || req.successUrl !== undefined) && !absoluteUrl(req.successUrl)) {
    return sdkError("INCORRECT_SUCCESS_URL_FORMAT");
  }
  if ((required || req.failUrl !== undefined) && !absoluteUrl(req.failUrl)) {
    return sdkError("INCORRECT_FAIL_URL_FORMAT");
  }
  return null;
}

/* v2 resolves promise-mode payments with the amount as {currency, value}. */
function v2Result(withType) {
  return function (params) {
    var out = {paymentKey: params.paymentKey, orderId: params.orderId,
               amount: {currency: "KRW", value: params.amount}};
    if (withType) out.paymentType = params.paymentType;
    return out;
  };
}

function TossPayments(clientKey) {
  if (typeof clientKey !== "string") throw sdkError("INVALID_CLIENT_KEY");
  if (/^(test|live)_g?sk_/.test(clientKey)) throw sdkError("INSECURE_KEY_USAGE");
  if (!/^(test|live)_g?ck_/.test(clientKey)) throw sdkError("INVALID_CLIENT_KEY");
  var widgetKey = /^(test|live)_gck_/.test(clientKey);
  var busy = false;

  /* POST to the emulator, then show the window; one SDK call at a time. */
  function pay(path, body, shape) {
    if (busy) return Promise.reject(sdkError("INVALID_METHOD_TRANSACTION"));
    busy = true;
    function done() { busy = false; }
    return new Promise(function (resolve, reject) {
      post(path, body).then(function (created) {
        openWindow(created, shape, resolve, reject, done);
      }, function (e) { done(); reject(e); });
    });
  }

  function customerFields(req, body) {
    body.customerName = req.customerName;
    body.customerEmail = req.customerEmail;
    body.customerMobilePhone = req.customerMobilePhone;
    return body;
  }

  function widgets(options) {
    if (!widgetKey) throw sdkError("NOT_SUPPORTED_API_INDIVIDUAL_KEY");
    var customerKey = checkCustomerKey(options);
    var state = {amount: null, method: WIDGET_METHODS[0][0], methods: null, agreement: null, show: null};

    function needAmount() {
      return state.amount === null ? sdkError("NOT_SETUP_AMOUNT") : null;
    }

    return {
      setAmount: function (amount) {
        try { state.amount = amountValue(amount); } catch (e) { return Promise.reject(e); }
        if (state.show) state.show(state.amount);
        return Promise.resolve();
      },
      renderPaymentMethods: function (opts) {
        var error = needAmount() || (state.methods ? sdkError("PAYMENT_METHODS_WIDGET_ALREADY_RENDERED") : null);
        if (error) return Promise.reject(error);
        var host;
        try { host = find(opts && opts.selector); } catch (e) { return Promise.reject(e); }
        var events = emitter();
        var choices = WIDGET_METHODS.map(function (m) { return [m[0], TEXT.methods[m[1]]]; });
        state.show = methodsBox(host, choices, state.amount, function (code) {
          state.method = code;
          events.emit("paymentMethodSelect", {code: code});
        });
        state.methods = {
          on: events.on,
          getSelectedPaymentMethod: function () { return Promise.resolve({code: state.method}); },
          destroy: function () { host.textContent = ""; state.methods = state.show = null; return Promise.resolve(); }
        };
        return Promise.resolve(state.methods);
      },
      renderAgreement: function (opts) {
        var error = needAmount() || (state.agreement ? sdkError("AGREEMENT_WIDGET_ALREADY_RENDERED") : null);
        if (error) return Promise.reject(error);
        var host;
        try { host = find(opts && opts.selector); } catch (e) { return Promise.reject(e); }
        var events = emitter();
        var box = agreementBox(host, function (agreed) {
          events.emit("agreementStatusChange", {agreedRequiredTerms: agreed,
                                                agreements: [{term: {id: "emulator-terms", required: true},
                                                              agreed: agreed}]});
        });
        state.agreement = {
          on: events.on,
          agreed: function () { return box.checked; },
          destroy: function () { host.textContent = ""; state.agreement = null; return Promise.resolve(); }
        };
        return Promise.resolve(state.agreement);
      },
      requestPayment: function (req) {
        var error = needAmount() || (state.methods ? null : sdkError("NOT_SELECTED_PAYMENT_METHOD")) ||
          checkOrder(req) ||
          (state.agreement && !state.agreement.agreed() ? sdkError("NEED_AGREEMENT_WITH_REQUIRED_TERMS") : null);
        if (error) return Promise.reject(error);
        return pay("/sdk/payments", customerFields(req, {
          product: "widget", clientKey: clientKey, customerKey: customerKey, amount: state.amount,
          method: state.method, orderId: req.orderId, orderName: req.orderName, successUrl: req.successUrl,
          failUrl: req.failUrl, metadata: req.metadata
        }), v2Result(true));
      }
    };
  }

  function payment(options) {
    if (widgetKey) throw sdkError("NOT_SUPPORTED_WIDGET_KEY");
    var customerKey = checkCustomerKey(options);
    return {
      requestPayment: function (req) {
        var error = checkOrder(req);
        if (!error && WINDOW_METHODS.indexOf(req.method) < 0) error = sdkError("NOT_SUPPORTED_METHOD");
        var value;
        try { value = error ? null : amountValue(req.amount); } catch (e) { error = e; }
        if (error) return Promise.reject(error);
        var easyPay = req.method === "CARD" && req.card && req.card.easyPay;
        return pay("/sdk/payments", customerFields(req, {
          product: "payment", clientKey: clientKey, customerKey: customerKey, amount: value,
          method: easyPay ? "EASY_PAY" : req.method, orderId: req.orderId, orderName: req.orderName,
          successUrl: req.successUrl, failUrl: req.failUrl, metadata: req.metadata
        }), v2Result(false));
      },
      requestBillingAuth: function (req) {
        var error = !req || typeof req !== "object" ? sdkError("INVALID_PARAMETERS") : checkUrls(req, true);
        if (!error && req.method !== "CARD") error = sdkError("NOT_SUPPORTED_METHOD");
        if (!error && customerKey === ANONYMOUS) error = sdkError("INVALID_CUSTOMER_KEY");
        if (error) return Promise.reject(error);
        return pay("/sdk/billing-auths", customerFields(req, {
          clientKey: clientKey, customerKey: customerKey, method: req.method, successUrl: req.successUrl,
          failUrl: req.failUrl
        }), function (params) { return params; });
      }
    };
  }

  return {widgets: widgets, payment: payment};
}

TossPayments.ANONYMOUS = ANONYMOUS;
TossPayments.version = "emulator";
window.TossPayments = TossPayments;
