"""One flow's page and JSON: timeline, sequence diagram, raw exchanges, curl, escaping, no secrets."""
import base64
import json
import re
import threading
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shop import catalog, http, orders, steps
from viewer import flows
from shop.settle import Check

SVG_NS = "{http://www.w3.org/2000/svg}"
TOKEN = "tok_3f1c9a7e5b2d4c6a8e0f1a2b3c4d5e6f70819a2b"
PAYMENT_SECRET = "ps_Zq8Wl3XkPm2Rt7Yv9Bn4Hd6Jf1Gs5Ka0"
XSS = "<script>alert(1)</script>"


class StubPG:
    """A tiny PortOne/Toss look-alike on a loopback port, so steps come from the real shop.http.call."""

    def __init__(self):
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def wsgi(self, request):
        if request.path == "/users/getToken":
            body = {"code": 0, "message": None,
                    "response": {"access_token": TOKEN, "now": 1, "expired_at": 1801}}
        elif request.path.startswith("/payments/"):
            body = {"code": 0, "message": None,
                    "response": {"imp_uid": request.path.rsplit("/", 1)[1], "amount": 100, "status": "paid",
                                 "buyer_name": XSS}}
        elif request.path == "/v1/payments/confirm":
            sent = json.loads(request.get_data())
            body = {"paymentKey": sent["paymentKey"], "orderId": sent["orderId"], "status": "DONE",
                    "totalAmount": sent["amount"], "secret": PAYMENT_SECRET}
        else:
            return Response(json.dumps({"code": "NOT_FOUND_PAYMENT", "message": "없음"}), 404,
                            content_type="application/json")
        return Response(json.dumps(body), content_type="application/json")

    def close(self):
        self.server.shutdown()


@pytest.fixture
def client(app):
    """The buyer of new_order()'s orders: sees its flows unmasked (tests/test_privacy.py: anyone else)."""
    c = app.test_client()
    with c.session_transaction() as s:
        s["customer_key"] = "cust_test"
    return c


@pytest.fixture
def pg(app):
    stub = StubPG()
    app.config["EMULATOR_URL"] = stub.url + "/emulator"    # the one origin the shop may call
    yield stub
    stub.close()


def new_order(app, pg_name, buyer_name="Hong Gildong", coupons=()):
    with app.app_context():
        q = catalog.quote("shoes", 1, list(coupons), date.today(), set())
        order = orders.create(pg_name, q, buyer_name=buyer_name, customer_key="cust_test")
        steps.record(order["id"], "order", f"{pg_name}.price_order", f"Server priced the order: {q.amount:,} won",
                     kind="state", verdict="pass", expected=q.amount)
        return order["id"]


def portone_flow(app, stub):
    """A PortOne flow with a tampered amount: token, read back, failed amount check, forged."""
    oid = new_order(app, "portone", buyer_name=XSS)
    cfg = app.config
    with app.app_context():
        steps.record(oid, "checkout", "portone.request_pay", "IMP.request_pay called", kind="browser",
                     actor_from="browser", actor_to="portone", verdict="info", reported=True,
                     exchange={"browser": {"merchant_uid": oid, "amount": 100}})
        steps.record(oid, "return", "portone.complete", f"Browser posted imp_uid {XSS}", kind="http_in",
                     actor_from="browser", actor_to="shop", verdict="info",
                     exchange={"request": {"method": "POST", "url": "/payments/complete",
                                           "body": {"imp_uid": "imp_123456789012", "merchant_uid": oid}}})
        flow = steps.Flow(oid, "portone")
        with steps.bound(flow):
            with flow.at("server_auth"):
                http.call("get_token", "POST", stub.url + "/users/getToken", summary="Get an access token",
                          json_body={"imp_key": cfg["PORTONE_IMP_KEY"], "imp_secret": cfg["PORTONE_IMP_SECRET"]})
            with flow.at("approve"):
                http.call("get_payment", "GET", stub.url + "/payments/imp_123456789012",
                          summary="Read the payment back", headers={"Authorization": f"Bearer {TOKEN}"})
        flow.checks([Check("check_amount", False, "The paid amount equals the stored amount", 15000, 100)])
        orders.transition(oid, orders.OPEN, orders.Status.FORGED, "Paid 100 won instead of 15,000 won.")
    return oid


