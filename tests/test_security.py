"""Security: CSRF on every shop POST route except the PGs' webhooks, the CSP in both modes, session cookie
flags, and no secret in any answer or log line over real flows of both PGs."""
import base64
import logging
import re
from urllib.parse import urlsplit

import pytest
import requests

from app import create_app
from shop.db import get_db
from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Routes a PG calls: they act only on what the shop reads back from the PG, so they carry no CSRF token.
WEBHOOKS = {"portone.webhook", "portone_v2.webhook", "toss.webhook"}
FAKE_LIVE = {"PORTONE_MODE": "live", "PORTONE_IMP_CODE": "imp12345678", "PORTONE_IMP_KEY": "fake_live_key",
             "PORTONE_IMP_SECRET": "fake_live_secret_" + "0" * 30, "TOSS_MODE": "live",
             "TOSS_CLIENT_KEY": "test_gck_fakeLiveClientKey000000", "TOSS_SECRET_KEY": "test_gsk_fakeLiveSecret0000000"}


@pytest.fixture
def no_real_hosts(monkeypatch):
    """Any HTTP call to a host other than this machine fails the test (live mode must not call out)."""
    real = requests.Session.request

    def guarded(self, method, url, *args, **kwargs):
        host = urlsplit(url).hostname
        assert host in ("127.0.0.1", "localhost"), f"a test tried to reach {url}"
        return real(self, method, url, *args, **kwargs)
    monkeypatch.setattr(requests.Session, "request", guarded)


def make_app(tmp_path, **config):
    return create_app({"TESTING": True, "SHOP_DATABASE": str(tmp_path / "shop.sqlite3"), "SECRET_KEY": "k" * 32,
                       **config}, emulator_config={"TESTING": True,
                                                   "EMULATOR_DATABASE": str(tmp_path / "emulator.sqlite3")})


def unsafe_rules(app):
    return [r for r in app.url_map.iter_rules() if r.methods & UNSAFE]


def sample_url(rule):
    """A URL the rule matches: an any(...) part takes its first choice, any other part "1"."""
    url = re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip(), rule.rule)
    return re.sub(r"<[^>]+>", "1", url)


# --- CSRF ------------------------------------------------------------------------------------------

def test_only_the_webhooks_are_exempt_from_csrf(app):
    rules = unsafe_rules(app)
    assert len(rules) >= 8          # the shop's own POST routes, the PG routes and the lab's runner
    exempt = {r.endpoint for r in rules if getattr(app.view_functions[r.endpoint], "csrf_exempt", False)}
    assert exempt == WEBHOOKS


@pytest.mark.parametrize("how", ["no token", "wrong token", "token of another session"])
def test_every_protected_post_route_refuses_a_request_without_the_right_token(app, how):
    client = app.test_client()
    client.get("/")                  # this browser has a session (and a token it does not send)
    headers = {"no token": {}, "wrong token": {"X-CSRF-Token": "forged"},
               "token of another session": {"X-CSRF-Token": _token_of(app.test_client())}}[how]
    checked = []
    for rule in unsafe_rules(app):
        if rule.endpoint in WEBHOOKS:
            continue
        url = sample_url(rule)
        as_json = client.post(url, json={"pg": "toss", "product_id": "shoes"}, headers=headers)
        assert as_json.status_code == 403, url
        assert as_json.get_json()["error"] == "CSRF_FAILED"
        as_form = client.post(url, data={"product_id": "shoes", "csrf_token": headers.get("X-CSRF-Token", "")},
                              headers={"Accept": "text/html", "Accept-Language": "en"})
        assert as_form.status_code == 403, url
        assert "did not come from this site" in as_form.get_data(as_text=True)
        checked.append(rule.endpoint)
    assert {"shop.create_order", "shop.quote", "portone.complete", "toss.checkout", "lab.run"} <= set(checked)
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0


def _token_of(client):
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_the_right_token_is_accepted_in_the_header_and_in_a_form(app):
    client = app.test_client()
    token = _token_of(client)
    quoted = client.post("/api/quote", json={"product_id": "shoes"}, headers={"X-CSRF-Token": token})
    assert quoted.status_code == 200 and quoted.get_json()["amount"] == 15000
    # the form field is read too (the server-created Toss checkout is a plain form); a bad product is
    # refused by the view, which means the CSRF check passed
    form = client.post("/toss/checkout", data={"csrf_token": token, "product_id": "hat"})
    assert form.status_code == 400


