"""A newcomer's first hour, in real Chromium (issue #16): outcomes said plainly in the reader's language, a step
log that tells its story, coupons that show what is applied, and the small things that looked careless."""
import re

import pytest
from playwright.sync_api import expect

from shop.steps import PHASES
from tests.drivers import toss as toss_driver

pytestmark = pytest.mark.browser

PORTONE_WINDOW = "iframe.imp-emulator-window"
TOSS_WINDOW = 'iframe[name="toss-emu-window"]'


def path_of(site, url):
    return url.replace(site.url, "")


def toss_paid(site):
    """A Toss order paid through the window and /success, as the browser would; returns the order."""
    order = site.order("toss")
    assert site.get(path_of(site, toss_driver.pay(site, order)["redirect_url"]) + "&lang=en").ok
    return order


# ---- outcomes said plainly --------------------------------------------------------------------------

def test_a_refused_toss_return_says_not_confirmed_and_shows_amounts_in_won(page):
    site = page.site
    order = site.order("toss")
    tampered = path_of(site, toss_driver.pay(site, order)["redirect_url"]).replace("amount=15000", "amount=100")
    page.goto(site.url + tampered + "&lang=en")
    expect(page.locator("#result-title")).to_have_text("Payment not confirmed")
    expect(page.locator("#fail-status")).to_have_text("Not confirmed: nothing was charged, the order can still be "
                                                      "paid")
    row = page.locator('#failed-checks tr[data-check="check_amount"] td.value')
    expect(row).to_have_text(["KRW 15,000", "KRW 100"])
    assert site.get(f"/api/flows/{order['order_id']}").json()["order"]["status"] == "pending"   # still payable
    page.goto(site.url + tampered + "&lang=ko")
    expect(page.locator('#failed-checks tr[data-check="check_amount"] td.value')).to_have_text(["15,000원", "100원"])
    expect(page.locator("#fail-status")).not_to_contain_text("결제 대기")


def test_pg_values_are_shown_as_values_with_their_meaning(page):
    site = page.site
    order = toss_paid(site)
    page.goto(f"{site.url}/flows/{order['order_id']}?lang=en")
    method = page.locator('#timeline .step[data-name="toss.check_method"] .summary').first
    expect(method).to_have_text("Method “카드” (card) fits status “DONE”")
    expect(method.locator("code.pg-value")).to_have_text(["카드", "DONE"])
    page.goto(f"{site.url}/flows/{order['order_id']}?lang=ko")
    expect(page.locator('#timeline .step[data-name="toss.check_method"] .summary').first).to_contain_text(
        "“카드”(신용·체크카드)")


def test_portone_window_names_card_companies_in_the_readers_language(page):
    page.goto(page.site.url + "/?lang=en")
    page.locator("#portone-pay").click()
    window = page.frame_locator(PORTONE_WINDOW)
    expect(window.locator("#imp-card option").first).to_have_text("신한카드 — Shinhan Card")


def test_a_second_success_for_a_paid_order_reads_as_no_change(page):
    site = page.site
    order = toss_paid(site)
    other = site.order("toss")
    key = toss_driver.pay(site, other)["paymentKey"]
    page.goto(f"{site.url}/success?paymentType=NORMAL&orderId={order['order_id']}&paymentKey={key}&amount=15000"
              "&lang=en")
    page.goto(f"{site.url}/flows/{order['order_id']}?lang=en")
    step = page.locator('#timeline .step[data-name="toss.check_not_settled"]').last
    expect(step.locator(".summary")).to_have_text("No change: the order is already paid, so it is not confirmed "
                                                  "again")
    expect(step.locator(".compared")).to_have_text("✗ already paid: nothing to confirm again")
    expect(page.locator("#timeline")).not_to_contain_text("stored pending ≠ received paid")
    transition = page.locator('#timeline .step[data-name="toss.status"] .compared').first
    expect(transition).to_have_text("pending → paid")
    assert site.get(f"/api/flows/{order['order_id']}").json()["order"]["status"] == "paid"


# ---- the step log tells its story -------------------------------------------------------------------

def test_a_browser_step_after_the_webhook_is_explained_and_a_phase_view_is_offered(page):
    """PortOne does not promise the order: here its webhook is handled before the page reports the return."""
    site = page.site
    order = site.order("portone")
    assert site.post("/webhooks/portone", csrf=False, json={"imp_uid": "imp_000000000001",
                                                            "merchant_uid": order["order_id"],
                                                            "status": "paid"}).status_code == 200
    assert site.post(f"/api/flows/{order['order_id']}/events", json={
        "phase": "return", "name": "portone.callback", "summary_key": "portone.callback_paid",
        "values": {"imp_uid": "imp_000000000001"}}).status_code == 201
    page.goto(f"{site.url}/flows/{order['order_id']}?lang=en")
    in_time = page.locator("#timeline .step").evaluate_all("els => els.map(e => e.dataset.phase)")
    assert in_time.index("notify") < in_time.index("return")
    note = page.locator('#timeline .phase-row[data-phase="return"] .out-of-order')
    expect(note).to_contain_text("Out of order: recorded after Notify")
    expect(note).to_contain_text("The PG does not promise the order of its messages")
    expect(page.locator("#timeline .out-of-order")).to_have_count(1)
    page.locator("#view-phase").click()
    expect(page.locator("#view-time")).to_have_attribute("href", re.compile(order["order_id"]))
    phases = page.locator("#timeline .step").evaluate_all("els => els.map(e => e.dataset.phase)")
    assert phases == sorted(phases, key=PHASES.index) and phases.index("return") < phases.index("notify")
    expect(page.locator("#timeline .out-of-order")).to_have_count(0)


