"""The emulated Toss REST API over real HTTP: auth, confirm, lookups, cancel, timers, idempotency, Test-Code."""
import base64
import json
import re
import secrets

import pytest
import requests

from tests.drivers import toss
from tests.drivers.toss import API_SECRET, WIDGET_SECRET, api, approved, confirm

PAYMENT_KEYS = {
    "mId", "lastTransactionKey", "paymentKey", "orderId", "orderName", "taxExemptionAmount", "status",
    "requestedAt", "approvedAt", "useEscrow", "cultureExpense", "card", "virtualAccount", "transfer",
    "mobilePhone", "giftCertificate", "cashReceipt", "cashReceipts", "discount", "cancels", "secret", "type",
    "easyPay", "country", "failure", "isPartialCancelable", "receipt",
    "checkout", "currency", "totalAmount", "balanceAmount", "suppliedAmount", "vat", "taxFreeAmount", "metadata",
    "method", "transactionKey", "version"}
KST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")


def make_order(amount=15000, name="Running shoes"):
    return {"order_id": "ord_" + secrets.token_hex(6), "amount": amount, "order_name": name,
            "customer_key": "cust_" + secrets.token_hex(4), "buyer_name": "김토스", "buyer_email": "kim@example.com"}


def err(resp):
    return resp.status_code, resp.json()["code"]


# ---- auth ----------------------------------------------------------------------------------------

def raw_auth(site, value):
    headers = {"Authorization": value} if value is not None else {}
    return requests.get(site.url + "/emulator/toss/v1/payments/nope", headers=headers, timeout=10)


@pytest.mark.parametrize("header, status, code", [
    (None, 401, "UNAUTHORIZED_KEY"),                                                   # no header
    ("Bearer " + WIDGET_SECRET, 401, "UNAUTHORIZED_KEY"),                              # not Basic
    ("Basic %%%not-base64%%%", 401, "UNAUTHORIZED_KEY"),                               # garbled
    ("Basic " + base64.b64encode(WIDGET_SECRET.encode()).decode(), 403, "INCORRECT_BASIC_AUTH_FORMAT"),  # no ':'
    (toss.basic("test_gsk_someone_elses_key_0000"), 401, "UNAUTHORIZED_KEY"),         # unknown key
    (toss.basic(toss.CLIENT_KEY), 400, "INVALID_API_KEY"),                             # client key as secret
])
def test_auth_errors_use_the_real_codes(site, header, status, code):
    resp = raw_auth(site, header)
    assert err(resp) == (status, code)
    assert resp.json()["message"]


def test_base64_without_padding_is_accepted_and_unknown_payment_is_404(site):
    token = base64.b64encode((WIDGET_SECRET + ":").encode()).decode().rstrip("=")
    resp = raw_auth(site, "Basic " + token)
    assert err(resp) == (404, "NOT_FOUND_PAYMENT")
    assert resp.json()["message"] == "존재하지 않는 결제 정보 입니다."


# ---- confirm -------------------------------------------------------------------------------------

def test_confirm_returns_the_whole_payment_object(site):
    order = make_order()
    key = approved(site, order)
    resp = confirm(site, key, order, amount=str(order["amount"]))   # the samples send the query string as is
    assert resp.status_code == 200, resp.text
    p = resp.json()
    assert set(p) == PAYMENT_KEYS
    assert p["status"] == "DONE" and p["method"] == "카드" and p["type"] == "NORMAL"
    assert p["orderId"] == order["order_id"] and p["orderName"] == "Running shoes"
    assert p["totalAmount"] == p["balanceAmount"] == 15000
    assert (p["suppliedAmount"], p["vat"]) == (13636, 1364)
    assert p["mId"] == "tgen_docs" and p["version"] == "2022-11-16" and p["currency"] == "KRW"
    assert re.fullmatch(r"tgen_\d{14}[A-Za-z0-9]{5}", p["paymentKey"])
    assert re.fullmatch(r"ps_[A-Za-z0-9]{28}", p["secret"])
    assert re.fullmatch(r"txrd_[a-z0-9]{26}", p["lastTransactionKey"])
    assert KST.match(p["requestedAt"]) and KST.match(p["approvedAt"])
    assert re.fullmatch(r"\d{8}\*{4}\d{3}\*", p["card"]["number"]) and p["card"]["approveNo"] == "00000000"
    assert p["virtualAccount"] is None and p["cancels"] is None and p["failure"] is None
    receipt = requests.get(p["receipt"]["url"], timeout=10)
    assert receipt.status_code == 200 and "Running shoes" in receipt.text and "15,000" in receipt.text
    # the payment as the lookups see it
    again = api(site, "GET", f"/v1/payments/{key}").json()
    assert again == p
    assert api(site, "GET", f"/v1/payments/orders/{order['order_id']}").json()["paymentKey"] == key


