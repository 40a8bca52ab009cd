/* The subscription page: "Register a card" opens Toss's card-registration window (SDK v2
   payment().requestBillingAuth, API client key); Toss then sends the buyer to the shop's successUrl with an
   authKey, and the server does the rest. Every text shown comes from the page (#subscription-text). */
(function () {
  "use strict";
  var page = document.getElementById("subscription");
  if (!page) return;
  var text = JSON.parse(document.getElementById("subscription-text").textContent);
  var button = document.getElementById("register-card");

  function say(message) {
    var node = document.getElementById("register-message");
    node.textContent = message || "";
    node.classList.toggle("refusal", Boolean(message));
  }

  function explain(err) {
    var code = (err && err.code) || "UNKNOWN";
    return (text.codes[code] || text.codes.GENERIC) + " (" + code + ")";
  }

  var payment = null;
  if (typeof window.TossPayments !== "function") {
    say(text.script_missing);
  } else {
    try {
      payment = window.TossPayments(page.dataset.apiClientKey).payment({customerKey: page.dataset.customerKey});
    } catch (err) {
      say(explain(err));
    }
  }
  button.disabled = !payment;

  button.addEventListener("click", function () {
    button.disabled = true;
    say("");
    Shop.postJSON("/toss/billing/registrations", {}).then(function (r) {
      if (!r.ok) {
        say(r.data.message || text.codes.GENERIC);
        button.disabled = false;
        return;
      }
      var reg = r.data;
      return Shop.report(reg.order_id, "checkout", "toss.billing_auth", "toss.billing_auth",
                         {customer_key: reg.customer_key}, {method: "CARD"}, "toss")
        .then(function () {
          return payment.requestBillingAuth({method: "CARD", successUrl: reg.success_url, failUrl: reg.fail_url});
        })
        .catch(function (err) {
          Shop.report(reg.order_id, err && err.code === "USER_CANCEL" ? "authenticate" : "checkout",
                      "toss.rejection", "toss.rejection", {code: (err && err.code) || "UNKNOWN",
                                                           message: (err && err.message) || ""}, null, "browser");
          say(explain(err));
          button.disabled = false;
        });
    }, function () {
      say(text.network_error);
      button.disabled = false;
    });
  });
})();
