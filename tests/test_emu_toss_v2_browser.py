"""The emulated Toss SDK v2 (and v1) in real Chromium, on merchant pages written like Toss's official samples
that keep Toss's real script URLs (routed here to the emulator): widgets, the payment window, billing
registration, the wrong key family, closing and declining the window, a virtual account deposited."""
import json
import os
import secrets
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.drivers import toss
from tests.drivers.toss import API_CLIENT_KEY, API_SECRET, CLIENT_KEY, api, confirm

pytestmark = pytest.mark.browser

PAGES = os.path.join(os.path.dirname(__file__), "pages")
REAL_SDK = "https://js.tosspayments.com"


class Merchant:
    """A tiny merchant site on its own port: /checkout/<page> serves tests/pages/<page>.html (with ?sdk=emulator
    its script tag names the emulator instead of js.tosspayments.com); every other path is a landing page."""

    def __init__(self, emulator_url):
        self.emulator_sdk = emulator_url + "/emulator/toss"
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @Request.application
    def wsgi(self, request):
        if request.path.startswith("/checkout/"):
            name = request.path.removeprefix("/checkout/")
            if name not in os.listdir(PAGES):
                return Response("", 404)
            with open(os.path.join(PAGES, name), encoding="utf-8") as f:
                html = f.read()
            if request.args.get("sdk") == "emulator":
                html = html.replace(REAL_SDK, self.emulator_sdk)
            return Response(html, mimetype="text/html")
        if request.path == "/webhooks/toss":
            return Response("ok")
        return Response(f"<!doctype html><title>landed</title><p id='landed'>{request.path}</p>", mimetype="text/html")

    def close(self):
        self.server.shutdown()


@pytest.fixture
def merchant(site):
    m = Merchant(site.url)
    yield m
    m.close()


@pytest.fixture
def routed(page, site):
    """The page with js.tosspayments.com's SDK URLs answered by the emulator, as a test of a real page would."""
    def serve(route):
        route.fulfill(response=route.fetch(url=site.url + "/emulator/toss" + urlsplit(route.request.url).path))
    page.route(REAL_SDK + "/**", serve)
    return page


def open_page(page, merchant, name, ready="#payment-button:enabled", **query):
    order_id = query.setdefault("orderId", "ord_" + secrets.token_hex(6))
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    page.goto(f"{merchant.url}/checkout/{name}?{qs}")
    if ready:
        page.locator(ready).wait_for()
    return order_id


def window(page):
    return page.frame_locator("iframe[name=toss-emu-window]")


def landed(page, merchant, path):
    page.wait_for_url(merchant.url + path + "?**")
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


# ---- widgets (gck) -----------------------------------------------------------------------------------

def test_widget_v2_coupon_then_approve_and_confirm(routed, merchant):
    page = routed
    order_id = open_page(page, merchant, "toss-v2-widget.html", amount=50000)
    assert page.locator(".toss-emu-amount").inner_text() == "50,000 won"
    page.locator("#coupon-box").check()
    page.locator(".toss-emu-amount").get_by_text("45,000").wait_for()
    page.locator("#payment-button").click()
    window(page).locator("#toss-amount").get_by_text("45,000").wait_for()
    window(page).get_by_role("button", name="Approve", exact=True).click()
    query = landed(page, merchant, "/widget/success")
    assert {k: query[k] for k in ("paymentType", "orderId", "amount")} == \
        {"paymentType": "NORMAL", "orderId": order_id, "amount": "45000"}
    done = confirm(page.site, query["paymentKey"], {"order_id": order_id, "amount": 45000}).json()
    assert done["status"] == "DONE" and done["method"] == "카드" and done["mId"] == "tgen_docs"


def test_widget_v2_decline_lands_on_fail_url_and_aborts(routed, merchant):
    page = routed
    order_id = open_page(page, merchant, "toss-v2-widget.html")
    page.locator("#payment-button").click()
    window(page).get_by_role("button", name="Decline: insufficient funds").click()
    query = landed(page, merchant, "/fail")
    assert query == {"code": "REJECT_CARD_PAYMENT", "message": "한도초과 혹은 잔액부족으로 결제에 실패했습니다.",
                     "orderId": order_id}
    record = api(page.site, "GET", f"/v1/payments/orders/{order_id}").json()
    assert record["status"] == "ABORTED" and record["failure"]["code"] == "REJECT_CARD_PAYMENT"


