"""Bad input everywhere: generated bodies for every route of the shop and the emulator (never a 5xx,
stored orders untouched), then targeted cases: malformed JSON, content types, sizes, ids, amounts, markup."""
import json
import re
import threading
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.serving import make_server

from app import create_app
from shop import orders
from shop.db import get_db
from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver
from tests.drivers.emulator import console_token

EXAMPLES = 20     # per route that takes a body or path parameters; all routes together stay under a minute
PAGE_EXAMPLES = 6  # per GET route without path parameters (only the query string varies)

# Routes that take no input a visitor controls beyond a file name: not fed.
SKIPPED = {
    "static": "Flask's static files: a file path, served by Werkzeug",
    "emulator:static": "the emulator's static files",
    "emulator:portone.static": "the emulated PortOne's static files",
    "emulator:toss.static": "the emulated Toss's static files",
    "emulator:portone_v2.static": "the emulated PortOne V2's static files",
}
# A generated request may legitimately change a stored order here, and only in this way.
ALLOWED_CHANGES = {
    # failUrl says the buyer gave up; the shop asks Toss, which has no payment for a pending order,
    # so the order is marked failed (no money is involved, and a paid order never changes).
    "toss.fail": {("toss", "pending"): {"failed"}},
}



FIELDS = ["pg", "product_id", "quantity", "coupons", "buyer_name", "buyer_email", "pay_method", "prepare",
          "imp_uid", "merchant_uid", "error_code", "error_msg", "status", "orderId", "paymentKey", "amount",
          "paymentType", "code", "message", "eventType", "data", "secret", "createdAt", "phase", "name",
          "summary", "to", "outcome", "user_code", "params", "sdk", "page_url", "clientKey", "customerKey",
          "orderName", "method", "successUrl", "failUrl", "transactionKey", "lang", "after", "a", "b", "before",
          "verdict", "csrf_token", "cancelAmount", "cancelReason", "reason", "checksum", "order_id", "step",
          "request", "pageUrl", "paymentId", "storeId", "channelKey", "totalAmount", "currency", "payMethod",
          "apiSecret", "refreshToken", "paymentToken", "txId", "webhookId", "filter", "page",
          "currentCancellableAmount", "refundAccount", "taxFreeAmount", "vatAmount", "requestBody"]
NASTY = ["", " ", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}", "<script>alert(1)</script>",
         "\"><img src=x onerror=alert(1)>", "'; DROP TABLE orders; --", "../../etc/passwd", "%00", "\x00",
         "한글 이름", "🙂" * 30, "x" * 5000, "order-", "imp_", "tgen_", "paid", "DONE", "approve", "slow",
         "가상계좌", "카드", "vbank", "card", "shoes", "TOSS5000", "FIRSTBUY", "portone", "toss"]
HUGE = [0, -1, 1, 99, 100, 15000, 2 ** 31, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, 2 ** 64 + 1]
# Number tokens as they appear in JSON text (json.dumps cannot write most of them): non-finite, beyond
# 64 bits, beyond a float, fractions, and more digits than Python converts.
NUMBER_TOKENS = ["1e400", "-1e400", "1e20", "NaN", "Infinity", "-Infinity", str(2 ** 63), str(2 ** 64),
                 str(-(2 ** 63) - 1), "15000.5", "0.5", "-0.0", "1" + "0" * 5000, "9" * 30]
DEEP = [64, 65, 200, 3000, 100000]