def test_confirming_twice_gives_already_processed(site):
    order = make_order()
    key = approved(site, order)
    assert confirm(site, key, order).status_code == 200
    resp = confirm(site, key, order)
    assert err(resp) == (400, "ALREADY_PROCESSED_PAYMENT")
    assert resp.json()["message"] == "이미 처리된 결제 입니다."


def test_orderid_or_amount_other_than_authenticated_is_refused(site):
    order = make_order()
    key = approved(site, order)
    wrong_order = dict(order, order_id="ord_someone_else")
    assert err(confirm(site, key, wrong_order)) == (404, "NOT_FOUND_PAYMENT_SESSION")
    assert err(confirm(site, key, order, amount=1000)) == (400, "INVALID_REQUEST")
    # still confirmable with the true values
    assert api(site, "GET", f"/v1/payments/{key}").json()["status"] == "IN_PROGRESS"
    assert confirm(site, key, order).json()["status"] == "DONE"


def test_tampered_browser_amount_is_what_the_server_checks(site):
    order = make_order(15000)
    key = approved(site, order, amount=100)       # the browser set 100 won in the widget
    assert err(confirm(site, key, order)) == (400, "INVALID_REQUEST")
    assert api(site, "GET", f"/v1/payments/{key}").json()["totalAmount"] == 100


@pytest.mark.parametrize("body", [
    {"orderId": "ord_000001", "amount": 1000},
    {"paymentKey": "tgen_x", "amount": 1000},
    {"paymentKey": "tgen_x", "orderId": "ord_000001"},
    {"paymentKey": "tgen_x", "orderId": "ord_000001", "amount": 0},
    {"paymentKey": "tgen_x", "orderId": "ord_000001", "amount": "12a"},
])
def test_confirm_with_missing_or_bad_fields_is_invalid_request(site, body):
    assert err(api(site, "POST", "/v1/payments/confirm", body)) == (400, "INVALID_REQUEST")


def test_confirm_of_unknown_payment_and_of_unauthenticated_payment(site):
    order = make_order()
    assert err(confirm(site, "tgen_20250101000000abcde", order)) == (404, "NOT_FOUND_PAYMENT")
    started = toss.start(site, order)
    assert err(confirm(site, started["paymentKey"], order)) == (400, "UNAPPROVED_ORDER_ID")


def test_confirm_with_the_other_key_pair_is_invalid_api_key(site):
    order = make_order()
    key = approved(site, order)
    assert err(confirm(site, key, order, secret=API_SECRET)) == (400, "INVALID_API_KEY")
    assert err(api(site, "GET", f"/v1/payments/{key}", secret=API_SECRET)) == (404, "NOT_FOUND_PAYMENT")
    assert confirm(site, key, order).status_code == 200


