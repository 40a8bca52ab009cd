"""Korean and English: the catalog has every message, and every page speaks the language asked for.

The rules, precisely:

* Catalog: extracting the source now (`make pot`, the same keywords as `make translations-update`)
  gives no msgid that translations/ko lacks; each has a non-empty, non-fuzzy Korean msgstr with the
  same %(name)s placeholders, and the compiled .mo says the same as the .po.

* What is looked at on a page: its text nodes, the title / placeholder / aria-label / alt
  attributes, and the strings of the JSON blocks that the page's scripts show, including recorded
  step summaries (`.summary`, the diagram's tooltips) and order reasons: they are stored as message
  ids with values (i18n.msg) and shown in the reader's language. The live log's and the
  walkthrough's JSON feeds (/api/flows/<id>/steps, /api/flows/<id>) are looked at the same way: their
  summaries and reasons. Not looked at, in either language: <pre> and <code> (raw HTTP exchanges,
  source code, curl: data shown as it is).

* Korean pages: no English UI phrase from the catalog shows. A phrase is a msgid's fixed text
  between placeholders with at least two Latin words (single words such as PG, URL or Card are also
  proper nouns and code, and are covered by the catalog test), for every msgid whose Korean differs
  from it (proper nouns like "Toss Payments" keep their name).

* English pages: no Hangul except PG data. Every run of Hangul must be part of a Korean string that
  the PG itself defines (a Korean literal in the emulator's source: payment method names such as
  카드, bank and card company names, the PG's error messages), or be the language switch's own
  "한국어". (An order's name is what the shop told the PG in the buyer's language when the order was
  made, so a flow made in Korean keeps its Korean name; the pages here are made in one language.)
"""
import glob
import html
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

import i18n
from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PO = os.path.join(ROOT, "translations", "ko", "LC_MESSAGES", "messages.po")
MO = os.path.join(ROOT, "translations", "ko", "LC_MESSAGES", "messages.mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
HANGUL = re.compile(r"[가-힣]+(?:[ ·.,:()\-/0-9]*[가-힣]+)*")
PROPER_NOUNS = {"Toss Payments", "PG Sandbox", "PortOne.requestPayment"}   # names, and a function name


def ko_catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="ko")


# ---- the catalog -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(["make", "-s", "pot", f"POT={pot}"], cwd=ROOT, check=True, timeout=120,
                   stdout=subprocess.DEVNULL)
    with open(pot, "rb") as f:
        return read_po(f)


def test_every_extracted_message_has_a_korean_translation(extracted):
    ko = ko_catalog()
    ids = [m.id for m in extracted if m.id]
    assert len(ids) > 300, "extraction found (almost) nothing: check babel.cfg and the keywords"
    missing = [i for i in ids if i not in ko]
    assert not missing, f"not in translations/ko (run make translations-update): {missing}"
    empty = [i for i in ids if not ko[i].string]
    assert not empty, f"no Korean translation yet: {empty}"
    fuzzy = [i for i in ids if ko[i].fuzzy]
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"
    for i in ids:
        assert sorted(PLACEHOLDER.findall(i)) == sorted(PLACEHOLDER.findall(ko[i].string)), \
            f"placeholders differ: {i!r} -> {ko[i].string!r}"


def test_keywords_catch_the_dynamic_message_helpers(extracted):
    ids = {m.id for m in extracted}
    assert "Running shoes" in ids                                # catalog.N_
    assert "Coupon %(code)s does not exist." in ids              # catalog.N_ inside OrderRefused
    assert "Coupons must be a list of at most three codes." in ids   # OrderRefused(code, message)
    assert "Choose PortOne or Toss." in ids                      # views.refused(error, message)
    assert "The server reads the payment from Toss by orderId." in ids   # explain.py lazy_gettext
    assert not any(m.id in ("name",) for m in extracted), "a dictionary key was extracted as a message"


def test_compiled_catalog_matches_the_po():
    assert os.path.exists(MO), "translations/ko is not compiled: run make setup (or make translations)"
    compiled = Translations.load(os.path.join(ROOT, "translations"), ["ko"])._catalog
    for m in ko_catalog():
        if m.id and m.string and not m.fuzzy:
            assert compiled.get(m.id) == m.string, f"stale .mo for {m.id!r}: run make translations"


