/* The emulated PortOne hosted window: posts the buyer's choice, then hands the result to the SDK. */
(function () {
  "use strict";
  var root = document.getElementById("imp-window");
  if (!root) return;
  var status = document.getElementById("imp-status");
  var buttons = Array.prototype.slice.call(root.querySelectorAll("button[data-outcome]"));

  function finish(result) {
    var message = {type: "portone-emulator:result", imp_uid: root.dataset.impUid, rsp: result.rsp,
                   redirect_url: result.redirect_url};
    if (window.parent !== window) window.parent.postMessage(message, root.dataset.targetOrigin || "*");
    else if (result.redirect_url) window.location.href = result.redirect_url;
    else status.textContent = root.dataset.doneText;
  }

  // Framed: tell the SDK how tall the window is, so the frame leaves no empty area below it.
  if (window.parent !== window) {
    window.parent.postMessage({type: "portone-emulator:size", imp_uid: root.dataset.impUid,
                               height: Math.ceil(root.getBoundingClientRect().bottom) + 16}, root.dataset.targetOrigin || "*");
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var outcome = button.dataset.outcome;
      buttons.forEach(function (b) { b.disabled = true; });
      status.textContent = outcome === "slow" ? root.dataset.slowText : root.dataset.processingText;
      var body = {outcome: outcome};
      var card = document.getElementById("imp-card");
      if (card) body.card_code = card.value;
      fetch(root.dataset.decideUrl, {method: "POST", headers: {"Content-Type": "application/json"},
                                     body: JSON.stringify(body)})
        .then(function (resp) {
          return resp.json().then(function (data) { return {ok: resp.ok, data: data}; });
        })
        .then(function (res) {
          if (res.ok) finish(res.data);
          else status.textContent = res.data.error_msg || root.dataset.errorText;
        })
        .catch(function () { status.textContent = root.dataset.errorText; });
    });
    button.disabled = false;   // the page renders the buttons off, so no click comes before this handler
  });
})();
