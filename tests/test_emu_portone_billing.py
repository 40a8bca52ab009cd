"""Billing (정기결제) on the emulated PortOne V1: billing keys from the window or the API, and payments with them."""
import uuid

import pytest

from tests.drivers import portone as drv
from tests.drivers.emulator import deliveries
from tests.drivers.receiver import Receiver

CARD = {"card_number": "4092-0230-1234-1234", "expiry": "2099-12", "birth": "800101", "pwd_2digit": "00"}


def merchant_uid():
    return f"sub-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def api(site):
    return drv.Api(site)


@pytest.fixture
def receiver(site):
    r = Receiver(path="/webhooks/portone").allowed_by(site)
    yield r
    r.close()


def again(api, customer_uid, amount=9900, **extra):
    return api.post("/subscribe/payments/again", json={"customer_uid": customer_uid, "merchant_uid": merchant_uid(),
                                                       "amount": amount, "name": "Monthly plan", **extra}).json()


def test_the_window_issues_a_billing_key_then_again_charges_it(site, api, receiver):
    params = {"pg": "html5_inicis.INIBillTst", "pay_method": "card", "merchant_uid": merchant_uid(),
              "name": "Card registration", "amount": 0, "customer_uid": "cust-window", "buyer_name": "Hong Gildong"}
    imp_uid = drv.open_window(site, params).json()["imp_uid"]
    window = site.get(f"/emulator/portone/window/{imp_uid}?lang=en").text
    assert "registers this card for later payments without the window (billing key cust-window)" in window
    drv.decide(site, imp_uid, card_code="365")
    issue = api.payment(imp_uid)
    assert issue["customer_uid"] == "cust-window" and issue["customer_uid_usage"] == "issue"
    assert issue["amount"] == 0 and issue["pg_id"] == "INIBillTst"
    key = api.get("/subscribe/customers/cust-window").json()["response"]
    assert key["card_name"] == "삼성카드" and key["card_number"] == issue["card_number"]
    assert key["customer_name"] == "Hong Gildong" and key["pg_provider"] == "html5_inicis" and key["sandbox"] is True
    charged = again(api, "cust-window", notice_url=receiver.url)
    assert charged["code"] == 0
    p = charged["response"]
    assert p["status"] == "paid" and p["amount"] == 9900 and p["channel"] == "api"
    assert p["customer_uid"] == "cust-window" and p["customer_uid_usage"] == "payment"
    assert p["card_number"] == key["card_number"] and api.payment(p["imp_uid"]) == p
    assert receiver.wait_for(1) == [{"imp_uid": p["imp_uid"], "merchant_uid": p["merchant_uid"], "status": "paid"}]


def test_a_declined_billing_payment_is_code_0_with_status_failed(site, api, receiver):
    api.post("/subscribe/customers/cust-decline", json=CARD)
    body = again(api, "cust-decline", amount=9901, notice_url=receiver.url)      # ends in 01: insufficient funds
    assert body["code"] == 0 and body["response"]["status"] == "failed"
    assert "잔액" in body["response"]["fail_reason"] and body["response"]["failed_at"] > 0
    assert deliveries(site, body["response"]["imp_uid"]) == []                  # no webhook for a failure


def test_api_billing_key_lifecycle(api):
    saved = api.post("/subscribe/customers/cust-api", data={**CARD, "customer_name": "Kim", "customer_tel": "010"})
    key = saved.json()["response"]
    assert key["customer_uid"] == "cust-api" and key["card_number"].startswith("409202******")
    assert key["pg_id"] == "INIBillTst" and key["inserted"] == key["updated"] > 0 and key["customer_name"] == "Kim"
    assert api.get("/subscribe/customers/cust-api").json()["response"] == key
    deleted = api.delete("/subscribe/customers/cust-api")
    assert deleted.status_code == 200 and deleted.json()["response"]["customer_uid"] == "cust-api"
    for resp in (api.get("/subscribe/customers/cust-api"), api.delete("/subscribe/customers/cust-api")):
        assert resp.status_code == 404 and resp.json()["code"] == -1 and "cust-api" in resp.json()["message"]
    gone = again(api, "cust-api")
    assert gone["code"] == -1 and gone["response"] is None and "cust-api" in gone["message"]


