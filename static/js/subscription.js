/* The subscription page: "Register a card" opens the PG's card-registration window. Toss: SDK v2
   payment().requestBillingAuth (API client key), then Toss sends the buyer to the shop's successUrl with an
   authKey. PortOne V1: IMP.request_pay with amount 0 and the customer_uid the server chose, then the callback's
   result goes to the server, which asks PortOne. Every text shown comes from the page (#subscription-text). */
(function () {
  "use strict";
  var page = document.getElementById("subscription");
  if (!page) return;
  var text = JSON.parse(document.getElementById("subscription-text").textContent);

  function say(pg, message) {
    var node = document.getElementById(pg + "-register-message");
    node.textContent = message || "";
    node.classList.toggle("refusal", Boolean(message));
  }

  function explain(err) {
    var code = (err && err.code) || "UNKNOWN";
    return (text.codes[code] || text.codes.GENERIC) + " (" + code + ")";
  }

  var payment = null;
  if (typeof window.TossPayments !== "function") {
    say("toss", text.script_missing);
  } else {
    try {
      payment = window.TossPayments(page.dataset.apiClientKey).payment({customerKey: page.dataset.customerKey});
    } catch (err) {
      say("toss", explain(err));
    }
  }
  var imp = window.IMP || null;
  if (!imp) say("portone", text.imp_missing);

  var buttons = {toss: document.getElementById("toss-register-card"),
                 portone: document.getElementById("portone-register-card")};
  buttons.toss.disabled = !payment;
  buttons.portone.disabled = !imp;

  /* Open a registration on the server, then hand it to the PG's SDK with open(reg). */
  function register(pg, open) {
    var button = buttons[pg];
    button.disabled = true;
    say(pg, "");
    Shop.postJSON("/" + pg + "/billing/registrations", {}).then(function (r) {
      if (!r.ok) {
        say(pg, r.data.message || text.codes.GENERIC);
        button.disabled = false;
        return;
      }
      return open(r.data).catch(function (err) {
        Shop.report(r.data.order_id, err && err.code === "USER_CANCEL" ? "authenticate" : "checkout",
                    pg + ".rejection", pg === "toss" ? "toss.rejection" : "portone.callback_error",
                    {code: (err && err.code) || "UNKNOWN", message: (err && err.message) || ""}, null, "browser");
        say(pg, explain(err));
        button.disabled = false;
      });
    }, function () {
      say(pg, text.network_error);
      button.disabled = false;
    });
  }

  buttons.toss.addEventListener("click", function () {
    register("toss", function (reg) {
      return Shop.report(reg.order_id, "checkout", "toss.billing_auth", "toss.billing_auth",
                         {customer_key: reg.customer_key}, {method: "CARD"}, "toss")
        .then(function () {
          return payment.requestBillingAuth({method: "CARD", successUrl: reg.success_url, failUrl: reg.fail_url});
        });
    });
  });

  buttons.portone.addEventListener("click", function () {
    register("portone", function (reg) {
      var params = {pg: reg.pg, pay_method: "card", merchant_uid: reg.merchant_uid, name: reg.name, amount: 0,
                    customer_uid: reg.customer_uid};
      return Shop.report(reg.order_id, "checkout", "portone.request_pay", "portone.request_pay",
                         {pg: reg.pg, pay_method: "card", amount: 0}, params, "portone")
        .then(function () {
          return new Promise(function (resolve, reject) {
            imp.init(page.dataset.impCode);
            imp.request_pay(params, function (rsp) {
              rsp = rsp || {};
              Shop.postJSON("/portone/billing/registered", {imp_uid: rsp.imp_uid, merchant_uid: reg.merchant_uid,
                                                            error_code: rsp.error_code, error_msg: rsp.error_msg})
                .then(function (r) {
                  if (rsp.error_code) { reject({code: rsp.error_code, message: rsp.error_msg}); return; }
                  if (!r.ok || !r.data.registered) { reject({code: "GENERIC", message: r.data.message}); return; }
                  say("portone", "");
                  window.location.reload();
                  resolve();
                }, function () { reject({code: "GENERIC"}); });
            });
          });
        });
    });
  });
})();