def test_compare_picks_flows_from_lists_of_recent_flows(page):
    site = page.site
    first, second, toss = site.order("portone"), site.order("portone"), site.order("toss")
    page.goto(site.url + "/flows/compare?lang=en")
    picker = page.locator("#compare-a")
    expect(picker).to_have_value(second["order_id"])     # the newest PortOne flow by default
    label = picker.locator(f'option[value="{first["order_id"]}"]')
    expect(label).to_contain_text("PortOne V1 · Waiting for the payment · KRW 15,000")
    expect(label).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST"))
    picker.select_option(first["order_id"])
    page.locator("#compare-b").select_option(toss["order_id"])
    page.locator(".compare-pick button[type=submit]").click()
    expect(page.locator("#compare-head-a")).to_contain_text(first["order_id"])
    expect(page.locator("#compare-head-b")).to_contain_text(toss["order_id"])


def test_flow_times_are_in_kst_with_the_zone_named(page):
    site = page.site
    order = site.order("toss")
    stamp = re.match(r"order-(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)-", order["order_id"]).groups()
    shown = "{}-{}-{} {}:{}:{} KST".format(*stamp)
    page.goto(f"{site.url}/flows/{order['order_id']}?lang=en")
    expect(page.locator("#flow-time")).to_have_text(shown)
    page.goto(site.url + "/flows?lang=en")
    expect(page.locator(f'tr[data-order-id="{order["order_id"]}"] td.time')).to_have_text(shown)


def test_product_names_follow_the_readers_language(page):
    """Placed in English, read in Korean: the flows list, the flow, its step summary and the result page."""
    site = page.site
    page.goto(site.url + "/?lang=en")
    page.locator("#portone-pay").click()
    page.frame_locator(PORTONE_WINDOW).locator('button[data-outcome="approve"]').click()
    link = page.locator("#portone-result .portone-result-link")
    order_id = link.get_attribute("href").rsplit("/", 1)[1]
    page.goto(f"{site.url}/flows/{order_id}?lang=en")
    expect(page.locator('#timeline .step[data-name="portone.create_order"] .summary')).to_have_text(
        "Browser asked for 1 × Running shoes with no coupon")
    page.goto(site.url + "/flows?lang=ko")
    expect(page.locator(f'tr[data-order-id="{order_id}"] .product')).to_have_text("러닝화")
    page.goto(f"{site.url}/flows/{order_id}?lang=ko")
    expect(page.locator("#flow-product")).to_have_text("러닝화")
    expect(page.locator('#timeline .step[data-name="portone.create_order"] .summary')).to_contain_text("러닝화")
    page.goto(f"{site.url}/orders/{order_id}?lang=ko")
    expect(page.locator("#result-product")).to_have_text("러닝화")


# ---- coupons --------------------------------------------------------------------------------------

def test_applied_coupons_are_listed_and_can_be_removed(page):
    page.goto(page.site.url + "/?lang=en")
    page.locator("#quantity").fill("2")
    page.locator("#quantity").dispatch_event("change")
    expect(page.locator("#toss-total")).to_have_text("KRW 30,000")
    expect(page.locator("#toss-coupon-rules")).to_contain_text("Up to 3 coupons per order, each once; their "
                                                               "discounts add up")
    for code in ("WELCOME10", "BIG30K"):
        page.locator("#toss-coupon-code").fill(code)
        page.locator("#toss-coupon-apply").click()
        expect(page.locator(f'#toss-coupon-list li[data-code="{code}"]')).to_be_visible()
    expect(page.locator("#toss-coupon-list li")).to_have_text([re.compile(r"WELCOME10 −KRW 3,000"),
                                                               re.compile(r"BIG30K −KRW 8,000")])
    expect(page.locator("#toss-total")).to_have_text("KRW 19,000")
    expect(page.locator("#toss-methods .toss-emu-amount")).to_have_text("19,000 won")
    page.locator("#toss-coupon-code").fill("welcome10")
    page.locator("#toss-coupon-apply").click()
    expect(page.locator("#toss-coupon-message")).to_have_text("Coupon WELCOME10 is already applied.")
    page.locator('#toss-coupon-list li[data-code="WELCOME10"] button').click()
    expect(page.locator("#toss-coupon-list li")).to_have_count(1)
    expect(page.locator("#toss-total")).to_have_text("KRW 22,000")
    expect(page.locator("#toss-coupon-message")).to_have_text("Coupon WELCOME10 removed.")
    page.locator("#toss-coupon-fixed").check()
    expect(page.locator('#toss-coupon-list li[data-code="TOSS5000"]')).to_be_visible()
    page.locator('#toss-coupon-list li[data-code="TOSS5000"] button').click()
    expect(page.locator("#toss-coupon-fixed")).not_to_be_checked()
    expect(page.locator("#toss-total")).to_have_text("KRW 22,000")