def test_webhooks_need_no_token_and_change_nothing_without_the_pg(app):
    client = app.test_client()
    assert client.post("/webhooks/portone", json={"status": "paid"}).status_code == 400
    assert client.post("/webhooks/toss", json={"eventType": "X"}).status_code == 400


# --- security headers ------------------------------------------------------------------------------

def csp_of(resp):
    policy = {}
    for part in resp.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


def script_origins(html, site="http://localhost"):
    """Origins of the page's scripts other than the site itself."""
    found = {f"{urlsplit(src).scheme}://{urlsplit(src).netloc}"
             for src in re.findall(r'<script[^>]+src="([^"]+)"', html) if src.startswith("http")}
    return found - {site}


def test_emulator_mode_csp_allows_only_the_site_itself(client):
    resp = client.get("/", base_url="http://127.0.0.1:5000")      # browsed at SITE_URL
    csp = csp_of(resp)
    for directive in ("default-src", "script-src", "connect-src", "frame-src", "form-action"):
        assert csp[directive] == ["'self'"], directive
    assert csp["style-src"] == ["'self'"] and csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert script_origins(resp.get_data(as_text=True), "http://127.0.0.1:5000") == set()   # all from this site


def test_live_mode_csp_adds_exactly_the_pg_hosts(tmp_path, no_real_hosts):
    app = make_app(tmp_path, **FAKE_LIVE)
    resp = app.test_client().get("/")
    assert resp.status_code == 200
    csp = csp_of(resp)
    hosts = ["https://cdn.iamport.kr", "https://api.iamport.kr", "https://*.iamport.kr", "https://*.iamport.co",
             "https://js.tosspayments.com", "https://api.tosspayments.com", "https://*.tosspayments.com"]
    for directive in ("script-src", "connect-src", "frame-src", "form-action"):
        # PortOne V2 still runs on the emulator here: its origin (SITE_URL/emulator) serves that SDK stand-in
        assert csp[directive] == ["'self'", "http://127.0.0.1:5000", *hosts], directive
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    page = resp.get_data(as_text=True)
    assert script_origins(page) == {"https://cdn.iamport.kr", "https://js.tosspayments.com"}
    for key in ("PORTONE_IMP_KEY", "PORTONE_IMP_SECRET", "TOSS_SECRET_KEY"):
        assert FAKE_LIVE[key] not in page
    assert FAKE_LIVE["TOSS_CLIENT_KEY"] in page                   # public by design
    assert 'href="/lab"' not in page                             # the lab never attacks a real PG


def test_live_mode_for_one_pg_adds_only_its_hosts(tmp_path, no_real_hosts):
    live_toss = {k: v for k, v in FAKE_LIVE.items() if k.startswith("TOSS_")}
    csp = csp_of(make_app(tmp_path, **live_toss).test_client().get("/"))
    assert not any("iamport" in h for h in csp["script-src"])
    assert "https://js.tosspayments.com" in csp["script-src"]


def test_live_portone_v2_adds_only_portones_hosts_and_keeps_its_secrets(tmp_path, no_real_hosts):
    live = {"PORTONE_V2_MODE": "live", "PORTONE_V2_STORE_ID": "store-live-fake",
            "PORTONE_V2_CHANNEL_KEY": "channel-key-live-fake", "PORTONE_V2_API_SECRET": "fake_v2_api_secret_0000",
            "PORTONE_V2_WEBHOOK_SECRET": "whsec_ZmFrZS1saXZlLXdlYmhvb2stc2VjcmV0"}
    client = make_app(tmp_path, **live).test_client()
    resp = client.get("/?portone=v2")
    csp = csp_of(resp)
    hosts = ["https://cdn.portone.io", "https://api.portone.io", "https://*.portone.io", "https://*.iamport.co",
             "https://*.iamport.kr"]
    for directive in ("script-src", "connect-src", "frame-src", "form-action"):
        # the other providers run on the emulator here (SITE_URL/emulator serves their SDK stand-ins)
        assert csp[directive] == ["'self'", "http://127.0.0.1:5000", *hosts], directive
    page = resp.get_data(as_text=True)
    assert script_origins(page) == {"https://cdn.portone.io", "http://127.0.0.1:5000"}   # Toss: the emulator
    assert 'data-channel-key="channel-key-live-fake"' in page and 'data-store-id="store-live-fake"' in page
    assert live["PORTONE_V2_API_SECRET"] not in page and live["PORTONE_V2_WEBHOOK_SECRET"] not in page


