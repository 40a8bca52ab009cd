/* Stand-in for PortOne's V2 browser SDK (https://cdn.portone.io/v2/browser-sdk.js), served by the PG Sandbox
 * emulator. Defines window.PortOne with requestPayment: it opens the emulator's hosted window as an in-page
 * modal and resolves with PortOne's PaymentResponse, or sends the page to redirectUrl.
 * The emulator's address below was fixed in when this script was served, so the page may load it from any
 * URL (also from the real CDN address, routed here by a test). */
(function () {
  "use strict";
  if (window.PortOne && window.PortOne.emulator) return;

  var BASE = {{ base|tojson }};
{% set frame_class = "portone-emulator" %}{% include "portone/_window_frame.js" %}

  function failure(request, code, message) {
    var out = {transactionType: "PAYMENT", code: code, message: message};
    if (request && typeof request.paymentId === "string") out.paymentId = request.paymentId;
    return out;
  }

  /* Resolves with {transactionType, txId, paymentId[, paymentToken]} or, on failure, with code and message
   * (and pgCode / pgMessage for a PG's refusal). In redirect mode the page leaves and it never resolves. */
  function requestPayment(request) {
    return new Promise(function (resolve) {
      closeModal();
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
        openWindow(res.body.txId, res.body.window_url, resolve);
      }).catch(function () {
        resolve(failure(request, "UnknownError", "결제창을 열 수 없습니다. 네트워크 상태를 확인해주세요."));
      });
    });
  }

  window.PortOne = {requestPayment: requestPayment, emulator: true};
})();
