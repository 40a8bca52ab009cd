"""The walkthrough in real Chromium: pay in both columns, then step through every phase with the keyboard;
and the language switch, remembered from page to page and in the emulator's payment window."""
import re

import pytest
from playwright.sync_api import expect

from shop.steps import PHASES

pytestmark = pytest.mark.browser

PORTONE_WINDOW = "iframe.imp-emulator-window"
TOSS_WINDOW = 'iframe[name="toss-emu-window"]'
SLIDES = 1 + 2 * len(PHASES) + 1   # start, before/after per phase, outcome


def slide_id(page):
    return page.locator("#walkthrough").get_attribute("data-slide")


def pay_both(page, lang="en"):
    """Pay with PortOne in place, then with Toss (which lands on the result page), then come back."""
    page.goto(page.site.url + f"/walkthrough?lang={lang}")
    expect(page.locator("#toss-pay")).to_be_enabled()
    page.locator("#portone-pay").click()
    page.frame_locator(PORTONE_WINDOW).locator('button[data-outcome="approve"]').click()
    expect(page.locator('.wt-flow-status[data-pg="portone"]')).to_have_attribute("data-status", "paid")
    page.locator("#toss-pay").click()
    page.frame_locator(TOSS_WINDOW).locator('[data-outcome="approve"]').click()
    page.wait_for_url("**/success?**")
    expect(page.locator("#result-title")).to_have_attribute("id", "result-title")
    page.locator("#wt-resume a").click()
    expect(page.locator('.wt-flow-status[data-pg="toss"]')).to_have_attribute("data-status", "paid")
    expect(page.locator('.wt-flow-status[data-pg="portone"]')).to_have_attribute("data-status", "paid")


def test_keyboard_walks_both_payments_through_every_phase(page):
    pay_both(page)
    expect(page.locator("#wt-progress")).to_have_text(f"Slide 1 of {SLIDES}")
    page.locator("body").click(position={"x": 5, "y": 5})  # focus the page, not a form field

    seen = {}
    keys = ["ArrowRight", "PageDown", " "]
    for i, phase in enumerate(PHASES):
        page.keyboard.press(keys[i % 3])
        before = page.locator(f"#slide-{phase}-before")
        expect(before).to_be_visible()
        lead = before.locator(".wt-lead").inner_text()
        assert lead and lead not in seen.values(), "each phase says what is about to happen, in its own words"
        seen[phase] = lead
        page.keyboard.press("ArrowRight")
        after = page.locator(f"#slide-{phase}-after")
        expect(after).to_be_visible()
        expect(after.locator(".wt-steps[data-state=shown]")).to_have_count(2)
        if phase not in ("authenticate", "notify"):   # inside the PG's window; webhooks may be on their way
            for pg in ("portone", "toss"):
                expect(after.locator(f'.wt-steps[data-pg="{pg}"] .wt-step').first).to_be_visible()
        expect(page.locator("#wt-progress")).to_have_text(f"Slide {2 + 2 * i + 1} of {SLIDES}")

    # Where the two PGs differ most: Toss confirms, PortOne reads back; both check the amount.
    page.keyboard.press("Home")
    expect(page.locator("#slide-start")).to_be_visible()
    page.goto(page.url.split("#")[0] + "#slide-approve-after")
    approve = page.locator("#slide-approve-after")
    expect(approve.locator('.wt-steps[data-pg="toss"] .wt-step.wt-key[data-name="toss.confirm"]').first).to_be_visible()
    expect(approve.locator('.wt-steps[data-pg="portone"] .wt-step.wt-key[data-name="portone.get_payment"]').first).to_be_visible()
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    verify = page.locator("#slide-verify-after")
    expect(verify).to_be_visible()
    amount = verify.locator('.wt-steps[data-pg="portone"] .wt-step[data-name="portone.check_amount"]').first
    expect(amount.locator(".compared")).to_have_text("stored KRW 15,000 = received KRW 15,000")
    expect(verify.locator('.wt-steps[data-pg="toss"] .wt-step[data-name="toss.check_amount"] .mark').first).to_have_text("✓")

    # Every step links to the shop function that recorded it; the link opens that line.
    link = amount.locator("a.wt-code-link")
    ref = link.inner_text()
    m = re.fullmatch(r"(shop/[\w/]+\.py):(\d+) (\w+)", ref)
    assert m, ref
    link.click()
    page.wait_for_url(f"**/code/{m.group(1)}?fn={m.group(3)}#L{m.group(2)}")
    line = page.locator(f"#L{m.group(2)}")
    expect(line).to_be_visible()
    assert line.evaluate("el => el.matches(':target')"), "the step's line is the highlighted one"
    expect(line).to_contain_text("check")   # the call that recorded this check
    expect(page.locator(".line.in-fn").first).to_contain_text(f"def {m.group(3)}(")
    page.go_back()
    expect(page.locator("#slide-verify-after")).to_be_visible()

    # To the end, then back one: the texts change with the slide.
    page.keyboard.press("End")
    end = page.locator("#slide-end")
    expect(end).to_be_visible()
    expect(page.locator("#wt-progress")).to_have_text(f"Slide {SLIDES} of {SLIDES}")
    expect(end.locator('.wt-outcome[data-pg="portone"]')).to_contain_text("Paid and verified")
    expect(end.locator('.wt-outcome[data-pg="toss"]')).to_contain_text("Paid and verified")
    page.keyboard.press("ArrowRight")   # nothing after the end
    expect(end).to_be_visible()
    page.keyboard.press("ArrowLeft")
    settle = page.locator("#slide-settle-after")
    expect(settle).to_be_visible()
    expect(end).to_be_hidden()
    expect(page.locator("#wt-progress")).to_have_text(f"Slide {SLIDES - 1} of {SLIDES}")
    page.keyboard.press("PageUp")
    expect(page.locator("#slide-settle-before .wt-lead")).to_have_text(seen["settle"])