def test_a_separate_emulator_is_the_only_other_origin(tmp_path):
    app = make_app(tmp_path, EMULATOR_URL="http://127.0.0.1:5999/emulator", MOUNT_EMULATOR=False)
    csp = csp_of(app.test_client().get("/"))
    assert csp["script-src"] == ["'self'", "http://127.0.0.1:5999"]


def test_error_pages_carry_the_headers_too(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


# --- session cookie --------------------------------------------------------------------------------

def session_cookie(resp):
    [cookie] = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return [p.strip().lower() for p in cookie.split(";")]


def test_session_cookie_is_httponly_and_lax_and_not_secure_on_plain_http(client):
    flags = session_cookie(client.get("/"))
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags


def test_session_cookie_is_secure_when_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    flags = session_cookie(make_app(tmp_path).test_client().get("/", base_url="https://localhost"))
    assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags


# --- no secret anywhere ------------------------------------------------------------------------------

def test_no_secret_or_issued_token_in_any_answer_or_log_line(site, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []

    def keep(resp):
        seen.append(resp.text + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.items()))
        return resp
    site.get("/?lang=en")
    notice = site.url + "/webhooks/portone"
    # PortOne: a paid card, a tampered amount (cancelled at PortOne), a virtual account
    paid = site.order("portone")
    got = portone_driver.pay(site, paid, notice_url=notice)
    keep(site.post("/payments/complete", json={"imp_uid": got["imp_uid"], "merchant_uid": paid["order_id"]}))
    forged = site.order("portone")
    got = portone_driver.pay(site, forged, amount=100, notice_url=notice)
    keep(site.post("/payments/complete", json={"imp_uid": got["imp_uid"], "merchant_uid": forged["order_id"]}))
    vbank = site.order("portone", pay_method="vbank")
    got = portone_driver.pay(site, vbank, pay_method="vbank", notice_url=notice)
    keep(site.get(f"/payments/complete?imp_uid={got['imp_uid']}&merchant_uid={vbank['order_id']}"))
    # Toss: a card confirmed, a virtual account (its `secret`) and a webhook
    card = site.order("toss")
    got = toss_driver.pay(site, card)
    keep(site.get(got["redirect_url"][len(site.url):]))
    account = site.order("toss")
    got = toss_driver.pay(site, account, method="가상계좌")
    keep(site.get(got["redirect_url"][len(site.url):]))
    keep(site.post("/webhooks/toss", csrf=False, json={"createdAt": "2026-01-01T00:00:00.000", "secret": "wrong",
                                                       "status": "DONE", "orderId": account["order_id"]}))
    for order in (paid, forged, vbank, card, account):
        for path in (f"/orders/{order['order_id']}", f"/flows/{order['order_id']}",
                     f"/api/flows/{order['order_id']}", f"/flows/{order['order_id']}.json",
                     f"/api/flows/{order['order_id']}/steps"):
            keep(site.get(path))
    keep(site.get("/api/flows"))
    keep(site.get("/flows"))

    with site.app.app_context():
        db = get_db()
        tokens = [r["token"] for r in db.execute("SELECT token FROM pg_tokens")]
        pg_secrets = [r["pg_secret"] for r in db.execute("SELECT pg_secret FROM orders WHERE pg_secret IS NOT NULL")]
    assert tokens and pg_secrets, "the flows should have issued a token and a Toss payment secret"
    cfg = site.app.config
    secrets = [cfg[k] for k in ("PORTONE_IMP_KEY", "PORTONE_IMP_SECRET", "TOSS_SECRET_KEY", "SECRET_KEY")]
    secrets += [base64.b64encode(f"{cfg['TOSS_SECRET_KEY']}:".encode()).decode()] + tokens + pg_secrets
    logged = [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    assert len(logged) > 20
    for secret in secrets:
        assert not [text for text in seen if secret in text], "a secret reached an answer"
        assert not [line for line in logged if secret in line], "a secret reached the log"