def test_korean_translations_use_the_pg_words_korean_developers_use():
    ko = ko_catalog()
    assert ko["Virtual account"].string == "가상계좌"
    assert "웹훅" in ko["Webhooks"].string
    assert "위변조" in ko["Rejected as forged, cancelled at the PG"].string
    assert "승인" in ko["POST /v1/payments/confirm: approve it, within 10 minutes."].string
    assert "입금" in ko["Deposit now"].string and "취소" in ko["Cancelled and refunded"].string


# ---- language choice ---------------------------------------------------------------------------

def test_korean_by_default_english_from_the_browser_and_the_switch_is_remembered(site):
    import requests
    fresh = requests.Session()
    assert '<html lang="ko">' in fresh.get(site.url + "/", timeout=10).text
    english = fresh.get(site.url + "/", headers={"Accept-Language": "en-US,en;q=0.9"}, timeout=10).text
    assert '<html lang="en">' in english and "Pay with PortOne" in english
    switched = fresh.get(site.url + "/flows?lang=ko", headers={"Accept-Language": "en"}, timeout=10)
    assert switched.cookies.get("lang") == "ko" and '<html lang="ko">' in switched.text
    # remembered on the next page, and by the emulator (another app, same cookie)
    assert "결제 흐름" in fresh.get(site.url + "/flows/compare", headers={"Accept-Language": "en"}, timeout=10).text
    assert "에뮬레이터 대시보드" in fresh.get(site.url + "/emulator/", headers={"Accept-Language": "en"},
                                       timeout=10).text


def test_money_as_the_pgs_show_it(site):
    order = site.order("toss", "shoes")
    assert "15,000원" in site.get(f"/orders/{order['order_id']}?lang=ko").text
    assert "KRW 15,000" in site.get(f"/orders/{order['order_id']}?lang=en").text


def test_a_stored_message_is_shown_in_the_readers_language(app):
    """A reason or a summary is written once (a webhook has no reader) and read later in either language."""
    forged = i18n.msg("Refused as forged: %(what)s. The shop cancelled the payment at PortOne.",
                      what=i18n.msg("the order is %(stored_won)s but PortOne has %(paid_won)s",
                                    stored_won=15000, paid_won=100))
    http = i18n.msg("%(what)s → HTTP %(status)s", status=200,
                    what=i18n.msg("Read payment %(payment_key)s back from Toss", payment_key="tgen_1"))
    toss = i18n.msg("Cancelled the mismatching payment at Toss (%(why)s)",
                    why=[i18n.msg("Order is already %(status)s", status="paid"), "카드사 점검 시간입니다"])
    with app.test_request_context("/?lang=en"):
        assert i18n.render(forged) == ("Refused as forged: the order is KRW 15,000 but PortOne has KRW 100. "
                                       "The shop cancelled the payment at PortOne.")
        assert i18n.render(http) == "Read payment tgen_1 back from Toss → HTTP 200"
        assert i18n.render(toss) == ("Cancelled the mismatching payment at Toss (Order is already paid; "
                                     "카드사 점검 시간입니다)")       # PG data stays as it is
    with app.test_request_context("/?lang=ko"):
        assert i18n.render(forged) == ("위변조로 거절: 주문 금액은 15,000원인데 포트원의 금액은 100원입니다. "
                                       "상점이 포트원에서 결제를 취소했습니다.")
        assert i18n.render(http) == "토스에서 결제 tgen_1 다시 조회 → HTTP 200"
        assert i18n.render("카드사 점검 시간입니다") == "카드사 점검 시간입니다"   # plain text, e.g. an older row
        assert i18n.render(None) is None and i18n.render("") == ""