class LiveSite:
    """A site on a loopback port (so the shop reaches the emulator for real) and a test client on the
    same app, with orders in every settled and unsettled state."""

    def __init__(self, tmp):
        self.app = create_app({"TESTING": True, "SHOP_DATABASE": str(tmp / "shop.sqlite3"),
                               "SECRET_KEY": "bad-input", "PG_TIMEOUT": 5},
                              emulator_config={"TESTING": True, "EMULATOR_DATABASE": str(tmp / "emu.sqlite3"),
                                               "EMULATOR_SLOW_SECONDS": 0.01})
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config["SITE_URL"] = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.http = requests.Session()
        self.client = self.app.test_client()
        page = self.client.get("/", base_url=self.url).get_data(as_text=True)
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    @property
    def emulator(self):
        return self.app.extensions["emulator"]

    def post(self, path, json=None, csrf=True, **kw):
        headers = {"X-CSRF-Token": self.token} if csrf else {}
        return self.client.post(path, json=json, headers=headers, base_url=self.url, **kw)

    def get(self, path, **kw):
        return self.client.get(path, base_url=self.url, **kw)

    def order(self, pg, **body):
        resp = self.post("/api/orders", json={"pg": pg, "product_id": "shoes", **body})
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return resp.get_json()

    def orders(self):
        with self.app.app_context():
            return {r["id"]: dict(r) for r in get_db().execute("SELECT * FROM orders")}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    s = LiveSite(tmp_path_factory.mktemp("bad-input"))
    notice = s.url + "/webhooks/portone"
    s.order("portone")                                                        # pending
    paid = s.order("portone")
    got = portone_driver.pay(s, paid, notice_url=notice)
    s.post("/payments/complete", json={"imp_uid": got["imp_uid"], "merchant_uid": paid["order_id"]})
    forged = s.order("portone")
    got = portone_driver.pay(s, forged, amount=100, notice_url=notice)
    s.post("/payments/complete", json={"imp_uid": got["imp_uid"], "merchant_uid": forged["order_id"]})
    s.order("toss")                                                           # pending
    card = s.order("toss")
    got = toss_driver.pay(s, card)
    s.get(got["redirect_url"][len(s.url):])
    account = s.order("toss")
    got = toss_driver.pay(s, account, method="가상계좌")
    s.get(got["redirect_url"][len(s.url):])
    statuses = sorted(o["status"] for o in s.orders().values())
    assert statuses == ["awaiting_deposit", "forged", "paid", "paid", "pending", "pending"], statuses
    s.ids = sorted(s.orders())
    s.payment_ids = sorted(o["pg_payment_id"] for o in s.orders().values() if o["pg_payment_id"])
    yield s
    s.server.shutdown()
    s.thread.join(5)


@pytest.fixture(autouse=True)
def only_this_machine(monkeypatch):
    """Generated URLs (notice_url, successUrl ...) must never make the site call out to a real host."""
    real = requests.Session.request

    def guarded(self, method, url, *args, **kwargs):
        if urlsplit(str(url)).hostname not in ("127.0.0.1", "localhost"):
            raise requests.ConnectionError(f"blocked in tests: {url}")
        return real(self, method, url, *args, **kwargs)
    monkeypatch.setattr(requests.Session, "request", guarded)


# --- the routes ------------------------------------------------------------------------------------

def _routes():
    probe = create_app({"TESTING": True, "SHOP_DATABASE": ":memory:", "SECRET_KEY": "x"},
                       emulator_config={"TESTING": True, "EMULATOR_DATABASE": ":memory:"})
    found = []
    for prefix, app, tag in (("", probe, ""), ("/emulator", probe.extensions["emulator"], "emulator:")):
        for rule in app.url_map.iter_rules():
            if tag + rule.endpoint in SKIPPED:
                continue
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append(pytest.param(prefix, rule.rule, dict(rule._converters), method, rule.endpoint,
                                          id=f"{method} {prefix}{rule.rule}"))
    return found


ROUTES = _routes()


def test_every_route_is_fed_or_skipped_with_a_reason():
    assert len(ROUTES) >= 60
    fed = {p.values[0] + p.values[1] for p in ROUTES}
    for must in ("/api/orders", "/payments/complete", "/success", "/webhooks/toss", "/lab/run/<attack>",
                 "/emulator/portone/sdk/payments", "/emulator/toss/v1/payments/confirm"):
        assert must in fed


# --- generated input ---------------------------------------------------------------------------------

def _known(draw_ids):
    return st.sampled_from(draw_ids)


