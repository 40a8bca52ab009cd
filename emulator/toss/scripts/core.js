/* What both emulated Toss SDK scripts share: errors, small DOM helpers, the call that creates the payment
   (or billing authorization) at the emulator, and the in-page modal with the hosted window. The emulator
   serves it inside a function that receives TEXT (translated strings), MESSAGES (the SDK's error messages)
   and BASE (the emulator's address, taken from the request that fetched the script, so the script also
   works when a page keeps js.tosspayments.com's URL and a test routes it here). */
var EMULATOR_ORIGIN = new URL(BASE).origin;
var ORDER_ID = /^[A-Za-z0-9_-]{6,64}$/;
var CUSTOMER_KEY = /^[A-Za-z0-9\-_=.@]{2,50}$/;
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

function badge() {
  return element("div", {fontSize: "12px", color: "#7a5600", background: "#fff3cd", display: "inline-block",
                         padding: "1px 6px", borderRadius: "4px", marginBottom: "8px"}, TEXT.badge);
}

/* The payment-methods box in host: one radio per [value, label] choice (the first picked), and the
   amount. onPick(value) runs when the buyer picks another. Returns a function that shows a new amount. */
function methodsBox(host, choices, amount, onPick) {
  var name = "toss-emu-" + (++seq) + "-method";
  var box = element("div", {border: "1px solid #d1d6db", borderRadius: "12px", padding: "12px 16px",
                            background: "#fff", color: "#191f28", fontSize: "15px"});
  box.className = "toss-emu-methods";
  box.appendChild(badge());
  var fieldset = element("fieldset", {border: "0", margin: "0", padding: "0"});
  fieldset.appendChild(element("legend", {fontWeight: "600", marginBottom: "6px"}, TEXT.methodsTitle));
  choices.forEach(function (choice, i) {
    var label = element("label", {display: "block", padding: "4px 0", cursor: "pointer"});
    var radio = document.createElement("input");
    radio.type = "radio";
    radio.name = name;
    radio.value = choice[0];
    radio.checked = i === 0;
    radio.addEventListener("change", function () {
      if (radio.checked) onPick(choice[0]);
    });
    label.appendChild(radio);
    label.appendChild(document.createTextNode(" " + choice[1]));
    label.setAttribute("data-method", choice[0]);
    fieldset.appendChild(label);
  });
  box.appendChild(fieldset);
  var line = element("p", {margin: "8px 0 0"});
  line.appendChild(document.createTextNode(TEXT.amount + ": "));
  var shown = element("strong", {}, won(amount));
  shown.className = "toss-emu-amount";
  line.appendChild(shown);
  box.appendChild(line);
  host.textContent = "";
  host.appendChild(box);
  return function (value) { shown.textContent = won(value); };
}

/* The required-terms checkbox in host (ticked). onChange(agreed) runs when the buyer changes it.
   Returns the checkbox. */
function agreementBox(host, onChange) {
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
  box.addEventListener("change", function () { onChange(box.checked); });
  return box;
}

/* POST body to BASE + path; resolves with the emulator's JSON, rejects with an SDK error. */
function post(path, body) {
  body.page_url = location.href;
  return fetch(BASE + path, {method: "POST", mode: "cors", credentials: "omit",
                             headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
    .then(function (resp) {
      return resp.json().then(function (data) { return {ok: resp.ok, data: data}; },
                              function () { return {ok: false, data: {}}; });
    }, function () {
      throw sdkError("UNKNOWN", TEXT.network);
    })
    .then(function (res) {
      if (!res.ok) throw sdkError(res.data.code || "UNKNOWN", res.data.message);
      return res.data;
    });
}

/* Show the hosted window (created.window_url) in a modal; settle with what the buyer chose there:
   a redirect (the page leaves; resolves with nothing), a result (resolves with shape(params)), or a
   rejection (USER_CANCEL, or the decline's code). done() runs once it is over. */
function openWindow(created, shape, resolve, reject, done) {
  var overlay = element("div", {position: "fixed", inset: "0", background: "rgba(0,0,0,.45)", zIndex: "2147483000",
                                display: "flex", alignItems: "center", justifyContent: "center"});
  overlay.className = "toss-emu-overlay";
  overlay.setAttribute("role", "dialog");
  overlay.setAttribute("aria-modal", "true");
  overlay.setAttribute("aria-label", TEXT.windowTitle);
  var frame = element("iframe", {width: "650px", height: "650px", maxWidth: "96vw", maxHeight: "92vh",
                                 border: "0", borderRadius: "12px", background: "#fff"});
  frame.title = TEXT.windowTitle;
  frame.name = "toss-emu-window";
  frame.src = created.window_url;
  overlay.appendChild(frame);
  document.body.appendChild(overlay);

  function onMessage(event) {
    var d = event.data;
    if (event.origin !== EMULATOR_ORIGIN || !d || d.tosspayments !== true) return;
    if (d.windowId !== created.window_id) return;
    if (d.type === "size") {   // the window's own height: no empty area below it
      if (typeof d.height === "number") frame.style.height = Math.min(Math.max(d.height, 200), 650) + "px";
      return;
    }
    window.removeEventListener("message", onMessage);
    done();
    if (d.redirectUrl) {
      resolve();
      window.location.href = d.redirectUrl;
      return;
    }
    overlay.remove();
    if (d.type === "success") resolve(shape(d.params));
    else if (d.type === "cancel") reject(sdkError("USER_CANCEL", d.params.message));
    else reject(sdkError(d.params.code || "UNKNOWN", d.params.message));
  }
  window.addEventListener("message", onMessage);
}