def test_widget_v2_close_rejects_with_user_cancel(routed, merchant):
    page = routed
    order_id = open_page(page, merchant, "toss-v2-widget.html", anonymous=1)
    page.locator("#payment-button").click()
    window(page).get_by_role("button", name="Close the window").click()
    page.locator("#result").get_by_text("USER_CANCEL | 결제가 취소되었습니다.").wait_for()
    assert page.locator(".toss-emu-overlay").count() == 0
    assert api(page.site, "GET", f"/v1/payments/orders/{order_id}").json()["status"] == "READY"


def test_widget_v2_virtual_account_deposited_from_the_dashboard(routed, merchant):
    page = routed
    order_id = open_page(page, merchant, "toss-v2-widget.html", amount=30000)
    page.get_by_label("Virtual account").check()
    page.locator("#events").get_by_text("paymentMethodSelect VIRTUAL_ACCOUNT").wait_for()
    page.locator("#payment-button").click()
    window(page).locator("#toss-method").get_by_text("가상계좌").wait_for()
    window(page).get_by_role("button", name="Approve", exact=True).click()
    key = landed(page, merchant, "/widget/success")["paymentKey"]
    issued = confirm(page.site, key, {"order_id": order_id, "amount": 30000}).json()
    assert issued["status"] == "WAITING_FOR_DEPOSIT" and issued["virtualAccount"]["accountNumber"].startswith("X")
    page.goto(page.site.url + "/emulator/?lang=en")
    page.locator(f"tr[data-payment-key='{key}']").get_by_role("button", name="Deposit now").click()
    page.locator(f"tr[data-payment-key='{key}'][data-status=DONE]").wait_for()
    assert toss.record(page.site, key)["status"] == "DONE"


def test_widget_v2_without_urls_resolves_with_the_amount_as_an_object(routed, merchant):
    page = routed
    order_id = open_page(page, merchant, "toss-v2-widget.html", amount=12000, promise=1)
    page.locator("#payment-button").click()
    window(page).get_by_role("button", name="Approve", exact=True).click()
    page.locator("#result").get_by_text("paymentKey").wait_for()
    result = json.loads(page.locator("#result").inner_text())
    assert result == {"paymentType": "NORMAL", "paymentKey": result["paymentKey"], "orderId": order_id,
                      "amount": {"currency": "KRW", "value": 12000}}
    assert toss.record(page.site, result["paymentKey"])["status"] == "IN_PROGRESS"    # the server confirms next


def test_widget_v2_refuses_render_before_set_amount(routed, merchant):
    page = routed
    open_page(page, merchant, "toss-v2-widget.html", ready=None, skipSetAmount=1)
    page.locator("#result").get_by_text("NOT_SETUP_AMOUNT").wait_for()
    assert page.locator(".toss-emu-methods").count() == 0


def test_widget_v2_missing_agreement_is_refused_before_any_window(routed, merchant):
    page = routed
    order_id = open_page(page, merchant, "toss-v2-widget.html")
    page.locator(".toss-emu-agreement input").uncheck()
    page.locator("#events").get_by_text("agreementStatusChange false").wait_for()
    page.locator("#payment-button").click()
    page.locator("#result").get_by_text("NEED_AGREEMENT_WITH_REQUIRED_TERMS").wait_for()
    assert page.locator("iframe").count() == 0
    assert api(page.site, "GET", f"/v1/payments/orders/{order_id}").status_code == 404


@pytest.mark.parametrize("name, client_key, code", [
    ("toss-v2-widget.html", API_CLIENT_KEY, "NOT_SUPPORTED_API_INDIVIDUAL_KEY"),   # an API key in widgets()
    ("toss-v2-payment.html", CLIENT_KEY, "NOT_SUPPORTED_WIDGET_KEY"),             # a widget key in payment()
    ("toss-v2-payment.html", "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6", "INSECURE_KEY_USAGE"),
])
def test_the_wrong_key_family_is_refused_at_once(routed, merchant, name, client_key, code):
    page = routed
    open_page(page, merchant, name, ready=None, clientKey=client_key)
    page.locator("#result").get_by_text(code).wait_for()
    assert page.locator(".toss-emu-methods").count() == 0


# ---- payment() (ck): the payment window and billing --------------------------------------------------