# ---- small things ---------------------------------------------------------------------------------

def test_the_walkthrough_link_is_styled_and_only_on_the_pages_of_a_payment(page):
    site = page.site
    page.goto(site.url + "/walkthrough?lang=en")
    expect(page.locator(".wt-keys")).to_contain_text("End for the last slide")
    page.goto(site.url + "/?lang=en")
    resume = page.locator("#wt-resume")
    expect(resume).to_be_visible()
    box = resume.bounding_box()
    assert box["x"] >= 8, box   # not flush against the page edge
    assert resume.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    page.goto(site.url + "/code/compare?lang=en")
    expect(page.locator("#wt-resume")).to_have_count(0)


def test_no_page_requests_a_missing_favicon(page):
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    order = page.site.order("portone")
    for path in ("/?lang=en", "/flows", f"/flows/{order['order_id']}"):
        page.goto(page.site.url + path)
        page.wait_for_load_state("load")
    page.goto(page.site.url + "/?lang=en")
    page.locator("#portone-pay").click()
    expect(page.frame_locator(PORTONE_WINDOW).locator('button[data-outcome="approve"]')).to_be_visible()
    assert not missing, missing
    icon = page.site.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.text.startswith("<svg")


def frame_fits(page, frame_selector, content_selector):
    """The frame's height is its content's (no large empty area below it)."""
    frame = page.locator(frame_selector)
    page.wait_for_function(f"() => document.querySelector({frame_selector!r}).getBoundingClientRect().height < 600")
    content = page.frame_locator(frame_selector).locator(content_selector)
    bottom = content.evaluate("e => e.getBoundingClientRect().bottom")
    height = frame.bounding_box()["height"]
    assert bottom <= height <= bottom + 40, (bottom, height)


def test_both_payment_windows_are_dialogs_that_fit_their_content(page):
    page.goto(page.site.url + "/?lang=en")
    expect(page.locator("#toss-pay")).to_be_enabled()
    page.locator("#portone-pay").click()
    expect(page.locator(".imp-emulator-modal")).to_have_attribute("role", "dialog")
    frame_fits(page, PORTONE_WINDOW, "#imp-window")
    page.frame_locator(PORTONE_WINDOW).locator('button[data-outcome="close"]').click()
    expect(page.locator(PORTONE_WINDOW)).to_have_count(0)
    page.locator("#toss-pay").click()
    overlay = page.locator(".toss-emu-overlay")
    expect(overlay).to_have_attribute("role", "dialog")
    expect(overlay).to_have_attribute("aria-modal", "true")
    frame_fits(page, TOSS_WINDOW, ".toss-win")
    window = page.frame_locator(TOSS_WINDOW)
    expect(window.locator("#toss-merchant")).to_have_text(re.sub(r"^https?://", "", page.site.url))
    expect(window.locator("#toss-mid")).to_have_text("tgen_docs")
    expect(window.locator("#toss-method")).to_have_text("카드 (Card)")
    expect(window.locator("#toss-method code.pg-value")).to_have_text("카드")


def test_a_closed_toss_window_is_said_plainly_on_the_result_page(page):
    site = page.site
    page.goto(site.url + "/?lang=en")
    page.evaluate("""() => { window.started = [];
        document.addEventListener('flow:started', e => window.started.push(e.detail.order_id)); }""")
    expect(page.locator("#toss-pay")).to_be_enabled()
    page.locator("#toss-pay").click()
    page.frame_locator(TOSS_WINDOW).locator('[data-outcome="close"]').click()
    expect(page.locator("#toss-message")).to_contain_text("You closed the Toss window before paying")
    order_id = page.evaluate("() => window.started[0]")
    page.goto(f"{site.url}/orders/{order_id}?lang=en")
    expect(page.locator("#result-title")).to_have_text("Not paid: nothing was charged")
    expect(page.locator("#result-reason")).to_contain_text("The buyer closed the payment window")
    page.goto(f"{site.url}/orders/{order_id}?lang=ko")
    expect(page.locator("#result-reason")).to_contain_text("구매자가 결제창을 닫아 아무것도 결제되지 않았습니다")


def test_a_closed_portone_window_with_m_redirect_url_is_said_plainly_too(page):
    page.goto(page.site.url + "/?lang=en")
    page.locator("#portone-redirect").check()
    page.locator("#portone-pay").click()
    page.frame_locator(PORTONE_WINDOW).locator('button[data-outcome="close"]').click()
    page.wait_for_url("**/orders/*")
    expect(page.locator("#result-title")).to_have_text("Not paid: nothing was charged")
    expect(page.locator("#result-reason")).to_contain_text("The buyer closed the payment window")
