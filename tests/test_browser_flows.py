"""The step log in real Chromium: a flow page's steps and copy-as-curl, the checkout page's live logs."""
import base64
import re

import pytest
from playwright.sync_api import expect

from shop import orders, steps

pytestmark = pytest.mark.browser

TOKEN = "tok_b7e2c4a9d1f3e5a7c9b1d3f5a7c9e1b3d5f7a9c1"


def add_toss_confirm(site, oid):
    """A confirm call as shop.http records it: the raw Basic header goes in, redacted on the way."""
    app = site.app
    basic = base64.b64encode((app.config["TOSS_SECRET_KEY"] + ":").encode()).decode()
    with app.app_context():
        from shop import redact
        headers = redact.headers({"Authorization": f"Basic {basic}", "Idempotency-Key": "idem-7"})
        return steps.record(oid, "approve", "toss.confirm", "Confirm the payment → HTTP 200", kind="http_out",
                            actor_from="shop", actor_to="toss", verdict="info", duration_ms=12.5, exchange={
                                "request": {"method": "POST", "url": site.url + "/emulator/toss/v1/payments/confirm",
                                            "headers": headers, "encoding": "json",
                                            "body": {"paymentKey": "pk_7", "orderId": oid, "amount": 15000}},
                                "response": {"status": 200, "body": {"status": "DONE", "secret": "ps_hidden_0000"}}})


def test_flow_page_step_opens_and_copy_as_curl_gives_placeholders(page):
    site = page.site
    order = site.order("toss", buyer_name="<script>alert(1)</script>")
    sid = add_toss_confirm(site, order["order_id"])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page.goto(f"{site.url}/flows/{order['order_id']}?lang=en")
    expect(page.locator("#flow-buyer")).to_have_text("<script>alert(1)</script>")
    step = page.locator(f"#step-{sid}")
    expect(step.locator(".curl")).to_be_hidden()
    step.locator("summary").click()
    expect(step.locator(".explanation")).to_contain_text("within 10 minutes")
    expect(step.locator("mark.redacted").first).to_have_text("[REDACTED:TOSS_SECRET_KEY:base64]")
    step.get_by_role("button", name="Copy as curl").click()
    expect(step.locator(".copy-status")).to_have_text("Copied to the clipboard")
    copied = page.evaluate("navigator.clipboard.readText()")
    shown = step.locator(".curl").inner_text()
    assert copied == shown
    assert copied.startswith(f"curl -X POST '{site.url}/emulator/toss/v1/payments/confirm'")
    assert '-u "$TOSS_SECRET_KEY:"' in copied
    secret = site.app.config["TOSS_SECRET_KEY"]
    assert secret not in copied and base64.b64encode(f"{secret}:".encode()).decode() not in copied
    assert secret not in page.content()
    # the diagram: three lifelines, the confirm call's two arrows, clicking one opens its step
    expect(page.locator("svg.sequence g.lifeline")).to_have_count(3)
    expect(page.locator(f'svg.sequence g.message[data-step="{sid}"] .msg')).to_have_count(2)


def test_diagram_arrow_opens_its_step(page):
    site = page.site
    order = site.order("toss")
    sid = add_toss_confirm(site, order["order_id"])
    page.goto(f"{site.url}/flows/{order['order_id']}?lang=en")
    details = page.locator(f"#step-{sid} details")
    expect(details).not_to_have_attribute("open", "")
    page.locator(f'svg.sequence g.message[data-step="{sid}"][data-kind="request"]').click()
    expect(details).to_have_attribute("open", "")
    assert page.url.endswith(f"#step-{sid}")


def test_checkout_live_log_fills_in_as_steps_are_recorded(page):
    site = page.site
    page.goto(site.url + "/?lang=en")
    page.evaluate("window.__sameDocument = true")
    order = site.order("toss")
    oid = order["order_id"]
    page.evaluate("id => document.dispatchEvent(new CustomEvent('flow:started', "
                  "{detail: {pg: 'toss', order_id: id}}))", oid)
    log = page.locator('.live-log[data-pg="toss"]')
    entries = log.locator(".live-step")
    expect(entries).to_have_count(2)      # create_order and price_order, recorded by POST /api/orders
    expect(entries.nth(1)).to_contain_text("Order")
    expect(entries.nth(1)).to_contain_text("Shop server → Shop server")
    expect(log.locator(".live-status")).to_have_text("Waiting for the payment")
    expect(page.locator('.live-log[data-pg="portone"] .live-step')).to_have_count(0)

    with site.app.app_context():
        reported = steps.record(oid, "checkout", "toss.request_payment", "requestPayment({orderId, amount})",
                                kind="browser", actor_from="browser", actor_to="toss", verdict="info",
                                reported=True)
    expect(entries).to_have_count(3)
    third = entries.nth(2)
    expect(third).to_contain_text("Checkout")
    expect(third).to_contain_text("Browser → Toss Payments")
    expect(third.locator(".reported-badge")).to_have_text("reported by the browser, not verified")
    expect(third.locator("a.step-link")).to_have_attribute("href", f"/flows/{oid}#step-{reported}")

    with site.app.app_context():
        add_toss_confirm(site, oid)
        steps.check(oid, "verify", "toss.check_amount", "Confirmed amount ≠ stored amount", False, 15000, 100)
        orders.transition(oid, orders.OPEN, orders.Status.FORGED, "amount differs")
    expect(entries).to_have_count(5)
    expect(entries.nth(4)).to_have_class(re.compile(r"verdict-fail"))
    expect(entries.nth(4).locator(".mark")).to_have_text("✗")
    expect(log.locator(".live-status")).to_have_text("Rejected as forged, cancelled at the PG")
    expect(log).to_have_attribute("data-state", "done")      # final and quiet: polling stopped
    assert page.evaluate("window.__sameDocument") is True    # no reload happened
    assert site.app.config["TOSS_SECRET_KEY"] not in log.inner_text()
