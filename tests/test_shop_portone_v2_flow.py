"""The shop's PortOne V2 flow over real HTTP against the emulator: the order (paymentId = order id), the
page's result and the redirect read back from PortOne, signed webhooks (forged, replayed, stale refused),
the shop's own channel, one paid payment per order, reconcile and audit."""
import json
import re
import time
from datetime import datetime, timezone

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from tests.drivers import faults
from tests.drivers import portone_v2 as drv
from tests.drivers.emulator import deliveries, until

STORE = "store-00000000-0000-4000-8000-000000000000"
SECRET = "whsec_ZW11bGF0b3ItdjItd2ViaG9vay1zZWNyZXQtMDAwMDAwMDA="


@pytest.fixture
def en(site):
    site.get("/?lang=en")
    return site


def order(site, prepare=True, pay_method="CARD", product_id="shoes"):
    resp = site.post("/portone-v2/orders", json={"product_id": product_id, "quantity": 1, "coupons": [],
                                                 "pay_method": pay_method, "prepare": prepare})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["pg"] == "portone_v2" and body["prepared"] is prepare
    return body


def request_for(site, o, amount=None, **extra):
    """What the checkout page passes to PortOne.requestPayment for order o (noticeUrls=None: no webhook)."""
    fields = {"noticeUrls": [site.url + "/webhooks/portone-v2"], "orderName": o["order_name"], **extra}
    return drv.payment_request(site, payment_id=o["order_id"], amount=o["amount"] if amount is None else amount,
                               pay_method=o["pay_method"], **{k: v for k, v in fields.items() if v is not None})


def complete(site, payment_id, **result):
    return site.post("/portone-v2/complete", json={"paymentId": payment_id, **result})


def flow(site, oid):
    return site.get(f"/api/flows/{oid}").json()


def steps(site, oid):
    return {s["name"]: s for s in flow(site, oid)["steps"]}


def status(site, oid):
    return flow(site, oid)["order"]["status"]


def signed(body, secret=SECRET, at=None, msg_id="msg_test"):
    """A webhook as PortOne V2 signs it (Standard Webhooks), at `at` (a UNIX time; now by default)."""
    text = json.dumps(body)
    moment = datetime.fromtimestamp(int(at or time.time()), timezone.utc)
    return text, {"Content-Type": "application/json", "webhook-id": msg_id,
                  "webhook-timestamp": str(int(moment.timestamp())),
                  "webhook-signature": Webhook(secret).sign(msg_id, moment, text)}


def paid_event(payment_id, tx_id="tx"):
    return {"type": "Transaction.Paid", "timestamp": "2026-01-01T00:00:00Z",
            "data": {"storeId": STORE, "paymentId": payment_id, "transactionId": tx_id}}



def test_approve_pays_the_order_after_reading_it_back(en):
    o = order(en)
    result = drv.pay(en, request=request_for(en, o))
    assert set(result["response"]) == {"transactionType", "txId", "paymentId"}
    resp = complete(en, o["order_id"])
    body = resp.json()
    assert resp.status_code == 200 and body["status"] == "paid" and "every check passed" in body["message"]
    found = steps(en, o["order_id"])
    assert found["portone_v2.pre_register"]["exchange"]["response"]["status"] == 200
    read = found["portone_v2.get_payment"]["exchange"]
    assert read["request"]["url"].endswith("/portone-v2/payments/" + o["order_id"])
    assert "emulator_v2_api_secret" not in json.dumps(flow(en, o["order_id"]))
    assert read["response"]["body"]["status"] == "PAID"
    for check in ("check_payment_id", "check_status", "check_amount", "check_currency", "check_channel"):
        assert found["portone_v2." + check]["verdict"] == "pass", check


