/* The emulator's SDK test page: calls IMP.request_pay with the form's values and prints rsp. */
(function () {
  "use strict";
  var form = document.getElementById("sdk-test");
  var out = document.getElementById("t-rsp");
  IMP.init(form.dataset.impCode);
  document.getElementById("t-merchant-uid").value = "sdk-test-" + Date.now();
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var amount = document.getElementById("t-amount").value;
    IMP.request_pay({
      pg: "html5_inicis",
      pay_method: document.getElementById("t-pay-method").value,
      merchant_uid: document.getElementById("t-merchant-uid").value,
      name: "SDK test",
      amount: document.getElementById("t-amount-as-text").checked ? amount : Number(amount),
      buyer_name: "Hong Gildong",
      custom_data: {from: "sdk-test"}
    }, function (rsp) {
      out.textContent = JSON.stringify(rsp);
    });
  });
})();