def toss_flow(app, stub):
    """A Toss flow that is confirmed and paid (the payment secret kept on the order)."""
    oid = new_order(app, "toss")
    with app.app_context():
        steps.record(oid, "return", "toss.success", "Redirected to successUrl", kind="http_in",
                     actor_from="browser", actor_to="shop", verdict="info",
                     exchange={"request": {"method": "GET", "url": f"/success?orderId={oid}&paymentKey=pk_1"}})
        flow = steps.Flow(oid, "toss", "approve")
        with steps.bound(flow):
            http.call("confirm", "POST", stub.url + "/v1/payments/confirm", summary="Confirm the payment",
                      headers={"Authorization": "Basic " + base64.b64encode(
                          (app.config["TOSS_SECRET_KEY"] + ":").encode()).decode(), "Idempotency-Key": "idem-1"},
                      json_body={"paymentKey": "pk_1", "orderId": oid, "amount": 15000})
        flow.checks([Check("check_amount", True, "The confirmed amount equals the stored amount", 15000, 15000)])
        orders.transition(oid, orders.OPEN, orders.Status.PAID, "Confirmed.", pg_payment_id="pk_1",
                          pg_secret=PAYMENT_SECRET)
    return oid


def svg_of(html):
    m = re.search(r"<svg class=\"sequence\".*?</svg>", html, re.S)
    assert m, "the flow page has no sequence diagram"
    return ET.fromstring(m.group(0))


def classes(el):
    return set((el.get("class") or "").split())


def messages(svg):
    """Every arrow in the diagram: <line>/<path> elements with class msg."""
    return [el for el in svg.iter() if el.tag in (SVG_NS + "line", SVG_NS + "path") and "msg" in classes(el)]


def test_timeline_shows_phases_actors_timing_and_compared_values(app, client, pg):
    oid = portone_flow(app, pg)
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    items = re.findall(r'<li class="step ([^"]*)" id="step-(\d+)" data-phase="([a-z_]+)" data-name="([^"]+)"', html)
    assert [i[3] for i in items] == ["portone.price_order", "portone.request_pay", "portone.complete",
                                     "portone.get_token", "portone.get_payment", "portone.check_amount"]
    for title in ("Order", "Checkout", "Return", "Server auth", "Approve / read", "Verify"):
        assert f"<h3>{title}</h3>" in html
    assert "Shop server → PortOne" in html and "Browser → Shop server" in html
    assert re.search(r'class="elapsed"[^>]*>\+\d', html) and re.search(r'class="took"[^>]*>\d+ ms', html)
    assert "stored KRW 15,000 ≠ received KRW 100" in html           # the failed check, both values
    assert "stored KRW 15,000</span>" in html                       # the pricing step: what was stored
    assert "A payment that did not match was refused (it can be paid again)" in html and "Paid 100 won instead of 15,000 won." in html


def test_failed_check_is_marked_in_the_timeline_and_in_red_in_the_diagram(app, client, pg):
    oid = portone_flow(app, pg)
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    item = re.search(r'<li class="step verdict-fail kind-check"[^>]*data-name="portone.check_amount".*?</li>', html, re.S)
    assert item and "✗" in item.group(0)
    svg = svg_of(html)
    failed = [g for g in svg.iter(SVG_NS + "g") if "fail" in classes(g) and g.get("data-kind") == "self"]
    assert len(failed) == 1
    arrow = [el for el in failed[0].iter() if "msg" in classes(el)][0]
    assert "fail" in classes(arrow) and arrow.get("marker-end") == "url(#arrowhead-fail)"
    label = "".join(failed[0].find(SVG_NS + "text").itertext())
    assert label.startswith("✗")


