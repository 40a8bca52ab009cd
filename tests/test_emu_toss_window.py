"""The emulated Toss browser side over HTTP: widget script, SDK payment creation, hosted window, dashboard."""
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.drivers import toss
from tests.drivers.toss import API_CLIENT_KEY, WIDGET_SECRET, api, confirm


def make_order(amount=15000):
    return {"order_id": "ord_" + secrets.token_hex(6), "amount": amount, "order_name": "Running shoes",
            "customer_key": "cust_" + secrets.token_hex(4), "buyer_name": "김토스", "buyer_email": "kim@example.com"}


@pytest.mark.parametrize("path, global_", [("/v1/payment-widget", "window.PaymentWidget = PaymentWidget"),
                                            ("/v2/standard", "window.TossPayments = TossPayments")])
def test_sdk_scripts_define_the_global_and_carry_the_emulator_address_of_the_request(site, path, global_):
    resp = requests.get(site.url + "/emulator/toss" + path, headers={"Accept-Language": "en"}, timeout=10)
    assert resp.status_code == 200 and "javascript" in resp.headers["Content-Type"]
    js = resp.text
    assert global_ in js and 'ANONYMOUS = "@@ANONYMOUS"' in js
    assert js.rstrip().endswith(f'"{site.url}/emulator/toss");')      # BASE: where this request went
    assert "currentScript" not in js and "/sdk/payments" in js
    assert "Bank transfer" in js and "NEED_AGREEMENT_WITH_REQUIRED_TERMS" in js   # strings come from the server


def test_sdk_payment_is_created_ready_with_the_widget_amount(site):
    order = make_order()
    started = toss.start(site, order, amount=12000)
    assert started["status"] == 200
    assert started["window_url"] == f"{site.url}/emulator/toss/window/{started['paymentKey']}"
    p = api(site, "GET", f"/v1/payments/{started['paymentKey']}").json()
    assert p["status"] == "READY" and p["totalAmount"] == 12000 and p["method"] is None
    assert p["orderId"] == order["order_id"] and p["mId"] == "tgen_docs"


@pytest.mark.parametrize("over, code", [
    ({"clientKey": API_CLIENT_KEY}, "NOT_SUPPORTED_API_INDIVIDUAL_KEY"),
    ({"clientKey": WIDGET_SECRET}, "INSECURE_KEY_USAGE"),
    ({"clientKey": "nonsense"}, "INVALID_CLIENT_KEY"),
    ({"customerKey": "a"}, "INVALID_CUSTOMER_KEY"),
    ({"customerKey": "kim@example.com!"}, "INVALID_CUSTOMER_KEY"),
    ({"orderId": "abc12"}, "INVALID_PARAMETERS"),
    ({"orderId": "주문-000001"}, "INVALID_PARAMETERS"),
    ({"orderName": ""}, "INVALID_PARAMETERS"),
    ({"amount": 0}, "BELOW_ZERO_AMOUNT"),
    ({"amount": 10.5}, "INVALID_AMOUNT_VALUE"),
    ({"amount": "15000"}, "INVALID_AMOUNT_VALUE"),
    ({"successUrl": "/success"}, "INCORRECT_SUCCESS_URL_FORMAT"),
    ({"failUrl": "fail"}, "INCORRECT_FAIL_URL_FORMAT"),
    ({"method": "비트코인"}, "NOT_SELECTED_PAYMENT_METHOD"),
])
def test_sdk_refuses_bad_parameters_with_the_sdk_codes(site, over, code):
    refused = toss.start(site, make_order(), **over)
    assert (refused["status"], refused["code"]) == (400, code)
    assert refused["message"]


def test_anonymous_customer_and_amount_object_are_accepted(site):
    started = toss.start(site, make_order(), customerKey="@@ANONYMOUS", amount={"value": 5000})
    assert started["status"] == 200
    assert api(site, "GET", f"/v1/payments/{started['paymentKey']}").json()["totalAmount"] == 5000


