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
  var origin = new URL(base).origin;
  var state = {userCode: null, tierCode: null, modal: null, listener: null};

  function failure(params, code, msg) {
    var rsp = {imp_uid: null, merchant_uid: (params && params.merchant_uid) || null, error_code: code,
               error_msg: msg};
    if (legacy) rsp.success = false;
    return rsp;
  }

  function closeModal() {
    if (state.listener) window.removeEventListener("message", state.listener);
    if (state.modal && state.modal.parentNode) state.modal.parentNode.removeChild(state.modal);
    state.modal = state.listener = null;
  }

  function openModal(url) {
    var overlay = document.createElement("div");
    overlay.className = "imp-emulator-modal";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    var s = overlay.style;
    s.position = "fixed"; s.left = "0"; s.top = "0"; s.right = "0"; s.bottom = "0";
    s.zIndex = "2147483000"; s.background = "rgba(20, 24, 33, 0.55)";
    s.display = "flex"; s.alignItems = "center"; s.justifyContent = "center";
    var frame = document.createElement("iframe");
    frame.className = "imp-emulator-window";
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
    if (state.modal) closeModal();
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
      var impUid = res.body.imp_uid;
      state.listener = function (event) {
        var data = event.data;
        if (event.origin !== origin || !data || data.imp_uid !== impUid) return;
        if (data.type === "portone-emulator:size" && state.modal && typeof data.height === "number") {
          state.modal.firstChild.style.height = Math.min(Math.max(data.height, 200), 640) + "px";
          return;
        }
        if (data.type !== "portone-emulator:result") return;
        closeModal();
        if (data.redirect_url) window.location.href = data.redirect_url;
        else done(data.rsp);
      };
      window.addEventListener("message", state.listener);
      state.modal = openModal(res.body.window_url);
    }).catch(function () {
      done(failure(params, "F500", "결제창을 열 수 없습니다. 네트워크 상태를 확인해주세요."));
    });
  }

  window.IMP = {init: init, agency: agency, request_pay: request_pay, close: closeModal, emulator: true,
                version: legacy ? "1.2.0" : "1.3.0"};
})();