@st.composite
def request_input(draw, live, converters, method):
    known = live.ids + live.payment_ids
    text = st.one_of(st.sampled_from(NASTY + known), st.text(max_size=80))
    numbers = st.one_of(st.sampled_from(HUGE), st.integers(), st.floats(allow_nan=True, allow_infinity=True))
    scalars = st.one_of(st.none(), st.booleans(), numbers, text)
    values = st.recursive(scalars, lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), kids,
                                                    max_size=5)), max_leaves=12)
    obj = st.dictionaries(st.sampled_from(FIELDS), values, max_size=7)
    path = {}
    for name, converter in converters.items():
        if type(converter).__name__ == "IntegerConverter":
            path[name] = str(draw(st.one_of(st.sampled_from([0, 1, 2, 10 ** 20]), st.integers(0, 10 ** 30))))
        else:
            path[name] = quote(draw(text) or "x", safe="")
    query_values = st.one_of(text.map(lambda v: v[:300]), st.sampled_from([str(n) for n in HUGE] + NUMBER_TOKENS))
    query = draw(st.dictionaries(st.sampled_from(FIELDS), query_values, max_size=5))
    kind = draw(st.sampled_from(["json", "json", "form", "raw", "none", "huge", "deep", "numbers"]
                                if method != "GET" else ["none"]))
    body = {}
    if kind == "json":
        body = {"data": json.dumps(draw(st.one_of(obj, values)), allow_nan=True),
                "content_type": "application/json"}
    elif kind == "form":
        body = {"data": draw(st.dictionaries(st.sampled_from(FIELDS), text.map(lambda v: v[:300]), max_size=6))}
    elif kind == "raw":
        body = {"data": draw(st.binary(max_size=200)),
                "content_type": draw(st.sampled_from(["application/json", "text/plain", "application/xml",
                                                      "multipart/form-data", "application/x-www-form-urlencoded",
                                                      "application/json; charset=latin-1"]))}
    elif kind == "huge":
        body = {"data": json.dumps({"buyer_name": "x" * (300 * 1024)}), "content_type": "application/json"}
    elif kind == "deep":       # arrays or objects nested deeper than any parser should follow
        n, field = draw(st.sampled_from(DEEP)), draw(st.sampled_from(FIELDS))
        inner = draw(st.sampled_from(["[" * n + "]" * n, '{"a":' * n + "1" + "}" * n]))
        body = {"data": f'{{"{field}": {inner}}}', "content_type": "application/json"}
    elif kind == "numbers":    # numbers no route can hold, under the names routes read
        fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5, unique=True))
        tokens = [draw(st.sampled_from(NUMBER_TOKENS)) for _ in fields]
        body = {"data": "{" + ", ".join(f'"{f}": {t}' for f, t in zip(fields, tokens)) + "}",
                "content_type": "application/json"}
    csrf = draw(st.sampled_from([True, True, True, False]))
    return path, query, body, csrf


def _fill(rule, path):
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: path[m.group(1)], rule)


def _clear(resp):
    """A 4xx must say what was wrong: a JSON object with an error/code/message, or a page with words."""
    text = resp.get_data(as_text=True)
    if resp.is_json:
        body = resp.get_json(silent=True)
        return isinstance(body, dict) and any(k in body for k in ("error", "code", "message", "result", "error_msg"))
    return len(text.strip()) > 0


@pytest.mark.parametrize("prefix, rule, converters, method, endpoint", ROUTES)
def test_generated_input_never_breaks_a_route_or_a_stored_order(live, prefix, rule, converters, method, endpoint):
    allowed = ALLOWED_CHANGES.get(endpoint, {})

    examples = EXAMPLES if method != "GET" or converters else PAGE_EXAMPLES

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(data=st.data())
    def feed(data):
        path, query, body, csrf = data.draw(request_input(live, converters, method))
        before = live.orders()
        headers = {"X-CSRF-Token": live.token} if csrf else {}
        resp = live.client.open(prefix + _fill(rule, path), method=method, query_string=query, headers=headers,
                                base_url=live.url, **body)
        status = resp.status_code
        assert status < 500, (status, method, rule, path, query, body, resp.get_data(as_text=True)[:300])
        assert status < 300 or status in (301, 302, 303, 307, 308) or (400 <= status < 500 and _clear(resp)), \
            (status, resp.get_data(as_text=True)[:300])
        after = live.orders()
        assert set(before) <= set(after)
        for oid, old in before.items():
            new = after[oid]
            assert new["amount"] == old["amount"] and new["subtotal"] == old["subtotal"], (oid, path, query, body)
            if new["status"] != old["status"]:
                assert new["status"] in allowed.get((old["pg"], old["status"]), ()), \
                    (oid, old["status"], new["status"], method, rule, path, query, body)
    feed()


def test_orders_at_the_end_are_as_the_pgs_have_them(live):
    """After everything generated: each paid order is paid at the PG for its amount, nothing else is held."""
    api = portone_driver.Api(live)
    for order in live.orders().values():
        if order["id"] not in live.ids:
            assert order["status"] in ("pending", "failed"), order       # made by generated input: never paid
            continue
        if order["pg"] == "portone" and order["pg_payment_id"]:
            record = api.payment(order["pg_payment_id"])
            held = record["status"] == "paid"
        elif order["pg_payment_id"]:
            record = toss_driver.api(live, "GET", f"/v1/payments/{order['pg_payment_id']}").json()
            held, record["amount"] = record["status"] == "DONE", record["totalAmount"]
        else:
            continue
        assert held == (order["status"] == orders.Status.PAID), order
        if held:
            assert record["amount"] == order["amount"]