@pytest.mark.parametrize("amount, status, code", [
    (10001, 403, "REJECT_CARD_PAYMENT"),
    (10002, 403, "REJECT_CARD_COMPANY"),
    (10003, 400, "INVALID_STOPPED_CARD"),
    (10004, 400, "PROVIDER_ERROR"),
    (10005, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING"),
])
def test_amounts_ending_in_01_to_05_are_declined_at_confirm(site, amount, status, code):
    order = make_order(amount)
    key = approved(site, order)
    resp = confirm(site, key, order)
    assert err(resp) == (status, code)
    p = api(site, "GET", f"/v1/payments/{key}").json()
    assert p["status"] == "ABORTED" and p["failure"] == {"code": code, "message": resp.json()["message"]}
    assert p["approvedAt"] is None
    assert err(confirm(site, key, order)) == (400, "ALREADY_PROCESSED_PAYMENT")


def test_other_methods_carry_their_objects(site):
    for method, field in (("계좌이체", "transfer"), ("휴대폰", "mobilePhone"), ("간편결제", "easyPay")):
        order = make_order()
        p = confirm(site, approved(site, order, method=method), order).json()
        assert p["status"] == "DONE" and p["method"] == method and p[field] is not None, p
    assert p["easyPay"] == {"provider": "토스페이", "amount": 0, "discountAmount": 0}
    assert "easyPayAmount" not in p and "easyPayDiscountAmount" not in p    # only under easyPay (issue #14)


# ---- timers --------------------------------------------------------------------------------------

def test_confirm_within_ten_minutes_works(site):
    order = make_order()
    key = approved(site, order)
    site.advance_clock(9 * 60)
    assert confirm(site, key, order).json()["status"] == "DONE"


def test_confirm_after_ten_minutes_finds_no_session_and_payment_expires(site):
    order = make_order()
    key = approved(site, order)
    site.advance_clock(10 * 60 + 1)
    resp = confirm(site, key, order)
    assert err(resp) == (404, "NOT_FOUND_PAYMENT_SESSION")
    assert resp.json()["message"] == "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다."
    p = api(site, "GET", f"/v1/payments/{key}").json()
    assert p["status"] == "EXPIRED" and p["failure"]["code"] == "EXPIRED_PAYMENT"


def test_unauthenticated_window_expires_after_thirty_minutes(site):
    order = make_order()
    key = toss.start(site, order)["paymentKey"]
    site.advance_clock(29 * 60)
    assert api(site, "GET", f"/v1/payments/{key}").json()["status"] == "READY"
    site.advance_clock(60 + 1)
    p = api(site, "GET", f"/v1/payments/{key}").json()
    assert p["status"] == "EXPIRED" and p["method"] is None
    late = site.http.post(f"{site.url}/emulator/toss/window/{key}/decide", json={"outcome": "approve"}, timeout=10)
    assert (late.status_code, late.json()["code"]) == (404, "NOT_FOUND_PAYMENT_SESSION")


# ---- cancel --------------------------------------------------------------------------------------

def paid(site, amount=15000, method="카드"):
    order = make_order(amount)
    key = approved(site, order, method=method)
    assert confirm(site, key, order).status_code == 200
    return key, order


def cancel(site, key, **body):
    body.setdefault("cancelReason", "고객 변심")
    return api(site, "POST", f"/v1/payments/{key}/cancel", body)


def test_partial_then_full_cancel_arithmetic(site):
    key, _ = paid(site, 33000)
    p = cancel(site, key, cancelAmount=3000, cancelReason="쿠폰 소급 적용").json()
    assert p["status"] == "PARTIAL_CANCELED"
    assert (p["totalAmount"], p["balanceAmount"], p["suppliedAmount"], p["vat"]) == (33000, 30000, 27273, 2727)
    [c] = p["cancels"]
    assert c["cancelAmount"] == 3000 and c["refundableAmount"] == 30000 and c["cancelStatus"] == "DONE"
    assert c["cancelReason"] == "쿠폰 소급 적용" and KST.match(c["canceledAt"])
    assert p["lastTransactionKey"] == c["transactionKey"]
    p = cancel(site, key).json()                                     # the rest
    assert p["status"] == "CANCELED" and (p["balanceAmount"], p["suppliedAmount"], p["vat"]) == (0, 0, 0)
    assert [c["cancelAmount"] for c in p["cancels"]] == [3000, 30000]
    assert err(cancel(site, key)) == (400, "ALREADY_CANCELED_PAYMENT")


def test_cancel_refusals(site):
    key, _ = paid(site, 15000)
    assert err(api(site, "POST", f"/v1/payments/{key}/cancel", {})) == (400, "INVALID_REQUEST")   # no reason
    assert err(cancel(site, key, cancelAmount=15001)) == (403, "NOT_CANCELABLE_AMOUNT")
    assert err(cancel(site, key, cancelAmount=1000, refundableAmount=14000)) == (400, "NOT_MATCHES_REFUNDABLE_AMOUNT")
    assert err(cancel(site, "tgen_20250101000000abcde")) == (404, "NOT_FOUND_PAYMENT")
    assert api(site, "GET", f"/v1/payments/{key}").json()["balanceAmount"] == 15000   # nothing was cancelled
    order = make_order()
    unconfirmed = approved(site, order)
    assert err(cancel(site, unconfirmed)) == (403, "NOT_CANCELABLE_PAYMENT")


def test_virtual_account_issue_deposit_and_refund(site):
    order = make_order(20000)
    key = approved(site, order, method="가상계좌")
    p = confirm(site, key, order).json()
    assert p["status"] == "WAITING_FOR_DEPOSIT" and p["method"] == "가상계좌" and p["approvedAt"] is None
    va = p["virtualAccount"]
    assert va["accountNumber"].startswith("X") and va["bankCode"] == "20" and KST.match(va["dueDate"])
    assert va["customerName"] == "김토스" and va["refundStatus"] == "NONE" and va["expired"] is False
    assert err(cancel(site, key, cancelAmount=5000)) == (403, "NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT")
    deposit = site.http.post(f"{site.url}/emulator/toss/payments/{key}/deposit", json={}, timeout=10)
    assert deposit.status_code == 200 and deposit.json()["status"] == "DONE"
    p = api(site, "GET", f"/v1/payments/{key}").json()
    assert p["status"] == "DONE" and KST.match(p["approvedAt"])
    assert err(cancel(site, key)) == (400, "INVALID_REQUEST")                      # deposited: account needed
    bad = {"bank": "20", "accountNumber": "12-34", "holderName": "김토스"}
    assert err(cancel(site, key, refundReceiveAccount=bad)) == (400, "INVALID_REFUND_ACCOUNT_NUMBER")
    assert err(cancel(site, key, refundReceiveAccount=dict(bad, bank="없는은행", accountNumber="1234567890"))) \
        == (400, "INVALID_BANK")
    good = {"bank": "신한", "accountNumber": "110123456789", "holderName": "김토스"}
    p = cancel(site, key, refundReceiveAccount=good).json()
    assert p["status"] == "CANCELED" and p["balanceAmount"] == 0
    assert p["virtualAccount"]["refundReceiveAccount"] == {"bankCode": "88", "accountNumber": "110123456789",
                                                           "holderName": "김토스"}


def test_virtual_account_cancelled_before_deposit_needs_no_account(site):
    order = make_order(20000)
    key = approved(site, order, method="가상계좌")
    confirm(site, key, order)
    p = cancel(site, key).json()
    assert p["status"] == "CANCELED" and p["virtualAccount"]["refundReceiveAccount"] is None


# ---- idempotency and Test-Code -------------------------------------------------------------------

def test_idempotency_key_replays_the_first_response(site):
    key, _ = paid(site, 15000)
    h = {"Idempotency-Key": "cancel-" + key}
    first = api(site, "POST", f"/v1/payments/{key}/cancel", {"cancelReason": "a", "cancelAmount": 1000}, headers=h)
    # same key, different body: the first answer, and nothing more cancelled
    again = api(site, "POST", f"/v1/payments/{key}/cancel", {"cancelReason": "b", "cancelAmount": 2000}, headers=h)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert api(site, "GET", f"/v1/payments/{key}").json()["balanceAmount"] == 14000
    # a different key is a new request
    other = api(site, "POST", f"/v1/payments/{key}/cancel", {"cancelReason": "c", "cancelAmount": 2000},
                headers={"Idempotency-Key": "another"})
    assert other.json()["balanceAmount"] == 12000


def test_idempotent_confirm_survives_a_refresh(site):
    order = make_order()
    key = approved(site, order)
    h = {"Idempotency-Key": "confirm-" + order["order_id"]}
    first = confirm(site, key, order, headers=h)
    second = confirm(site, key, order, headers=h)
    assert second.status_code == 200 and second.json() == first.json()
    assert err(confirm(site, key, order)) == (400, "ALREADY_PROCESSED_PAYMENT")   # without the key


def test_idempotency_key_errors(site):
    order = make_order()
    key = approved(site, order)
    assert err(confirm(site, key, order, headers={"Idempotency-Key": "k" * 301})) == (400, "INVALID_IDEMPOTENCY_KEY")
    from emulator.toss import store
    with site.emulator.test_request_context():
        assert store.idempotency_begin("held", WIDGET_SECRET, "/toss/v1/payments/confirm", "POST")[0] == "new"
    held = confirm(site, key, order, headers={"Idempotency-Key": "held"})
    assert err(held) == (409, "IDEMPOTENT_REQUEST_PROCESSING")
    assert api(site, "GET", f"/v1/payments/{key}").json()["status"] == "IN_PROGRESS"   # nothing ran
    # the same key with another API key, or on a GET, is not the held request
    assert err(confirm(site, key, order, secret=API_SECRET, headers={"Idempotency-Key": "held"})) \
        == (400, "INVALID_API_KEY")
    assert api(site, "GET", f"/v1/payments/{key}", headers={"Idempotency-Key": "held"}).status_code == 200


@pytest.mark.parametrize("code, status, message", [
    ("REJECT_CARD_COMPANY", 403, "결제 승인이 거절되었습니다."),
    ("INVALID_CARD_EXPIRATION", 400, "카드 정보를 다시 확인해주세요 (유효기간)."),
    ("FAILED_INTERNAL_SYSTEM_PROCESSING", 500, "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요."),
])
def test_test_code_header_answers_that_error_before_validation(site, code, status, message):
    resp = api(site, "POST", "/v1/payments/confirm", {"paymentKey": "not-a-payment"},
               headers={"TossPayments-Test-Code": code})
    assert (resp.status_code, resp.json()) == (status, {"code": code, "message": message})


def test_test_code_does_not_touch_the_payment(site):
    order = make_order()
    key = approved(site, order)
    assert err(confirm(site, key, order, headers={"TossPayments-Test-Code": "REJECT_CARD_PAYMENT"})) \
        == (403, "REJECT_CARD_PAYMENT")
    assert confirm(site, key, order).json()["status"] == "DONE"


# ---- POST /v1/payments (API-created checkout) ----------------------------------------------------

def create(site, **over):
    body = {"method": "CARD", "amount": 15000, "orderId": "ord_" + secrets.token_hex(6), "orderName": "Rain jacket",
            "successUrl": site.url + "/success", "failUrl": site.url + "/fail", "customerName": "김토스"}
    body.update(over)
    return api(site, "POST", "/v1/payments", body, secret=API_SECRET)


def test_api_created_checkout_opens_the_hosted_window_and_confirms(site):
    resp = create(site)
    assert resp.status_code == 200, resp.text
    p = resp.json()
    assert set(p) == PAYMENT_KEYS and p["status"] == "READY" and p["method"] is None
    assert p["mId"] == "tvivarepublica" and p["paymentKey"].startswith("tviva")
    url = p["checkout"]["url"]
    assert url.endswith(f"/emulator/toss/v1/payments/{p['paymentKey']}/checkout")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "Rain jacket" in page.text and "15,000" in page.text
    assert 'data-outcome="approve"' in page.text
    answer = toss.decide(site, p["paymentKey"], "approve")
    assert answer["redirect_url"] == (f"{site.url}/success?paymentType=NORMAL&orderId={p['orderId']}"
                                      f"&paymentKey={p['paymentKey']}&amount=15000")
    order = {"order_id": p["orderId"], "amount": 15000}
    assert err(confirm(site, p["paymentKey"], order)) == (400, "INVALID_API_KEY")   # widget key, API payment
    done = confirm(site, p["paymentKey"], order, secret=API_SECRET).json()
    assert done["status"] == "DONE" and done["method"] == "카드"


def test_api_created_checkout_closed_goes_to_fail_url(site):
    p = create(site).json()
    answer = toss.decide(site, p["paymentKey"], "close")
    assert answer["redirect_url"].startswith(site.url + "/fail?code=PAY_PROCESS_CANCELED&message=")
    assert api(site, "GET", f"/v1/payments/{p['paymentKey']}", secret=API_SECRET).json()["status"] == "READY"


@pytest.mark.parametrize("over, status, code", [
    ({"orderId": "abc"}, 400, "INVALID_REQUEST"),
    ({"orderId": "has space 1"}, 400, "INVALID_REQUEST"),
    ({"orderName": ""}, 400, "INVALID_REQUEST"),
    ({"method": "BITCOIN"}, 400, "INVALID_REQUEST"),
    ({"amount": -5}, 400, "INVALID_REQUEST"),
    ({"successUrl": "/success"}, 400, "INVALID_REQUEST"),
    ({"amount": 99}, 400, "BELOW_MINIMUM_AMOUNT"),
    ({"amount": 150, "method": "VIRTUAL_ACCOUNT"}, 400, "BELOW_MINIMUM_AMOUNT"),
])
def test_api_created_checkout_refusals(site, over, status, code):
    assert err(create(site, **over)) == (status, code)


def test_an_order_id_already_paid_cannot_be_paid_again(site):
    key, order = paid(site)
    again = toss.start(site, order)
    assert (again["status"], again["code"]) == (400, "DUPLICATED_ORDER_ID")


# ---- code written for the real API works with only the base URL changed --------------------------

def test_code_shaped_like_the_official_django_sample_confirms(site):
    """The success view of tosspayments-sample (django-javascript), reduced to plain requests: read the
    redirect's query, POST it to /v1/payments/confirm with Basic base64(secretKey + ':')."""
    order = make_order()
    redirect = toss.pay(site, order)["redirect_url"]
    query = dict(p.split("=", 1) for p in redirect.split("?", 1)[1].split("&"))

    base_url = site.url + "/emulator/toss"        # the only change: https://api.tosspayments.com
    secret_key = "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6"
    encoded = base64.b64encode((secret_key + ":").encode("utf-8")).decode("utf-8")
    headers = {"Authorization": "Basic " + encoded, "Content-Type": "application/json"}
    params = {"orderId": query["orderId"], "amount": query["amount"], "paymentKey": query["paymentKey"]}
    res = requests.post(base_url + "/v1/payments/confirm", data=json.dumps(params), headers=headers, timeout=10)
    resjson = res.json()

    assert res.status_code == 200
    assert resjson["orderId"] == order["order_id"] and resjson["totalAmount"] == 15000
    assert resjson["status"] == "DONE" and resjson["method"] == "카드"
