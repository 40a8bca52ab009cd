/* The checkout page's PortOne V2 panel: create the order on the server (its id is the paymentId), call
 * PortOne.requestPayment with the server's amount, then send the paymentId to the server, which reads the
 * payment back from PortOne and shows its verdict. The page never decides that anything was paid. */
(function () {
  "use strict";
  var panel = Shop.portonePanel("portone-v2");
  if (!panel) return;
  var form = panel.form, text = panel.text, payButton = panel.payButton, show = panel.show, links = panel.links;

  /* requestPayment resolved: {paymentId, txId} or, on a failure, with code and message. */
  function complete(orderId, response) {
    var failed = Boolean(response.code);
    Shop.report(orderId, "return", "portone_v2.response",
                failed ? "portone_v2.response_error" : "portone_v2.response_paid",
                {code: response.code || "", message: response.message || "", paymentId: response.paymentId || orderId},
                response, "shop")
      .then(function () {
        show(text.verifying);
        return Shop.postJSON("/portone-v2/complete", {paymentId: orderId, code: response.code || null,
                                                      message: response.message || null});
      })
      .then(function (res) {
        // An order still open after a failure in the window: nothing was charged (the server's message says why).
        var shown = res.data.status === "pending" && failed ? "not_charged" : res.data.status;
        show(res.data.message || text.network, shown);
        links(res.data);
      })
      .catch(function () { show(text.network); })
      .then(function () { payButton.disabled = false; });
  }

  function pay(event) {
    event.preventDefault();
    if (!window.PortOne) { show(text.no_sdk); return; }
    var method = form.querySelector('input[name="pay_method"]:checked');
    var payMethod = method ? method.value : "CARD";
    var prepare = document.getElementById("portone-v2-prepare").checked;
    var redirect = document.getElementById("portone-v2-redirect").checked;
    payButton.disabled = true;
    show(prepare ? text.preparing : text.creating);
    // 1. The server creates the order and computes the amount; the page only names the product.
    panel.order("/portone-v2/orders", "portone_v2", {pay_method: payMethod, prepare: prepare})
      .then(function (order) {
        if (!order) return;
        // 2. PortOne's SDK with the server's amount; the order id is the paymentId.
        var request = {
          storeId: form.dataset.storeId,
          channelKey: form.dataset.channelKey,
          paymentId: order.order_id,
          orderName: order.order_name,
          totalAmount: order.amount,
          currency: "CURRENCY_KRW",
          payMethod: payMethod,
          locale: form.dataset.language,
          noticeUrls: [form.dataset.noticeUrl],
          // Some PGs (KG Inicis) refuse a request without the buyer's name, phone and email.
          customer: {fullName: order.buyer_name || undefined, email: order.buyer_email || undefined,
                     phoneNumber: form.dataset.buyerTel}
        };
        if (payMethod === "EASY_PAY") request.easyPay = {easyPayProvider: "KAKAOPAY"};
        if (redirect) {
          request.redirectUrl = form.dataset.redirectUrl;
          request.forceRedirect = true;
        }
        Shop.report(order.order_id, "checkout", "portone_v2.request_payment", "portone_v2.request_payment",
                    {payMethod: payMethod, amount_won: order.amount}, request, "portone_v2");
        show(text.window_open);
        return PortOne.requestPayment(request).then(function (response) {
          if (response) complete(order.order_id, response);   // none: the page is leaving for the redirectUrl
        });
      })
      .catch(function () { show(text.network); payButton.disabled = false; });
  }

  form.addEventListener("submit", pay);
  payButton.disabled = false;   // the button stays off until this script has wired it
})();
