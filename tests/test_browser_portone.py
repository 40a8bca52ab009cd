"""The PortOne column of the checkout page in real Chromium: IMP.request_pay, the hosted window, the verdict."""
import re

import pytest
from playwright.sync_api import expect

from tests.drivers import portone as driver

pytestmark = pytest.mark.browser


def checkout(page, method="card", query="", prepare=False, redirect=False, product="shoes"):
    page.goto(page.site.url + "/?lang=en" + query)
    page.locator("#product").select_option(product)
    page.locator(f'#portone-panel input[name="pay_method"][value="{method}"]').check()
    if prepare:
        page.locator("#portone-prepare").check()
    if redirect:
        page.locator("#portone-redirect").check()
    page.locator("#portone-pay").click()
    return page.frame_locator("iframe.imp-emulator-window")


def choose(window, outcome):
    window.locator(f'button[data-outcome="{outcome}"]').click()


def order_id(page):
    link = page.locator("#portone-result .portone-result-link")
    return link.get_attribute("href").rsplit("/", 1)[1]


def test_card_payment_is_verified_in_the_panel_and_on_the_result_page(page):
    window = checkout(page)
    expect(window.locator(".imp-amount")).to_have_text("KRW 15,000")
    choose(window, "approve")
    result = page.locator("#portone-result")
    expect(result.locator(".portone-verdict")).to_have_text("Paid and verified")
    expect(result).to_contain_text("PortOne confirmed that KRW 15,000 was paid for this order")
    expect(page.locator("iframe.imp-emulator-window")).to_have_count(0)
    oid = order_id(page)
    payment = driver.Api(page.site).get(f"/payments/find/{oid}").json()["response"]
    assert payment["status"] == "paid" and payment["amount"] == 15000
    steps = page.site.get(f"/api/flows/{oid}/steps").json()["steps"]
    reported = [s for s in steps if s["reported"]]
    assert [(s["phase"], s["name"]) for s in reported] == [
        ("checkout", "portone.request_pay"), ("authenticate", "portone.window"), ("return", "portone.callback")]
    sent = reported[0]["exchange"]["browser"]
    assert (sent["merchant_uid"], sent["amount"], sent["pay_method"]) == (oid, 15000, "card")
    assert sent["notice_url"] == page.site.url + "/webhooks/portone"
    page.locator("#portone-result .portone-result-link").click()
    expect(page.locator("#result-title")).to_have_text("Paid and verified")
    expect(page.locator("#result-amount")).to_have_text("KRW 15,000")


def test_decline_is_explained(page):
    """The plain sentence in the reader's language, then PortOne's own message, labelled as such."""
    choose(checkout(page), "decline_insufficient")
    result = page.locator("#portone-result")
    expect(result.locator(".portone-verdict")).to_have_text("Not paid: the attempt failed (it can be paid again)")
    expect(result).to_contain_text("The card company declined the payment: the balance or limit is not enough. "
                                   "No money was taken")
    expect(result).to_contain_text("PortOne's message: “[PG사 오류] 잔액이 부족합니다. (카드사 응답코드: 51)”")
    page.locator("#portone-result .portone-result-link").click()
    expect(page.locator("#result-reason")).to_contain_text("the balance or limit is not enough")
    expect(page.locator("#result-reason code.pg-value")).to_have_text("[PG사 오류] 잔액이 부족합니다. (카드사 응답코드: 51)")


def test_closing_the_window_pays_nothing(page):
    """The column, the result page and the flow page say the buyer closed the window and nothing was charged."""
    choose(checkout(page), "close")
    result = page.locator("#portone-result")
    expect(result.locator(".portone-verdict")).to_have_text("Not paid: nothing was charged")
    expect(result).to_contain_text("You closed PortOne's payment window, so nothing was charged")
    expect(result).to_have_attribute("data-status", "not_charged")
    expect(page.locator('.live-log[data-pg="portone"] .live-status')).to_have_text("Not paid: nothing was charged")
    oid = order_id(page)
    assert page.site.get(f"/api/flows/{oid}").json()["order"]["status"] == "pending"   # still payable
    page.locator("#portone-result .portone-result-link").click()
    expect(page.locator("#result-title")).to_have_text("Not paid: nothing was charged")
    expect(page.locator("#result-reason")).to_contain_text("The buyer closed the payment window, so nothing was "
                                                           "charged. The order can still be paid.")
    page.locator("#flow-link").click()
    expect(page.locator("#flow-outcome")).to_contain_text("The buyer closed the payment window")
    expect(page.locator('#timeline .step[data-name="portone.window"] .summary')).to_contain_text(
        "The buyer left PortOne's payment window without paying (the callback brings error F400)")
    page.goto(page.site.url + "/flows?lang=en")             # the list says it on the order's row too
    row = page.locator(f'.flow-row[data-order-id="{oid}"] .outcome')
    expect(row).to_contain_text("Not paid: nothing was charged")
    expect(row.locator(".word")).to_have_text("The buyer closed the payment window, so nothing was charged. "
                                              "The order can still be paid.")
    expect(row).to_have_class(re.compile(r"status-not_charged"))
    page.goto(page.site.url + "/flows?lang=ko")
    expect(page.locator(f'.flow-row[data-order-id="{oid}"] .outcome .word')).to_contain_text("결제창")


def test_virtual_account_shows_where_to_pay(page):
    window = checkout(page, "vbank", product="jacket")
    choose(window, "approve")
    result = page.locator("#portone-result")
    expect(result.locator(".portone-verdict")).to_have_text("Waiting for the deposit")
    expect(result).to_contain_text(re.compile(r"pay KRW 89,000 into “KB국민은행” T\d{13}"))
    page.locator("#portone-result .portone-result-link").click()
    expect(page.locator("#vbank-num")).to_have_text(re.compile(r"^T\d{13}$"))


def test_pre_registered_amount_and_redirect_instead_of_callback(page):
    window = checkout(page, prepare=True, redirect=True)
    choose(window, "approve")
    page.wait_for_url(re.compile(r"/orders/order-"))
    expect(page.locator("#result-title")).to_have_text("Paid and verified")
    oid = page.url.rsplit("/", 1)[1]
    names = [s["name"] for s in page.site.get(f"/api/flows/{oid}/steps").json()["steps"]]
    assert "portone.prepare" in names and "portone.redirect" in names and "portone.callback" not in names


def test_legacy_sdk_script_gives_the_same_verdict(page):
    window = checkout(page, query="&portone_sdk=1.2.0")
    expect(page.locator(".portone-note")).to_contain_text("1.2.0")
    choose(window, "approve")
    expect(page.locator("#portone-result .portone-verdict")).to_have_text("Paid and verified")
    oid = order_id(page)
    callback = [s for s in page.site.get(f"/api/flows/{oid}/steps").json()["steps"]
                if s["name"] == "portone.callback"][0]
    assert callback["exchange"]["browser"]["success"] is True and "paid_amount" in callback["exchange"]["browser"]
