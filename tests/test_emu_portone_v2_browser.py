"""The PortOne V2 browser SDK stand-in in real Chromium, on the emulator's page written like PortOne's V2 guide:
Promise and redirect results, each window outcome, a virtual account deposited from the dashboard, and the
page keeping the real CDN URL while the test routes it to the emulator."""
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.drivers import portone_v2 as drv

pytestmark = pytest.mark.browser
CDN = "https://cdn.portone.io/v2/browser-sdk.js"


def open_page(page, query=""):
    page.goto(page.site.url + "/emulator/portone-v2/sdk-test?lang=en" + query)
    expect(page.locator("#t-payment-id")).not_to_have_value("")
    return page.locator("#t-payment-id").input_value()


def pay(page, method="CARD", amount=None):
    if amount is not None:
        page.locator("#t-amount").fill(str(amount))
    page.locator("#t-pay-method").select_option(method)
    page.get_by_role("button", name="Pay").click()
    return page.frame_locator("iframe.portone-emulator-window")


def response_of(page):
    out = page.locator("#t-response")
    expect(out).not_to_be_empty()
    return json.loads(out.inner_text())


def test_approve_resolves_the_promise(page):
    payment_id = open_page(page)
    window = pay(page, amount=15000)
    expect(window.locator(".imp-amount")).to_have_text("KRW 15,000")
    window.get_by_role("button", name="Approve the payment").click()
    response = response_of(page)
    assert set(response) == {"transactionType", "txId", "paymentId"} and response["paymentId"] == payment_id
    expect(page.locator(".portone-emulator-modal")).to_have_count(0)
    payment = drv.Api(page.site).payment(payment_id)
    assert payment["status"] == "PAID" and payment["transactionId"] == response["txId"]
    assert payment["amount"]["total"] == 15000 and payment["origin"]["url"].startswith(page.site.url)


@pytest.mark.parametrize("button,pg_code", [("Decline: insufficient funds", "REJECT_ACCOUNT_PAYMENT"),
                                            ("Decline: card company refused", "REJECT_CARD_COMPANY"),
                                            ("Decline: invalid card", "INVALID_CARD_NUMBER")])
def test_each_decline_resolves_with_the_pg_failure(page, button, pg_code):
    payment_id = open_page(page)
    pay(page).get_by_role("button", name=button).click()
    response = response_of(page)
    assert response["code"] == "FAILURE_TYPE_PG" and response["pgCode"] == pg_code and response["pgMessage"]
    payment = drv.Api(page.site).payment(payment_id)
    assert payment["status"] == "FAILED" and payment["failure"]["pgCode"] == pg_code


def test_closing_the_window_resolves_with_the_users_cancel(page):
    payment_id = open_page(page)
    pay(page).get_by_role("button", name="Close the window").click()
    response = response_of(page)
    assert response["code"] == "FAILURE_TYPE_PG" and response["pgCode"] == "PAY_PROCESS_CANCELED"
    expect(page.locator(".portone-emulator-modal")).to_have_count(0)
    assert drv.Api(page.site).payment(payment_id)["status"] == "READY"


def test_a_mismatch_with_the_pre_registered_amount_opens_no_window(page):
    payment_id = open_page(page)
    drv.Api(page.site).post(f"/payments/{payment_id}/pre-register", {"totalAmount": 5000})
    page.get_by_role("button", name="Pay").click()
    response = response_of(page)
    assert response == {"transactionType": "PAYMENT", "paymentId": payment_id, "code": "AmountNotEqualToPredefined",
                        "message": response["message"]}
    expect(page.locator(".portone-emulator-modal")).to_have_count(0)


def test_virtual_account_issued_then_deposited_from_the_dashboard(page):
    payment_id = open_page(page)
    window = pay(page, "VIRTUAL_ACCOUNT", amount=30000)
    window.get_by_role("button", name="Issue the account").click()
    assert "code" not in response_of(page)
    api = drv.Api(page.site)
    assert api.payment(payment_id)["status"] == "VIRTUAL_ACCOUNT_ISSUED"
    page.goto(page.site.url + "/emulator/?lang=en")
    row = page.locator(f'tr.portone-v2-payment[data-payment-id="{payment_id}"]')
    expect(row).to_contain_text("VIRTUAL_ACCOUNT_ISSUED")
    row.get_by_role("button", name="Deposit now").click()
    expect(page.locator(f'tr.portone-v2-payment[data-payment-id="{payment_id}"]')).to_contain_text("PAID")
    assert api.payment(payment_id)["status"] == "PAID"


def test_redirect_mode_returns_with_the_query(page):
    payment_id = open_page(page)
    page.locator("#t-redirect").check()
    pay(page).get_by_role("button", name="Approve the payment").click()
    expect(page.locator("#t-redirect-query")).not_to_be_empty()
    query = parse_qs(urlsplit(page.url).query)
    assert query["paymentId"] == [payment_id] and query["transactionType"] == ["PAYMENT"] and "code" not in query
    assert drv.Api(page.site).payment(payment_id)["transactionId"] == query["txId"][0]

    failed_id = open_page(page)
    page.locator("#t-redirect").check()
    pay(page).get_by_role("button", name="Decline: card company refused").click()
    expect(page.locator("#t-redirect-query")).not_to_be_empty()
    query = parse_qs(urlsplit(page.url).query)
    assert query["paymentId"] == [failed_id] and query["code"] == ["FAILURE_TYPE_PG"]
    assert query["pgCode"] == ["REJECT_CARD_COMPANY"] and query["message"][0]


def test_the_real_cdn_url_routed_to_the_emulator(page):
    """The page keeps https://cdn.portone.io/v2/browser-sdk.js; the script knows the emulator's address
    from when it was served, not from its own src."""
    served = requests.get(page.site.url + "/emulator/portone-v2/browser-sdk.js", timeout=30).text
    page.route(CDN, lambda route: route.fulfill(status=200, content_type="text/javascript", body=served))
    payment_id = open_page(page, "&cdn=1")
    assert page.locator(f'script[src="{CDN}"]').count() == 1
    pay(page).get_by_role("button", name="Approve the payment").click()
    assert response_of(page)["paymentId"] == payment_id
    assert drv.Api(page.site).payment(payment_id)["status"] == "PAID"


def test_the_page_may_swap_in_the_other_channel_and_the_payment_says_so(page):
    """A visitor can change channelKey in the page: the payment's channel.type tells the server which one."""
    payment_id = open_page(page)
    page.locator("#t-channel").select_option(drv.cfg(page.site, "LIVE_CHANNEL_KEY"))
    pay(page).get_by_role("button", name="Approve the payment").click()
    assert response_of(page)["paymentId"] == payment_id
    live = drv.Api(page.site).payment(payment_id)
    assert live["channel"]["type"] == "LIVE" and live["channel"]["pgMerchantId"] == "pgsandbox01"
