"""The emulated PortOne hosted window, SDK refusals, callback/redirect shapes, vbank, webhooks, receipt, dashboard."""
import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.drivers.receiver import Receiver
from tests.drivers import portone as drv
from tests.drivers.emulator import deliveries

USER_CANCEL = "[결제포기] 사용자가 결제를 취소하셨습니다"


def order(amount=15000):
    return {"order_id": f"order-{uuid.uuid4().hex[:12]}", "order_name": "Running shoes", "amount": amount,
            "buyer_name": "Hong Gildong", "buyer_email": "buyer@example.com"}


@pytest.fixture
def api(site):
    return drv.Api(site)


@pytest.fixture
def receiver(site):
    r = Receiver(path="/webhooks/portone").allowed_by(site)
    yield r
    r.close()


# --- refusals before the window opens ------------------------------------------------------

@pytest.mark.parametrize("change, words", [
    ({"amount": "15000"}, "amount"),
    ({"amount": 0}, "amount"),
    ({"merchant_uid": None}, "merchant_uid"),
    ({"merchant_uid": "x" * 81}, "80"),
    ({"channelKey": "channel-key-unknown"}, "channel-key-unknown"),
    ({"customer_uid": "cust-1", "pay_method": "trans"}, "customer_uid"),
    ({"name": "n" * 41}, "name"),
    ({"pay_method": "bitcoin"}, "bitcoin"),
    ({"pay_method": "phone"}, "digital"),
    ({"notice_url": 5}, "notice_url"),
])
def test_invalid_params_are_refused_without_a_window(site, api, change, words):
    params = {**drv.request_pay_params(order()), **change}
    params = {k: v for k, v in params.items() if v is not None}
    resp = drv.open_window(site, params)
    assert resp.status_code == 400 and resp.json()["error_code"] == "F400" and words in resp.json()["error_msg"]
    assert "imp_uid" not in resp.json()
    assert api.get("/payments/status/all").json()["response"]["total"] == 0


def test_unknown_merchant_code_is_refused(site):
    resp = drv.open_window(site, drv.request_pay_params(order()), user_code="imp99999999")
    assert resp.status_code == 400 and "imp99999999" in resp.json()["error_msg"]


def test_a_paid_merchant_uid_cannot_be_paid_again(site, api):
    o = order()
    drv.pay(site, o)
    again = drv.pay(site, o)
    assert again["imp_uid"] is None and again["rsp"]["imp_uid"] is None
    assert "merchant_uid" in again["window_error"]["error_msg"] and again["rsp"]["error_code"] == "F400"
    assert api.get(f"/payments/findAll/{o['order_id']}").json()["response"]["total"] == 1


