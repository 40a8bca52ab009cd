/* The emulated Toss window: sends the buyer's choice to the emulator, then hands the result to the page
   that opened it (postMessage to the SDK when framed; a plain redirect when it is a whole-page checkout). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("toss-window-data").textContent);
  var status = document.getElementById("toss-status");
  var buttons = document.querySelectorAll("[data-outcome]");
  var framed = window.parent !== window;

  if (framed) {   // tell the SDK how tall the window is, so the frame leaves no empty area below it
    window.parent.postMessage({tosspayments: true, window: "EMULATOR", type: "size", windowId: data.windowId,
                               height: Math.ceil(document.querySelector(".toss-win").getBoundingClientRect().bottom) + 16},
                              data.parentOrigin);
  }

  function setBusy(busy) {
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = busy;
  }

  function tell(answer) {
    if (framed) {
      window.parent.postMessage({
        tosspayments: true, window: "EMULATOR", type: answer.type, windowId: data.windowId,
        redirectUrl: answer.redirect_url || null, params: answer.params || answer.rejection || answer.result || {}
      }, data.parentOrigin);
      status.textContent = "";
      return;
    }
    if (answer.redirect_url) {
      window.location.href = answer.redirect_url;
    } else {
      status.textContent = data.texts.closed;
    }
  }

  function decide(outcome) {
    setBusy(true);
    status.textContent = outcome === "slow" ? data.texts.slow : data.texts.working;
    fetch(data.decideUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({outcome: outcome})
    }).then(function (resp) {
      return resp.json().then(function (body) { return {ok: resp.ok, body: body}; });
    }).then(function (res) {
      if (!res.ok) {
        status.textContent = data.texts.failed.replace("%(message)s", res.body.message || res.body.code || "");
        if (framed) {
          window.parent.postMessage({tosspayments: true, window: "EMULATOR", type: "fail", windowId: data.windowId,
                                     redirectUrl: null, params: {code: res.body.code, message: res.body.message}},
                                    data.parentOrigin);
        }
        return;
      }
      tell(res.body);
    }).catch(function () {
      setBusy(false);
      status.textContent = data.texts.failed.replace("%(message)s", "");
    });
  }

  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (event) {
      decide(event.currentTarget.getAttribute("data-outcome"));
    });
  }
  setBusy(false);   // the page renders the buttons off, so no click comes before its handler
})();
