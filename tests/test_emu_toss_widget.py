"""The emulated Toss widget script driven by real Chromium, from a merchant page on another origin with a
strict CSP (the EMULATOR_URL case): render, coupon, requestPayment, the hosted window's outcomes."""
import secrets
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.drivers.toss import CLIENT_KEY, api, confirm

pytestmark = pytest.mark.browser

MERCHANT_JS = """
var b = document.body.dataset;
var widget = PaymentWidget(b.clientKey, PaymentWidget.ANONYMOUS);
var methods = widget.renderPaymentMethods("#payment-method", {value: Number(b.amount)}, {variantKey: "DEFAULT"});
widget.renderAgreement("#agreement", {variantKey: "AGREEMENT"});
methods.on("ready", function () { document.getElementById("pay").disabled = false; });
document.getElementById("coupon").addEventListener("change", function (e) {
  methods.updateAmount(Number(b.amount) - (e.target.checked ? 5000 : 0), methods.UPDATE_REASON.COUPON);
});
document.getElementById("pay").addEventListener("click", function () {
  widget.requestPayment({orderId: b.orderId, orderName: "Running shoes", customerName: "Kim",
                         successUrl: location.origin + "/success", failUrl: location.origin + "/fail"})
    .catch(function (e) { document.getElementById("result").textContent = e.code + " | " + e.message; });
});
"""


class Merchant:
    """A tiny merchant site on its own port: the checkout page, its script, /success and /fail."""

    def __init__(self, emulator_origin):
        self.emu = emulator_origin
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @Request.application
    def wsgi(self, request):
        if request.path == "/merchant.js":
            return Response(MERCHANT_JS, mimetype="application/javascript")
        if request.path in ("/success", "/fail"):
            return Response(f"<!doctype html><title>{request.path}</title><p id='landed'>{request.path}</p>",
                            mimetype="text/html")
        if request.path == "/webhooks/toss":
            return Response("ok")
        if request.path != "/checkout":
            return Response("", 404)
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Merchant</title></head>
<body data-client-key="{CLIENT_KEY}" data-order-id="{request.args['order']}" data-amount="15000">
<div id="payment-method"></div><div id="agreement"></div>
<label><input type="checkbox" id="coupon"> TOSS5000</label>
<button id="pay" disabled>Pay</button><p id="result"></p>
<script src="{self.emu}/emulator/toss/v1/payment-widget"></script>
<script src="/merchant.js"></script></body></html>"""
        csp = (f"default-src 'self'; script-src 'self' {self.emu}; connect-src 'self' {self.emu}; "
               f"frame-src {self.emu}; style-src 'self'; img-src 'self'")
        return Response(page, mimetype="text/html", headers={"Content-Security-Policy": csp})

    def close(self):
        self.server.shutdown()


@pytest.fixture
def merchant(site):
    m = Merchant(site.url)
    yield m
    m.close()


def open_checkout(page, merchant):
    order_id = "ord_" + secrets.token_hex(6)
    page.goto(f"{merchant.url}/checkout?order={order_id}")
    page.locator("#pay:enabled").wait_for()
    return order_id


def window(page):
    return page.frame_locator("iframe[name=toss-emu-window]")


def test_coupon_then_approve_lands_on_success_with_the_updated_amount(page, merchant):
    order_id = open_checkout(page, merchant)
    assert page.locator(".toss-emu-amount").inner_text() == "15,000 won"
    page.locator("#coupon").check()
    assert page.locator(".toss-emu-amount").inner_text() == "10,000 won"
    page.locator("#pay").click()
    window(page).locator("#toss-amount").get_by_text("10,000").wait_for()
    window(page).get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(merchant.url + "/success?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["orderId"] == [order_id] and query["amount"] == ["10000"] and query["paymentType"] == ["NORMAL"]
    order = {"order_id": order_id, "amount": 10000}
    done = confirm(page.site, query["paymentKey"][0], order).json()
    assert done["status"] == "DONE" and done["totalAmount"] == 10000 and done["method"] == "카드"


def test_virtual_account_picked_in_the_widget(page, merchant):
    order_id = open_checkout(page, merchant)
    page.get_by_label("Virtual account").check()
    page.locator("#pay").click()
    window(page).locator("#toss-method").get_by_text("가상계좌").wait_for()
    window(page).get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(merchant.url + "/success?**")
    key = parse_qs(urlsplit(page.url).query)["paymentKey"][0]
    issued = confirm(page.site, key, {"order_id": order_id, "amount": 15000}).json()
    assert issued["status"] == "WAITING_FOR_DEPOSIT" and issued["virtualAccount"]["accountNumber"].startswith("X")


def test_closing_the_window_rejects_with_user_cancel(page, merchant):
    open_checkout(page, merchant)
    page.locator("#pay").click()
    window(page).get_by_role("button", name="Close the window").click()
    page.locator("#result").get_by_text("USER_CANCEL").wait_for()
    assert page.locator("iframe[name=toss-emu-window]").count() == 0


def test_decline_lands_on_fail_url(page, merchant):
    order_id = open_checkout(page, merchant)
    page.locator("#pay").click()
    window(page).get_by_role("button", name="Decline: card company refused").click()
    page.wait_for_url(merchant.url + "/fail?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"code": ["REJECT_CARD_COMPANY"], "message": ["결제 승인이 거절되었습니다."], "orderId": [order_id]}


def test_missing_agreement_is_refused_before_any_window_opens(page, merchant):
    order_id = open_checkout(page, merchant)
    page.locator(".toss-emu-agreement input").uncheck()
    page.locator("#pay").click()
    page.locator("#result").get_by_text("NEED_AGREEMENT_WITH_REQUIRED_TERMS").wait_for()
    assert page.locator("iframe").count() == 0
    assert api(page.site, "GET", f"/v1/payments/orders/{order_id}").status_code == 404   # nothing was created