def test_sdk_endpoint_allows_another_origin(site):
    pre = requests.options(site.url + "/emulator/portone/sdk/payments", timeout=10,
                           headers={"Origin": "http://shop.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in pre.headers["Access-Control-Allow-Headers"]


# --- the window and its outcomes -----------------------------------------------------------

def test_window_shows_the_order_and_the_outcome_buttons(site, api):
    opened = drv.open_window(site, drv.request_pay_params(order(15000)))
    imp_uid = opened.json()["imp_uid"]
    assert opened.json()["window_url"] == f"{site.url}/emulator/portone/window/{imp_uid}"
    p = api.payment(imp_uid)
    assert p["status"] == "ready" and p["started_at"] > 0 and p["paid_at"] == 0
    page = requests.get(opened.json()["window_url"] + "?lang=en", timeout=10).text
    for text in ("PG Sandbox", "Running shoes", "KRW 15,000", "Credit card", "Approve the payment",
                 "Decline: insufficient funds", "Decline: card company refused", "Decline: invalid card",
                 "Close the window", "Answer slowly"):
        assert text in page
    assert 'data-target-origin="%s"' % site.url in page


@pytest.mark.parametrize("outcome, words", [
    ("decline_insufficient", "잔액"), ("decline_refused", "거절"), ("decline_invalid_card", "유효하지 않은 카드")])
def test_declines_fail_the_payment_without_a_webhook(site, api, receiver, outcome, words):
    result = drv.pay(site, order(), outcome=outcome, notice_url=receiver.url)
    rsp = result["rsp"]
    assert rsp["imp_uid"] == result["imp_uid"] and rsp["error_code"] and words in rsp["error_msg"]
    assert "success" not in rsp
    p = api.payment(result["imp_uid"])
    assert p["status"] == "failed" and p["failed_at"] > 0 and p["fail_reason"] == rsp["error_msg"]
    assert p["paid_at"] == 0 and p["receipt_url"] is None
    assert deliveries(site, result["imp_uid"]) == []


def test_closing_the_window_is_a_user_cancel_and_leaves_the_payment_ready(site, api):
    result = drv.pay(site, order(), outcome="close", pg="tosspayments")
    assert result["rsp"] == {"imp_uid": result["imp_uid"], "merchant_uid": result["rsp"]["merchant_uid"],
                             "error_code": "F400", "error_msg": USER_CANCEL}
    assert api.payment(result["imp_uid"])["status"] == "ready"
    older_module = drv.pay(site, order(), outcome="close")["rsp"]      # html5_inicis: the listed fields
    assert older_module["error_code"] == "F400" and older_module["status"] == "failed"
    assert older_module["paid_amount"] == 0 and older_module["paid_at"] == "0" and "receipt_url" not in older_module


def test_the_window_decides_once(site):
    result = drv.pay(site, order())
    again = drv.decide(site, result["imp_uid"], "decline_refused")
    assert again.status_code == 409
    assert drv.Api(site).payment(result["imp_uid"])["status"] == "paid"     # the first decision stands
    assert drv.decide(site, "imp_000000000000").status_code == 404
    assert drv.decide(site, result["imp_uid"], "maybe").status_code == 400


def test_slow_answer_still_approves(site, api):
    site.emulator.config["EMULATOR_SLOW_SECONDS"] = 0.2
    result = drv.pay(site, order(), outcome="slow")
    assert "error_code" not in result["rsp"] and api.payment(result["imp_uid"])["status"] == "paid"


@pytest.mark.parametrize("pg", ["tosspayments", "nice_v2", "smartro_v2", "ksnet", "welcome", "paypal_v2"])
def test_current_sdk_rsp_for_new_pg_modules_has_only_the_ids(site, pg):
    assert drv.pay(site, order(), pg=pg)["rsp"].keys() == {"imp_uid", "merchant_uid"}


# What PortOne's response reference (payrt) lists for the other PGs; `success` only with the legacy script.
REFERENCE_RSP = {"imp_uid", "merchant_uid", "pay_method", "paid_amount", "status", "name", "pg_provider", "pg_tid",
                 "buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode", "custom_data", "paid_at",
                 "receipt_url", "apply_num"}


@pytest.mark.parametrize("pg", ["html5_inicis", "kcp", "nice"])
def test_current_sdk_rsp_for_other_pgs_has_the_listed_fields_without_success(site, api, pg):
    result = drv.pay(site, order(15000), pg=pg)
    rsp, p = result["rsp"], api.payment(result["imp_uid"])
    assert set(rsp) == REFERENCE_RSP and "success" not in rsp
    assert rsp["paid_amount"] == 15000 and rsp["status"] == "paid" and rsp["pg_provider"] == pg
    assert rsp["paid_at"] == str(p["paid_at"]) and rsp["apply_num"] == p["apply_num"]


def test_current_sdk_rsp_for_a_virtual_account_has_the_vbank_fields(site, api):
    result = drv.pay(site, order(9000), pay_method="vbank")
    rsp, p = result["rsp"], api.payment(result["imp_uid"])
    assert set(rsp) == REFERENCE_RSP - {"receipt_url", "apply_num"} | {"vbank_num", "vbank_name", "vbank_holder",
                                                                       "vbank_date"}
    assert rsp["status"] == "ready" and rsp["paid_at"] == "0" and rsp["vbank_num"] == p["vbank_num"]
    assert rsp["vbank_date"] == str(p["vbank_date"])


def test_legacy_sdk_rsp_has_the_1_2_0_fields(site, api):
    o = order(15000)
    ok = drv.pay(site, o, sdk="1.2.0")
    rsp, p = ok["rsp"], api.payment(ok["imp_uid"])
    assert set(rsp) == REFERENCE_RSP | {"success"}
    assert rsp["success"] is True and rsp["paid_amount"] == 15000
    assert rsp["status"] == "paid" and rsp["pay_method"] == "card" and rsp["pg_provider"] == "html5_inicis"
    for key in ("pg_tid", "apply_num", "receipt_url", "buyer_name", "custom_data"):
        assert rsp[key] == p[key]
    assert rsp["paid_at"] == str(p["paid_at"])          # the reference types paid_at as a string
    declined = drv.pay(site, order(), sdk="1.2.0", outcome="decline_refused")["rsp"]
    assert declined["success"] is False and declined["status"] == "failed" and declined["paid_amount"] == 0
    refused = drv.pay(site, o, sdk="1.2.0")["rsp"]
    assert refused["success"] is False and refused["imp_uid"] is None


@pytest.mark.parametrize("sdk, outcome, expected", [
    ("1.3.0", "approve", {}),
    ("1.2.0", "approve", {"imp_success": "true"}),
    ("1.3.0", "close", {"error_code": "F400", "error_msg": USER_CANCEL}),
    ("1.2.0", "decline_refused", {"imp_success": "false", "error_code": "F1002"}),
])
def test_m_redirect_url_gets_the_real_query(site, sdk, outcome, expected):
    o = order()
    result = drv.pay(site, o, sdk=sdk, outcome=outcome, m_redirect_url=site.url + "/payments/complete?from=mobile")
    url = urlsplit(result["redirect_url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/payments/complete" and query.pop("from") == "mobile"
    assert query.pop("imp_uid") == result["imp_uid"] and query.pop("merchant_uid") == o["order_id"]
    assert {k: query[k] for k in expected} == expected and set(query) == set(expected) | (
        {"error_msg"} if "error_code" in expected else set())


@pytest.mark.parametrize("method, fields", [
    ("trans", {"bank_code": "088", "bank_name": "신한은행", "card_number": None}),
    ("phone", {"card_number": None, "bank_code": None}),
    ("samsung", {"card_type": 0}),
])
def test_other_pay_methods_are_paid(site, api, method, fields):
    result = drv.pay(site, order(), pay_method=method)
    p = api.payment(result["imp_uid"])
    assert p["status"] == "paid" and p["pay_method"] == method and p["paid_at"] > 0
    assert {k: p[k] for k in fields} == fields


def test_chosen_card_company_is_recorded(site, api):
    opened = drv.open_window(site, drv.request_pay_params(order())).json()
    drv.decide(site, opened["imp_uid"], "approve", card_code="381")
    p = api.payment(opened["imp_uid"])
    assert p["card_code"] == "381" and p["card_name"] == "KB국민카드"


# --- virtual accounts ----------------------------------------------------------------------

def test_vbank_is_issued_ready_then_deposited_paid_with_webhooks(site, api, receiver):
    issued = drv.pay(site, order(15000), pay_method="vbank", notice_url=receiver.url)
    assert "error_code" not in issued["rsp"]
    p = api.payment(issued["imp_uid"])
    assert p["status"] == "ready" and p["vbank_num"] and p["vbank_name"] == "KB국민은행" and p["vbank_code"] == "004"
    assert p["vbank_holder"] and p["vbank_date"] == p["vbank_issued_at"] + 3 * 86400 and p["paid_at"] == 0
    deposit = requests.post(f"{api.base}/payments/{issued['imp_uid']}/deposit", json={}, timeout=10)
    assert deposit.status_code == 200 and deposit.json()["payment"]["status"] == "paid"
    p = api.payment(issued["imp_uid"])
    assert p["status"] == "paid" and p["paid_at"] > 0
    receiver.wait_for(2)
    assert [b["status"] for b in receiver.bodies()] == ["ready", "paid"]
    again = requests.post(f"{api.base}/payments/{issued['imp_uid']}/deposit", json={}, timeout=10)
    assert again.status_code == 409


def test_vbank_due_sets_the_deadline_in_korean_time(site, api):
    params = drv.request_pay_params(order(), pay_method="vbank")
    params["vbank_due"] = "2030-01-31"
    opened = drv.open_window(site, params).json()
    drv.decide(site, opened["imp_uid"])
    assert api.payment(opened["imp_uid"])["vbank_date"] == 1896101999      # 2030-01-31 23:59:59 KST


# --- webhooks ------------------------------------------------------------------------------

def test_paid_webhook_goes_to_notice_url_as_json(site, receiver):
    result = drv.pay(site, order(), notice_url=receiver.url)
    receiver.wait_for(1)
    [(_, ctype, body)] = receiver.hits
    assert ctype == "application/json"
    assert json.loads(body) == {"imp_uid": result["imp_uid"], "merchant_uid": result["rsp"]["merchant_uid"],
                                "status": "paid"}


def test_webhook_as_form_to_every_notice_url(site):
    site.emulator.config["EMULATOR_PORTONE_WEBHOOK_FORMAT"] = "form"
    one, two = Receiver().allowed_by(site), Receiver().allowed_by(site)
    try:
        result = drv.pay(site, order(), notice_url=[one.url, two.url])
        for r in (one, two):
            r.wait_for(1)
            assert r.hits[0][1] == "application/x-www-form-urlencoded"
            assert r.bodies() == [{"imp_uid": result["imp_uid"], "merchant_uid": result["rsp"]["merchant_uid"],
                                   "status": "paid"}]
    finally:
        one.server.shutdown()
        two.server.shutdown()


def test_console_url_is_used_without_notice_url_and_nothing_is_sent_without_any(site, receiver):
    silent = drv.pay(site, order())
    assert deliveries(site, silent["imp_uid"]) == []
    site.emulator.config["EMULATOR_PORTONE_WEBHOOK_URL"] = receiver.url
    result = drv.pay(site, order())
    assert receiver.wait_for(1) and receiver.bodies()[0]["imp_uid"] == result["imp_uid"]


def test_failed_webhook_is_retried_five_times_a_minute_apart(site):
    site.emulator.config["EMULATOR_WEBHOOK_TIME_SCALE"] = 0.05     # seconds per documented minute
    down = Receiver(fail_first=99).allowed_by(site)
    flaky = Receiver(fail_first=2).allowed_by(site)
    try:
        gone = drv.pay(site, order(), notice_url=down.url)
        back = drv.pay(site, order(), notice_url=flaky.url)
        assert len(down.wait_for(6)) == 6 and len(flaky.wait_for(3)) == 3
        deadline = time.time() + 5
        while time.time() < deadline and {d["status"] for d in deliveries(site, gone["imp_uid"])} != {"failed"}:
            time.sleep(0.05)
        [failed] = deliveries(site, gone["imp_uid"])
        assert failed["status"] == "failed" and failed["attempts"] == 6 and json.loads(failed["schedule"]) == [1] * 5
        [ok] = deliveries(site, back["imp_uid"])
        assert ok["status"] == "delivered" and ok["attempts"] == 3
    finally:
        down.server.shutdown()
        flaky.server.shutdown()


def test_cancel_webhook_carries_the_cancellation_id(site, api, receiver):
    result = drv.pay(site, order(15000), notice_url=receiver.url)
    partial = api.post("/payments/cancel", json={"imp_uid": result["imp_uid"], "amount": 5000}).json()["response"]
    full = api.post("/payments/cancel", json={"imp_uid": result["imp_uid"]}).json()["response"]
    receiver.wait_for(3)
    bodies = receiver.bodies()
    assert [b["status"] for b in bodies] == ["paid", "paid", "cancelled"]
    assert [b.get("cancellation_id") for b in bodies[1:]] == [c["cancellation_id"] for c in full["cancel_history"]]
    assert partial["cancel_history"][0]["cancellation_id"] == bodies[1]["cancellation_id"]


# --- receipt and dashboard -----------------------------------------------------------------

def test_receipt_page_is_a_card_slip(site, api):
    result = drv.pay(site, order(15000))
    api.post("/payments/cancel", json={"imp_uid": result["imp_uid"], "amount": 5000, "reason": "one size smaller"})
    p = api.payment(result["imp_uid"])
    assert p["receipt_url"] == f"{api.base}/slips/{result['imp_uid']}"
    page = requests.get(p["receipt_url"] + "?lang=en", timeout=10)
    assert page.status_code == 200
    for text in ("Card slip", p["card_name"], p["card_number"], p["apply_num"], p["pg_tid"], "KRW 15,000",
                 "Lump sum", "one size smaller", "-KRW 5,000", "Running shoes"):
        assert text in page.text
    unpaid = drv.pay(site, order(), outcome="close")
    assert requests.get(f"{api.base}/slips/{unpaid['imp_uid']}", timeout=10).status_code == 404


def test_dashboard_lists_payments_with_deposit_and_console_cancel(site, api, receiver):
    vbank = drv.pay(site, order(9000), pay_method="vbank", notice_url=receiver.url)
    card = drv.pay(site, order(15000), notice_url=receiver.url)
    page = site.get("/emulator/?lang=en").text
    assert "PortOne payments" in page and vbank["imp_uid"] in page and card["imp_uid"] in page
    assert f"/emulator/portone/payments/{vbank['imp_uid']}/deposit" in page and "Deposit now" in page
    assert f"/emulator/portone/payments/{card['imp_uid']}/console-cancel" in page
    assert page.index(card["imp_uid"]) < page.index(vbank["imp_uid"])          # newest first
    form = requests.post(f"{api.base}/payments/{card['imp_uid']}/console-cancel", timeout=10,
                         allow_redirects=False)
    assert form.status_code == 302 and form.headers["Location"].endswith("/emulator/")
    p = api.payment(card["imp_uid"])
    assert p["status"] == "cancelled" and p["cancel_amount"] == 15000
    receiver.wait_for(3)
    cancelled = [b for b in receiver.bodies() if b["imp_uid"] == card["imp_uid"]][-1]
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_id"] == p["cancel_history"][0][
        "cancellation_id"]
    page = site.get("/emulator/?lang=en").text
    assert "console_cancel" in page and "vbank_issued" in page
