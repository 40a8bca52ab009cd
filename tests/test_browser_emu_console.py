"""The emulator's console in real Chromium: a foreign page's form is refused, "Deposit now" says what it did
and links to the shop's flow, times are KST, and at 1280 and 390 px in both languages nothing is wider than
the screen and no button label or amount wraps (screenshots kept in the test's folder)."""
import re

import pytest
import requests
from playwright.sync_api import expect
from werkzeug.wrappers import Response

from tests.drivers import faults, portone, toss
from tests.drivers.receiver import Receiver

pytestmark = pytest.mark.browser

LAYOUT = """() => {
  const width = document.documentElement.clientWidth, wide = [], wrapped = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > width + 1 || r.left < -1)) wide.push(`${el.tagName}.${el.className} ${r.right}`);
  }
  for (const el of document.querySelectorAll("button, td.amount, time, td.nowrap")) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = new Set([...range.getClientRects()].filter(b => b.width).map(b => Math.round(b.top)));
    if (lines.size > 1) wrapped.push(el.textContent.trim());
  }
  return {width, scroll: document.documentElement.scrollWidth, wide, wrapped};
}"""


def test_a_foreign_pages_form_cannot_move_the_clock(page):
    site = page.site
    target = site.url + "/emulator/clock"
    evil = Receiver(respond=lambda request: Response(
        f'<!doctype html><form method="post" action="{target}"><input type="hidden" name="advance" '
        f'value="86400"><button>Win a prize</button></form>', content_type="text/html"))
    try:
        page.goto(site.url + "/emulator/?lang=en")                        # the buyer has a console session
        page.goto(evil.origin.replace("127.0.0.1", "localhost") + "/")    # another site
        page.get_by_role("button", name="Win a prize").click()
        expect(page.locator("h1")).to_contain_text("did not come from the emulator")
        assert requests.get(target, timeout=10).json()["offset"] == 0
    finally:
        evil.close()


def test_deposit_now_says_what_it_did_and_links_to_the_flow(page):
    site = page.site
    order = site.order("portone")
    issued = portone.pay(site, order, pay_method="vbank", notice_url=site.url + "/webhooks/portone")
    page.goto(site.url + "/emulator/?lang=en")
    expect(page.locator("#emu-now")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST$"))
    row = page.locator(f'tr.portone-payment[data-imp-uid="{issued["imp_uid"]}"]')
    expect(row.locator("td").nth(6)).to_have_text(re.compile(r"KST$"))
    row.get_by_role("button", name="Deposit now").click()
    done = page.locator(".emu-done")
    expect(done).to_contain_text(f"Deposited: {issued['imp_uid']} is now paid; its webhook is queued.")
    assert portone.Api(site).payment(issued["imp_uid"])["status"] == "paid"
    done.get_by_role("link", name=f"See the flow of order {order['order_id']}").click()
    expect(page).to_have_url(f"{site.url}/flows/{order['order_id']}")
    page.goto(site.url + "/emulator/?lang=en")
    page.locator("a.emu-shop").click()
    expect(page).to_have_url(site.url + "/")


def test_moving_the_clock_shows_the_new_date_and_time(page):
    page.goto(page.site.url + "/emulator/?lang=en")
    before = page.locator("#emu-now").inner_text()
    page.get_by_role("button", name="Move 10 minutes ahead").click()
    expect(page.locator(".emu-done")).to_contain_text(re.compile(r"The clock moved 10 minutes ahead: it is now "
                                                                 r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST\."))
    expect(page.locator(".emu-clock")).to_contain_text("10 minutes ahead of real time")
    assert page.locator("#emu-now").inner_text() != before
    page.get_by_role("button", name="Back to real time").click()
    expect(page.locator(".emu-clock")).to_contain_text("(real time)")


def _fill_the_console(site):
    """Payments in every state the console shows, deliveries and a fault, so every column has content."""
    portone.pay(site, site.order("portone"), notice_url=site.url + "/webhooks/portone")
    portone.pay(site, site.order("portone"), pay_method="vbank", notice_url=site.url + "/webhooks/portone")
    portone.pay(site, site.order("portone"), notice_url="http://169.254.169.254/latest/meta-data/iam/")
    o = site.order("toss")
    key = toss.approved(site, {"order_id": o["order_id"], "amount": o["amount"], "order_name": o["order_name"],
                               "customer_key": "cust_layout"}, method="가상계좌")
    toss.confirm(site, key, {"order_id": o["order_id"], "amount": o["amount"]})
    faults.arm(site, "toss", "get_by_order", "timeout_after", count=0)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_console_fits_phone_and_desktop_widths_without_wrapped_labels(page, lang, tmp_path):
    _fill_the_console(page.site)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{page.site.url}/emulator/?lang={lang}")
        expect(page.locator("button.toss-deposit")).to_be_visible()
        page.screenshot(path=str(tmp_path / f"console-{lang}-{width}.png"), full_page=True)
        got = page.evaluate(LAYOUT)
        assert got["scroll"] <= got["width"], (lang, width, got)
        assert got["wide"] == [], (lang, width, got["wide"])
        assert got["wrapped"] == [], (lang, width, got["wrapped"])