@pytest.mark.parametrize("outcome", ["decline_insufficient", "decline_refused", "decline_invalid_card"])
def test_each_decline_leaves_the_order_payable_and_it_can_be_paid_again(en, outcome):
    o = order(en)
    rsp = drv.pay(en, outcome, request=request_for(en, o))["response"]
    assert rsp["code"] == "FAILURE_TYPE_PG"
    body = complete(en, o["order_id"], code=rsp["code"], message=rsp["message"]).json()
    assert body["status"] == "failed" and "Nothing was charged" in body["message"]
    assert steps(en, o["order_id"])["portone_v2.check_status"]["verdict"] == "fail"
    drv.pay(en, request=request_for(en, o))
    assert complete(en, o["order_id"]).json()["status"] == "paid"


def test_a_closed_window_charges_nothing_and_the_order_stays_pending(en):
    o = order(en)
    rsp = drv.pay(en, "close", request=request_for(en, o))["response"]
    body = complete(en, o["order_id"], code=rsp["code"], message=rsp["message"]).json()
    assert body["status"] == "pending" and "Nothing was charged" in body["message"]
    assert drv.Api(en).payment(o["order_id"])["status"] == "READY"


def test_the_browsers_word_alone_pays_nothing(en):
    o = order(en)
    body = complete(en, o["order_id"]).json()   # "paid!" without any payment at PortOne
    assert body["status"] == "pending" and "portone_v2.no_payment" in steps(en, o["order_id"])
    assert complete(en, "order-nope").status_code == 404
    assert en.post("/portone-v2/complete", data="x", headers={"Content-Type": "application/json"}).status_code == 400


def test_virtual_account_waits_for_the_deposit_webhook(en):
    o = order(en, pay_method="VIRTUAL_ACCOUNT")
    result = drv.pay(en, request=request_for(en, o))
    body = complete(en, o["order_id"]).json()
    assert body["status"] == "awaiting_deposit" and "virtual account" in body["message"]
    stranger = requests.Session()                 # the order id is public: its account is not
    token = re.search(r'name="csrf-token" content="([^"]+)"', stranger.get(en.url + "/", timeout=10).text).group(1)
    theirs = stranger.post(en.url + "/portone-v2/complete?lang=en", json={"paymentId": o["order_id"]},
                           headers={"X-CSRF-Token": token}, timeout=10).json()
    assert theirs["status"] == "awaiting_deposit" and "virtual account" not in theirs["message"]
    assert theirs["message"] == "This order was placed in another browser, so only its status is shown here."
    page = en.get(f"/orders/{o['order_id']}").text
    assert "Waiting for the deposit" in page
    resp = en.http.post(f"{en.url}/emulator/portone-v2/console/transactions/{result['txId']}/deposit",
                        headers={"Accept": "application/json"}, timeout=30)
    assert resp.status_code == 200, resp.text
    assert until(lambda: status(en, o["order_id"]) == "paid")
    found = steps(en, o["order_id"])
    assert found["portone_v2.webhook"]["verdict"] == "pass"
    assert until(lambda: [(d["status"], d["last_status"]) for d in deliveries(en, o["order_id"])
                          if d["event"] == "Transaction.Paid"] == [("delivered", 200)])


def test_redirect_mode_reads_the_payment_back(en):
    o = order(en)
    result = drv.pay(en, request=request_for(en, o, redirectUrl=en.url + "/portone-v2/complete",
                                             forceRedirect=True))
    assert result["redirect_url"].startswith(en.url + "/portone-v2/complete?")
    resp = en.get(result["redirect_url"].replace(en.url, ""), allow_redirects=False)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/orders/{o['order_id']}")
    assert status(en, o["order_id"]) == "paid"
    assert en.get("/portone-v2/complete?paymentId=nope").status_code == 404


def test_a_declined_redirect_leaves_the_order_payable(en):
    o = order(en)
    result = drv.pay(en, "decline_refused", request=request_for(en, o, redirectUrl=en.url + "/portone-v2/complete",
                                                                 forceRedirect=True))
    assert "code=" in result["redirect_url"]
    en.get(result["redirect_url"].replace(en.url, ""))
    assert status(en, o["order_id"]) == "failed"
    assert steps(en, o["order_id"])["portone_v2.browser_error"]["kind"] == "browser"


