"""The Toss column in real Chromium: coupons re-price the widget, pay in the hosted window, close, decline."""
import base64

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SECRET_KEY = "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{SECRET_KEY}:".encode()).decode()}
WINDOW = 'iframe[name="toss-emu-window"]'


def open_checkout(page):
    page.goto(page.site.url + "/?lang=en")
    # record the orders the panel creates (the page announces each one with flow:started)
    page.evaluate("""() => { window.tossOrders = [];
        document.addEventListener('flow:started', e => window.tossOrders.push(e.detail)); }""")
    expect(page.locator("#toss-methods .toss-emu-amount")).to_have_text("15,000 won")
    expect(page.locator("#toss-pay")).to_be_enabled()


def started_order(page):
    page.wait_for_function("() => window.tossOrders.length > 0")
    detail = page.evaluate("() => window.tossOrders[window.tossOrders.length - 1]")
    assert detail["pg"] == "toss"
    return detail["order_id"]


def shop_status(page, order_id):
    return page.site.get(f"/api/flows/{order_id}/steps").json()["status"]


def pg_record_by_order(page, order_id):
    resp = page.site.http.get(f"{page.site.url}/emulator/toss/v1/payments/orders/{order_id}", headers=AUTH,
                              timeout=10)
    return resp.status_code, resp.json()


def test_fixed_coupon_changes_the_widget_amount_and_the_total(page):
    open_checkout(page)
    expect(page.locator("#toss-total")).to_have_text("KRW 15,000")
    page.locator("#toss-coupon-fixed").check()
    expect(page.locator("#toss-methods .toss-emu-amount")).to_have_text("10,000 won")
    expect(page.locator("#toss-total")).to_have_text("KRW 10,000")
    expect(page.locator("#toss-discount")).to_have_text("−KRW 5,000")
    page.locator("#toss-coupon-fixed").uncheck()
    expect(page.locator("#toss-methods .toss-emu-amount")).to_have_text("15,000 won")
    expect(page.locator("#toss-total")).to_have_text("KRW 15,000")


def test_pay_with_coupon_and_approve_lands_on_the_confirmed_result(page):
    open_checkout(page)
    page.locator("#toss-coupon-fixed").check()
    expect(page.locator("#toss-methods .toss-emu-amount")).to_have_text("10,000 won")
    page.locator("#toss-pay").click()
    window = page.frame_locator(WINDOW)
    expect(window.locator("#toss-amount")).to_have_text("10,000 won")
    window.locator('[data-outcome="approve"]').click()
    page.wait_for_url("**/success?**")
    expect(page.locator("#result-title")).to_have_text("Paid and verified")
    expect(page.locator("#result-amount")).to_have_text("KRW 10,000")
    order_id = page.locator("#result-order").inner_text()
    status, record = pg_record_by_order(page, order_id)
    assert (status, record["status"], record["totalAmount"]) == (200, "DONE", 10000)
    assert shop_status(page, order_id) == "paid"
    steps = page.site.get(f"/api/flows/{order_id}/steps").json()["steps"]
    [sdk_call] = [s for s in steps if s["name"] == "toss.request_payment"]
    assert sdk_call["reported"] and sdk_call["phase"] == "checkout"


def test_closing_the_window_is_explained_in_the_panel_and_nothing_is_paid(page):
    open_checkout(page)
    page.locator("#toss-pay").click()
    order_id = started_order(page)
    page.frame_locator(WINDOW).locator('[data-outcome="close"]').click()
    expect(page.locator("#toss-message")).to_contain_text("You closed the Toss window before paying")
    expect(page.locator("#toss-message")).to_contain_text("USER_CANCEL")
    expect(page.locator(WINDOW)).to_have_count(0)
    expect(page.locator("#toss-pay")).to_be_enabled()
    assert page.url.startswith(page.site.url + "/?")
    assert shop_status(page, order_id) == "pending"
    status, record = pg_record_by_order(page, order_id)
    assert (status, record["status"], record["approvedAt"]) == (200, "READY", None)
    steps = page.site.get(f"/api/flows/{order_id}/steps").json()["steps"]
    assert any(s["name"] == "toss.rejection" and "USER_CANCEL" in s["summary"] for s in steps)


def test_declined_card_lands_on_the_fail_page_with_a_plain_explanation(page):
    open_checkout(page)
    page.locator("#toss-pay").click()
    page.frame_locator(WINDOW).locator('[data-outcome="decline_refused"]').click()
    page.wait_for_url("**/fail?**")
    expect(page.locator("#result-title")).to_have_text("Payment not completed")
    expect(page.locator("#fail-explanation")).to_contain_text("The card company refused this payment")
    expect(page.locator("#fail-code")).to_have_text("REJECT_CARD_COMPANY")
    expect(page.locator("#fail-status")).to_have_text("Not paid: the attempt failed (it can be paid again)")
    order_id = page.locator("#result-order").inner_text()
    assert shop_status(page, order_id) == "failed"


def test_expired_coupon_code_shows_the_servers_refusal_and_is_not_applied(page):
    open_checkout(page)
    page.locator("#toss-coupon-code").fill("summer2025")
    page.locator("#toss-coupon-apply").click()
    expect(page.locator("#toss-coupon-message")).to_have_text("Coupon SUMMER2025 expired on 2025-08-31.")
    expect(page.locator("#toss-total")).to_have_text("KRW 15,000")
    expect(page.locator("#toss-methods .toss-emu-amount")).to_have_text("15,000 won")
    # a good code afterwards is applied, and the order is priced with it
    page.locator("#toss-coupon-code").fill("WELCOME10")
    page.locator("#toss-coupon-apply").click()
    expect(page.locator("#toss-coupon-message")).to_have_text("Coupon WELCOME10 applied.")
    expect(page.locator("#toss-methods .toss-emu-amount")).to_have_text("13,500 won")
    expect(page.locator("#toss-total")).to_have_text("KRW 13,500")
