  /* The hosted window as an in-page modal, shared by the V1 and V2 stand-ins (included where they are
   * served; frame_class names their classes: imp-emulator or portone-emulator). */
  var origin = new URL({{ base|tojson }}).origin;
  var frame = {modal: null, listener: null};

  function closeModal() {
    if (frame.listener) window.removeEventListener("message", frame.listener);
    if (frame.modal && frame.modal.parentNode) frame.modal.parentNode.removeChild(frame.modal);
    frame.modal = frame.listener = null;
  }

  function openModal(url) {
    var overlay = document.createElement("div");
    overlay.className = {{ (frame_class ~ "-modal")|tojson }};
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    var s = overlay.style;
    s.position = "fixed"; s.left = "0"; s.top = "0"; s.right = "0"; s.bottom = "0";
    s.zIndex = "2147483000"; s.background = "rgba(20, 24, 33, 0.55)";
    s.display = "flex"; s.alignItems = "center"; s.justifyContent = "center";
    var iframe = document.createElement("iframe");
    iframe.className = {{ (frame_class ~ "-window")|tojson }};
    iframe.title = "PortOne";
    iframe.src = url;
    var f = iframe.style;
    f.width = "440px"; f.maxWidth = "96vw"; f.height = "640px"; f.maxHeight = "92vh";
    f.border = "0"; f.borderRadius = "10px"; f.background = "#fff";
    f.boxShadow = "0 12px 40px rgba(0, 0, 0, 0.35)";
    overlay.appendChild(iframe);
    document.body.appendChild(overlay);
    return overlay;
  }

  /* Open the window of the payment the emulator created (id: its imp_uid or txId) and hand its answer to
   * done, unless the answer sends the page to a redirect URL. */
  function openWindow(id, url, done) {
    frame.listener = function (event) {
      var data = event.data;
      if (event.origin !== origin || !data || data.imp_uid !== id) return;
      if (data.type === "portone-emulator:size" && frame.modal && typeof data.height === "number") {
        frame.modal.firstChild.style.height = Math.min(Math.max(data.height, 200), 640) + "px";
        return;
      }
      if (data.type !== "portone-emulator:result") return;
      closeModal();
      if (data.redirect_url) window.location.href = data.redirect_url;
      else done(data.rsp);
    };
    window.addEventListener("message", frame.listener);
    frame.modal = openModal(url);
  }
