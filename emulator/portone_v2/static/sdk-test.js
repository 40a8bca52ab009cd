/* The emulator's V2 SDK test page, written like PortOne's V2 guide: PortOne.requestPayment, then the result. */
(function () {
  "use strict";
  var form = document.getElementById("sdk-test");
  var out = document.getElementById("t-response");
  if (location.search.indexOf("paymentId=") !== -1) {
    document.getElementById("t-redirect-query").textContent = location.search;
  }
  document.getElementById("t-payment-id").value = "payment-" + crypto.randomUUID();
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var request = {
      storeId: form.dataset.storeId,
      channelKey: document.getElementById("t-channel").value,
      paymentId: document.getElementById("t-payment-id").value,
      orderName: "나이키 와플 트레이너 2 SD",
      totalAmount: Number(document.getElementById("t-amount").value),
      currency: "CURRENCY_KRW",
      payMethod: document.getElementById("t-pay-method").value,
      customer: {fullName: "홍길동", phoneNumber: "01012345678", email: "buyer@example.com"},
      customData: {item: "shoes"}
    };
    if (document.getElementById("t-redirect").checked) {
      request.redirectUrl = location.origin + location.pathname + (/[?&]cdn=1/.test(location.search) ? "?cdn=1" : "");
      request.forceRedirect = true;
    }
    const response = await PortOne.requestPayment(request);
    // a shop would check response.code (a failure), else send paymentId to its server
    out.textContent = JSON.stringify(response);
  });
})();
