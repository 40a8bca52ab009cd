"""The PG's test-mode nightly cancel on the emulated PortOne V1: a switch, on the emulator's movable clock."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.drivers.emulator import console_token

from tests.drivers import portone as drv
from tests.drivers.emulator import deliveries
from tests.drivers.receiver import Receiver

KST = timezone(timedelta(hours=9))


@pytest.fixture
def api(site):
    return drv.Api(site)


@pytest.fixture
def receiver(site):
    r = Receiver(path="/webhooks/portone").allowed_by(site)
    yield r
    r.close()


def order(amount=15000):
    return {"order_id": f"order-{uuid.uuid4().hex[:12]}", "order_name": "Running shoes", "amount": amount,
            "buyer_name": "Hong Gildong", "buyer_email": "buyer@example.com"}


def switch(site, enabled):
    resp = requests.post(site.url + "/emulator/portone/nightly-cancel", json={"enabled": enabled}, timeout=10)
    assert resp.status_code == 200 and resp.json()["enabled"] is enabled


def move_to(site, moment):
    """Move the emulator clock forward to `moment` (UNIX s)."""
    now = requests.get(site.url + "/emulator/clock", timeout=10).json()["now"]
    assert moment >= now
    site.advance_clock(moment - now)


def half_past_eleven(paid_at):
    day = datetime.fromtimestamp(paid_at, KST)
    cutoff = day.replace(hour=23, minute=30, second=0, microsecond=0)
    return (cutoff if cutoff >= day else cutoff + timedelta(days=1)).timestamp()


def test_the_pg_cancels_test_card_payments_at_half_past_eleven_kst(site, api, receiver):
    switch(site, True)
    inicis = drv.pay(site, order(15000), notice_url=receiver.url)["imp_uid"]
    kcp = drv.pay(site, order(15000), pg="kcp")["imp_uid"]
    trans = drv.pay(site, order(15000), pay_method="trans")["imp_uid"]
    cutoff = half_past_eleven(api.payment(inicis)["paid_at"])
    move_to(site, cutoff - 5)
    slip = api.payment(inicis)["receipt_url"] + "?lang=en"
    assert "Cancelled by the PG" not in requests.get(slip, timeout=10).text
    move_to(site, cutoff + 5)
    p = api.payment(inicis)
    assert p["status"] == "paid" and p["cancel_history"] == [] and p["cancel_amount"] == 0   # PortOne is not told
    page = requests.get(slip, timeout=10).text
    assert "Cancelled by the PG (test-mode nightly cancel)" in page and "Status: cancelled" in page
    refused = api.post("/payments/cancel", json={"imp_uid": inicis, "reason": "refund"}).json()
    assert refused["code"] == 1 and refused["message"] == "결제취소에 실패하였습니다. [500626|기 취소 거래]"
    assert api.payment(inicis)["status"] == "paid"
    assert [d["event"] for d in deliveries(site, inicis)] == ["paid"]          # no webhook for the PG's cancel
    for imp_uid in (kcp, trans):     # KCP only simulates approval; a bank transfer is not a card
        assert api.post("/payments/cancel", json={"imp_uid": imp_uid}).json()["response"]["status"] == "cancelled"
    dashboard = site.get("/emulator/?lang=en").text
    assert "cancelled by the PG at" in dashboard and "Test-mode nightly cancel" in dashboard


def test_the_switch_is_off_by_default_and_checks_its_input(site, api):
    state = requests.get(site.url + "/emulator/portone/nightly-cancel", timeout=10).json()
    assert state["enabled"] is False and state["at"] == "23:30 KST"
    imp_uid = drv.pay(site, order())["imp_uid"]
    move_to(site, half_past_eleven(api.payment(imp_uid)["paid_at"]) + 60)
    for bad in ({"enabled": "yes"}, {}, ["enabled"]):
        resp = requests.post(site.url + "/emulator/portone/nightly-cancel", json=bad, timeout=10)
        assert resp.status_code == 400 and resp.json()["error"] == "BAD_REQUEST"
    assert api.post("/payments/cancel", json={"imp_uid": imp_uid}).json()["response"]["status"] == "cancelled"


def test_the_dashboard_form_turns_it_on(site, api):
    console = requests.Session()
    token = console_token(console.get(site.url + "/emulator/", timeout=10).text)
    form = console.post(site.url + "/emulator/portone/nightly-cancel", data={"enabled": "true", "csrf_token": token},
                        timeout=10, allow_redirects=False)
    assert form.status_code == 302 and form.headers["Location"].endswith("/emulator/")
    assert requests.get(site.url + "/emulator/portone/nightly-cancel", timeout=10).json()["enabled"] is True
    assert "Turn off" in site.get("/emulator/?lang=en").text
