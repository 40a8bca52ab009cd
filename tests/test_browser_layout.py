"""The main pages at 1280 and 390 pixels wide, in both languages, in real Chromium: nothing wider than the
viewport, no button whose label wraps. Each page is also kept as a screenshot (in the test's tmp_path)."""
import pytest

from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver

pytestmark = pytest.mark.browser

# Elements wider than the viewport, or reaching past its right edge (the page would scroll sideways), and
# buttons whose label takes more than one line. Scrollable boxes (overflow auto/scroll) may hold wide content.
PROBLEMS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || getComputedStyle(el).visibility === 'hidden') continue;
    if ((r.right > width + 1 || r.left < -1) && !scrolls(el))
      out.push('wide: ' + el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
               (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '') +
               ' ' + Math.round(r.left) + '..' + Math.round(r.right) + ' > ' + width);
  }
  for (const b of document.querySelectorAll('button, .button, a.button')) {
    if (!b.getClientRects().length) continue;
    const range = document.createRange(); range.selectNodeContents(b);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (tops.size > 1) out.push('wrapped button: ' + b.textContent.trim());
  }
  if (document.documentElement.scrollWidth > width + 1) out.push('page scrolls sideways: ' +
                                                                 document.documentElement.scrollWidth);
  return out;
}"""


def paid_flows(site):
    """One PortOne payment, one Toss payment, one Toss decline, and a tampered Toss return (refused)."""
    p = site.order("portone")
    imp_uid = portone_driver.pay(site, p)["imp_uid"]
    assert site.post("/payments/complete", json={"imp_uid": imp_uid, "merchant_uid": p["order_id"]}).json()[
        "status"] == "paid"
    t = site.order("toss")
    ok = toss_driver.pay(site, t)
    assert site.get(ok["redirect_url"].replace(site.url, "")).ok
    d = site.order("toss")
    fail_url = toss_driver.pay(site, d, outcome="decline_refused")["redirect_url"].replace(site.url, "")
    r = site.order("toss")
    tampered = toss_driver.pay(site, r)["redirect_url"].replace(site.url, "").replace("amount=15000", "amount=100")
    return p["order_id"], t["order_id"], fail_url, tampered


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_main_pages_fit_the_viewport(browser, site, tmp_path, width, lang):
    portone_id, toss_id, fail_url, refused_url = paid_flows(site)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    page = context.new_page()
    pages = {"checkout": "/", "result": f"/orders/{portone_id}", "flows": "/flows", "flow": f"/flows/{toss_id}",
             "flow-by-phase": f"/flows/{portone_id}?view=phase", "compare": "/flows/compare",
             "walkthrough": "/walkthrough", "fail": fail_url, "refused": refused_url}
    found = {}
    try:
        for name, path in pages.items():
            page.goto(site.url + path + ("&" if "?" in path else "?") + f"lang={lang}")
            page.wait_for_load_state("load")
            page.screenshot(path=str(tmp_path / f"{name}-{width}-{lang}.png"), full_page=True)
            problems = page.evaluate(PROBLEMS)
            if problems:
                found[name] = problems[:12]
    finally:
        context.close()
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())