def test_sdk_endpoint_answers_cors_preflight_for_a_shop_on_another_origin(site):
    resp = requests.options(site.url + "/emulator/toss/sdk/payments", timeout=10, headers={
        "Origin": "http://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert resp.status_code == 204 and resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in resp.headers["Access-Control-Allow-Headers"]


def test_window_shows_merchant_order_amount_method_and_outcomes(site):
    order = make_order(89000)
    started = toss.start(site, order, method="가상계좌")
    page = requests.get(started["window_url"], headers={"Accept-Language": "en"}, timeout=10)
    assert page.status_code == 200
    text = page.text
    for expected in ("tgen_docs", site.url, "Running shoes", "89,000", "가상계좌", "Approve",
                     "Decline: insufficient funds", "Decline: card company refused", "Decline: invalid card",
                     "Close the window", "Answer slowly"):
        assert expected in text, expected
    assert "<script>" not in text and "style=" not in text and "onclick" not in text   # strict CSP


def test_approve_redirects_to_success_url_with_the_real_query(site):
    order = make_order()
    result = toss.pay(site, order)
    url = urlsplit(result["redirect_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == site.url + "/success"
    assert parse_qs(url.query) == {"paymentType": ["NORMAL"], "orderId": [order["order_id"]],
                                   "paymentKey": [result["paymentKey"]], "amount": ["15000"]}
    assert result["rejection"] is None
    p = api(site, "GET", f"/v1/payments/{result['paymentKey']}").json()
    assert p["status"] == "IN_PROGRESS" and p["method"] == "카드"


@pytest.mark.parametrize("outcome, code, message", [
    ("decline_insufficient", "REJECT_CARD_PAYMENT", "한도초과 혹은 잔액부족으로 결제에 실패했습니다."),
    ("decline_refused", "REJECT_CARD_COMPANY", "결제 승인이 거절되었습니다."),
    ("decline_invalid_card", "INVALID_CARD_NUMBER", "카드번호를 다시 확인해주세요."),
])
def test_declines_redirect_to_fail_url_and_abort_the_payment(site, outcome, code, message):
    order = make_order()
    result = toss.pay(site, order, outcome=outcome)
    url = urlsplit(result["redirect_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == site.url + "/fail"
    assert parse_qs(url.query) == {"code": [code], "message": [message], "orderId": [order["order_id"]]}
    p = api(site, "GET", f"/v1/payments/{result['paymentKey']}").json()
    assert p["status"] == "ABORTED" and p["failure"] == {"code": code, "message": message}
    assert toss.start(site, order)["status"] == 200        # the buyer may try again with the same orderId


def test_close_rejects_with_user_cancel_and_leaves_the_payment_ready(site):
    result = toss.pay(site, make_order(), outcome="close")
    assert result["redirect_url"] is None
    assert result["rejection"]["code"] == "USER_CANCEL" and result["rejection"]["message"]
    assert api(site, "GET", f"/v1/payments/{result['paymentKey']}").json()["status"] == "READY"


def test_slow_answer_still_approves(site):
    site.emulator.config["EMULATOR_SLOW_SECONDS"] = 0.2
    result = toss.pay(site, make_order(), outcome="slow")
    assert "/success?" in result["redirect_url"]
    assert api(site, "GET", f"/v1/payments/{result['paymentKey']}").json()["status"] == "IN_PROGRESS"


def test_a_window_decides_once(site):
    result = toss.pay(site, make_order())
    again = site.http.post(f"{site.url}/emulator/toss/window/{result['paymentKey']}/decide",
                           json={"outcome": "decline_refused"}, timeout=10)
    assert (again.status_code, again.json()["code"]) == (400, "ALREADY_PROCESSED_PAYMENT")
    page = requests.get(f"{site.url}/emulator/toss/window/{result['paymentKey']}", timeout=10).text
    assert 'data-outcome="approve"' not in page and "IN_PROGRESS" in page


def test_promise_mode_without_urls_resolves_with_the_payment(site):
    order = make_order()
    started = toss.start(site, order, successUrl=None, failUrl=None)
    assert started["status"] == 200
    answer = toss.decide(site, started["paymentKey"], "approve")
    assert answer["result"] == {"paymentType": "NORMAL", "paymentKey": started["paymentKey"],
                                "orderId": order["order_id"], "amount": 15000}
    assert "redirect_url" not in answer


def test_dashboard_lists_payments_and_deposits_a_virtual_account(site):
    order = make_order(20000)
    key = toss.approved(site, order, method="가상계좌")
    assert confirm(site, key, order).json()["status"] == "WAITING_FOR_DEPOSIT"
    card = make_order()
    toss.pay(site, card, outcome="decline_refused")
    page = requests.get(site.url + "/emulator/?lang=en", timeout=10).text
    assert key in page and order["order_id"] in page and "WAITING_FOR_DEPOSIT" in page and "20,000" in page
    assert card["order_id"] in page and "REJECT_CARD_COMPANY" in page
    assert page.index(card["order_id"]) < page.index(order["order_id"])           # newest first
    assert "Deposit now" in page
    form = requests.post(f"{site.url}/emulator/toss/payments/{key}/deposit", allow_redirects=False, timeout=10)
    assert form.status_code == 302
    assert api(site, "GET", f"/v1/payments/{key}").json()["status"] == "DONE"
    again = requests.post(f"{site.url}/emulator/toss/payments/{key}/deposit", json={}, timeout=10)
    assert again.status_code == 400