def test_diagram_has_three_lifelines_and_one_arrow_per_message(app, client, pg):
    oid = portone_flow(app, pg)
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    svg = svg_of(html)
    lifelines = [g for g in svg.iter(SVG_NS + "g") if "lifeline" in classes(g)]
    assert [g.get("data-actor") for g in lifelines] == ["browser", "shop", "portone"]
    assert ["".join(g.find(SVG_NS + "text").itertext()) for g in lifelines] == ["Browser", "Shop server", "PortOne"]
    arrows = messages(svg)
    # request_pay (1) + complete (1) + get_token request/response (2) + get_payment (2) + check (1)
    assert len(arrows) == 7
    kinds = [el.get("class").split()[1] for el in arrows]
    assert kinds == ["message", "message", "request", "response", "request", "response", "self"]
    # the price_order state is a note, not an arrow
    assert len([el for el in svg.iter(SVG_NS + "rect") if "note" in classes(el)]) == 1
    # every arrow and note links to its step on the page (the two halves of a call to the same step)
    links = [a.get("href") for a in svg.iter(SVG_NS + "a")]
    ids = re.findall(r'<li class="step [^"]*" id="(step-\d+)"', html)
    assert links == ["#" + i for i in ids[:4]] + ["#" + ids[3]] + ["#" + i for i in ids[4:5]] * 2 + ["#" + ids[5]]


def test_reported_step_has_a_badge_and_a_dashed_arrow(app, client, pg):
    oid = portone_flow(app, pg)
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    item = re.search(r'<li class="step [^"]*reported"[^>]*>.*?</li>', html, re.S).group(0)
    assert 'data-name="portone.request_pay"' in item
    assert "reported by the browser, not verified" in item
    assert html.count("reported by the browser, not verified") == 1
    svg = svg_of(html)
    first = messages(svg)[0]
    assert "dashed" in classes(first) and first.get("x1") < first.get("x2")


def test_buyer_name_and_step_bodies_are_escaped_in_html_and_svg(app, client, pg):
    oid = portone_flow(app, pg)
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    assert XSS not in html
    assert '<dd id="flow-buyer">&lt;script&gt;alert(1)&lt;/script&gt;</dd>' in html
    # the PG's answer carried the name in its body; the http_in summary carried it too
    assert "&#34;buyer_name&#34;: &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in html
    svg = svg_of(html)          # parses as XML: nothing broke out of a <text> or <title>
    titles = ["".join(t.itertext()) for t in svg.iter(SVG_NS + "title")]
    assert f"Browser posted imp_uid {XSS}" in titles


def test_each_step_opens_to_its_raw_exchange_with_redactions_shown(app, client, pg):
    oid = portone_flow(app, pg)
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    token_step = re.search(r'data-name="portone.get_token".*?</li>', html, re.S).group(0)
    assert "<details>" in token_step
    assert re.search(r"POST http://127\.0\.0\.1:\d+/users/getToken", token_step)
    assert '<mark class="redacted" title="PORTONE_IMP_SECRET">[REDACTED:PORTONE_IMP_SECRET]</mark>' in token_step
    assert '<mark class="redacted" title="access_token">[REDACTED:access_token]</mark>' in token_step
    assert "HTTP 200" in token_step and "&#34;expired_at&#34;: 1801" in token_step   # pretty-printed
    payment_step = re.search(r'data-name="portone.get_payment".*?</li>', html, re.S).group(0)
    assert "Authorization: Bearer <mark" in payment_step


def test_explanation_doc_link_and_code_ref_per_step(app, client, pg):
    oid = portone_flow(app, pg)
    toss = toss_flow(app, pg)
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    token_step = re.search(r'data-name="portone.get_token".*?</li>', html, re.S).group(0)
    assert "access token (valid 30 minutes" in token_step
    assert 'href="https://developers.portone.io/api/rest-v1/auth?v=v1#post%20%2Fusers%2FgetToken"' in token_step
    read_step = re.search(r'data-name="portone.get_payment".*?</li>', html, re.S).group(0)
    assert "rest-v1/payment?v=v1#get%20%2Fpayments%2F%7Bimp_uid%7D" in read_step
    assert re.search(r'class="code-ref">shop/http\.py:\d+|class="code-ref">tests/test_flows_pages\.py:\d+', read_step)
    check = re.search(r'data-name="portone.check_amount".*?</li>', html, re.S).group(0)
    assert re.search(r'class="code-ref">tests/test_flows_pages\.py:\d+ portone_flow', check)
    toss_html = client.get(f"/flows/{toss}?lang=en").get_data(as_text=True)
    confirm = re.search(r'data-name="toss.confirm".*?</li>', toss_html, re.S).group(0)
    assert "within 10 minutes" in confirm
    assert 'href="https://docs.tosspayments.com/reference#결제-승인"' in confirm


