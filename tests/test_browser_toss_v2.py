"""The shop's Toss column with SDK v2, and the subscription page, in real Chromium: widget (approve with a
coupon, decline, close, virtual account), the payment window without the widget, card registration, charges
(approved and declined), and the wrong key family explained plainly."""
import pytest
from playwright.sync_api import expect

from tests.drivers import toss as driver

pytestmark = pytest.mark.browser

WINDOW = 'iframe[name="toss-emu-window"]'


def open_v2(page):
    page.goto(page.site.url + "/?toss_sdk=v2&lang=en")
    page.evaluate("""() => { window.tossOrders = [];
        document.addEventListener('flow:started', e => window.tossOrders.push(e.detail)); }""")
    expect(page.locator("#toss2-methods .toss-emu-amount")).to_have_text("15,000 won")
    expect(page.locator("#toss2-pay")).to_be_enabled()


def started_order(page):
    page.wait_for_function("() => window.tossOrders.length > 0")
    return page.evaluate("() => window.tossOrders[window.tossOrders.length - 1]")["order_id"]


def shop_order(page, order_id):
    return page.site.get(f"/api/flows/{order_id}").json()["order"]


def test_widget_v2_coupon_goes_through_the_server_then_approve(page):
    open_v2(page)
    page.locator("#toss2-coupon-fixed").check()
    expect(page.locator("#toss2-methods .toss-emu-amount")).to_have_text("10,000 won")
    expect(page.locator("#toss2-total")).to_have_text("KRW 10,000")
    page.locator("#toss2-pay").click()
    window = page.frame_locator(WINDOW)
    expect(window.locator("#toss-amount")).to_have_text("10,000 won")
    window.locator('[data-outcome="approve"]').click()
    page.wait_for_url("**/success?**")
    expect(page.locator("#result-title")).to_have_text("Paid and verified")
    order = shop_order(page, page.locator("#result-order").inner_text())
    assert (order["status"], order["amount"], order["sdk"]) == ("paid", 10000, "v2")
    steps = page.site.get(f"/api/flows/{order['id']}/steps").json()["steps"]
    [sdk_call] = [s for s in steps if s["name"] == "toss.request_payment"]
    assert sdk_call["reported"] and "setAmount" in sdk_call["summary"]


def test_widget_v2_decline_lands_on_the_fail_page(page):
    open_v2(page)
    page.locator("#toss2-pay").click()
    order_id = started_order(page)
    page.frame_locator(WINDOW).locator('[data-outcome="decline_refused"]').click()
    page.wait_for_url("**/fail?**")
    expect(page.locator("main")).to_contain_text("REJECT_CARD_COMPANY")
    assert shop_order(page, order_id)["status"] == "failed"


def test_widget_v2_close_is_explained_and_nothing_is_paid(page):
    open_v2(page)
    page.locator("#toss2-pay").click()
    order_id = started_order(page)
    page.frame_locator(WINDOW).locator('[data-outcome="close"]').click()
    expect(page.locator("#toss2-message")).to_contain_text("You closed the Toss window before paying")
    expect(page.locator("#toss2-pay")).to_be_enabled()
    assert shop_order(page, order_id)["status"] == "pending"


def test_widget_v2_virtual_account_waits_for_the_deposit(page):
    open_v2(page)
    page.locator("#toss2-methods").get_by_label("Virtual account").check()
    page.locator("#toss2-pay").click()
    window = page.frame_locator(WINDOW)
    expect(window.locator("#toss-method")).to_contain_text("가상계좌")
    window.locator('[data-outcome="approve"]').click()
    page.wait_for_url("**/success?**")
    expect(page.locator("#result-title")).to_have_text("Waiting for the deposit")
    expect(page.locator("#vbank-num")).to_contain_text("X")


def test_payment_window_v2_is_confirmed_with_the_api_secret(page):
    open_v2(page)
    expect(page.locator("#toss2-window-pay")).to_be_enabled()
    page.locator("#toss2-window-pay").click()
    window = page.frame_locator(WINDOW)
    expect(window.locator("#toss-amount")).to_have_text("15,000 won")
    window.locator('[data-outcome="approve"]').click()
    page.wait_for_url("**/success?**")
    expect(page.locator("#result-title")).to_have_text("Paid and verified")
    order = shop_order(page, page.locator("#result-order").inner_text())
    assert order["sdk"] == "v2-payment"
    record = driver.record(page.site, order["pg_payment_id"], secret=driver.API_SECRET)
    assert (record["status"], record["mId"]) == ("DONE", "tvivarepublica")


def test_the_wrong_key_family_is_shown_plainly(page):
    page.site.app.config["TOSS_CLIENT_KEY"] = driver.API_CLIENT_KEY   # an API key where the widget key belongs
    page.goto(page.site.url + "/?toss_sdk=v2&lang=en")
    expect(page.locator("#toss2-message")).to_contain_text("Wrong key family")
    expect(page.locator("#toss2-message")).to_contain_text("NOT_SUPPORTED_API_INDIVIDUAL_KEY")
    expect(page.locator("#toss2-pay")).to_be_disabled()


def register_card(page):
    page.goto(page.site.url + "/subscription?lang=en")
    expect(page.locator("#toss-no-card")).to_be_visible()
    page.locator("#toss-register-card").click()
    page.frame_locator(WINDOW).get_by_role("button", name="Register the card").click()
    page.wait_for_url("**/subscription")
    expect(page.locator("#toss-card-number")).to_contain_text("43301234")


def test_subscription_register_charge_and_a_declined_charge(page):
    register_card(page)
    expect(page.locator("#registration-log")).to_contain_text("toss.issue_billing_key")
    page.locator("#toss-plan").select_option("basic")
    page.locator("#toss-charge").click()
    first = page.locator("tr.charge").first
    expect(first).to_have_attribute("data-status", "paid")
    expect(first).to_contain_text("KRW 9,900")
    expect(page.locator("#charge-log")).to_contain_text("toss.charge_billing")
    page.locator("#toss-plan").select_option("declined")
    page.locator("#toss-charge").click()
    expect(page.locator("tr.charge").first).to_have_attribute("data-status", "failed")
    expect(page.locator("tr.charge").first).to_contain_text("card company refused")
    page.locator("tr.charge[data-status=paid] .cancel-charge").click()
    expect(page.locator("tr.charge[data-status=cancelled]")).to_have_count(1)
    from emulator import db
    with page.site.emulator.app_context():
        [key] = [r[0] for r in db.get_db().execute("SELECT billing_key FROM toss_billing_keys")]
    assert key not in page.content()


def test_subscription_with_portone_registers_in_the_window_then_charges(page):
    page.goto(page.site.url + "/subscription?lang=en")
    expect(page.locator("#portone-no-card")).to_be_visible()
    page.locator("#portone-register-card").click()
    page.frame_locator("iframe.imp-emulator-window").locator('button[data-outcome="approve"]').click()
    expect(page.locator("#portone-card-number")).to_be_visible()
    page.locator("#portone-plan").select_option("basic")
    page.locator("#portone-charge").click()
    first = page.locator("tr.charge").first
    expect(first).to_have_attribute("data-status", "paid")
    expect(first).to_contain_text("PortOne")