@pytest.mark.parametrize("card, words", [
    ({**CARD, "expiry": "2001-01"}, "카드정보 인증에 실패하였습니다."),
    ({**CARD, "card_number": "1234"}, "카드정보 인증에 실패하였습니다."),
    ({"expiry": "2099-12"}, "card_number"),
])
def test_bad_cards_are_refused_with_code_minus_1_and_nothing_is_kept(api, card, words):
    saved = api.post("/subscribe/customers/cust-bad", json=card)
    assert saved.status_code == 200 and saved.json()["code"] == -1 and words in saved.json()["message"]
    assert api.get("/subscribe/customers/cust-bad").status_code == 404
    once = api.post("/subscribe/payments/onetime", json={**card, "merchant_uid": "m-bad", "amount": 1000}).json()
    assert once["code"] == -1 and words in once["message"]
    assert api.get("/payments/find/m-bad").status_code == 404


def test_onetime_pays_by_card_details_and_may_keep_the_key(api):
    body = api.post("/subscribe/payments/onetime", json={**CARD, "merchant_uid": "m-once", "amount": 5000,
                                                         "name": "Once", "customer_uid": "cust-once",
                                                         "buyer_name": "Lee"}).json()
    p = body["response"]
    assert body["code"] == 0 and p["status"] == "paid" and p["channel"] == "api" and p["amount"] == 5000
    assert p["customer_uid"] == "cust-once" and p["customer_uid_usage"] == "payment"
    assert api.get("/subscribe/customers/cust-once").json()["response"]["customer_name"] == "Lee"
    twice = api.post("/subscribe/payments/onetime", json={**CARD, "merchant_uid": "m-once", "amount": 5000}).json()
    assert twice["code"] == 1 and "m-once" in twice["message"]
    unknown_channel = api.post("/subscribe/payments/onetime", json={**CARD, "merchant_uid": "m-x", "amount": 1,
                                                                    "channel_key": "channel-key-nope"}).json()
    assert unknown_channel["code"] == -1 and api.get("/payments/find/m-x").status_code == 404


def test_billing_needs_a_token(api):
    for resp in (api.post("/subscribe/payments/again", json={}, headers={}),
                 api.get("/subscribe/customers/x", headers={})):
        assert resp.status_code == 401 and resp.json()["message"] == "Unauthorized"


@pytest.mark.parametrize("path, body", [
    ("/subscribe/payments/again", {"customer_uid": {"x": 1}, "merchant_uid": [1], "amount": "lots", "name": {}}),
    ("/subscribe/payments/onetime", {**CARD, "merchant_uid": {"a": 1}, "amount": 1000}),
    ("/subscribe/payments/onetime", {**CARD, "merchant_uid": "m-odd", "amount": 1000, "name": {"a": 1},
                                     "buyer_name": [1], "notice_url": {"u": 1}, "currency": [], "pg": {}}),
    ("/subscribe/customers/cust-odd", {**CARD, "customer_name": {"a": 1}, "customer_id": [2]}),
    ("/subscribe/customers/cust-odd", {"card_number": {"n": 1}, "expiry": ["2099-12"]}),
])
def test_odd_json_values_get_an_answer_not_a_crash(api, path, body):
    resp = api.post(path, json=body)
    assert resp.status_code == 200 and resp.json()["code"] in (0, -1)
    if resp.json()["code"] == 0 and "merchant_uid" in resp.json()["response"]:
        p = resp.json()["response"]
        assert p["name"] is None and p["buyer_name"] is None and p["currency"] == "KRW"
