"""The PortOne column's V2 panel in real Chromium: the V1/V2 switch, PortOne.requestPayment with the server's
order, the hosted window, and the verdict the server read back (Promise and redirect modes, a virtual
account deposited from the emulator's dashboard)."""
import re

import pytest
from playwright.sync_api import expect

from tests.drivers import portone_v2 as drv
from tests.drivers.emulator import until

pytestmark = pytest.mark.browser


def checkout(page, method="CARD", redirect=False, product="shoes"):
    page.goto(page.site.url + "/?lang=en&portone=v2")
    page.locator("#product").select_option(product)
    page.locator(f'#portone-v2-panel input[name="pay_method"][value="{method}"]').check()
    if redirect:
        page.locator("#portone-v2-redirect").check()
    page.locator("#portone-v2-pay").click()
    return page.frame_locator("iframe.portone-emulator-window")


def choose(window, outcome):
    window.locator(f'button[data-outcome="{outcome}"]').click()


def order_id(page):
    return page.locator("#portone-v2-result .portone-result-link").get_attribute("href").rsplit("/", 1)[1]


def test_the_switch_is_in_the_url_and_remembered(page):
    page.goto(page.site.url + "/?lang=en")
    expect(page.locator("#portone-panel")).to_be_visible()
    page.locator('#portone-version a[data-version="v2"]').click()
    expect(page).to_have_url(re.compile(r"portone=v2"))
    expect(page.locator("#portone-v2-panel")).to_be_visible()
    expect(page.locator("#portone-panel")).to_have_count(0)
    page.goto(page.site.url + "/?lang=en")
    expect(page.locator("#portone-v2-panel")).to_be_visible()
    expect(page.locator('#portone-version a[aria-current="page"]')).to_have_attribute("data-version", "v2")


def test_promise_mode_approve_is_read_back_and_verified(page):
    window = checkout(page)
    expect(window.locator(".imp-amount")).to_have_text("KRW 15,000")
    choose(window, "approve")
    result = page.locator("#portone-v2-result")
    expect(result.locator(".portone-verdict")).to_have_text("Paid and verified")
    expect(result).to_contain_text("PortOne confirmed that KRW 15,000 was paid for this order")
    live = page.locator('.live-log[data-pg="portone_v2"]')
    expect(live).to_contain_text("Step log")
    expect(live).to_contain_text("Order pending → paid")
    oid = order_id(page)
    payment = drv.Api(page.site).payment(oid)
    assert payment["status"] == "PAID" and payment["amount"]["total"] == 15000
    steps = page.site.get(f"/api/flows/{oid}/steps").json()["steps"]
    reported = [(s["phase"], s["name"]) for s in steps if s["reported"]]
    assert reported == [("checkout", "portone_v2.request_payment"), ("return", "portone_v2.response")]
    names = [s["name"] for s in steps]
    assert "portone_v2.pre_register" in names and "portone_v2.get_payment" in names


def test_promise_mode_decline_is_explained(page):
    choose(checkout(page), "decline_refused")
    result = page.locator("#portone-v2-result")
    expect(result.locator(".portone-verdict")).to_have_text(re.compile("Not paid"))
    expect(result).to_contain_text("Nothing was charged")
    assert drv.Api(page.site).payment(order_id(page))["status"] == "FAILED"


def test_promise_mode_close_pays_nothing(page):
    """As with V1: the column, the result page and the flows list say the buyer closed the window."""
    choose(checkout(page), "close")
    result = page.locator("#portone-v2-result")
    expect(result.locator(".portone-verdict")).to_have_text("Not paid: nothing was charged")
    expect(result).to_contain_text("Nothing was charged")
    oid = order_id(page)
    assert drv.Api(page.site).payment(oid)["status"] == "READY"                     # nothing paid at PortOne
    assert page.site.get(f"/api/flows/{oid}").json()["order"]["status"] == "pending"   # still payable
    page.locator("#portone-v2-result .portone-result-link").click()
    expect(page.locator("#result-reason")).to_contain_text("The buyer closed the payment window, so nothing was "
                                                           "charged.")


def test_virtual_account_then_deposit_now_on_the_dashboard(page):
    choose(checkout(page, "VIRTUAL_ACCOUNT", product="jacket"), "approve")
    result = page.locator("#portone-v2-result")
    expect(result.locator(".portone-verdict")).to_have_text("Waiting for the deposit")
    expect(result).to_contain_text(re.compile(r"pay KRW 89,000 into"))
    oid = order_id(page)
    page.goto(page.site.url + "/emulator/?lang=en")
    row = page.locator(f'tr.portone-v2-payment[data-payment-id="{oid}"]')
    row.get_by_role("button", name="Deposit now").click()
    expect(page.locator(f'tr.portone-v2-payment[data-payment-id="{oid}"]')).to_contain_text("PAID")
    assert until(lambda: page.site.get(f"/api/flows/{oid}").json()["order"]["status"] == "paid")
    page.goto(page.site.url + f"/orders/{oid}?lang=en")
    expect(page.locator("#result-title")).to_have_text("Paid and verified")


def test_redirect_mode_lands_on_the_verified_result_page(page):
    choose(checkout(page, redirect=True), "approve")
    page.wait_for_url(re.compile(r"/orders/order-"))
    expect(page.locator("#result-title")).to_have_text("Paid and verified")
    oid = page.url.rsplit("/", 1)[1]
    names = [s["name"] for s in page.site.get(f"/api/flows/{oid}/steps").json()["steps"]]
    assert "portone_v2.redirect" in names and "portone_v2.response" not in names