# --- targeted cases ------------------------------------------------------------------------------------

JSON_ROUTES = ["/api/quote", "/api/orders", "/portone/orders", "/payments/complete"]


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("data, content_type", [
    ("{not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('"just a string"', "application/json"),
    ('{"pg": "toss", "product_id": "shoes"}', "text/plain"),
    ("pg=toss&product_id=shoes", "application/x-www-form-urlencoded"),
    ("", "application/json"),
])
def test_json_routes_refuse_what_is_not_a_json_object(site, path, data, content_type):
    resp = site.post(path + "?lang=en", data=data.encode(), headers={"Content-Type": content_type})
    assert resp.status_code == 400
    assert resp.json()["error"] == "BAD_REQUEST" and resp.json()["message"] == "Send a JSON object."


@pytest.mark.parametrize("body, error", [
    ({"pg": "toss"}, "UNKNOWN_PRODUCT"),
    ({"product_id": "shoes"}, "UNKNOWN_PG"),
    ({"pg": "toss", "product_id": 7}, "UNKNOWN_PRODUCT"),
    ({"pg": "toss", "product_id": "shoes", "quantity": 0}, "BAD_QUANTITY"),
    ({"pg": "toss", "product_id": "shoes", "quantity": -3}, "BAD_QUANTITY"),
    ({"pg": "toss", "product_id": "shoes", "quantity": 2.5}, "BAD_QUANTITY"),
    ({"pg": "toss", "product_id": "shoes", "quantity": "2"}, "BAD_QUANTITY"),
    ({"pg": "toss", "product_id": "shoes", "quantity": 10 ** 40}, "BAD_REQUEST"),   # beyond 64 bits: webjson
    ({"pg": "toss", "product_id": "shoes", "quantity": True}, "BAD_QUANTITY"),
    ({"pg": "toss", "product_id": "shoes", "coupons": "TOSS5000"}, "BAD_COUPONS"),
    ({"pg": "toss", "product_id": "shoes", "coupons": [1]}, "BAD_COUPONS"),
    ({"pg": "toss", "product_id": "shoes", "buyer_name": "x" * 41}, "BAD_FIELD"),
    ({"pg": "toss", "product_id": "shoes", "buyer_email": ["a@b.c"]}, "BAD_FIELD"),
    ({"pg": "paypal", "product_id": "shoes"}, "UNKNOWN_PG"),
])
def test_order_fields_of_the_wrong_shape_are_refused_and_nothing_is_stored(site, body, error):
    resp = site.post("/api/orders?lang=en", json=body)
    assert resp.status_code == 400 and resp.json()["error"] == error and resp.json()["message"]
    with site.app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0


def test_extra_fields_and_a_browser_amount_are_ignored(site):
    order = site.order("toss", amount=1, discount=14999, status="paid", id="order-mine", pg_payment_id="x")
    assert (order["amount"], order["status"]) == (15000, "pending") and order["order_id"] != "order-mine"


def test_unicode_and_markup_in_names_are_kept_as_text_and_shown_escaped(site):
    name = "<b>홍길동</b> \"'&🙂"
    order = site.order("portone", buyer_name=name, buyer_email="<script>x</script>@e.kr")
    assert order["buyer_name"] == name
    for path in (f"/orders/{order['order_id']}", f"/flows/{order['order_id']}"):
        page = site.get(path).text
        assert "<b>홍길동</b>" not in page and "<script>x</script>" not in page
    assert "&lt;b&gt;홍길동&lt;/b&gt;" in page                     # the flow page shows the buyer, escaped
    assert site.get(f"/api/flows/{order['order_id']}").json()["order"]["buyer_name"] == name


def test_oversized_json_gets_a_clear_413_in_json(site):
    resp = site.post("/api/orders?lang=en", data=json.dumps({"buyer_name": "x" * 70000}),
                     headers={"Content-Type": "application/json"})
    assert resp.status_code == 413
    assert resp.json() == {"error": "TOO_LARGE",
                           "message": "The request is larger than this site accepts (64 KiB). Nothing was stored."}


def test_oversized_form_gets_a_clear_413_page(site):
    resp = site.post("/toss/checkout?lang=en", data={"product_id": "shoes", "buyer_name": "x" * 70000},
                     headers={"Accept": "text/html"})
    assert resp.status_code == 413 and resp.headers["Content-Type"].startswith("text/html")
    assert "Request too large" in resp.text and "64 KiB" in resp.text


def test_oversized_webhook_is_413_and_changes_nothing(site):
    order = site.order("portone")
    resp = site.post("/webhooks/portone", csrf=False, data=json.dumps({"imp_uid": "imp_1", "pad": "x" * 70000}),
                     headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["error"] == "TOO_LARGE"
    assert site.get(f"/api/flows/{order['order_id']}").json()["order"]["status"] == "pending"


@pytest.mark.parametrize("imp_uid", ["../users/getToken", "imp 1", "imp_1/../../x", "x" * 65, 12345, ["imp_1"],
                                     {"a": 1}])
def test_imp_uid_of_the_wrong_shape_is_refused_with_a_step(site, imp_uid):
    order = site.order("portone")
    resp = site.post("/payments/complete?lang=en", json={"imp_uid": imp_uid, "merchant_uid": order["order_id"]})
    assert resp.status_code == 400 and resp.json()["error"] == "BAD_IMP_UID" and resp.json()["status"] == "pending"
    steps = site.get(f"/api/flows/{order['order_id']}/steps").json()["steps"]
    assert [s["verdict"] for s in steps if s["name"] == "portone.refused"] == ["fail"]


@pytest.mark.parametrize("merchant_uid", ["../orders", "", 7, None, "order-" + "9" * 60, "한글"])
def test_merchant_uid_of_the_wrong_shape_is_404(site, merchant_uid):
    resp = site.post("/payments/complete", json={"imp_uid": "imp_123456789012", "merchant_uid": merchant_uid})
    assert resp.status_code == 404 and resp.json()["error"] == "NOT_FOUND"
    assert site.get(f"/payments/complete?imp_uid=imp_1&merchant_uid={quote(str(merchant_uid))}",
                    allow_redirects=False).status_code == 404


@pytest.mark.parametrize("amount", ["abc", "0", "-15000", "15000.0", "1e4", "15,000", "9" * 40, "", " 15000",
                                    "１５０００"])
def test_toss_success_with_an_amount_that_is_not_the_orders_is_refused_with_a_step(site, amount):
    order = site.order("toss")
    got = toss_driver.pay(site, order)
    path = f"/success?paymentType=NORMAL&orderId={order['order_id']}&paymentKey={got['paymentKey']}" \
           f"&amount={quote(amount)}&lang=en"
    resp = site.get(path)
    assert resp.status_code == 400 and "Payment not confirmed" in resp.text
    [check] = [s for s in site.get(f"/api/flows/{order['order_id']}/steps").json()["steps"]
               if s["name"] == "toss.check_amount"]
    assert check["verdict"] == "fail" and check["expected"] == "15000"
    assert site.get(f"/api/flows/{order['order_id']}").json()["order"]["status"] == "pending"
    # the honest return still works afterwards: nothing was damaged
    assert "Paid and verified" in site.get(got["redirect_url"][len(site.url):] + "&lang=en").text


@pytest.mark.parametrize("query", ["", "orderId=", "orderId=%00&paymentKey=%00&amount=%00",
                                   "orderId=" + "x" * 2000, "paymentKey=../../v1/payments&orderId=a&amount=1"])
def test_toss_success_and_fail_with_garbage_are_clear_4xx_pages(site, query):
    for path in ("/success", "/fail"):
        resp = site.get(f"{path}?{query}&lang=en")
        assert resp.status_code < 500 and resp.text.strip()
    assert site.get(f"/success?{query}&lang=en").status_code == 404


def test_webhooks_with_wrong_types_are_clear_400s(site):
    for body in ({"imp_uid": 5}, {"imp_uid": None}, {"imp_uid": ["imp_1"]}, [], "x"):
        resp = site.post("/webhooks/portone", csrf=False, json=body)
        assert resp.status_code == 400 and resp.json()["result"] == "malformed"
    for body in ({"eventType": 5}, {"eventType": "PAYMENT_STATUS_CHANGED", "data": []}, {"secret": 1}, [1]):
        resp = site.post("/webhooks/toss", csrf=False, json=body)
        assert resp.status_code == 400 and resp.json()["error"] == "BAD_WEBHOOK"


def test_browser_event_with_wrong_fields_is_refused(site):
    order = site.order("toss")
    url = f"/api/flows/{order['order_id']}/events?lang=en"
    for body in ({"phase": "settle", "name": "toss.x", "summary": "s"}, {"phase": "checkout", "name": "portone.x",
                 "summary": "s"}, {"phase": "checkout", "name": "toss.<b>", "summary": "s"},
                 {"phase": "checkout", "name": "toss.x", "summary": 5}):
        resp = site.post(url, json=body)
        assert resp.status_code == 400 and resp.json()["error"] == "BAD_EVENT"
    assert site.post("/api/flows/order-nope/events", json={}).status_code == 404
    steps = site.get(f"/api/flows/{order['order_id']}/steps").json()["steps"]
    refused = [s for s in steps if s["name"] == "toss.bad_event"]
    assert len(refused) == 4 and all(s["verdict"] == "fail" and s["reported"] for s in refused)
    assert not any(s["name"] == "toss.x" for s in steps)


# --- 500s the generated input once found in the emulator (fixed; kept as regressions) ------

@pytest.mark.parametrize("body", ["true", "[1]", "5", '"approve"'])
def test_emulated_toss_window_decide_with_a_json_body_that_is_not_an_object(client, body):
    resp = client.post("/emulator/toss/window/tgen_x/decide", data=body, content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["code"] == "INVALID_REQUEST"


@pytest.mark.parametrize("body", [{"pg": []}, {"pg": "toss", "target": {"a": 1}, "kind": "down"}])
def test_emulator_fault_control_with_a_list_where_a_name_belongs(client, body):
    resp = client.post("/emulator/faults", json=body)
    assert resp.status_code == 400 and "must be one of" in resp.get_json()["message"]
    assert client.get("/emulator/faults").get_json() == []        # nothing was armed


@pytest.mark.parametrize("path", ["/emulator/deliveries/99999999999999999999",
                                  "/emulator/deliveries/9223372036854775808/resend",
                                  "/emulator/faults/100000000000000000000/delete"])
def test_emulator_ids_too_large_for_sqlite_are_404(client, path):
    resp = client.post(path) if path.endswith(("resend", "delete")) else client.get(path)
    assert resp.status_code == 404


# --- JSON no route may see: nested thousands deep, non-finite and out-of-range numbers (both apps) ----------

DEEP_ROUTES = [
    ("/api/orders", "shop"), ("/api/quote", "shop"), ("/portone/orders", "shop"), ("/payments/complete", "shop"),
    ("/webhooks/portone", "shop"), ("/webhooks/toss", "shop"),
    ("/emulator/portone/sdk/payments", "portone-sdk"), ("/emulator/portone/users/getToken", "portone"),
    ("/emulator/portone/window/imp_1/decide", "portone-sdk"), ("/emulator/toss/sdk/payments", "toss-sdk"),
    ("/emulator/toss/v1/payments/confirm", "toss"), ("/emulator/toss/v1/payments", "toss"),
    ("/emulator/toss/v1/payments/tgen_1/cancel", "toss"), ("/emulator/toss/window/tgen_1/decide", "toss"),
    ("/emulator/faults", "emulator"), ("/emulator/clock", "emulator")]
BAD_JSON = {"deep arrays": "[" * 30000 + "]" * 30000, "deep objects": '{"a":' * 5000 + "1" + "}" * 5000,
            "NaN": '{"amount": NaN, "advance": NaN, "quantity": NaN}',
            "Infinity": '{"amount": Infinity, "advance": -Infinity, "count": Infinity}',
            "1e400": '{"amount": 1e400, "advance": 1e400, "quantity": 1e400}',
            "2^64": '{"amount": %d, "count": %d, "quantity": %d}' % (2 ** 64, 2 ** 64, 2 ** 64),
            "-2^63-1": '{"amount": %d, "cancelAmount": %d}' % (-(2 ** 63) - 1, -(2 ** 63) - 1)}


@pytest.mark.parametrize("name", BAD_JSON)
@pytest.mark.parametrize("path, shape", DEEP_ROUTES)
def test_json_no_route_may_see_is_a_clear_400_in_each_apps_shape(site, path, shape, name):
    toss_auth = {"Authorization": "Basic dGVzdF9nc2tfZG9jc19PYVB6OEw1S2RtUVhrelJ6M3k0N0JNdzY6"}
    resp = site.post(path + "?lang=en", data=BAD_JSON[name].encode(), csrf=shape == "shop",
                     headers={"Content-Type": "application/json", **(toss_auth if shape == "toss" else {})})
    assert resp.status_code == 400, (resp.status_code, resp.text[:200])
    body = resp.json()
    if shape.startswith("toss"):     # the REST API's code, or the widget's (its SDK answers the browser)
        assert body["code"] == ("INVALID_REQUEST" if shape == "toss" else "INVALID_PARAMETERS") and body["message"]
    elif shape == "portone":
        assert body["code"] == -1 and body["response"] is None and body["message"]
    elif shape == "portone-sdk":
        assert body["error_code"] and body["error_msg"]
    else:
        assert any(body.get(k) for k in ("error", "message", "result", "code")), body
    assert site.get("/emulator/clock").json()["offset"] == 0 and site.get("/emulator/faults").json() == []


@pytest.mark.parametrize("query", ["after=%d" % 2 ** 64, "after=1e400", "after=-1", "after=NaN"])
def test_a_query_integer_beyond_64_bits_is_a_clear_400(site, query):
    resp = site.get("/emulator/faults/events?" + query)
    assert resp.status_code == 400 and resp.json()["error"] == "BAD_REQUEST"


def _portone_token(site):
    cfg = site.emulator.config
    return site.http.post(site.url + "/emulator/portone/users/getToken", timeout=10, json={
        "imp_key": cfg["EMULATOR_PORTONE_IMP_KEY"], "imp_secret": cfg["EMULATOR_PORTONE_IMP_SECRET"]}
    ).json()["response"]["access_token"]


@pytest.mark.parametrize("amount", ["Infinity", "-Infinity", "nan", "1e400", "1e20", str(2 ** 63), "1e10"])
def test_emulated_portone_refuses_impossible_amounts_and_keeps_nothing(site, amount):
    token = _portone_token(site)
    merchant_uid = f"order-{amount[:6]}-x"
    for send in ({"data": {"merchant_uid": merchant_uid, "amount": amount}},     # a form, as PortOne accepts
                 {"json": {"merchant_uid": merchant_uid, "amount": float(amount)}} if amount not in (
                     "Infinity", "-Infinity", "nan", "1e400") else {"json": {"merchant_uid": merchant_uid,
                                                                               "amount": 10 ** 20}}):
        resp = site.http.post(site.url + "/emulator/portone/payments/prepare", headers={"Authorization": token},
                              timeout=10, **send)
        assert resp.status_code == 400 and resp.json()["code"] == -1 and resp.json()["response"] is None
    kept = site.http.get(f"{site.url}/emulator/portone/payments/prepare/{merchant_uid}",
                         headers={"Authorization": token}, timeout=10).json()
    assert kept["response"] is None


@pytest.mark.parametrize("amount, message", [(1e20, "amount는 9,999,999,999원을 넘을 수 없습니다."),
                                             (10 ** 12, "amount는 9,999,999,999원을 넘을 수 없습니다."),
                                             (1000.5, "원화(KRW) 결제의 amount는 정수여야 합니다."),
                                             (0, "amount는 0보다 커야 합니다. (빌링키만 발급할 때는 customer_uid와 함께 0)")])
def test_emulated_portone_sdk_refuses_impossible_amounts_before_the_window(site, amount, message):
    order = {"order_id": "order-amount-" + str(amount)[:8].replace(".", "_"), "order_name": "x", "amount": amount}
    got = portone_driver.pay(site, order)
    assert got["imp_uid"] is None and got["window_error"]["error_msg"] == message


@pytest.mark.parametrize("amount, code", [(1e20, "EXCEED_MAX_AMOUNT"), (10 ** 10, "EXCEED_MAX_AMOUNT"),
                                          (15000.5, "INVALID_REQUEST"), ("1e3", "INVALID_REQUEST")])
def test_emulated_toss_refuses_impossible_amounts_in_its_own_codes(site, amount, code):
    created = toss_driver.api(site, "POST", "/v1/payments", {
        "method": "CARD", "amount": amount, "orderId": "order-impossible-1", "orderName": "x",
        "successUrl": site.url + "/success", "failUrl": site.url + "/fail"}, secret=toss_driver.API_SECRET)
    assert created.status_code == 400 and created.json()["code"] == code
    order = {"order_id": "order-" + uuid.uuid4().hex[:10], "order_name": "x", "amount": 15000,
             "customer_key": "cust_amount"}
    key = toss_driver.approved(site, order)
    refused = toss_driver.confirm(site, key, order, amount=amount)
    assert refused.status_code == 400 and refused.json()["code"] == code
    assert toss_driver.record(site, key)["status"] == "IN_PROGRESS"              # nothing was confirmed
    assert toss_driver.api(site, "GET", "/v1/payments/orders/order-impossible-1").status_code == 404
    widget = toss_driver.start(site, dict(order, order_id="order-" + uuid.uuid4().hex[:10]), amount=amount)
    assert widget["status"] == 400 and widget["code"] in ("INVALID_AMOUNT_VALUE", "INVALID_PARAMETERS")


@pytest.mark.parametrize("form", [{"advance": "Infinity"}, {"advance": "nan"}, {"advance": "1e400"},
                                  {"advance": "1e20"}, {"advance": str(2 ** 64)}])
def test_the_emulator_clock_refuses_impossible_moves(site, form):
    token = console_token(site.get("/emulator/").text)      # the console's own form, as the dashboard posts it
    resp = site.http.post(site.url + "/emulator/clock", data={**form, "csrf_token": token},
                          headers={"Accept": "application/json"}, timeout=10)
    assert resp.status_code == 400 and resp.json()["message"]
    as_json = site.http.post(site.url + "/emulator/clock", timeout=10, data='{"advance": %s}' % form["advance"],
                             headers={"Content-Type": "application/json"})
    assert as_json.status_code == 400 and as_json.json()["message"]
    assert site.get("/emulator/clock").json()["offset"] == 0


# --- the error handlers ----------------------------------------------------------------------------------

def test_unknown_address_is_a_translated_page_or_json(client):
    page = client.get("/no/such/page?lang=en")
    assert page.status_code == 404 and "Not found" in page.get_data(as_text=True)
    assert page.headers["Content-Type"].startswith("text/html")
    assert client.get("/api/nothing").get_json() == {"error": "NOT_FOUND",
                                                     "message": client.get("/api/nothing").get_json()["message"]}
    assert client.get("/no/such/page", headers={"Accept": "application/json"}).get_json()["error"] == "NOT_FOUND"


def test_wrong_method_is_405_with_allow(client):
    resp = client.get("/api/orders?lang=en")
    assert resp.status_code == 405 and resp.get_json()["error"] == "METHOD_NOT_ALLOWED"
    assert "POST" in resp.headers["Allow"]
    page = client.delete("/?lang=en")
    assert page.status_code == 405 and "Method not allowed" in page.get_data(as_text=True)


def test_a_crash_is_a_plain_500_without_the_exception_text(tmp_path):
    app = create_app({"SHOP_DATABASE": str(tmp_path / "s.sqlite3"), "SECRET_KEY": "k"},
                     emulator_config={"EMULATOR_DATABASE": str(tmp_path / "e.sqlite3")})

    @app.get("/boom")
    def boom():
        raise RuntimeError("imp_secret=hunter2 in the traceback")
    client = app.test_client()
    page = client.get("/boom?lang=en")
    assert page.status_code == 500 and "Something went wrong" in page.get_data(as_text=True)
    assert "hunter2" not in page.get_data(as_text=True)
    answer = client.get("/boom", headers={"Accept": "application/json"})
    assert answer.status_code == 500 and answer.get_json()["error"] == "SERVER_ERROR"
    assert "hunter2" not in answer.get_data(as_text=True)


def test_the_emulator_answers_unknown_paths_in_each_pgs_own_shape(client):
    portone = client.get("/emulator/portone/no-such-api")
    assert portone.status_code == 404 and portone.get_json() == {"code": -1, "message": portone.get_json()["message"],
                                                                "response": None}
    toss = client.get("/emulator/toss/v1/no-such-api")
    assert toss.status_code == 404 and toss.get_json()["code"] == "NOT_FOUND" and toss.get_json()["message"]
    wrong = client.get("/emulator/portone/users/getToken")
    assert wrong.status_code == 405 and wrong.get_json()["code"] == -1 and "POST" in wrong.headers["Allow"]
    page = client.get("/emulator/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    # the PG's own error answers are untouched
    assert client.get("/emulator/portone/payments/imp_1").get_json() == {"code": -1, "message": "Unauthorized",
                                                                        "response": None}