def test_forged_stale_and_replayed_webhooks_are_refused_and_change_nothing(en):
    o = order(en)
    # The buyer is in the window: PortOne has a READY payment; no webhook may make it paid.
    tx = drv.open_window(en, request_for(en, o)).json()["txId"]
    event = paid_event(o["order_id"], tx)
    forged = signed(event, secret="whsec_" + "Zm9yZ2VkLXNlY3JldC1mb3JnZWQtc2VjcmV0LTAwMDA=")
    stale = signed(event, at=time.time() - 6 * 60)
    unsigned = (json.dumps(event), {"Content-Type": "application/json"})
    for (text, headers), reason in ((forged, "bad_signature"), (stale, "stale"), (unsigned, "bad_signature")):
        resp = en.post("/webhooks/portone-v2", data=text, headers=headers, csrf=False)
        assert resp.status_code == 401 and resp.json()["reason"] == reason, resp.text
    assert status(en, o["order_id"]) == "pending"
    refused = [s for s in flow(en, o["order_id"])["steps"] if s["name"] == "portone_v2.webhook_refused"]
    assert len(refused) == 3 and all(s["verdict"] == "fail" for s in refused)
    # A real webhook the emulator sent, replayed 6 minutes later with its own id: refused as stale.
    drv.decide(en, tx)
    assert until(lambda: status(en, o["order_id"]) == "paid")
    sent = [d for d in deliveries(en, o["order_id"]) if d["event"] == "Transaction.Paid"][0]
    text, headers = signed(json.loads(sent["body"]), at=time.time() - 301, msg_id="whk_replayed")
    resp = en.post("/webhooks/portone-v2", data=text, headers=headers, csrf=False)
    assert resp.status_code == 401 and resp.json()["reason"] == "stale"


def test_a_valid_webhook_of_an_unknown_type_or_order_is_ignored(en):
    for event in ({"type": "BillingKey.Issued", "timestamp": "2026-01-01T00:00:00Z", "data": {}},
                  paid_event("order-not-here")):
        text, headers = signed(event)
        resp = en.post("/webhooks/portone-v2", data=text, headers=headers, csrf=False)
        assert resp.status_code == 200 and resp.json()["result"] == "ignored"
    text, headers = signed(["not", "an", "object"])
    assert en.post("/webhooks/portone-v2", data=text, headers=headers, csrf=False).status_code == 400


def test_a_second_webhook_secret_is_accepted_while_rotating(en):
    en.app.config["PORTONE_V2_WEBHOOK_SECRET_2"] = "whsec_" + "cm90YXRlZC1zZWNyZXQtcm90YXRlZC1zZWNyZXQtMDA="
    o = order(en)
    drv.pay(en, request=request_for(en, o, noticeUrls=None))
    text, headers = signed(paid_event(o["order_id"]), secret=en.app.config["PORTONE_V2_WEBHOOK_SECRET_2"])
    resp = en.post("/webhooks/portone-v2", data=text, headers=headers, csrf=False)
    assert resp.status_code == 200 and resp.json() == {"result": "handled", "status": "paid"}


def test_a_test_channel_payment_is_refused_when_the_shops_channel_is_live(en):
    en.app.config["PORTONE_V2_EMULATOR_CHANNEL"] = "live"
    o = order(en)
    drv.pay(en, request=request_for(en, o))                 # the TEST channel, not the shop's
    body = complete(en, o["order_id"]).json()
    assert body["status"] == "forged" and body["error"] == "PAYMENT_REFUSED" and "TEST" in body["message"]
    assert steps(en, o["order_id"])["portone_v2.check_channel"]["verdict"] == "fail"
    assert until(lambda: drv.Api(en).payment(o["order_id"])["status"] == "CANCELLED")   # by the page or webhook
    other = order(en)
    drv.pay(en, request=request_for(en, other, live=True))  # the shop's LIVE channel
    assert complete(en, other["order_id"]).json()["status"] == "paid"


