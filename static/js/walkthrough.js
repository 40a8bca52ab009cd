/* The walkthrough's slides: keyboard and buttons move between them; "after" slides show the steps
   the shop recorded for that phase, read from /api/flows/<id>. Every word comes from
   #walkthrough-config (the page), none is written here. */
(function () {
  "use strict";
  var configEl = document.getElementById("walkthrough-config");
  if (!configEl) return;
  var cfg = JSON.parse(configEl.textContent);
  var words = cfg.words;
  var slides = Array.prototype.slice.call(document.querySelectorAll("#wt-slides > .wt-slide"));
  var progress = document.getElementById("wt-progress");
  var prevButton = document.getElementById("wt-prev");
  var nextButton = document.getElementById("wt-next");
  var PGS = cfg.pgs || ["portone", "toss"];
  var current = 0;
  var flows = {};     // pg -> last /api/flows/<id> answer
  var pollTimer = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function urlFor(pattern, key, value) {
    return pattern.replace(key, encodeURIComponent(value));
  }

  function fill(pattern, values) {
    return pattern.replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }

  function isKey(step) {
    var keys = cfg.key_steps[step.phase] || [];
    return keys.some(function (k) {
      return step.name === k || (step.name.indexOf(k) === 0 && ".-_".indexOf(step.name.charAt(k.length)) >= 0);
    });
  }

  /* 'shop/portone/views.py:109 complete' -> a link to that line of the shop's source. */
  function codeLink(ref) {
    var m = /^(shop\/[A-Za-z0-9_\/]+\.(?:py|sql)):(\d+)(?: ([A-Za-z_][A-Za-z0-9_]*))?$/.exec(ref || "");
    if (!m) return ref ? el("code", "wt-code-ref", ref) : null;
    var a = el("a", "wt-code-link");
    a.href = cfg.code_url.replace("__PATH__", m[1]) + (m[3] ? "?fn=" + encodeURIComponent(m[3]) : "") + "#L" + m[2];
    a.appendChild(el("code", null, ref));
    return a;
  }

  function fetchFlow(pg) {
    var id = cfg.flows[pg];
    if (!id) return Promise.resolve(null);
    return fetch(urlFor(cfg.flow_api, "__ID__", id), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
      .then(function (data) { flows[pg] = data; return data; });
  }

  function stepItem(step, flowUrl) {
    var li = el("li", "wt-step verdict-" + (step.verdict || "none") + (step.reported ? " reported" : "") +
                (isKey(step) ? " wt-key" : ""));
    li.dataset.name = step.name;
    li.dataset.stepId = step.id;
    var head = el("div", "wt-step-head");
    head.appendChild(el("span", "mark", step.verdict === "fail" ? "✗" : step.verdict === "pass" ? "✓" : "·"));
    head.appendChild(el("span", "actors", step.actors));
    head.appendChild(el("code", "step-name", step.name));
    if (isKey(step)) head.appendChild(el("span", "wt-key-badge", words.key));
    if (step.reported) head.appendChild(el("span", "badge reported-badge", words.reported));
    li.appendChild(head);
    li.appendChild(el("p", "explanation", step.explanation));
    if (step.compared) li.appendChild(el("p", "compared verdict-" + (step.verdict || "none"), step.compared));
    li.appendChild(el("p", "summary", step.summary));
    var meta = el("p", "wt-step-meta");
    var code = codeLink(step.code_ref);
    if (code) { meta.appendChild(el("span", null, words.code + " ")); meta.appendChild(code); meta.appendChild(document.createTextNode(" · ")); }
    var details = el("a", "step-link", words.details);
    details.href = flowUrl + "#step-" + step.id;
    meta.appendChild(details);
    li.appendChild(meta);
    return li;
  }

  function showSteps(list, pg, data) {
    var phase = list.dataset.phase;
    list.textContent = "";
    list.dataset.state = "shown";
    if (!cfg.flows[pg] || !data) {
      list.appendChild(el("li", "wt-empty muted", words.no_flow));
      return;
    }
    var flowUrl = urlFor(cfg.flow_url, "__ID__", cfg.flows[pg]);
    var here = data.steps.filter(function (s) { return s.phase === phase; });
    if (!here.length) {
      list.appendChild(el("li", "wt-empty muted", phase === "notify" ? words.no_step_notify
                          : phase === "authenticate" ? words.no_step_authenticate : words.no_step));
      return;
    }
    here.forEach(function (s) { list.appendChild(stepItem(s, flowUrl)); });
  }

  function loadSlide(slide) {
    var lists = slide.querySelectorAll(".wt-steps");
    Array.prototype.forEach.call(lists, function (list) {
      var pg = list.dataset.pg;
      list.dataset.state = "loading";
      list.textContent = "";
      list.appendChild(el("li", "wt-empty muted", words.loading));
      fetchFlow(pg).then(function (data) { showSteps(list, pg, data); })
        .catch(function () {
          list.textContent = "";
          list.dataset.state = "failed";
          list.appendChild(el("li", "wt-empty refusal", words.failed));
        });
    });
    if (slide.dataset.part === "end") showOutcome(slide);
  }

  function statusLine(pg, data) {
    if (!cfg.flows[pg] || !data) return words.waiting;
    var o = data.order;
    return fill(words.order, {id: o.id}) + ": " + o.status_title + (o.reason ? " — " + o.reason : "");
  }

  function showOutcome(slide) {
    PGS.forEach(function (pg) {
      fetchFlow(pg).then(function (data) {
        var p = slide.querySelector('.wt-outcome[data-pg="' + pg + '"]');
        p.textContent = cfg.flows[pg] ? statusLine(pg, data) : words.no_flow;
        p.className = "wt-outcome" + (data ? " status-" + data.order.status : "");
        var link = slide.querySelector('.wt-flow-link[data-pg="' + pg + '"]');
        if (cfg.flows[pg]) link.href = urlFor(cfg.flow_url, "__ID__", cfg.flows[pg]);
      }).catch(function () {});
    });
    var compare = document.getElementById("wt-compare-link");
    var query = [];
    if (cfg.flows[PGS[0]]) query.push("a=" + encodeURIComponent(cfg.flows[PGS[0]]));
    if (cfg.flows[PGS[1]]) query.push("b=" + encodeURIComponent(cfg.flows[PGS[1]]));
    compare.href = compare.href.split("?")[0] + (query.length ? "?" + query.join("&") : "");
  }

  /* The start slide: each column says which order it follows and where it stands, until it is final. */
  function refreshStatus() {
    clearTimeout(pollTimer);
    var open = false;
    var jobs = PGS.map(function (pg) {
      var line = document.querySelector('.wt-flow-status[data-pg="' + pg + '"]');
      if (!cfg.flows[pg]) { line.textContent = words.waiting; line.dataset.status = ""; return null; }
      return fetchFlow(pg).then(function (data) {
        line.textContent = statusLine(pg, data);
        line.dataset.status = data.order.status;
        line.className = "wt-flow-status status-" + data.order.status;
        if (cfg.final.indexOf(data.order.status) < 0) open = true;
      }).catch(function () { open = true; });
    });
    Promise.all(jobs).then(function () {
      if (open && current === 0) pollTimer = setTimeout(refreshStatus, 1500);
    });
  }

  function show(index, fromHash) {
    index = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (s, i) { s.hidden = i !== index; });
    current = index;
    var slide = slides[index];
    progress.textContent = fill(words.progress, {n: index + 1, total: slides.length});
    prevButton.disabled = index === 0;
    nextButton.disabled = index === slides.length - 1;
    document.getElementById("walkthrough").dataset.slide = slide.id;
    if (!fromHash && history.replaceState) history.replaceState(null, "", "#" + slide.id);
    if (index === 0) refreshStatus(); else clearTimeout(pollTimer);
    if (slide.dataset.part === "after" || slide.dataset.part === "end") loadSlide(slide);
    window.scrollTo(0, 0);
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
    var onButton = e.target && (e.target.tagName === "BUTTON" || e.target.tagName === "A");
    var key = e.key;
    if (key === " " || key === "Spacebar") {
      if (onButton) return;  // space presses a focused button
      key = e.shiftKey ? "PageUp" : "PageDown";
    }
    if (key === "ArrowRight" || key === "PageDown") show(current + 1);
    else if (key === "ArrowLeft" || key === "PageUp") show(current - 1);
    else if (key === "Home") show(0);
    else if (key === "End") show(slides.length - 1);
    else return;
    e.preventDefault();
  });
  prevButton.addEventListener("click", function () { show(current - 1); });
  nextButton.addEventListener("click", function () { show(current + 1); });

  /* A panel on the start slide created an order: follow it. */
  document.addEventListener("flow:started", function (e) {
    if (!e.detail || PGS.indexOf(e.detail.pg) < 0) return;
    cfg.flows[e.detail.pg] = e.detail.order_id;
    delete flows[e.detail.pg];
    if (current === 0) refreshStatus();
  });

  function fromHash() {
    var id = (location.hash || "").replace(/^#/, "");
    for (var i = 0; i < slides.length; i++) if (slides[i].id === id) return i;
    return 0;
  }
  window.addEventListener("hashchange", function () { show(fromHash(), true); });
  show(fromHash(), true);
})();
