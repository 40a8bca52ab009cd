/* Stand-in for PortOne's V1 browser SDK (cdn.iamport.kr/v1/iamport.js and js/iamport.payment-1.2.0.js).
 * Defines window.IMP with init, agency, request_pay and close. Served by the PG Sandbox emulator:
 * it opens the emulator's hosted window as an in-page modal and answers like the real SDK.
 * The emulator's address and the SDK version are written in when the script is served (from the request
 * that fetched it), so the page may keep the real CDN address and have it routed here. */
(function () {
  "use strict";
  if (window.IMP && window.IMP.emulator) return;

  var base = {{ base|tojson }};
  var legacy = {{ legacy|tojson }};
  var state = {userCode: null, tierCode: null};
{% set frame_class = "imp-emulator" %}{% include "portone/_window_frame.js" %}

  function failure(params, code, msg) {
    var rsp = {imp_uid: null, merchant_uid: (params && params.merchant_uid) || null, error_code: code,
               error_msg: msg};
    if (legacy) rsp.success = false;
    return rsp;
  }

  function init(userCode) {
    if (state.userCode !== null) {
      console.warn("IMP.init()은 한 번만 호출해야 합니다. 두 번째 호출은 무시되었습니다. (" + userCode + ")");
      return;
    }
    state.userCode = String(userCode);
  }

  function agency(userCode, tierCode) {
    init(userCode);
    state.tierCode = tierCode || null;
  }

  function request_pay(params, callback) {
    var done = typeof callback === "function" ? callback : function () {};
    if (state.userCode === null) {
      done(failure(params, "F400", "IMP.init(가맹점 식별코드)을 먼저 호출해주세요."));
      return;
    }
    closeModal();
    fetch(base + "/sdk/payments", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({user_code: state.userCode, tier_code: state.tierCode, params: params || {},
                            sdk: legacy ? "1.2.0" : "1.3.0", page_url: location.href})
    }).then(function (resp) {
      return resp.json().then(function (body) { return {ok: resp.ok, body: body}; });
    }).then(function (res) {
      if (!res.ok) {
        done(failure(params, res.body.error_code, res.body.error_msg));
        return;
      }
      openWindow(res.body.imp_uid, res.body.window_url, done);
    }).catch(function () {
      done(failure(params, "F500", "결제창을 열 수 없습니다. 네트워크 상태를 확인해주세요."));
    });
  }

  window.IMP = {init: init, agency: agency, request_pay: request_pay, close: closeModal, emulator: true,
                version: legacy ? "1.2.0" : "1.3.0"};
})();
