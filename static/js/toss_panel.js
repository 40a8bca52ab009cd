/* What the two Toss columns share (static/js/toss.js: payment widget v1; toss_v2.js: SDK v2), found by their
   ids' prefix ("toss", "toss2"): the words, money, messages, the server's pricing with the coupon inputs, and
   the order the server stores before the SDK's window opens. The column brings show(quote) (hand the server's
   amount to its widget), update() (its buttons), coupons(fixed) (the coupons asked for now) and applyCode(). */
window.TossPanel = function (prefix, column) {
  "use strict";
  var panel = document.getElementById(prefix + "-panel");
  if (!panel) return null;

  function $(id) { return document.getElementById(id); }
  var text = JSON.parse($(prefix + "-text").textContent);
  var fixedBox = $(prefix + "-coupon-fixed");
  var codeInput = $(prefix + "-coupon-code");
  var state = {quote: null, ready: false, busy: false, asked: 0};

  function money(n) {
    return panel.dataset.money.replace("{n}", Number(n).toLocaleString("en-US"));
  }

  function say(id, message, kind) {
    var node = $(id);
    node.textContent = message || "";
    node.classList.toggle("refusal", kind === "refusal");
    node.classList.toggle("info", kind === "info");
  }

  function explain(err) {
    var code = (err && err.code) || "UNKNOWN";
    return (text.codes[code] || text.codes.GENERIC) + " (" + code + ")";
  }

  /* Ask the server to price the order. Resolves {quote} or {refused: message}; stale answers are dropped. */
  function price(coupons) {
    var mine = ++state.asked;
    return Shop.postJSON("/api/quote", Shop.orderRequest("toss", {coupons: coupons})).then(function (r) {
      if (mine !== state.asked) return {stale: true};
      if (!r.ok) return {refused: r.data.message || text.codes.GENERIC};
      return {quote: r.data};
    }, function () {
      return {refused: text.network_error};
    });
  }

  /* Re-price with the current choice; on refusal keep the last good quote and undo the change. */
  function requote(coupons, undo) {
    return price(coupons).then(function (res) {
      if (res.stale) return res;
      if (res.refused) {
        say(prefix + "-coupon-message", res.refused, "refusal");
        if (undo) {
          undo();
        } else {
          state.quote = null;   // the product or quantity changed and cannot be priced this way
          column.update();
        }
        return res;
      }
      column.show(res.quote);
      return res;
    });
  }

  fixedBox.addEventListener("change", function () {
    var ticked = fixedBox.checked;
    say(prefix + "-coupon-message", "");
    requote(column.coupons(ticked), function () { fixedBox.checked = !ticked; });
  });
  $(prefix + "-coupon-apply").addEventListener("click", column.applyCode);
  $(prefix + "-coupon-apply").disabled = false;   // rendered off until wired, so no click is lost
  codeInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); column.applyCode(); }
  });
  ["product", "quantity"].forEach(function (id) {
    $(id).addEventListener("change", function () {
      say(prefix + "-coupon-message", "");
      requote(column.coupons(fixedBox.checked));
    });
  });

  function busy(on) {
    state.busy = on;
    column.update();
  }

  /* The SDK's Promise was rejected (window closed, missing agreement, wrong key, ...): no redirect follows. */
  function rejected(order, err) {
    var code = (err && err.code) || "UNKNOWN";
    var phase = code === "USER_CANCEL" ? "authenticate" : "checkout";
    Shop.report(order.order_id, phase, "toss.rejection", "toss.rejection",
                {code: code, message: (err && err.message) || ""}, {code: code, message: err && err.message},
                "browser");
    say(prefix + "-message", explain(err), "refusal");
    busy(false);
  }

  /* Store the order on the server (sdk, for v2, tells it which key pair confirms it), then open(placed, params)
     hands it to the SDK. */
  function order(sdk, payMethod, open) {
    if (!state.quote || state.busy) return;
    busy(true);
    say(prefix + "-message", text.creating_order, "info");
    Shop.postJSON("/api/orders", Shop.orderRequest("toss", {coupons: state.quote.coupons, sdk: sdk,
                                                            pay_method: payMethod})).then(function (r) {
      if (!r.ok) {
        say(prefix + "-message", r.data.message || text.codes.GENERIC, "refusal");
        busy(false);
        return;
      }
      var placed = r.data;
      document.dispatchEvent(new CustomEvent("flow:started", {detail: {pg: "toss", order_id: placed.order_id}}));
      var params = {orderId: placed.order_id, orderName: placed.order_name,
                    successUrl: panel.dataset.successUrl, failUrl: panel.dataset.failUrl};
      if (placed.buyer_email) params.customerEmail = placed.buyer_email;
      if (placed.buyer_name) params.customerName = placed.buyer_name;
      return open(placed, params).catch(function (err) { rejected(placed, err); });
    }, function () {
      say(prefix + "-message", text.network_error, "refusal");
      busy(false);
    });
  }

  return {panel: panel, $: $, text: text, fixedBox: fixedBox, codeInput: codeInput, state: state, money: money,
          say: say, explain: explain, requote: requote, order: order};
};
