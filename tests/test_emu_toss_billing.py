"""The emulated Toss billing over real HTTP: the registration window's outcomes, billing-key issue, charges,
their errors, and the key families the v2 SDK surfaces take."""
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.drivers import toss
from tests.drivers.emulator import deliveries
from tests.drivers.toss import API_CLIENT_KEY, API_SECRET, CLIENT_KEY, WIDGET_SECRET, api


def customer():
    return "cust_" + secrets.token_hex(6)


def charge(site, billing_key, customer_key, amount=4900, order_id=None, secret=API_SECRET, **extra):
    body = {"customerKey": customer_key, "amount": amount, "orderId": order_id or "sub_" + secrets.token_hex(6),
            "orderName": "토스 프라임 구독", "customerEmail": "customer123@gmail.com", "customerName": "김토스", **extra}
    return api(site, "POST", f"/v1/billing/{billing_key}", body, secret=secret)


def issue(site, auth_key, customer_key, secret=API_SECRET):
    return api(site, "POST", "/v1/billing/authorizations/issue", {"authKey": auth_key, "customerKey": customer_key},
               secret=secret)


def auth_key_for(site, customer_key):
    return parse_qs(urlsplit(toss.billing_auth(site, customer_key)["redirect_url"]).query)["authKey"][0]


def err(resp):
    return resp.status_code, resp.json()["code"]


# ---- the registration window ------------------------------------------------------------------------

def test_registering_a_card_redirects_with_customer_key_and_auth_key(site):
    key = customer()
    answer = toss.billing_auth(site, key, successUrl=site.url + "/payment/billing.html?billingMethod=CARD&")
    url = urlsplit(answer["redirect_url"])
    assert url.path == "/payment/billing.html"
    query = parse_qs(url.query)
    assert query["billingMethod"] == ["CARD"] and query["customerKey"] == [key]
    assert re.fullmatch(r"bln_[A-Za-z0-9]{24}", query["authKey"][0])
    assert "&&" not in url.query                     # the sample's trailing '&' is kept as the only joint


def test_declined_registration_goes_to_fail_url_and_close_rejects_with_user_cancel(site):
    declined = toss.billing_auth(site, customer(), outcome="decline_invalid_card")
    url = urlsplit(declined["redirect_url"])
    assert url.path == "/billing/fail"
    assert parse_qs(url.query) == {"code": ["INVALID_CARD_NUMBER"], "message": ["카드번호를 다시 확인해주세요."]}
    closed = toss.billing_auth(site, customer(), outcome="close")
    assert closed["rejection"]["code"] == "USER_CANCEL" and "redirect_url" not in closed


def test_registration_window_shows_the_customer_and_decides_once(site):
    key = customer()
    opened = site.http.post(site.url + "/emulator/toss/sdk/billing-auths", timeout=10, json={
        "clientKey": API_CLIENT_KEY, "customerKey": key, "method": "CARD", "successUrl": site.url + "/ok",
        "failUrl": site.url + "/no"}).json()
    page = site.http.get(opened["window_url"], headers={"Accept-Language": "en"}, timeout=10).text
    for expected in ("tvivarepublica", key, "Register the card", "Decline: invalid card", "Close the window"):
        assert expected in page, expected
    assert "Decline: insufficient funds" not in page
    decide = f"{site.url}/emulator/toss/billing/window/{opened['window_id']}/decide"
    assert site.http.post(decide, json={"outcome": "approve"}, timeout=10).status_code == 200
    again = site.http.post(decide, json={"outcome": "approve"}, timeout=10)
    assert err(again) == (400, "ALREADY_PROCESSED_PAYMENT")
    assert site.http.post(decide, json={"outcome": "decline_refused"}, timeout=10).status_code == 400


@pytest.mark.parametrize("over, code", [
    ({"clientKey": CLIENT_KEY}, "NOT_SUPPORTED_WIDGET_KEY"),             # a widget key for billing
    ({"clientKey": API_SECRET}, "INSECURE_KEY_USAGE"),
    ({"clientKey": "test_ck_unknownKey00000000"}, "UNAUTHORIZED_KEY"),
    ({"customerKey": "@@ANONYMOUS"}, "INVALID_CUSTOMER_KEY"),
    ({"method": "TRANSFER"}, "NOT_SUPPORTED_METHOD"),
    ({"successUrl": "/billing/success"}, "INCORRECT_SUCCESS_URL_FORMAT"),
    ({"failUrl": None}, "INCORRECT_FAIL_URL_FORMAT"),
])
def test_billing_auth_refusals_use_the_sdk_codes(site, over, code):
    refused = toss.billing_auth(site, customer(), **over)
    assert (refused["status"], refused["code"]) == (400, code) and refused["message"]