def test_two_paid_payments_of_one_order_are_impossible(en):
    o = order(en)
    drv.pay(en, request=request_for(en, o))
    assert complete(en, o["order_id"]).json()["status"] == "paid"
    again = drv.pay(en, request=request_for(en, o))
    assert again["refused"] and again["response"]["code"] == "PaymentAlreadyPaid"
    assert complete(en, o["order_id"]).json()["status"] == "paid"
    assert drv.Api(en).payment(o["order_id"])["amount"]["paid"] == o["amount"]


def test_an_amount_other_than_the_pre_registered_one_is_refused_by_portone(en):
    o = order(en)
    refused = drv.pay(en, request=request_for(en, o, amount=100))
    assert refused["refused"] and refused["response"]["code"] == "AmountNotEqualToPredefined"
    assert complete(en, o["order_id"]).json()["status"] == "pending"


def test_without_pre_registration_a_lower_amount_is_refused_and_cancelled(en):
    o = order(en, prepare=False)
    drv.pay(en, request=request_for(en, o, amount=100))
    body = complete(en, o["order_id"]).json()
    assert body["status"] == "forged" and "PortOne has 100" in body["message"]
    # the page's return or PortOne's webhook, whichever refused it first, cancels it (once) and records it
    assert until(lambda: drv.Api(en).payment(o["order_id"])["status"] == "CANCELLED")
    assert until(lambda: "portone_v2.cancelled" in steps(en, o["order_id"]))
    assert steps(en, o["order_id"])["portone_v2.cancelled"]["verdict"] == "pass"


def test_bad_orders_are_refused(en):
    resp = en.post("/portone-v2/orders", json={"product_id": "shoes", "pay_method": "BITCOIN"})
    assert resp.status_code == 400 and resp.json()["error"] == "BAD_PAY_METHOD"
    assert en.post("/portone-v2/orders", json=[1]).json()["error"] == "BAD_REQUEST"


