/* Stand-in for PortOne's V2 browser SDK (https://cdn.portone.io/v2/browser-sdk.js), served by the PG Sandbox
 * emulator. Defines window.PortOne with requestPayment: it opens the emulator's hosted window as an in-page
 * modal and resolves with PortOne's PaymentResponse, or sends the page to redirectUrl.
 * The emulator's address below was fixed in when this script was served, so the page may load it from any
 * URL (also from the real CDN address, routed here by a test). */
(function () {
  "use strict";
  if (window.PortOne && window.PortOne.emulator) return;

  var BASE = {{ base|tojson }};
  var ORIGIN = new URL(BASE).origin;
  var state = {modal: null, listener: null};

  function closeModal() {
    if (state.listener) window.removeEventListener("message", state.listener);
    if (state.modal && state.modal.parentNode) state.modal.parentNode.removeChild(state.modal);
    state.modal = state.listener = null;
  }

  function openModal(url) {
    var overlay = document.createElement("div");
    overlay.className = "portone-emulator-modal";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    var s = overlay.style;
    s.position = "fixed"; s.left = "0"; s.top = "0"; s.right = "0"; s.bottom = "0";
    s.zIndex = "2147483000"; s.background = "rgba(20, 24, 33, 0.55)";
    s.display = "flex"; s.alignItems = "center"; s.justifyContent = "center";
    var frame = document.createElement("iframe");
    frame.className = "portone-emulator-window";
    frame.title = "PortOne";
    frame.src = url;
    var f = frame.style;
    f.width = "440px"; f.maxWidth = "96vw"; f.height = "640px"; f.maxHeight = "92vh";
    f.border = "0"; f.borderRadius = "10px"; f.background = "#fff";
    f.boxShadow = "0 12px 40px rgba(0, 0, 0, 0.35)";
    overlay.appendChild(frame);
    document.body.appendChild(overlay);
    return overlay;
  }

  function failure(request, code, message) {
    var out = {transactionType: "PAYMENT", code: code, message: message};
    if (request && typeof request.paymentId === "string") out.paymentId = request.paymentId;
    return out;
  }

  /* Resolves with {transactionType, txId, paymentId[, paymentToken]} or, on failure, with code and message
   * (and pgCode / pgMessage for a PG's refusal). In redirect mode the page leaves and it never resolves. */
  function requestPayment(request) {
    return new Promise(function (resolve) {
      if (state.modal) closeModal();
      fetch(BASE + "/sdk/payments", {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({request: request || {}, pageUrl: location.href})
      }).then(function (resp) {
        return resp.json().then(function (body) { return {ok: resp.ok, body: body}; });
      }).then(function (res) {
        if (!res.ok) {
          resolve(res.body.code ? res.body : failure(request, "UnknownError", "결제를 요청할 수 없습니다."));
          return;
        }
        var txId = res.body.txId;
        state.listener = function (event) {
          var data = event.data;
          if (event.origin !== ORIGIN || !data || data.imp_uid !== txId) return;
          if (data.type === "portone-emulator:size" && state.modal && typeof data.height === "number") {
            state.modal.firstChild.style.height = Math.min(Math.max(data.height, 200), 640) + "px";
            return;
          }
          if (data.type !== "portone-emulator:result") return;
          closeModal();
          if (data.redirect_url) window.location.href = data.redirect_url;
          else resolve(data.rsp);
        };
        window.addEventListener("message", state.listener);
        state.modal = openModal(res.body.window_url);
      }).catch(function () {
        resolve(failure(request, "UnknownError", "결제창을 열 수 없습니다. 네트워크 상태를 확인해주세요."));
      });
    });
  }

  window.PortOne = {requestPayment: requestPayment, emulator: true};
})();