def test_text_from_outside_is_never_rendered_as_a_message(app):
    """Text a browser or a PG wrote stays text: stored() wraps anything that could read as a message,
    values are data, and a redaction applies to the values only."""
    sneaky = '{"m":"%(x)999999999s","v":{"x":1}}'
    assert i18n.parse(i18n.stored(sneaky)) is None
    inside = i18n.msg("Toss refused the confirmation: %(code)s (%(message)s)", code="X", message=sneaky)
    redacted = i18n.stored(inside, lambda s: s.replace("X", "[REDACTED:secret]"))
    with app.test_request_context("/?lang=en"):
        assert i18n.render(i18n.stored(sneaky)) == sneaky
        assert i18n.render(redacted) == f"Toss refused the confirmation: [REDACTED:secret] ({sneaky})"
        # not a msgid the code defines: shown as the text it is, never used as a format (never a 500)
        assert i18n.render('{"m": "broken %(x)s", "v": {}}') == '{"m": "broken %(x)s", "v": {}}'


def test_a_browser_event_says_one_of_the_shops_own_sentences(site):
    """The page sends a summary_key from a whitelist and values; the values are shown as data."""
    order = site.order("toss", "shoes")
    url = f"/api/flows/{order['order_id']}/events"
    assert site.post(url, json={"phase": "checkout", "name": "toss.request_payment",
                                "summary_key": "toss.request_payment", "values": {"amount_won": 15000}}).status_code == 201
    assert site.post(url, json={"phase": "checkout", "name": "toss.rejection", "summary_key": "toss.rejection",
                                "values": {"code": "USER_CANCEL", "message": '{"m":"Not paid","v":{}}'}}).status_code == 201
    assert site.post(url, json={"phase": "checkout", "name": "toss.x", "summary_key": "Not paid"}).status_code == 400
    assert site.post(url, json={"phase": "checkout", "name": "toss.x", "summary": "free text"}).status_code == 400
    assert site.post(url, json={"phase": "checkout", "name": "toss.x",
                                "summary_key": "portone.request_pay"}).status_code == 400   # another PG's sentence
    feed = site.get(f"/api/flows/{order['order_id']}/steps", headers={"Accept-Language": "en"}).json()["steps"]
    reported = [s["summary"] for s in feed if s["reported"]]
    assert reported[:2] == ["widget.requestPayment for KRW 15,000 (amount set by renderPaymentMethods/updateAmount "
                            "from the server's price)", 'requestPayment was rejected: USER_CANCEL “{"m":"Not paid","v":{}}”']
    korean = site.get(f"/api/flows/{order['order_id']}/steps", headers={"Accept-Language": "ko"}).json()["steps"]
    assert [s["summary"] for s in korean if s["reported"]][0].startswith("widget.requestPayment 호출, 금액 15,000원")


# ---- every page, in each language --------------------------------------------------------------

