/* The checkout page's live step logs: on "flow:started" {pg, order_id}, follow that flow's steps. */
(function () {
  "use strict";
  var configEl = document.getElementById("livelog-config");
  if (!configEl) return;
  var cfg = JSON.parse(configEl.textContent);
  var words = cfg.words;
  var FAST = 400, SLOW = 1500, SLOWER = 5000, SETTLE = 3000;
  var followers = {};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function urlFor(pattern, orderId) {
    return pattern.replace("__ID__", encodeURIComponent(orderId));
  }

  function mark(verdict) {
    return verdict === "fail" ? "✗" : verdict === "pass" ? "✓" : "·";
  }

  function entry(step, flowUrl) {
    var li = el("li", "live-step verdict-" + (step.verdict || "none") + (step.reported ? " reported" : ""));
    li.dataset.stepId = step.id;
    li.dataset.phase = step.phase;
    li.dataset.name = step.name;
    li.appendChild(el("span", "mark", mark(step.verdict)));
    li.appendChild(el("span", "phase", cfg.phases[step.phase] || step.phase));
    li.appendChild(el("span", "actors", (cfg.actors[step.actor_from] || step.actor_from) + " " + words.arrow +
                      " " + (cfg.actors[step.actor_to] || step.actor_to)));
    li.appendChild(el("span", "summary", step.summary));
    if (step.reported) li.appendChild(el("span", "badge reported-badge", words.reported));
    var link = el("a", "step-link", words.details);
    link.href = flowUrl + "#step-" + step.id;
    li.appendChild(link);
    return li;
  }

  function follow(box, orderId) {
    var flowUrl = urlFor(cfg.flow_url, orderId);
    var stepsUrl = urlFor(cfg.steps_url, orderId);
    var state = {after: 0, stopped: false, timer: null, lastNew: Date.now()};

    box.textContent = "";
    box.dataset.orderId = orderId;
    box.dataset.state = "following";
    var head = el("header", "live-head");
    head.appendChild(el("h3", null, words.heading));
    var status = el("span", "live-status");
    head.appendChild(status);
    var open = el("a", "live-flow-link", words.open_flow);
    open.href = flowUrl;
    head.appendChild(open);
    box.appendChild(head);
    var list = el("ol", "live-steps");
    var waiting = el("li", "live-waiting muted", words.waiting);
    list.appendChild(waiting);
    box.appendChild(list);

    function schedule(ms) {
      if (!state.stopped) state.timer = setTimeout(poll, ms);
    }

    function poll() {
      fetch(stepsUrl + "?after=" + state.after, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (resp) {
          if (resp.status === 404) { stop(); return null; }
          if (!resp.ok) throw new Error("HTTP " + resp.status);
          return resp.json();
        })
        .then(function (data) {
          if (!data || state.stopped) return;
          if (data.steps.length && waiting.parentNode) waiting.remove();
          data.steps.forEach(function (step) {
            list.appendChild(entry(step, flowUrl));
            state.after = Math.max(state.after, step.id);
          });
          if (data.steps.length) state.lastNew = Date.now();
          var shown = data.shown || data.status;   // the server may say more than the status (a closed window)
          status.textContent = cfg.statuses[shown] || shown;
          status.className = "live-status status-" + shown;
          box.dataset.status = data.status;
          var idle = Date.now() - state.lastNew;
          if (cfg.final.indexOf(data.status) >= 0) {
            if (idle >= SETTLE) { stop(); return; }
            schedule(FAST);
          } else {
            schedule(idle < 5000 ? FAST : idle < 60000 ? SLOW : SLOWER);
          }
        })
        .catch(function () { schedule(SLOW); });
    }

    function stop() {
      state.stopped = true;
      clearTimeout(state.timer);
      box.dataset.state = "done";
    }

    poll();
    return {stop: stop};
  }

  document.addEventListener("flow:started", function (event) {
    var detail = event.detail || {};
    if (!cfg.actors[detail.pg] || !detail.order_id) return;
    var box = document.querySelector('.live-log[data-pg="' + detail.pg + '"]');
    if (!box) return;
    if (followers[detail.pg]) followers[detail.pg].stop();
    followers[detail.pg] = follow(box, String(detail.order_id));
  });
})();