def test_a_korean_browser_gets_the_walkthrough_in_korean_on_its_first_visit(browser, site):
    context = browser.new_context(locale="ko-KR")
    try:
        p = context.new_page()
        errors = []
        p.on("pageerror", lambda exc: errors.append(str(exc)))
        p.goto(site.url + "/walkthrough")
        expect(p.locator("html")).to_have_attribute("lang", "ko")
        expect(p.locator("#wt-progress")).to_have_text(f"슬라이드 1 / {SLIDES}")
        p.locator("body").click(position={"x": 5, "y": 5})
        p.keyboard.press("ArrowRight")
        expect(p.locator("#slide-order-before .wt-lead")).to_contain_text("상점 서버")
        p.keyboard.press("ArrowRight")
        expect(p.locator('#slide-order-after .wt-steps[data-pg="portone"] .wt-empty')).to_contain_text(
            "아직 이 PG로 결제하지 않았습니다")
        assert not errors
    finally:
        context.close()


def test_language_switch_on_every_page_is_remembered_across_pages_and_the_emulator(page):
    site = page.site
    page.goto(site.url + "/")                      # the browser asks for English (en-US)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#portone-pay")).to_have_text("Pay with PortOne")
    for path in ("/", "/flows", "/flows/compare", "/walkthrough", "/code/compare", "/code/shop/views.py"):
        page.goto(site.url + path)
        expect(page.locator('nav.lang a[data-lang="ko"]')).to_have_text("한국어")
        expect(page.locator('nav.lang a[data-lang="en"]')).to_have_attribute("aria-current", "true")

    page.goto(site.url + "/")
    page.locator('nav.lang a[data-lang="ko"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("#portone-pay")).to_have_text("포트원으로 결제")
    # remembered: plain links, no ?lang=, still Korean
    page.locator("nav.main-nav a", has_text="결제 흐름").click()
    expect(page.locator("h1")).to_have_text("결제 흐름")
    page.locator("nav.main-nav a", has_text="단계별 안내").click()
    expect(page.locator("#wt-progress")).to_contain_text("슬라이드 1 /")
    page.locator("nav.main-nav a", has_text="에뮬레이터").click()
    expect(page.locator("h1")).to_have_text("에뮬레이터 대시보드")

    # the PG's window speaks it too, and the verdict in the panel
    page.goto(site.url + "/")
    page.locator("#portone-pay").click()
    window = page.frame_locator(PORTONE_WINDOW)
    expect(window.locator('button[data-outcome="approve"]')).to_have_text("결제 승인")
    expect(window.locator(".imp-amount")).to_have_text("15,000원")
    window.locator('button[data-outcome="approve"]').click()
    expect(page.locator("#portone-result")).to_contain_text("결제 완료, 검증됨")
    page.locator("#portone-result a", has_text="결과 페이지").click()
    expect(page.locator("#result-title")).to_have_text("결제 완료, 검증됨")
    expect(page.locator("#result-reason")).to_contain_text("모든 검증을 통과했습니다")

    # switching back on the emulator's dashboard switches the shop as well (one cookie for both apps)
    page.goto(site.url + "/emulator/")
    page.locator(".emu-lang a", has_text="English").click()
    expect(page.locator("h1")).to_have_text("Emulator dashboard")
    page.goto(site.url + "/flows")
    expect(page.locator("h1")).to_have_text("Flows")
    expect(page.locator("#flow-table .outcome").first).to_have_text("Paid and verified")