def test_unknown_step_name_falls_back_to_its_summary(app, client):
    oid = new_order(app, "toss")
    with app.app_context():
        steps.record(oid, "settle", "shop.something_new", "A step nobody explained yet", kind="state")
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    step = re.search(r'data-name="shop.something_new".*?</li>', html, re.S).group(0)
    assert '<p class="explanation">A step nobody explained yet</p>' in step and "doc-link" not in step


def test_copy_as_curl_uses_placeholders_for_every_secret(app, client, pg):
    oid = portone_flow(app, pg)
    toss = toss_flow(app, pg)
    with app.test_request_context():
        by_name = {s["name"]: s for s in flows.flow_data(orders.get(oid))[1]}
        toss_steps = {s["name"]: s for s in flows.flow_data(orders.get(toss))[1]}
    token = by_name["portone.get_token"]["curl"]
    assert token.startswith("curl -X POST 'http://127.0.0.1:")
    assert '\\"imp_key\\": \\"$PORTONE_IMP_KEY\\"' in token and '\\"imp_secret\\": \\"$PORTONE_IMP_SECRET\\"' in token
    assert by_name["portone.get_payment"]["curl"].endswith('-H "Authorization: Bearer $PORTONE_ACCESS_TOKEN"')
    confirm = toss_steps["toss.confirm"]["curl"]
    assert '-u "$TOSS_SECRET_KEY:"' in confirm and "Authorization" not in confirm
    assert "-d '{\"paymentKey\": \"pk_1\"" in confirm
    assert by_name["portone.check_amount"]["curl"] is None and by_name["portone.complete"]["curl"] is None


def test_no_secret_in_any_page_or_json(app, client, pg):
    portone = portone_flow(app, pg)
    toss = toss_flow(app, pg)
    cfg = app.config
    secrets = [cfg["PORTONE_IMP_KEY"], cfg["PORTONE_IMP_SECRET"], cfg["TOSS_SECRET_KEY"], cfg["SECRET_KEY"],
               base64.b64encode((cfg["TOSS_SECRET_KEY"] + ":").encode()).decode(), TOKEN, PAYMENT_SECRET]
    pages = ["/flows", "/api/flows", f"/flows/compare?a={portone}&b={toss}", "/flows/compare", "/"]
    for oid in (portone, toss):
        pages += [f"/flows/{oid}", f"/flows/{oid}.json", f"/api/flows/{oid}", f"/api/flows/{oid}/steps"]
    for path in pages:
        resp = client.get(path + ("&" if "?" in path else "?") + "lang=en")
        assert resp.status_code == 200, path
        body = resp.get_data(as_text=True)
        for secret in secrets:
            assert secret not in body, f"{path} shows a secret"
    detail = client.get(f"/api/flows/{toss}").get_json()
    assert "pg_secret" not in detail["order"] and "customer_key" not in detail["order"]


def test_flow_json_and_download(app, client, pg):
    oid = toss_flow(app, pg)
    data = client.get(f"/api/flows/{oid}?lang=en").get_json()
    assert data["order"]["id"] == oid and data["order"]["amount"] == 15000
    assert data["order"]["status"] == "paid" and data["order"]["verdict"] == "ok"
    confirm = [s for s in data["steps"] if s["name"] == "toss.confirm"][0]
    assert confirm["phase"] == "approve" and confirm["actor_from"] == "shop" and confirm["actor_to"] == "toss"
    assert confirm["duration_ms"] >= 0 and confirm["t_ms"] >= 0
    assert confirm["doc_url"].startswith("https://docs.tosspayments.com/reference#")
    assert "10 minutes" in confirm["explanation"]
    assert confirm["exchange"]["request"]["headers"]["Authorization"] == "Basic [REDACTED:TOSS_SECRET_KEY:base64]"
    assert confirm["exchange"]["response"]["body"]["secret"] == "[REDACTED:secret]"
    check = [s for s in data["steps"] if s["name"] == "toss.check_amount"][0]
    assert check["verdict"] == "pass" and check["compared"] == "stored KRW 15,000 = received KRW 15,000"
    download = client.get(f"/flows/{oid}.json")
    assert download.headers["Content-Disposition"] == f'attachment; filename="flow-{oid}.json"'
    assert json.loads(download.get_data())["order"]["id"] == oid
    assert client.get("/api/flows/order-nope").status_code == 404
    assert client.get("/flows/order-nope").status_code == 404