# ---- issue ----------------------------------------------------------------------------------------

def test_issue_returns_the_billing_object_and_the_auth_key_works_once(site):
    key = customer()
    auth_key = auth_key_for(site, key)
    billing = issue(site, auth_key, key).json()
    assert set(billing) == {"mId", "customerKey", "authenticatedAt", "method", "billingKey", "card", "cardCompany",
                            "cardNumber"}
    assert billing["mId"] == "tvivarepublica" and billing["customerKey"] == key and billing["method"] == "카드"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}=", billing["billingKey"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00", billing["authenticatedAt"])
    assert billing["card"]["number"] == billing["cardNumber"] and billing["cardCompany"] == "현대"
    assert err(issue(site, auth_key, key)) == (400, "INVALID_BILLING_AUTH")
    assert charge(site, billing["billingKey"], key).json()["status"] == "DONE"       # stored by the emulator


def test_issue_errors_change_nothing(site):
    key = customer()
    auth_key = auth_key_for(site, key)
    assert err(issue(site, "bln_" + "x" * 24, key)) == (400, "INVALID_BILLING_AUTH")
    assert err(issue(site, auth_key, customer())) == (400, "NOT_MATCHES_CUSTOMER_KEY")
    assert err(issue(site, auth_key, key, secret=WIDGET_SECRET)) == (400, "INVALID_API_KEY")
    assert err(api(site, "POST", "/v1/billing/authorizations/issue", {"authKey": auth_key},
                   secret=API_SECRET)) == (400, "INVALID_REQUEST")
    assert issue(site, auth_key, key).status_code == 200          # still unused after the refusals


def test_an_auth_key_from_a_declined_registration_does_not_exist(site):
    assert "redirect_url" in toss.billing_auth(site, customer(), outcome="decline_invalid_card")
    assert err(issue(site, "", customer())) == (400, "INVALID_REQUEST")


# ---- charges ----------------------------------------------------------------------------------------

def test_charge_is_a_done_billing_payment_readable_like_any_other(site):
    key = customer()
    billing = toss.billing_key(site, key)
    order_id = "sub_" + secrets.token_hex(6)
    paid = charge(site, billing["billingKey"], key, amount=4900, order_id=order_id).json()
    assert paid["type"] == "BILLING" and paid["status"] == "DONE" and paid["method"] == "카드"
    assert paid["totalAmount"] == paid["balanceAmount"] == 4900 and paid["orderId"] == order_id
    assert paid["card"]["number"] == billing["cardNumber"] and paid["card"]["amount"] == 4900
    assert paid["approvedAt"] and paid["mId"] == "tvivarepublica"
    assert toss.record(site, paid["paymentKey"], secret=API_SECRET) == paid
    assert api(site, "GET", f"/v1/payments/orders/{order_id}", secret=API_SECRET).json()["paymentKey"] == \
        paid["paymentKey"]
    assert deliveries(site, paid["paymentKey"]) == []             # Toss sends no webhook for a billing charge
    canceled = api(site, "POST", f"/v1/payments/{paid['paymentKey']}/cancel", {"cancelReason": "구독 해지"},
                   secret=API_SECRET).json()
    assert canceled["status"] == "CANCELED" and canceled["balanceAmount"] == 0


def test_a_billing_key_charges_again_with_new_order_ids_but_not_the_same_one(site):
    key = customer()
    billing_key = toss.billing_key(site, key)["billingKey"]
    first = charge(site, billing_key, key, order_id="sub_month_01").json()
    second = charge(site, billing_key, key, order_id="sub_month_02").json()
    assert first["paymentKey"] != second["paymentKey"] and second["status"] == "DONE"
    assert err(charge(site, billing_key, key, order_id="sub_month_01")) == (400, "DUPLICATED_ORDER_ID")