def test_reconcile_settles_a_payment_the_browser_never_reported_and_audit_is_clean(en):
    paid, waiting = order(en), order(en)
    drv.pay(en, request=request_for(en, paid, noticeUrls=None))   # the browser died; no webhook either
    drv.open_window(en, request_for(en, waiting))
    runner = en.app.test_cli_runner()
    out = runner.invoke(args=["reconcile", "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert status(en, paid["order_id"]) == "paid" and status(en, waiting["order_id"]) == "pending"
    assert any(s["name"] == "portone_v2.reconcile" for s in flow(en, paid["order_id"])["steps"])
    audit = runner.invoke(args=["audit"])
    assert audit.exit_code == 0, audit.output


def test_reconcile_cancels_a_payment_made_after_the_order_was_given_up(en):
    o = order(en)
    runner = en.app.test_cli_runner()
    assert runner.invoke(args=["reconcile", "--lang", "en", "--abandon-after", "0"]).exit_code == 0
    assert status(en, o["order_id"]) == "expired"
    drv.pay(en, request=request_for(en, o))
    assert until(lambda: drv.Api(en).payment(o["order_id"])["status"] == "CANCELLED")
    assert status(en, o["order_id"]) == "expired"
    audit = runner.invoke(args=["audit"])
    assert audit.exit_code == 0, audit.output


def test_the_flow_page_explains_v2_steps_and_compare_shows_v1_vs_v2(en):
    o = order(en)
    drv.pay(en, request=request_for(en, o))
    complete(en, o["order_id"])
    page = en.get(f"/flows/{o['order_id']}?lang=en").text
    assert "the only source it trusts for amount, status and channel" in page
    assert "https://developers.portone.io/api/rest-v2/payment?v=v2#get%20%2Fpayments%2F%7BpaymentId%7D" in page
    v1 = en.order("portone")
    compare = en.get(f"/flows/compare?a={v1['order_id']}&b={o['order_id']}&lang=en").text
    assert "V2: Standard Webhooks signed with the webhook secret" in compare
    assert "V2: the API secret itself on every call" in compare
    toss = en.order("toss")
    other = en.get(f"/flows/compare?a={o['order_id']}&b={toss['order_id']}&lang=en").text
    assert "V2: Standard Webhooks" not in other and "Toss" in other
    assert "IMP.request_pay" not in other and "merchant_uid" not in other          # no V1 words about a V2 flow
    assert "PortOne V2: PortOne.requestPayment({storeId, channelKey, paymentId, totalAmount, ...}) returns a " \
           "Promise. Toss Payments:" in other


@pytest.mark.parametrize("kind", ["error_5xx", "timeout_after"])
def test_a_lost_answer_leaves_the_order_unknown_until_reconcile_reads_it(en, kind):
    faults.fast(en)
    o = order(en)
    drv.pay(en, request=request_for(en, o, noticeUrls=None))
    faults.arm(en, "portone_v2", "get_payment", kind)
    resp = complete(en, o["order_id"])
    body = resp.json()
    assert resp.status_code == 503 and body["status"] == "unknown" and "do not pay twice" in body["message"]
    assert steps(en, o["order_id"])["portone_v2.unknown"]["verdict"] == "fail"
    en.app.config["PG_TIMEOUT"] = 10
    assert en.app.test_cli_runner().invoke(args=["reconcile", "--lang", "en"]).exit_code == 0
    assert status(en, o["order_id"]) == "paid"


def test_a_webhook_answered_503_when_portone_cannot_be_asked_is_settled_by_the_retry(en):
    from emulator import webhooks

    def answers():
        paid = [d for d in deliveries(en, o["order_id"]) if d["event"] == "Transaction.Paid"]
        with en.emulator.app_context():
            return [a["status_code"] for d in paid for a in webhooks.attempts(d["id"])]
    o = order(en)
    faults.arm(en, "portone_v2", "get_payment", "error_5xx", count=0)   # PortOne's API is down for a while
    drv.pay(en, request=request_for(en, o))
    assert until(lambda: answers() == [503])
    assert status(en, o["order_id"]) == "pending"
    assert steps(en, o["order_id"])["portone_v2.webhook_retry"]["verdict"] == "fail"
    faults.clear(en)
    en.advance_clock(61)     # PortOne retries a failed webhook after 1 minute
    assert until(lambda: status(en, o["order_id"]) == "paid")
    # Transaction.Ready's retry goes first (one delivery at a time to the shop) and may settle the order
    # before Transaction.Paid's retry is answered: wait for that answer too.
    assert until(lambda: answers() == [503, 200])


def test_a_cancel_the_pg_refuses_stays_owed_until_reconcile_gets_it_through(en):
    """The shop refuses a payment of the wrong amount and must cancel it; PortOne answers 502 PG_PROVIDER (the
    card company refused). The shop keeps the cancel as owed, says why in the PG's words, and reconcile gets it
    through once the PG accepts; only then is nothing held at PortOne for this order."""
    o = order(en, prepare=False)
    faults.arm(en, "portone_v2", "cancel", "refused", count=0)
    drv.pay(en, request=request_for(en, o, amount=100, noticeUrls=None))
    body = complete(en, o["order_id"]).json()
    assert body["status"] == "forged"
    assert drv.Api(en).payment(o["order_id"])["status"] == "PAID"          # still held at PortOne
    pending = steps(en, o["order_id"])["portone_v2.cancel_pending"]
    assert pending["verdict"] == "fail" and "PG_PROVIDER" in pending["summary"]
    runner = en.app.test_cli_runner()
    audit = runner.invoke(args=["audit"])
    assert audit.exit_code == 1 and o["order_id"] in audit.output          # money held for a refused order
    out = runner.invoke(args=["reconcile", "--lang", "en"]).output
    assert "0 done, 1 still pending" in out and drv.Api(en).payment(o["order_id"])["status"] == "PAID"
    faults.clear(en)
    out = runner.invoke(args=["reconcile", "--lang", "en"]).output
    assert "1 done, 0 still pending" in out
    assert drv.Api(en).payment(o["order_id"])["status"] == "CANCELLED"
    assert status(en, o["order_id"]) == "forged"                           # still payable by its buyer
    assert runner.invoke(args=["audit"]).exit_code == 0
