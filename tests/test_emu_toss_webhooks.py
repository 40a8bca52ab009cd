"""Webhooks from the emulated Toss: PAYMENT_STATUS_CHANGED (wrapped) and DEPOSIT_CALLBACK (flat)."""
import json
import re
import secrets

import pytest

from tests.drivers.receiver import Receiver
from tests.drivers import toss
from tests.drivers.toss import api, approved, confirm

CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
def receiver(site):
    r = Receiver().allowed_by(site)
    site.emulator.config["EMULATOR_TOSS_WEBHOOK_URL"] = r.origin + "/hook"
    yield r
    r.close()


def make_order(amount=15000):
    return {"order_id": "ord_" + secrets.token_hex(6), "amount": amount, "order_name": "Running shoes",
            "customer_key": "cust_" + secrets.token_hex(4), "buyer_name": "김토스", "buyer_email": None}


def test_confirm_sends_payment_status_changed_with_the_whole_payment(site, receiver):
    order = make_order()
    key = approved(site, order)                  # READY -> IN_PROGRESS: no webhook
    payment = confirm(site, key, order).json()
    [body] = receiver.wait_for(1)
    assert set(body) == {"eventType", "createdAt", "data"}
    assert body["eventType"] == "PAYMENT_STATUS_CHANGED" and CREATED_AT.match(body["createdAt"])
    assert body["data"] == payment
    assert receiver.hits[0][0] == "/hook"


def test_virtual_account_deposit_sends_a_flat_deposit_callback_with_the_secret(site, receiver):
    order = make_order(20000)
    key = approved(site, order, method="가상계좌")
    issued = confirm(site, key, order).json()
    bodies = receiver.wait_for(2)
    callbacks = [b for b in bodies if "eventType" not in b]
    assert [b["data"]["status"] for b in bodies if "eventType" in b] == ["WAITING_FOR_DEPOSIT"]
    assert callbacks[0]["status"] == "WAITING_FOR_DEPOSIT" and callbacks[0]["secret"] == issued["secret"]
    site.http.post(f"{site.url}/emulator/toss/payments/{key}/deposit", json={}, timeout=10)
    bodies = receiver.wait_for(4)[2:]
    [deposit] = [b for b in bodies if "eventType" not in b]
    assert set(deposit) == {"createdAt", "secret", "status", "transactionKey", "orderId"}
    assert deposit["status"] == "DONE" and deposit["secret"] == issued["secret"]
    assert deposit["orderId"] == order["order_id"] and CREATED_AT.match(deposit["createdAt"])
    assert deposit["transactionKey"] == api(site, "GET", f"/v1/payments/{key}").json()["lastTransactionKey"]
    [changed] = [b for b in bodies if "eventType" in b]
    assert changed["data"]["status"] == "DONE"


def test_cancel_decline_and_expiry_each_notify(site, receiver):
    order = make_order()
    key = approved(site, order)
    confirm(site, key, order)
    api(site, "POST", f"/v1/payments/{key}/cancel", {"cancelReason": "부분", "cancelAmount": 5000})
    api(site, "POST", f"/v1/payments/{key}/cancel", {"cancelReason": "나머지"})
    toss.pay(site, make_order(), outcome="decline_refused")
    late = make_order()
    approved(site, late)
    site.advance_clock(11 * 60)
    api(site, "GET", "/v1/payments/orders/" + late["order_id"])       # any request sweeps due timers
    statuses = [b["data"]["status"] for b in receiver.wait_for(5)]
    assert statuses == ["DONE", "PARTIAL_CANCELED", "CANCELED", "ABORTED", "EXPIRED"]


def test_without_a_configured_url_webhooks_go_to_the_page_origin(site):
    r = Receiver().allowed_by(site)
    try:
        order = make_order()
        started = toss.start(site, order, page_url=r.origin + "/checkout")
        toss.decide(site, started["paymentKey"], "approve")
        confirm(site, started["paymentKey"], order)
        r.wait_for(1)
        assert r.hits[0][0] == "/webhooks/toss"
    finally:
        r.close()


def test_failed_delivery_is_retried_on_the_documented_schedule_and_kept(site):
    r = Receiver(fail_first=1).allowed_by(site)
    site.emulator.config["EMULATOR_TOSS_WEBHOOK_URL"] = r.origin + "/hook"
    site.emulator.config["EMULATOR_WEBHOOK_TIME_SCALE"] = 0.05     # 1 documented minute = 0.05 s
    try:
        order = make_order()
        confirm(site, approved(site, order), order)
        first, second = r.wait_for(2)
        assert first == second
    finally:
        r.close()
    page = site.get("/emulator/").text
    delivery_id = re.search(r'class="delivery" data-id="(\d+)"', page).group(1)
    kept = site.get(f"/emulator/deliveries/{delivery_id}").json()
    assert kept["event"] == "PAYMENT_STATUS_CHANGED" and kept["schedule"] == [1, 4, 16, 64, 256, 1024, 4096]
    assert [a["status_code"] for a in kept["attempts_made"]] == [500, 200]
