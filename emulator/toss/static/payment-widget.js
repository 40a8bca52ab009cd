/* Emulated Toss Payments payment widget v1: the same global and call surface as
   https://js.tosspayments.com/v1/payment-widget (PaymentWidget, renderPaymentMethods, updateAmount,
   renderAgreement, requestPayment). The emulator serves this file wrapped in a function that receives
   TEXT (the translated strings it shows) and MESSAGES (the SDK's error messages). */
"use strict";
if (window.PaymentWidget) return;

var script = document.currentScript;
var BASE = (script && script.src ? script.src : location.origin + "/emulator/toss/v1/payment-widget")
  .replace(/\/v1\/payment-widget(?:[?#].*)?$/, "");
var EMULATOR_ORIGIN = new URL(BASE, location.href).origin;
var METHODS = ["카드", "계좌이체", "가상계좌", "휴대폰", "간편결제"];
var ORDER_ID = /^[A-Za-z0-9_-]{6,64}$/;
var ANONYMOUS = "@@ANONYMOUS";
var seq = 0;

function sdkError(code, message) {
  var error = new Error(message || MESSAGES[code] || code);
  error.code = code;
  return error;
}

function won(amount) {
  return TEXT.won.replace("%(amount)s", Number(amount).toLocaleString("ko-KR"));
}

function parseAmount(amount) {
  var value = amount !== null && typeof amount === "object" ? amount.value : amount;
  if (typeof value !== "number" || !isFinite(value) || Math.floor(value) !== value) {
    throw sdkError("INVALID_AMOUNT_VALUE");
  }
  if (value <= 0) throw sdkError("BELOW_ZERO_AMOUNT");
  return value;
}

function element(tag, styles, text) {
  var el = document.createElement(tag);
  for (var k in (styles || {})) el.style[k] = styles[k];
  if (text !== undefined) el.textContent = text;
  return el;
}

function find(selector) {
  var el = null;
  try { el = typeof selector === "string" ? document.querySelector(selector) : null; } catch (e) { el = null; }
  if (!el) throw sdkError("INVALID_SELECTOR");
  return el;
}

function emitter() {
  var handlers = {}, fired = {};
  return {
    on: function (name, cb) {
      (handlers[name] = handlers[name] || []).push(cb);
      if (name in fired) setTimeout(function () { cb(fired[name]); }, 0);
    },
    emit: function (name, arg, sticky) {
      if (sticky) fired[name] = arg;
      (handlers[name] || []).forEach(function (cb) { cb(arg); });
    }
  };
}

function absoluteUrl(url) {
  return typeof url === "string" && /^https?:\/\/[^/]+/i.test(url);
}

function PaymentWidget(clientKey, customerKey, options) {
  var state = {amount: null, method: METHODS[0], methods: null, agreement: null, busy: false};
  var id = "toss-emu-" + (++seq);

  function renderPaymentMethods(selector, amount, opts) {
    if (state.methods) throw sdkError("PAYMENT_METHODS_WIDGET_ALREADY_RENDERED");
    var host = find(selector);
    state.amount = parseAmount(amount);
    var events = emitter();
    var box = element("div", {border: "1px solid #d1d6db", borderRadius: "12px", padding: "12px 16px",
                              background: "#fff", color: "#191f28", fontSize: "15px"});
    box.className = "toss-emu-methods";
    box.appendChild(element("div", {fontSize: "12px", color: "#7a5600", background: "#fff3cd",
                                    display: "inline-block", padding: "1px 6px", borderRadius: "4px",
                                    marginBottom: "8px"}, TEXT.badge));
    var fieldset = element("fieldset", {border: "0", margin: "0", padding: "0"});
    fieldset.appendChild(element("legend", {fontWeight: "600", marginBottom: "6px"}, TEXT.methodsTitle));
    METHODS.forEach(function (m, i) {
      var label = element("label", {display: "block", padding: "4px 0", cursor: "pointer"});
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = id + "-method";
      radio.value = m;
      radio.checked = i === 0;
      radio.addEventListener("change", function () {
        if (radio.checked) state.method = m;
      });
      label.appendChild(radio);
      label.appendChild(document.createTextNode(" " + TEXT.methods[m]));
      label.setAttribute("data-method", m);
      fieldset.appendChild(label);
    });
    box.appendChild(fieldset);
    var line = element("p", {margin: "8px 0 0"});
    line.appendChild(document.createTextNode(TEXT.amount + ": "));
    var shown = element("strong", {}, won(state.amount));
    shown.className = "toss-emu-amount";
    line.appendChild(shown);
    box.appendChild(line);
    host.textContent = "";
    host.appendChild(box);

    state.methods = {
      UPDATE_REASON: {COUPON: "COUPON", POINT: "POINT"},
      updateAmount: function (value, reason) {
        state.amount = parseAmount(value);
        shown.textContent = won(state.amount);
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
    var host = find(selector);
    var events = emitter();
    var label = element("label", {display: "flex", gap: "6px", alignItems: "flex-start", padding: "8px 0",
                                  fontSize: "14px", cursor: "pointer"});
    label.className = "toss-emu-agreement";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    label.appendChild(box);
    label.appendChild(document.createTextNode(TEXT.agreement));
    host.textContent = "";
    host.appendChild(label);
    function status() {
      return {agreedRequiredTerms: box.checked,
              terms: [{id: "emulator-terms", agreed: box.checked, required: true, title: TEXT.agreement, content: ""}]};
    }
    box.addEventListener("change", function () { events.emit("change", status()); });
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

  function openWindow(created, resolve, reject) {
    var overlay = element("div", {position: "fixed", inset: "0", background: "rgba(0,0,0,.45)", zIndex: "2147483000",
                                  display: "flex", alignItems: "center", justifyContent: "center"});
    overlay.className = "toss-emu-overlay";
    var frame = element("iframe", {width: "650px", height: "650px", maxWidth: "96vw", maxHeight: "92vh",
                                   border: "0", borderRadius: "12px", background: "#fff"});
    frame.title = TEXT.windowTitle;
    frame.name = "toss-emu-window";
    frame.src = created.window_url;
    overlay.appendChild(frame);
    document.body.appendChild(overlay);

    function done() {
      window.removeEventListener("message", onMessage);
      state.busy = false;
    }
    function onMessage(event) {
      var d = event.data;
      if (event.origin !== EMULATOR_ORIGIN || !d || d.tosspayments !== true) return;
      if (d.paymentKey !== created.paymentKey) return;
      done();
      if (d.redirectUrl) {
        resolve();
        window.location.href = d.redirectUrl;
        return;
      }
      overlay.remove();
      if (d.type === "success") resolve(d.params);
      else if (d.type === "cancel") reject(sdkError("USER_CANCEL", d.params.message));
      else reject(sdkError(d.params.code || "UNKNOWN", d.params.message));
    }
    window.addEventListener("message", onMessage);
  }

  function requestPayment(info) {
    return new Promise(function (resolve, reject) {
      var error = validate(info);
      if (error) { reject(error); return; }
      state.busy = true;
      var body = {
        clientKey: clientKey, customerKey: customerKey, amount: state.amount, method: state.method,
        orderId: info.orderId, orderName: info.orderName, successUrl: info.successUrl, failUrl: info.failUrl,
        customerName: info.customerName, customerEmail: info.customerEmail,
        customerMobilePhone: info.customerMobilePhone, metadata: info.metadata, page_url: location.href
      };
      fetch(BASE + "/sdk/payments", {method: "POST", mode: "cors", credentials: "omit",
                                     headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
        .then(function (resp) {
          return resp.json().then(function (data) { return {ok: resp.ok, data: data}; });
        })
        .then(function (res) {
          if (!res.ok) {
            state.busy = false;
            reject(sdkError(res.data.code || "UNKNOWN", res.data.message));
            return;
          }
          openWindow(res.data, resolve, reject);
        }, function () {
          state.busy = false;
          reject(sdkError("UNKNOWN", TEXT.network));
        });
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
