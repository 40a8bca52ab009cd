/* The checkout page's PortOne column: create the order on the server, open PortOne's window with
 * IMP.request_pay, then let the server verify the result with PortOne and show its verdict.
 * The page never decides that anything was paid: it shows what the server found at PortOne. */
(function () {
  "use strict";
  var panel = Shop.portonePanel("portone");
  if (!panel) return;
  var form = panel.form, text = panel.text, payButton = panel.payButton, show = panel.show, links = panel.links;
  var initialized = false;

  function choice() {
    var method = form.querySelector('input[name="pay_method"]:checked');
    return {
      pg: document.getElementById("portone-pg").value,
      payMethod: method ? method.value : "card",
      prepare: document.getElementById("portone-prepare").checked,
      redirect: document.getElementById("portone-redirect").checked
    };
  }

  /* The server's verdict on what PortOne says, for the callback's {imp_uid, merchant_uid}. */
  function complete(orderId, rsp) {
    var left = !!rsp.error_code;   // the buyer closed the window or it declined: the callback brings an error
    Shop.report(orderId, "authenticate", "portone.window", left ? "portone.window_left" : "portone.window_done",
                {code: rsp.error_code}, null, "portone")
      .then(function () {
        return Shop.report(orderId, "return", "portone.callback",
                           rsp.error_code ? "portone.callback_error" : "portone.callback_paid",
                           {code: rsp.error_code, message: rsp.error_msg || "", imp_uid: rsp.imp_uid}, rsp, "shop");
      })
      .then(function () {
        show(text.verifying);
        return Shop.postJSON("/payments/complete", {imp_uid: rsp.imp_uid, merchant_uid: rsp.merchant_uid || orderId,
                                                    error_code: rsp.error_code || null,
                                                    error_msg: rsp.error_msg || null});
      })
      .then(function (res) {
        // An order still open after an error in the window: nothing was charged (the server's message says why).
        var shown = res.data.status === "pending" && left ? "not_charged" : res.data.status;
        show(res.data.message || text.network, shown);
        links(res.data);
      })
      .catch(function () { show(text.network); })
      .then(function () { payButton.disabled = false; });
  }

  function pay(event) {
    event.preventDefault();
    if (!window.IMP) { show(text.no_sdk); return; }
    var c = choice();
    payButton.disabled = true;
    show(c.prepare ? text.preparing : text.creating);
    // 1. The server creates the order and computes the amount; the page only names the product.
    panel.order("/portone/orders", "portone", {pay_method: c.payMethod, prepare: c.prepare})
      .then(function (order) {
        if (!order) return;
        // 2. PortOne's SDK: init once per page, then request_pay with the server's amount.
        if (!initialized) { IMP.init(form.dataset.impCode); initialized = true; }
        var params = {
          pg: c.pg,
          pay_method: c.payMethod,
          merchant_uid: order.order_id,
          name: order.order_name,
          amount: order.amount,
          buyer_name: order.buyer_name,
          buyer_email: order.buyer_email,
          buyer_tel: form.dataset.buyerTel,
          language: form.dataset.language,
          notice_url: form.dataset.noticeUrl
        };
        if (c.payMethod === "phone") params.digital = false;
        if (c.redirect) params.m_redirect_url = form.dataset.redirectUrl;
        Shop.report(order.order_id, "checkout", "portone.request_pay", "portone.request_pay",
                    {pg: params.pg, pay_method: params.pay_method, amount: params.amount}, params, "portone");
        show(text.window_open);
        IMP.request_pay(params, function (rsp) { complete(order.order_id, rsp || {}); });
      })
      .catch(function () { show(text.network); payButton.disabled = false; });
  }

  form.addEventListener("submit", pay);
  payButton.disabled = false;   // the button stays off until this script has wired it
})();