class Visible(HTMLParser):
    """Text a person sees (and JSON strings a script shows), minus code and recorded log lines."""

    SKIP = {"script", "style", "pre", "code"}
    SHOWN_ATTRS = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self.stack, self.json = [], [], None

    def _skipping(self):
        return any(tag in self.SKIP for tag, _attrs in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("type") == "application/json":
            self.json = []
        if not self._skipping() and tag not in self.SKIP:
            self.texts += [attrs[a] for a in self.SHOWN_ATTRS if attrs.get(a)]
        if tag not in ("br", "img", "input", "meta", "link", "hr", "path", "line", "rect"):
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        attrs = dict(attrs)
        if not self._skipping():
            self.texts += [attrs[a] for a in self.SHOWN_ATTRS if attrs.get(a)]

    def handle_endtag(self, tag):
        if tag == "script" and self.json is not None:
            self.texts += list(_strings(json.loads("".join(self.json))))
            self.json = None
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.json is not None:
            self.json.append(data)
        elif data.strip() and not self._skipping():
            self.texts.append(" ".join(data.split()))


def _strings(value):
    if isinstance(value, str):
        if not value.startswith(("/", "http")):
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def visible_texts(html):
    parser = Visible()
    parser.feed(html)
    return parser.texts


def feed_texts(answer):
    """What the live log and the walkthrough show from a JSON feed: each step's summary, the order's reason."""
    order = answer.get("order") or {}
    return [s["summary"] for s in answer["steps"]] + ([order["reason"]] if order.get("reason") else [])


def english_phrases():
    """The catalog's English UI phrases that must not show on a Korean page (see the module doc)."""
    phrases = set()
    for m in ko_catalog():
        if not m.id or not m.string or m.string == m.id or m.id in PROPER_NOUNS:
            continue
        for fragment in PLACEHOLDER.split(m.id)[::2]:
            fragment = fragment.strip(" .,:;()“”\"'—-")
            if len(re.findall(r"[A-Za-z]{2,}", fragment)) >= 2 and fragment not in PROPER_NOUNS:
                phrases.add(fragment)
    return phrases


def pg_korean():
    """Every Korean string literal the emulated PGs define (their data and messages)."""
    found = set()
    for path in glob.glob(os.path.join(ROOT, "emulator", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as f:
            found.update(s for s in re.findall(r'"([^"\n]*[가-힣][^"\n]*)"', f.read()))
    return found


def path_of(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def pages(site, lang):
    """Every kind of page, with real flows behind it, in `lang` (set with the switch, then remembered)."""
    assert site.get(f"/?lang={lang}").ok
    out = {"checkout": "/", "flows": "/flows", "compare": "/flows/compare", "walkthrough": "/walkthrough",
           "code compare": "/code/compare", "code file": "/code/shop/views.py", "emulator dashboard": "/emulator/"}
    # PortOne: paid through the callback route; a virtual account; a window still open.
    paid = site.order("portone", "shoes")
    got = portone_driver.pay(site, paid)
    assert site.post("/payments/complete", json={"imp_uid": got["imp_uid"],
                                                 "merchant_uid": paid["order_id"]}).status_code == 200
    vbank = site.order("portone", "jacket")
    got_vbank = portone_driver.pay(site, vbank, pay_method="vbank")
    site.post("/payments/complete", json={"imp_uid": got_vbank["imp_uid"], "merchant_uid": vbank["order_id"]})
    waiting = site.order("portone", "socks")
    window = portone_driver.open_window(site, portone_driver.request_pay_params(waiting)).json()["window_url"]
    out.update({"portone result": f"/orders/{paid['order_id']}", "portone vbank": f"/orders/{vbank['order_id']}",
                "portone flow": f"/flows/{paid['order_id']}", "portone window": path_of(window)})
    # Toss: paid through /success; declined to /fail; a window still open.
    order = site.order("toss", "shoes")
    ok = toss_driver.pay(site, order)
    assert site.get(path_of(ok["redirect_url"])).ok
    declined = site.order("toss", "jacket")
    failed = toss_driver.pay(site, declined, outcome="decline_refused")
    open_toss = toss_driver.start(site, site.order("toss", "socks"))
    out.update({"toss result": f"/orders/{order['order_id']}", "toss flow": f"/flows/{order['order_id']}",
                "fail": path_of(failed["redirect_url"]), "toss window": path_of(open_toss["window_url"])})
    out["compare both"] = f"/flows/compare?a={paid['order_id']}&b={order['order_id']}"
    # Automatic payments: a card registered, a charge paid and one declined; then the Toss SDK v2 column.
    reg = site.post("/toss/billing/registrations", json={}).json()
    auth = toss_driver.billing_auth(site, reg["customer_key"], successUrl=reg["success_url"], failUrl=reg["fail_url"])
    assert site.get(path_of(auth["redirect_url"])).ok
    for plan in ("basic", "declined"):
        assert site.post("/toss/billing/charge", data={"plan": plan}).ok
    out.update({"subscription": "/subscription", "registration flow": f"/flows/{reg['order_id']}",
                "registration json": f"/api/flows/{reg['order_id']}", "toss v2 checkout": "/?toss_sdk=v2"})
    for pg, oid in (("portone", paid["order_id"]), ("toss", order["order_id"]), ("toss declined", declined["order_id"]),
                    ("portone vbank", vbank["order_id"])):
        out[f"{pg} live feed"] = f"/api/flows/{oid}/steps"
        out[f"{pg} flow json"] = f"/api/flows/{oid}"
    if site.get("/lab").status_code == 200:
        out["attack lab"] = "/lab"
    return out


def test_every_page_in_korean_shows_no_english_ui_phrase(site):
    phrases = english_phrases()
    assert "Pay with PortOne" in phrases and "Waiting for the payment" in phrases
    problems = []
    for name, path in pages(site, "ko").items():
        resp = site.get(path)
        assert resp.status_code in (200, 400, 402), (name, path, resp.status_code)
        if path.startswith("/api/"):
            texts = feed_texts(resp.json())
        else:
            assert '<html lang="ko">' in resp.text, name
            texts = visible_texts(resp.text)
        assert any(HANGUL.search(t) for t in texts), name
        for text in texts:
            for phrase in phrases:
                if phrase in text:
                    problems.append(f"{name} ({path}): {phrase!r} in {text[:120]!r}")
    assert not problems, "English on Korean pages:\n" + "\n".join(problems)


def test_every_page_in_english_shows_hangul_only_as_pg_data(site):
    allowed = pg_korean()
    problems = []
    for name, path in pages(site, "en").items():
        resp = site.get(path)
        if path.startswith("/api/"):
            texts = feed_texts(resp.json())
            assert texts, name
        else:
            assert '<html lang="en">' in resp.text, name
            texts = visible_texts(resp.text)
        for text in texts:
            for run in HANGUL.findall(text):
                if run != "한국어" and not any(run in pg for pg in allowed):
                    problems.append(f"{name} ({path}): {run!r} in {text[:120]!r}")
    assert not problems, "Hangul that is not PG data on English pages:\n" + "\n".join(problems)


def test_every_step_summary_of_a_real_flow_is_korean_on_a_korean_page(site):
    """A PortOne and a Toss flow, paid over real HTTP: each line of the timeline and of the live feed
    is a Korean sentence (the values in it are data: ids, codes, amounts); in English only PG data is Korean
    (the method 카드)."""
    site.get("/?lang=ko")
    paid = site.order("portone", "shoes")
    got = portone_driver.pay(site, paid)
    site.post("/payments/complete", json={"imp_uid": got["imp_uid"], "merchant_uid": paid["order_id"]})
    order = site.order("toss", "shoes")
    assert site.get(path_of(toss_driver.pay(site, order)["redirect_url"])).ok
    for oid in (paid["order_id"], order["order_id"]):
        assert site.get(f"/api/flows/{oid}/steps").json()["status"] == "paid"
        timeline = [html.unescape(s) for s in re.findall(r'<span class="summary">(.*?)</span>',
                                                          site.get(f"/flows/{oid}").text, re.S)]
        feed = [s["summary"] for s in site.get(f"/api/flows/{oid}/steps").json()["steps"]]
        assert len(timeline) == len(feed) >= 6
        assert [s for s in timeline + feed if not HANGUL.search(s)] == []
        english = site.get(f"/api/flows/{oid}/steps", headers={"Cookie": "lang=en"}).json()["steps"]
        assert [s["summary"] for s in english
                if any(not any(run in pg for pg in pg_korean()) for run in HANGUL.findall(s["summary"]))] == []
    # the words among a check's compared values follow the reader too (PortOne's status check)
    status_ko = [s for s in site.get(f"/api/flows/{paid['order_id']}").json()["steps"]
                 if s["name"] == "portone.check_status"][0]
    assert status_ko["expected"] == "paid (가상계좌면 ready)" and "paid (가상계좌면 ready)" in status_ko["compared"]
    status_en = [s for s in site.get(f"/api/flows/{paid['order_id']}", headers={"Cookie": "lang=en"}).json()["steps"]
                 if s["name"] == "portone.check_status"][0]
    assert status_en["expected"] == "paid (or ready with a virtual account)"


def test_the_checks_can_fail(site):
    """The two rules catch what they are meant to catch."""
    assert any("Pay with PortOne" in t for t in visible_texts("<p>Pay with PortOne</p>"))
    assert not visible_texts('<pre>Pay with PortOne</pre><code>Server priced it</code>')
    assert visible_texts('<span class="summary">Server priced it</span>') == ["Server priced it"]
    assert visible_texts('<script type="application/json">{"a": "Waiting for the payment"}</script>') == \
        ["Waiting for the payment"]
    assert not any("결제 대기 중" in pg for pg in pg_korean())
