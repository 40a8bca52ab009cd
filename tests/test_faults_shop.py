"""The shop under the emulator's faults, per PG: 5xx, timeouts before and after acting, a down token
endpoint, a failed cancel, and webhooks duplicated, reordered, late or never sent.

Each test checks what a person would see: the buyer's answer, the order in the shop, the payment
at the PG (read over the emulator's REST API), and in the step log a 'fault' step followed by a
step that says what the shop did about it.
"""
import re
import time
from urllib.parse import urlsplit

import pytest

from tests.drivers import faults
from tests.drivers.emulator import deliveries, until
from tests.drivers import portone
from tests.drivers import toss



# --- what the shop, the PG and the step log say ---------------------------------------------------

def flow(site, oid):
    """GET /api/flows/<id>: {order, steps}."""
    resp = site.get(f"/api/flows/{oid}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def status(site, oid):
    return flow(site, oid)["order"]["status"]


def named(steps, *names):
    return [s for s in steps if s["name"] in names]


def fault_then_reaction(steps, fault_name, reaction_name):
    """The first fault step of fault_name and the first later step named reaction_name (both must exist)."""
    fault = next((s for s in steps if s["name"] == fault_name and s["kind"] == "fault"), None)
    assert fault is not None, f"no fault step {fault_name}: {[(s['name'], s['kind']) for s in steps]}"
    reaction = next((s for s in steps if s["id"] > fault["id"] and s["name"] == reaction_name), None)
    assert reaction is not None, f"no {reaction_name} after the fault: {[s['name'] for s in steps]}"
    return fault, reaction


def paid_moves(steps):
    """Steps recording a won move to paid (either PG's wording)."""
    return [s for s in steps if s["phase"] == "settle" and s["kind"] == "state" and s["verdict"] == "pass"
            and (s["name"] == "portone.status" and s["actual"] == "paid" or "→ paid" in s["summary"])]


def reconcile(site, *args):
    result = site.app.test_cli_runner().invoke(args=["reconcile", "--lang", "en", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def en(site):
    """The buyer reads English (the `lang` cookie the language links set)."""
    site.get("/?lang=en")
    return site


@pytest.fixture
def fast(en):
    faults.fast(en, delay_s=1.0, shop_timeout=0.3)
    return en


@pytest.fixture
def quiet(fast):
    """Toss's own webhooks go nowhere: only what the test does reaches the shop."""
    fast.emulator.config["EMULATOR_TOSS_WEBHOOK_URL"] = "http://127.0.0.1:9/unreachable"
    return fast


# --- PortOne --------------------------------------------------------------------------------------

def callback(site, paid):
    return site.post("/payments/complete", json={"imp_uid": paid["imp_uid"], "merchant_uid": paid["rsp"]["merchant_uid"]})


def test_portone_lookup_5xx_is_settled_by_asking_for_the_order(fast):
    site, api = fast, portone.Api(fast)
    order = site.order("portone")
    paid = portone.pay(site, order)
    faults.arm(site, "portone", "get_payment", "error_5xx")
    body = callback(site, paid).json()
    assert body["status"] == "paid" and "every check passed" in body["message"]
    steps = flow(site, order["order_id"])["steps"]
    fault, reaction = fault_then_reaction(steps, "portone.get_payment", "portone.unknown")
    assert fault["exchange"]["response"]["status"] == 500 and "HTTP 500" in reaction["summary"]
    [recovered] = named(steps, "portone.recovered")
    assert "is paid" in recovered["summary"]
    assert len(paid_moves(steps)) == 1
    at_pg = api.payment(paid["imp_uid"])
    assert at_pg["status"] == "paid" and at_pg["cancel_amount"] == 0


def test_portone_lookup_timeout_is_settled_from_find_by_merchant_uid(fast):
    site = fast
    order = site.order("portone")
    paid = portone.pay(site, order)
    faults.arm(site, "portone", "get_payment", "timeout_after")
    body = callback(site, paid).json()
    assert body["status"] == "paid"
    steps = flow(site, order["order_id"])["steps"]
    fault, _ = fault_then_reaction(steps, "portone.get_payment", "portone.recovered")
    assert "outcome unknown" in fault["summary"] and fault["exchange"]["error"] == "timeout"
    assert named(steps, "portone.find_payment")[-1]["exchange"]["response"]["status"] == 200


def test_portone_lookups_that_keep_failing_leave_the_order_unknown_until_asked_again(fast):
    site, api = fast, portone.Api(fast)
    order = site.order("portone")
    paid = portone.pay(site, order)
    faults.arm(site, "portone", "get_payment", "timeout_before", count=0)
    faults.arm(site, "portone", "find_payment", "error_5xx", count=0)
    resp = callback(site, paid)
    assert resp.status_code == 503
    assert resp.json()["status"] == "unknown" and "not known yet" in resp.json()["message"]
    page = site.get(f"/orders/{order['order_id']}").text
    assert "Outcome unknown" in page and "do not pay twice" in page
    steps = flow(site, order["order_id"])["steps"]
    _, left = fault_then_reaction(steps, "portone.find_payment", "portone.still_unknown")
    assert "HTTP 500" in left["summary"] and "reconcile" in left["summary"]
    faults.clear(site)
    assert api.payment(paid["imp_uid"])["status"] == "paid"          # the money is at PortOne; not guessed
    assert callback(site, paid).json()["status"] == "paid"            # the next visit asks again
    assert len(paid_moves(flow(site, order["order_id"])["steps"])) == 1


def test_portone_token_5xx_keeps_the_order_open_with_a_plain_message(fast):
    site = fast
    order = site.order("portone")
    paid = portone.pay(site, order)
    faults.arm(site, "portone", "get_token", "error_5xx", count=0)
    resp = callback(site, paid)
    assert resp.status_code == 503
    assert resp.json()["message"].startswith("PortOne did not answer properly")
    assert status(site, order["order_id"]) == "unknown"
    steps = flow(site, order["order_id"])["steps"]
    fault_then_reaction(steps, "portone.get_token", "portone.unknown")
    assert named(steps, "portone.still_unknown")
    assert not named(steps, "portone.get_payment")                    # nothing was read without a token


def test_portone_token_down_webhook_asks_to_be_resent_and_the_retry_settles(fast):
    site = fast
    order = site.order("portone")
    # Armed before paying (the window needs no token), so the webhook always meets the fault.
    faults.arm(site, "portone", "get_token", "down", count=0)
    paid = portone.pay(site, order, notice_url=site.url + "/webhooks/portone")
    # PortOne's webhook arrives while the shop cannot get a token: answered 503, so PortOne retries.
    assert until(lambda: any(d["last_status"] == 503 for d in deliveries(site, paid["imp_uid"])))
    [first] = deliveries(site, paid["imp_uid"])
    assert first["status"] == "pending" and first["attempts"] == 1
    steps = flow(site, order["order_id"])["steps"]
    fault, _ = fault_then_reaction(steps, "portone.get_token", "portone.webhook_retry")
    assert "connection closed" in fault["summary"]                     # sent, then dropped: outcome unknown
    assert status(site, order["order_id"]) == "pending"                # a webhook alone decides nothing
    faults.clear(site)
    site.advance_clock(61)                                             # PortOne's retry, one minute later
    assert until(lambda: status(site, order["order_id"]) == "paid")
    assert until(lambda: deliveries(site, paid["imp_uid"])[0]["status"] == "delivered")  # answered after settling
    assert len(paid_moves(flow(site, order["order_id"])["steps"])) == 1


@pytest.mark.parametrize("kind, step_kind, why", [("error_5xx", "fault", "HTTP 500"),    # lost: a fault
                                                  ("refused", "http_out", "[PG사 오류] 카드사에서 취소를 거절했습니다.")])
def test_portone_forged_payment_whose_cancel_fails_is_cancelled_by_reconcile(fast, kind, step_kind, why):
    site, api = fast, portone.Api(fast)
    order = site.order("portone")
    tampered = portone.pay(site, order, amount=100)
    faults.arm(site, "portone", "cancel", kind)
    body = callback(site, tampered).json()
    assert body["status"] == "forged" and "has not gone through yet" in body["message"]
    assert api.payment(tampered["imp_uid"])["status"] == "paid"      # still held at PortOne
    steps = flow(site, order["order_id"])["steps"]
    cancel = named(steps, "portone.cancel")[0]      # PortOne V1 refuses with HTTP 200 and code 1
    pending = next(s for s in steps if s["id"] > cancel["id"] and s["name"] == "portone.cancel_pending")
    assert cancel["kind"] == step_kind and why in pending["summary"] and "reconcile" in pending["summary"]
    out = reconcile(site)
    assert "the payment the shop does not keep is now cancelled at the PG" in out
    assert "Cancels of payments the shop does not keep, retried: 1 done, 0 still pending." in out
    at_pg = api.payment(tampered["imp_uid"])
    assert at_pg["status"] == "cancelled" and at_pg["cancel_amount"] == 100
    now = flow(site, order["order_id"])
    assert now["order"]["status"] == "forged" and named(now["steps"], "portone.cancelled")
    assert "retried" not in reconcile(site)                          # done: not again


def test_portone_duplicate_webhooks_settle_once(en):
    site = en
    faults.arm(site, "portone", "webhook", "duplicate")
    order = site.order("portone")
    paid = portone.pay(site, order, notice_url=site.url + "/webhooks/portone")
    assert until(lambda: [d["status"] for d in deliveries(site, paid["imp_uid"])] == ["delivered"] * 2)
    steps = flow(site, order["order_id"])["steps"]
    assert len(named(steps, "portone.webhook")) == 2
    assert len(paid_moves(steps)) == 1 and len(named(steps, "portone.already_settled")) == 1
    assert status(site, order["order_id"]) == "paid"


def test_portone_reordered_webhooks_cancelled_before_paid_end_cancelled(en):
    site = en
    api = portone.Api(site)
    faults.arm(site, "portone", "webhook", "reorder", count=2)
    order = site.order("portone")
    paid = portone.pay(site, order, notice_url=site.url + "/webhooks/portone")   # 'paid' webhook held
    assert callback(site, paid).json()["status"] == "paid"
    assert api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"]}).json()["code"] == 0
    # Released newest first: 'cancelled', then the old 'paid'. The shop reads PortOne each time.
    assert until(lambda: [d["status"] for d in deliveries(site, paid["imp_uid"])] == ["delivered"] * 2)
    steps = flow(site, order["order_id"])["steps"]
    hooks = named(steps, "portone.webhook")
    assert ["'cancelled'" in hooks[0]["summary"], "'paid'" in hooks[1]["summary"]] == [True, True]
    assert [s["actual"] for s in named(steps, "portone.status")] == ["paid", "cancelled"]
    assert status(site, order["order_id"]) == "cancelled"
    assert api.payment(paid["imp_uid"])["status"] == "cancelled"


def test_portone_late_paid_webhook_after_the_callback_is_a_no_op(en):
    site = en
    site.emulator.config["EMULATOR_FAULT_LATE_S"] = 300
    faults.arm(site, "portone", "webhook", "late")
    order = site.order("portone")
    paid = portone.pay(site, order, notice_url=site.url + "/webhooks/portone")
    assert callback(site, paid).json()["status"] == "paid"
    site.advance_clock(301)
    assert until(lambda: [d["status"] for d in deliveries(site, paid["imp_uid"])] == ["delivered"])
    steps = flow(site, order["order_id"])["steps"]
    assert len(paid_moves(steps)) == 1 and len(named(steps, "portone.already_settled")) == 1
    assert status(site, order["order_id"]) == "paid"


def test_portone_webhook_never_sent_and_no_callback_is_settled_by_reconcile(en):
    site = en
    faults.arm(site, "portone", "webhook", "never")
    order = site.order("portone")
    paid = portone.pay(site, order, notice_url=site.url + "/webhooks/portone")
    assert [d["status"] for d in deliveries(site, paid["imp_uid"])] == ["dropped"]
    assert status(site, order["order_id"]) == "pending"              # nobody told the shop
    assert "Waiting for the payment → Paid and verified" in reconcile(site)
    steps = flow(site, order["order_id"])["steps"]
    assert named(steps, "portone.reconcile") and len(paid_moves(steps)) == 1


# --- Toss -----------------------------------------------------------------------------------------

def success(site, got):
    parts = urlsplit(got["redirect_url"])
    return site.get(parts.path + "?" + parts.query)


def done_notices(site, key):
    """PAYMENT_STATUS_CHANGED webhooks Toss queued saying DONE: one per confirm that moved money."""
    import json
    return [d for d in deliveries(site, key) if d["event"] == "PAYMENT_STATUS_CHANGED"
            and json.loads(d["body"])["data"]["status"] == "DONE"]


def test_toss_confirm_5xx_is_retried_once_with_the_same_key(quiet):
    site = quiet
    order = site.order("toss")
    got = toss.pay(site, order)
    faults.arm(site, "toss", "confirm", "error_5xx")
    assert 'data-status="paid"' in success(site, got).text
    steps = flow(site, order["order_id"])["steps"]
    fault, retry = fault_then_reaction(steps, "toss.confirm", "toss.confirm_retry")
    assert "HTTP 500" in retry["summary"] and "IN_PROGRESS" in retry["summary"]
    keys = {s["exchange"]["request"]["headers"]["Idempotency-Key"] for s in named(steps, "toss.confirm")}
    assert len(keys) == 1
    assert toss.record(site, got["paymentKey"])["status"] == "DONE" and len(done_notices(site, got["paymentKey"])) == 1


def test_toss_confirm_timeout_after_acting_is_read_back_not_confirmed_twice(quiet):
    site = quiet
    order = site.order("toss")
    got = toss.pay(site, order)
    faults.arm(site, "toss", "confirm", "timeout_after")
    page = success(site, got)
    assert 'data-status="paid"' in page.text
    steps = flow(site, order["order_id"])["steps"]
    fault, recovered = fault_then_reaction(steps, "toss.confirm", "toss.recovered")
    assert "outcome unknown" in fault["summary"] and "Toss says DONE" in recovered["summary"]
    assert len(named(steps, "toss.confirm")) == 1                     # no second confirm was sent
    assert len(paid_moves(steps)) == 1
    record = toss.record(site, got["paymentKey"])
    assert record["status"] == "DONE" and record["totalAmount"] == order["amount"]
    assert len(done_notices(site, got["paymentKey"])) == 1            # Toss moved the money once
    assert faults.events(site)[0]["status_code"] == 200               # it had acted


def test_toss_confirm_timeout_before_acting_is_confirmed_by_the_retry(quiet):
    site = quiet
    order = site.order("toss")
    got = toss.pay(site, order)
    faults.arm(site, "toss", "confirm", "timeout_before")
    assert 'data-status="paid"' in success(site, got).text
    steps = flow(site, order["order_id"])["steps"]
    _, retry = fault_then_reaction(steps, "toss.confirm", "toss.confirm_retry")
    assert "IN_PROGRESS" in retry["summary"]
    assert len(done_notices(site, got["paymentKey"])) == 1


def test_toss_confirm_that_keeps_failing_is_unknown_never_paid_without_done(quiet):
    site = quiet
    order = site.order("toss")
    got = toss.pay(site, order)
    faults.arm(site, "toss", "confirm", "timeout_before", count=0)
    page = success(site, got)
    assert "Outcome unknown" in page.text and "nothing was charged yet" in page.text
    assert status(site, order["order_id"]) == "unknown"
    steps = flow(site, order["order_id"])["steps"]
    _, left = fault_then_reaction(steps, "toss.confirm", "toss.still_unknown")
    assert "IN_PROGRESS" in left["summary"] and "reconcile" in left["summary"]
    assert [s["kind"] for s in named(steps, "toss.confirm")] == ["fault", "fault"]
    assert toss.record(site, got["paymentKey"])["status"] == "IN_PROGRESS"
    assert not paid_moves(steps)


def test_toss_confirm_endpoint_down_is_asked_by_order_then_confirmed(quiet):
    site = quiet
    order = site.order("toss")
    got = toss.pay(site, order)
    faults.arm(site, "toss", "confirm", "down")
    assert 'data-status="paid"' in success(site, got).text
    steps = flow(site, order["order_id"])["steps"]
    fault, _ = fault_then_reaction(steps, "toss.confirm", "toss.confirm_retry")
    assert "connection closed without an answer (outcome unknown)" in fault["summary"]
    assert len(done_notices(site, got["paymentKey"])) == 1


def test_toss_lookup_5xx_on_the_fail_page_leaves_the_order_open(quiet):
    site = quiet
    order = site.order("toss")
    got = toss.pay(site, order, outcome="decline_refused")
    faults.arm(site, "toss", "get_by_order", "error_5xx")
    page = success(site, got)                                        # the failUrl redirect
    assert "card company refused" in page.text
    assert status(site, order["order_id"]) == "pending"
    steps = flow(site, order["order_id"])["steps"]
    fault_then_reaction(steps, "toss.find_payment", "toss.fail_unconfirmed")
    reconcile(site)                                                  # Toss answers now: its record decides
    assert status(site, order["order_id"]) == "failed"


def test_toss_webhook_read_back_5xx_asks_toss_to_resend(quiet):
    site = quiet
    order = site.order("toss")
    got = toss.pay(site, order)
    success(site, got)
    faults.arm(site, "toss", "get_payment", "error_5xx")
    hook = site.post("/webhooks/toss", csrf=False, json={
        "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
        "data": {"paymentKey": got["paymentKey"], "orderId": order["order_id"], "status": "CANCELED"}})
    assert hook.status_code == 503 and hook.json()["error"] == "PG_UNAVAILABLE"
    steps = flow(site, order["order_id"])["steps"]
    fault_then_reaction(steps, "toss.get_payment", "toss.webhook_retry")
    assert status(site, order["order_id"]) == "paid"                # the body's claim changed nothing


def test_toss_forged_payment_whose_cancel_fails_is_cancelled_by_reconcile(quiet):
    site = quiet
    order = site.order("toss")
    got = toss.pay(site, order, amount=1000)
    confirmed = toss.confirm(site, got["paymentKey"], order, amount=1000)
    assert confirmed.status_code == 200                              # confirmed behind the shop's back
    faults.arm(site, "toss", "cancel", "error_5xx", count=0)
    hook = site.post("/webhooks/toss", csrf=False, json={
        "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
        "data": {"paymentKey": got["paymentKey"], "orderId": order["order_id"], "status": "DONE"}})
    assert hook.status_code == 200
    now = flow(site, order["order_id"])
    assert now["order"]["status"] == "forged" and "totalAmount" in now["order"]["reason"]
    _, pending = fault_then_reaction(now["steps"], "toss.cancel", "toss.cancel_pending")
    assert pending["verdict"] == "fail" and "reconcile" in pending["summary"]
    assert toss.record(site, got["paymentKey"])["status"] == "DONE"
    assert "the cancel at the PG has still not gone through" in reconcile(site)
    faults.clear(site)
    assert "the payment the shop does not keep is now cancelled at the PG" in reconcile(site)
    assert toss.record(site, got["paymentKey"])["status"] == "CANCELED"
    assert named(flow(site, order["order_id"])["steps"], "toss.cancelled")


def test_toss_duplicate_webhooks_change_the_order_once(fast):
    site = fast
    faults.arm(site, "toss", "webhook", "duplicate")
    order = site.order("toss")
    got = toss.pay(site, order)
    assert 'data-status="paid"' in success(site, got).text
    assert until(lambda: [d["status"] for d in deliveries(site, got["paymentKey"])] == ["delivered"] * 2)
    steps = flow(site, order["order_id"])["steps"]
    assert len(named(steps, "toss.webhook")) == 2 and len(paid_moves(steps)) == 1
    assert len(named(steps, "toss.confirm")) == 1


def test_toss_reordered_webhooks_canceled_before_done_end_cancelled(fast):
    site = fast
    faults.arm(site, "toss", "webhook", "reorder", count=2)
    order = site.order("toss")
    got = toss.pay(site, order)
    assert 'data-status="paid"' in success(site, got).text          # the DONE webhook is held
    cancel = toss.api(site, "POST", f"/v1/payments/{got['paymentKey']}/cancel", {"cancelReason": "buyer asked"})
    assert cancel.status_code == 200
    assert until(lambda: [d["status"] for d in deliveries(site, got["paymentKey"])] == ["delivered"] * 2)
    steps = flow(site, order["order_id"])["steps"]
    hooks = named(steps, "toss.webhook")
    assert ["CANCELED" in hooks[0]["summary"], "DONE" in hooks[1]["summary"]] == [True, True]
    assert status(site, order["order_id"]) == "cancelled"           # the late DONE read back CANCELED
    assert toss.record(site, got["paymentKey"])["status"] == "CANCELED"


def test_toss_late_done_webhook_after_success_is_a_no_op(fast):
    site = fast
    site.emulator.config["EMULATOR_FAULT_LATE_S"] = 300
    faults.arm(site, "toss", "webhook", "late")
    order = site.order("toss")
    got = toss.pay(site, order)
    assert 'data-status="paid"' in success(site, got).text
    site.advance_clock(301)
    assert until(lambda: [d["status"] for d in deliveries(site, got["paymentKey"])] == ["delivered"])
    steps = flow(site, order["order_id"])["steps"]
    assert len(paid_moves(steps)) == 1 and named(steps, "toss.already_settled")
    assert status(site, order["order_id"]) == "paid"


def test_toss_server_checkout_5xx_opens_nothing_and_says_so(quiet):
    site = quiet
    faults.arm(site, "toss", "create", "error_5xx")
    resp = site.http.post(site.url + "/toss/checkout", allow_redirects=False, timeout=30, data={
        "csrf_token": site.csrf(), "product_id": "shoes", "quantity": "1"})
    assert resp.status_code == 502 and "Toss had an internal problem" in resp.text and "Nothing was charged" in resp.text
    oid = re.search(r"order-[0-9]{8}-[0-9]{6}-[0-9a-f]{8}", resp.text).group(0)
    steps = flow(site, oid)["steps"]
    _, failed = fault_then_reaction(steps, "toss.create_payment", "toss.status")
    assert "→ expired" in failed["summary"]                         # nobody was sent to a checkout page