@pytest.mark.parametrize("amount, status, code", [
    (4901, 403, "REJECT_CARD_PAYMENT"), (4902, 403, "REJECT_CARD_COMPANY"), (4903, 400, "INVALID_STOPPED_CARD"),
    (4904, 400, "PROVIDER_ERROR"), (4905, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING"),
])
def test_charges_are_declined_by_amount_like_confirm(site, amount, status, code):
    key = customer()
    billing_key = toss.billing_key(site, key)["billingKey"]
    order_id = "sub_" + secrets.token_hex(6)
    assert err(charge(site, billing_key, key, amount=amount, order_id=order_id)) == (status, code)
    kept = api(site, "GET", f"/v1/payments/orders/{order_id}", secret=API_SECRET).json()
    assert kept["status"] == "ABORTED" and kept["failure"]["code"] == code and kept["type"] == "BILLING"
    assert charge(site, billing_key, key, amount=4900, order_id=order_id).json()["status"] == "DONE"


def test_charge_errors_create_no_payment(site):
    key = customer()
    billing_key = toss.billing_key(site, key)["billingKey"]
    cases = [
        (dict(billing_key="unknownBillingKey000000000000000000000000000="), (400, "INVALID_BILL_KEY_REQUEST")),
        (dict(customer_key=customer()), (400, "NOT_MATCHES_CUSTOMER_KEY")),
        (dict(secret=WIDGET_SECRET), (400, "INVALID_API_KEY")),          # the widget pair cannot bill
        (dict(amount=0), (400, "INVALID_REQUEST")),
        (dict(amount="4900원"), (400, "INVALID_REQUEST")),
        (dict(amount=99), (400, "BELOW_MINIMUM_AMOUNT")),
        (dict(amount=10 ** 12), (400, "EXCEED_MAX_AMOUNT")),
        (dict(amount=10 ** 20), (400, "INVALID_REQUEST")),            # beyond 64 bits: not a number at all
        (dict(order_id="short"), (400, "INVALID_REQUEST")),
        (dict(orderName=""), (400, "INVALID_REQUEST")),
    ]
    for over, expected in cases:
        order_id = over.pop("order_id", "sub_" + secrets.token_hex(6))
        args = {"billing_key": billing_key, "customer_key": key, **over}
        resp = charge(site, args.pop("billing_key"), args.pop("customer_key"), order_id=order_id, **args)
        assert err(resp) == expected, (over, resp.text)
        assert api(site, "GET", f"/v1/payments/orders/{order_id}", secret=API_SECRET).status_code == 404


def test_charge_with_an_idempotency_key_charges_once(site):
    key = customer()
    billing_key = toss.billing_key(site, key)["billingKey"]
    headers = {"Idempotency-Key": "idem-" + secrets.token_hex(8)}
    body = {"customerKey": key, "amount": 4900, "orderId": "sub_" + secrets.token_hex(6), "orderName": "구독"}
    first = api(site, "POST", f"/v1/billing/{billing_key}", body, secret=API_SECRET, headers=headers)
    again = api(site, "POST", f"/v1/billing/{billing_key}", body, secret=API_SECRET, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()


# ---- key families for payments (v2 widgets() / payment()) ------------------------------------------

@pytest.mark.parametrize("product, client_key, code", [
    ("widget", API_CLIENT_KEY, "NOT_SUPPORTED_API_INDIVIDUAL_KEY"),
    ("payment", CLIENT_KEY, "NOT_SUPPORTED_WIDGET_KEY"),
    ("payment", "test_ck_unknownKey00000000", "UNAUTHORIZED_KEY"),
    ("payment", API_SECRET, "INSECURE_KEY_USAGE"),
])
def test_each_sdk_surface_takes_its_own_key_family(site, product, client_key, code):
    order = {"order_id": "ord_" + secrets.token_hex(6), "amount": 15000, "order_name": "셔츠", "customer_key": customer()}
    refused = toss.start(site, order, clientKey=client_key, product=product)
    assert (refused["status"], refused["code"]) == (400, code)
    assert api(site, "GET", f"/v1/payments/orders/{order['order_id']}", secret=API_SECRET).status_code == 404


def test_payment_window_key_creates_a_payment_confirmed_with_the_api_secret(site):
    order = {"order_id": "ord_" + secrets.token_hex(6), "amount": 15000, "order_name": "셔츠", "customer_key": customer()}
    started = toss.start(site, order, clientKey=API_CLIENT_KEY, product="payment", method="VIRTUAL_ACCOUNT",
                         amount={"currency": "KRW", "value": 15000})
    assert started["status"] == 200
    assert toss.decide(site, started["paymentKey"], "approve")["redirect_url"]
    assert err(toss.confirm(site, started["paymentKey"], order)) == (400, "INVALID_API_KEY")    # the widget secret
    issued = toss.confirm(site, started["paymentKey"], order, secret=API_SECRET).json()
    assert issued["status"] == "WAITING_FOR_DEPOSIT" and issued["mId"] == "tvivarepublica"
    usd = toss.start(site, dict(order, order_id="ord_" + secrets.token_hex(6)), clientKey=API_CLIENT_KEY,
                     product="payment", amount={"currency": "USD", "value": 100})
    assert (usd["status"], usd["code"]) == (400, "INVALID_AMOUNT_CURRENCY")