def test_live_feed_keeps_its_shape_and_returns_only_new_steps(app, client):
    oid = new_order(app, "portone")
    first = client.get(f"/api/flows/{oid}/steps").get_json()
    assert set(first) == {"order_id", "status", "shown", "steps"} and first["status"] == first["shown"] == "pending"
    last = first["steps"][-1]["id"]
    with app.app_context():
        steps.record(oid, "checkout", "portone.request_pay", "called", kind="browser", actor_from="browser",
                     actor_to="portone", reported=True)
    later = client.get(f"/api/flows/{oid}/steps?after={last}").get_json()
    assert [s["name"] for s in later["steps"]] == ["portone.request_pay"] and later["steps"][0]["reported"] is True


def test_checkout_page_carries_the_live_log_words_and_script(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    cfg = json.loads(re.search(r'<script type="application/json" id="livelog-config">(.*?)</script>', html,
                               re.S).group(1))
    assert cfg["steps_url"] == "/api/flows/__ID__/steps" and cfg["flow_url"] == "/flows/__ID__"
    assert cfg["phases"]["server_auth"] == "Server auth" and cfg["actors"]["shop"] == "Shop server"
    assert cfg["words"]["reported"] == "reported by the browser, not verified"
    assert set(cfg["final"]) == {"paid", "partially_refunded", "failed", "cancelled", "forged", "expired", "registered"}
    assert '<script src="/static/js/livelog.js"></script>' in html
    assert 'href="/flows"' in html and 'href="/flows/compare"' in html


def test_a_call_that_got_no_answer_is_a_red_lost_arrow_and_says_so(app, client):
    app.config["EMULATOR_URL"] = "http://127.0.0.1:1/emulator"     # configured, but nobody listens
    oid = new_order(app, "portone")
    with app.app_context():
        with pytest.raises(http.PGUnreachable), steps.bound(steps.Flow(oid, "portone", "approve")):
            http.call("get_payment", "GET", "http://127.0.0.1:1/payments/imp_1", summary="Read the payment back")
    html = client.get(f"/flows/{oid}?lang=en").get_data(as_text=True)
    step = re.search(r'data-name="portone.get_payment".*?</li>', html, re.S).group(0)
    assert "verdict-fail" in html and "No answer" in step and "nothing was sent" in step
    assert "curl &#39;http://127.0.0.1:1/payments/imp_1&#39;" in step     # the call can still be repeated
    svg = svg_of(html)
    lost = [el for el in messages(svg) if "lost" in classes(el)]
    assert len(lost) == 1 and "fail" in classes(lost[0])
    group = [g for g in svg.iter(SVG_NS + "g") if g.get("data-kind") == "lost"][0]
    assert "".join(group.find(SVG_NS + "text").itertext()) == "✗ unreachable"


@pytest.mark.parametrize("name, expected", [
    ("portone.get_token", "portone.get_token"),
    ("portone.get_token_retry", "portone.get_token"),
    ("portone.webhook.paid", "portone.webhook"),
    ("portone.check_amount", "portone.check_amount"),
    ("portone.check_something_new", "portone.check"),
    ("toss.cancel_forged", "toss.cancel"),
    ("toss.confirmation", None),          # not 'toss.confirm': only whole words match
    ("shop.unheard_of", None),
])
def test_explanations_are_found_by_name_prefix(app, name, expected):
    from viewer import explain
    with app.test_request_context("/?lang=en"):
        step = {"name": name, "summary": "its own summary", "kind": "state", "actor_to": "shop",
                "exchange": None}
        want = str(explain.EXPLANATIONS[expected]) if expected else "its own summary"
        assert explain.explanation(step) == want
