"""The attack lab in real Chromium: run one attack from its button, see it held, follow the flow link."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_run_an_attack_see_it_held_and_open_the_flow_with_the_failed_check(page):
    site = page.site
    page.goto(site.url + "/?lang=en")
    page.get_by_role("link", name="Attack lab").click()
    card = page.locator("#attack-portone-tampered-amount")
    expect(card.locator(".lab-defence")).to_contain_text("cancels it at PortOne")
    card.get_by_role("button", name="Run attack").click()
    expect(card.locator(".lab-verdict")).to_have_text("held", timeout=30000)
    expect(card.locator(".lab-checks")).to_contain_text("✓")
    expect(card.locator(".lab-table").first).to_contain_text("forged")
    expect(card.locator(".lab-table").nth(1)).to_contain_text("cancelled")
    card.locator("a.lab-flow-link").first.click()
    expect(page.locator("#timeline")).to_be_visible()
    check = page.locator('li.step[data-name="portone.check_amount"]').first
    expect(check).to_have_class("step verdict-fail kind-check")
    expect(check.locator(".summary")).to_have_text("stored KRW 15,000 ≠ paid KRW 100")
    expect(page.locator('li.step[data-name="portone.cancelled"].verdict-pass')).to_have_count(1)
