"""The step log in real Chromium: a flow page's steps and copy-as-curl, the checkout page's live logs."""
import base64
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shop.settle import Check
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
        steps.Flow(oid, "toss").checks([Check("check_amount", False, "Confirmed amount ≠ stored amount", 15000, 100)])
        orders.transition(oid, orders.OPEN, orders.Status.FORGED, "amount differs")
    expect(entries).to_have_count(5)
    expect(entries.nth(4)).to_have_class(re.compile(r"verdict-fail"))
    expect(entries.nth(4).locator(".mark")).to_have_text("✗")
    expect(log.locator(".live-status")).to_have_text("A payment that did not match was refused (it can be paid again)")
    expect(log).to_have_attribute("data-state", "done")      # final and quiet: polling stopped
    assert page.evaluate("window.__sameDocument") is True    # no reload happened
    assert site.app.config["TOSS_SECRET_KEY"] not in log.inner_text()


# ---- end to end: the real PortOne and Toss checkouts on the checkout page ----------------------------

ROOT = Path(__file__).resolve().parent.parent


def _checkouts_ready():
    views = ROOT / "shop" / "portone" / "views.py"
    return ((ROOT / "tests" / "drivers" / "portone.py").exists() and (ROOT / "tests" / "drivers" / "toss.py").exists()
            and views.exists() and "/payments/complete" in views.read_text())


e2e = pytest.mark.skipif(not _checkouts_ready(), reason="the PortOne and Toss checkouts are not in the tree")


def flow_of(log):
    return log.get_attribute("data-order-id")


def checkout_both(page):
    """Pay with Toss (its success redirect leaves the page), then with PortOne (its callback does not),
    watching each PG's live log fill in. Returns (portone order id, toss order id)."""
    site = page.site
    page.goto(site.url + "/?lang=en")
    toss_log = page.locator('.live-log[data-pg="toss"]')
    pay = page.locator("#toss-pay")
    expect(pay).to_be_enabled()
    pay.click()
    expect(toss_log.locator('.live-step[data-name="toss.request_payment"] .reported-badge')).to_have_text(
        "reported by the browser, not verified")
    expect(toss_log.locator('.live-step[data-name="toss.price_order"]')).to_contain_text("Order")
    toss_id = flow_of(toss_log)
    page.frame_locator('iframe[name="toss-emu-window"]').locator('button[data-outcome="approve"]').click()
    page.wait_for_url(re.compile(r"/success\?"))
    expect(page.locator("body")).to_contain_text("Paid and verified")

    page.goto(site.url + "/?lang=en")
    portone_log = page.locator('.live-log[data-pg="portone"]')
    page.locator("#portone-pay").click()
    expect(portone_log.locator('.live-step[data-name="portone.price_order"]')).to_have_count(1)
    page.frame_locator("iframe.imp-emulator-window").locator('button[data-outcome="approve"]').click()
    expect(portone_log.locator(".live-status")).to_have_text("Paid and verified")
    for name in ("portone.request_pay", "portone.callback", "portone.get_token", "portone.get_payment",
                 "portone.check_amount"):
        expect(portone_log.locator(f'.live-step[data-name="{name}"]').first).to_be_visible()
    expect(portone_log.locator('.live-step[data-name="portone.check_amount"] .mark').first).to_have_text("✓")
    expect(portone_log).to_have_attribute("data-state", "done")
    return flow_of(portone_log), toss_id


@e2e
def test_real_checkouts_fill_the_live_logs_and_line_up_on_the_compare_page(page):
    site = page.site
    portone_id, toss_id = checkout_both(page)

    page.locator("nav.main-nav a", has_text="Compare").click()
    expect(page.locator("#compare-head-a")).to_contain_text(portone_id)
    expect(page.locator("#compare-head-b")).to_contain_text(toss_id)
    groups = page.locator("tbody.phase-group")
    expect(groups).to_have_count(9)
    assert [groups.nth(i).get_attribute("data-phase") for i in range(9)] == list(steps.PHASES)
    server_auth = page.locator('tbody.phase-group[data-phase="server_auth"]')
    expect(server_auth.locator(".difference-line")).to_contain_text("/users/getToken")
    expect(server_auth.locator("td.col-a")).to_contain_text("Shop server → PortOne")
    approve = page.locator('tbody.phase-group[data-phase="approve"]')
    expect(approve.locator("td.col-a li").first).to_be_visible()
    expect(approve.locator("td.col-b")).to_contain_text("Shop server → Toss Payments")
    # a cell's step opens its exchange on the flow page
    approve.locator("td.col-b a").first.click()
    expect(page.locator(".flow-timeline li.targeted details")).to_have_attribute("open", "")

    page.goto(f"{site.url}/flows/{portone_id}?lang=en")
    expect(page.locator("svg.sequence g.lifeline")).to_have_count(3)
    expect(page.locator("svg.sequence g.lifeline text")).to_have_text(["Browser", "Shop server", "PortOne"])
    recorded = site.get(f"/api/flows/{portone_id}").json()["steps"]
    expected_arrows = 0
    for s in recorded:
        if s["kind"] in ("http_out", "fault") and (s["exchange"] or {}).get("request"):
            expected_arrows += 2
        elif s["actor_from"] != s["actor_to"] or s["kind"] == "check":
            expected_arrows += 1
    assert expected_arrows >= 8
    expect(page.locator("svg.sequence .msg")).to_have_count(expected_arrows)
    for s in recorded:
        if s["kind"] == "http_out":
            expect(page.locator(f'svg.sequence g.message[data-step="{s["id"]}"] .msg')).to_have_count(2)


def emulator_tokens(site):
    """Every secret the emulator handed out: PortOne access tokens and Toss payment secrets."""
    import sqlite3
    db = sqlite3.connect(site.emulator.config["EMULATOR_DATABASE"])
    try:
        found = [r[0] for r in db.execute("SELECT access_token FROM portone_tokens")]
        found += [r[0] for r in db.execute("SELECT secret FROM toss_payments")]
    finally:
        db.close()
    return [t for t in found if t]


@e2e
def test_no_page_or_answer_shows_a_secret_after_real_checkouts(page):
    site = page.site
    portone_id, toss_id = checkout_both(page)
    cfg = site.app.config
    secrets = [cfg[k] for k in ("PORTONE_IMP_KEY", "PORTONE_IMP_SECRET", "TOSS_SECRET_KEY", "SECRET_KEY")]
    secrets.append(base64.b64encode((cfg["TOSS_SECRET_KEY"] + ":").encode()).decode())
    issued = emulator_tokens(site)
    assert len(issued) >= 2, "expected a PortOne token and a Toss payment secret in the emulator"
    secrets += issued
    paths = ["/", "/flows", "/api/flows", "/flows/compare", f"/flows/compare?a={portone_id}&b={toss_id}",
             "/flows?pg=toss", "/flows?verdict=ok"]
    for oid in (portone_id, toss_id):
        paths += [f"/flows/{oid}", f"/flows/{oid}.json", f"/api/flows/{oid}", f"/api/flows/{oid}/steps",
                  f"/orders/{oid}"]
    for path in paths:
        for lang in ("en", "ko"):
            resp = site.get(path + ("&" if "?" in path else "?") + "lang=" + lang)
            assert resp.status_code == 200, path
            for secret in secrets:
                assert secret not in resp.text, f"{path} shows a secret"
    for secret in secrets:          # and what the browser holds now
        assert secret not in page.content()