@pytest.mark.parametrize("method, korean, status", [
    ("CARD", "카드", "DONE"), ("TRANSFER", "계좌이체", "DONE"), ("MOBILE_PHONE", "휴대폰", "DONE"),
    ("VIRTUAL_ACCOUNT", "가상계좌", "WAITING_FOR_DEPOSIT"),
])
def test_payment_window_v2_methods_approve_and_confirm_with_the_api_secret(routed, merchant, method, korean,
                                                                           status):
    page = routed
    order_id = open_page(page, merchant, "toss-v2-payment.html", ready="#pay", amount=15000)
    page.locator(f"#{method}").click()
    page.locator("#pay").click()
    window(page).locator("#toss-method").get_by_text(korean).wait_for()
    window(page).get_by_role("button", name="Approve", exact=True).click()
    query = landed(page, merchant, "/payment/success.html")
    assert query["orderId"] == order_id and query["amount"] == "15000"
    order = {"order_id": order_id, "amount": 15000}
    assert confirm(page.site, query["paymentKey"], order).json()["code"] == "INVALID_API_KEY"   # widget secret
    paid = confirm(page.site, query["paymentKey"], order, secret=API_SECRET).json()
    assert paid["status"] == status and paid["method"] == korean and paid["mId"] == "tvivarepublica"


def test_payment_window_v2_close_and_decline(routed, merchant):
    page = routed
    open_page(page, merchant, "toss-v2-payment.html", ready="#pay")
    page.locator("#CARD").click()
    page.locator("#pay").click()
    window(page).get_by_role("button", name="Close the window").click()
    page.locator("#result").get_by_text("USER_CANCEL").wait_for()
    page.locator("#pay").click()                       # the same order, tried again
    window(page).get_by_role("button", name="Decline: invalid card").click()
    assert landed(page, merchant, "/fail.html")["code"] == "INVALID_CARD_NUMBER"


def test_billing_auth_registers_a_card_then_the_server_issues_and_charges(routed, merchant):
    page = routed
    customer_key = "cust_" + secrets.token_hex(6)
    open_page(page, merchant, "toss-v2-payment.html", ready="#billing", customerKey=customer_key)
    page.locator("#billing").click()
    window(page).locator("#toss-customer-key").get_by_text(customer_key).wait_for()
    window(page).get_by_role("button", name="Register the card").click()
    query = landed(page, merchant, "/payment/billing.html")
    assert query["billingMethod"] == "CARD" and query["customerKey"] == customer_key and query["authKey"]
    billing = api(page.site, "POST", "/v1/billing/authorizations/issue",
                  {"authKey": query["authKey"], "customerKey": customer_key}, secret=API_SECRET).json()
    paid = api(page.site, "POST", f"/v1/billing/{billing['billingKey']}",
               {"customerKey": customer_key, "amount": 4900, "orderId": "sub_" + secrets.token_hex(6),
                "orderName": "토스 프라임 구독"}, secret=API_SECRET).json()
    assert paid["status"] == "DONE" and paid["type"] == "BILLING" and paid["totalAmount"] == 4900


def test_billing_auth_closed_rejects_with_user_cancel(routed, merchant):
    page = routed
    open_page(page, merchant, "toss-v2-payment.html", ready="#billing")
    page.locator("#billing").click()
    window(page).get_by_role("button", name="Close the window").click()
    page.locator("#result").get_by_text("USER_CANCEL").wait_for()


# ---- where the scripts come from ---------------------------------------------------------------------

def test_v2_loaded_from_the_emulator_address_works_too(page, merchant):
    order_id = open_page(page, merchant, "toss-v2-widget.html", sdk="emulator")
    page.locator("#payment-button").click()
    window(page).get_by_role("button", name="Approve", exact=True).click()
    assert landed(page, merchant, "/widget/success")["orderId"] == order_id


def test_v1_widget_on_its_real_url_routed_to_the_emulator(routed, merchant):
    page = routed
    order_id = open_page(page, merchant, "toss-v1-widget.html", amount=20000)
    assert page.locator("script[src='https://js.tosspayments.com/v1/payment-widget']").count() == 1
    page.locator("#payment-button").click()
    window(page).get_by_role("button", name="Approve", exact=True).click()
    query = landed(page, merchant, "/success")
    assert query["orderId"] == order_id and query["amount"] == "20000"
    assert confirm(page.site, query["paymentKey"], {"order_id": order_id, "amount": 20000}).json()["status"] == "DONE"
