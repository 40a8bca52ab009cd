"""The list of flows (paging, filters, cost at scale) and the compare page (two flows aligned by phase)."""
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from shop import catalog, orders, steps
from viewer import flows
from shop.db import get_db

STATUSES = ["paid", "failed", "pending", "forged", "cancelled", "awaiting_deposit", "unknown"]


def make_orders(app, n, start=1_800_000_000.0):
    """n orders, alternating PG and cycling status, created one second apart (every 10th ties the one
    before it, to exercise the cursor's tie-break). Returns ids newest first."""
    made = []
    with app.app_context():
        q = catalog.quote("shoes", 1, [], date.today(), set())
        for i in range(n):
            order = orders.create("portone" if i % 2 else "toss", q)
            stamp = start + i - (1 if i % 10 == 9 else 0)
            get_db().execute("UPDATE orders SET created_at = ?, status = ? WHERE id = ?",
                             (stamp, STATUSES[i % len(STATUSES)], order["id"]))
            steps.record(order["id"], "order", f"{order['pg']}.price_order", "priced", kind="state")
            made.append((stamp, order["id"]))
    return [oid for _stamp, oid in sorted(made, reverse=True)]


def walk(client, url):
    """Every row of every page, following the 'next' links; and how many pages there were."""
    seen, pages = [], 0
    while url:
        data = client.get(url).get_json()
        seen += [(r["id"], r["pg"], r["status"], r["verdict"]) for r in data["flows"]]
        pages += 1
        assert len(data["flows"]) <= flows.PAGE_SIZE
        url = data["next"]
    return seen, pages


def test_pages_are_newest_first_without_gaps_or_repeats(app, client):
    ids = make_orders(app, 120)
    seen, pages = walk(client, "/api/flows")
    assert [s[0] for s in seen] == ids and pages == 3


def test_list_page_rows_and_next_link(app, client):
    ids = make_orders(app, 60)
    with app.app_context():
        get_db().execute("UPDATE orders SET coupons = 'TOSS5000', discount = 5000, amount = 10000 WHERE id = ?",
                         (ids[0],))
    html = client.get("/flows?lang=en").get_data(as_text=True)
    rows = re.findall(r'<tr class="flow-row verdict-(\w+)" data-order-id="([^"]+)"', html)
    assert [r[1] for r in rows] == ids[:50]
    first = re.search(r'<tr class="flow-row[^"]*" data-order-id="%s".*?</tr>' % ids[0], html, re.S).group(0)
    assert "KRW 10,000" in first and "TOSS5000 (−KRW 5,000)" in first
    assert re.search(r'class="step-count">1<', first) and re.search(r'class="time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST<', first)
    nxt = re.search(r'<a href="([^"]+)" id="next-page"', html).group(1).replace("&amp;", "&")
    older = client.get(nxt + "&lang=en").get_data(as_text=True)
    assert re.findall(r'data-order-id="([^"]+)" data-pg', older) == ids[50:]
    assert 'id="next-page"' not in older and 'id="first-page"' in older


@pytest.mark.parametrize("query, keep", [
    ("pg=toss", lambda r: r[1] == "toss"),
    ("status=forged", lambda r: r[2] == "forged"),
    ("verdict=ok", lambda r: r[2] == "paid"),
    ("verdict=rejected", lambda r: r[2] in ("failed", "forged", "cancelled")),
    ("verdict=open&pg=portone", lambda r: r[2] in ("pending", "awaiting_deposit", "unknown") and r[1] == "portone"),
    ("verdict=open&status=paid", lambda r: False),
])
def test_filters_by_pg_status_and_verdict(app, client, query, keep):
    make_orders(app, 140)
    everything, _pages = walk(client, "/api/flows")
    seen, _pages = walk(client, "/api/flows?" + query)
    assert seen == [r for r in everything if keep(r)]
    if seen:
        assert {r[3] for r in seen} <= {"ok", "rejected", "open"}


def test_list_page_filter_form_keeps_the_filter_on_the_next_page(app, client):
    make_orders(app, 130)
    html = client.get("/flows?verdict=rejected&lang=en").get_data(as_text=True)
    assert set(re.findall(r'data-status="(\w+)">', html)) == {"failed", "forged", "cancelled"}
    assert '<option value="rejected" selected>' in html
    nxt = re.search(r'<a href="([^"]+)" id="next-page"', html)
    if nxt:
        assert "verdict=rejected" in nxt.group(1)


def test_bad_filter_is_refused_by_the_api_and_ignored_by_the_page(client):
    assert client.get("/api/flows?pg=paypal").status_code == 400
    assert client.get("/api/flows?before=yesterday").json["error"] == "BAD_FILTER"
    assert client.get("/flows?pg=paypal").status_code == 200


def test_listing_walks_an_index_and_never_counts_everything(app):
    """What keeps /flows as fast with 100,000 flows as with ten: each query is an index range scan
    stopped by LIMIT, the step count per row uses steps(order_id), and nothing counts all rows."""
    make_orders(app, 30)
    with app.test_request_context():
        db = get_db()
        db.execute("ANALYZE")
        sql = []
        db.set_trace_callback(sql.append)
        for args in [{}, {"pg": "toss"}, {"statuses": ["failed", "forged", "cancelled"]},
                     {"pg": "portone", "statuses": ["paid"]}, {"cursor": (1_800_000_010.0, "order-z")}]:
            flows.list_flows(**args)
        db.set_trace_callback(None)
        selects = [s for s in sql if s.lstrip().upper().startswith("SELECT")]
        assert selects and all("LIMIT 51" in s for s in selects if " FROM orders" in s)
        assert all(re.search(r"LIMIT \d+\s*$", s) for s in selects)          # every read is bounded
        assert not any(re.search(r"COUNT\(\*\) FROM orders", s, re.I) for s in selects)
        for statement in selects:
            plan = " | ".join(r["detail"] for r in db.execute("EXPLAIN QUERY PLAN " + statement))
            if " FROM orders" not in statement:    # the page's closed-window words: one search of steps(order_id)
                assert "SEARCH steps USING INDEX steps_order (order_id=?)" in plan and "SCAN steps" not in plan
                continue
            assert re.search(r"SEARCH orders USING INDEX orders_|SCAN orders USING INDEX orders_", plan), plan
            assert "SCAN orders |" not in plan + " |" and "SCAN steps" not in plan, plan
            assert "USING COVERING INDEX steps_order" in plan, plan


def two_flows(app):
    """A PortOne flow and a Toss flow with steps in some phases (the Toss one is newer)."""
    with app.app_context():
        q = catalog.quote("shoes", 1, [], date.today(), set())
        a = orders.create("portone", q)["id"]
        b = orders.create("toss", q)["id"]
        get_db().execute("UPDATE orders SET created_at = created_at + 1 WHERE id = ?", (b,))
        ids = {}
        ids["a_token"] = steps.record(a, "server_auth", "portone.get_token", "Token issued", kind="http_out",
                                      actor_to="portone", verdict="info")
        ids["a_read"] = steps.record(a, "approve", "portone.get_payment", "Payment read back", kind="http_out",
                                     actor_to="portone", verdict="info")
        ids["a_check"] = steps.record(a, "verify", "portone.check_amount", "Amount differs", verdict="fail",
                                      expected=15000, actual=100)
        ids["b_pay"] = steps.record(b, "checkout", "toss.request_payment", "requestPayment called",
                                    kind="browser", actor_from="browser", actor_to="toss", reported=True)
        ids["b_confirm"] = steps.record(b, "approve", "toss.confirm", "Confirmed", kind="http_out",
                                        actor_to="toss", verdict="info")
        ids["b_hook"] = steps.record(b, "notify", "toss.webhook", "PAYMENT_STATUS_CHANGED", kind="http_in",
                                     actor_from="toss", actor_to="shop", verdict="info")
    return a, b, ids


def compare_rows(html):
    return re.findall(r'<tbody class="phase-group" data-phase="(\w+)">(.*?)</tbody>', html, re.S)


def test_compare_aligns_both_flows_on_the_nine_phases(app, client):
    a, b, ids = two_flows(app)
    html = client.get(f"/flows/compare?a={a}&b={b}&lang=en").get_data(as_text=True)
    rows = compare_rows(html)
    assert [p for p, _ in rows] == list(steps.PHASES)
    row = dict(rows)
    for phase, body in rows:
        assert re.search(r'<td colspan="2" class="difference-line">\S.{30,}</td>', body), phase
    assert "access token from /users/getToken, reused for 30 minutes" in row["server_auth"]
    assert "Basic auth with the secret key on every call" in row["server_auth"]
    assert "must confirm it (POST /v1/payments/confirm) within 10 minutes" in row["approve"]
    assert "webhook with imp_uid only, re-read it" in row["notify"]

    def cell(phase, col):
        return re.search(rf'<td class="col-{col}">(.*?)</td>', row[phase], re.S).group(1)

    assert f'href="/flows/{a}#step-{ids["a_token"]}"' in cell("server_auth", "a")
    assert "no step in this phase" in cell("server_auth", "b")
    assert f'href="/flows/{a}#step-{ids["a_read"]}"' in cell("approve", "a")
    assert f'href="/flows/{b}#step-{ids["b_confirm"]}"' in cell("approve", "b")
    assert "✗" in cell("verify", "a")
    assert "reported by the browser, not verified" in cell("checkout", "b")
    assert f'href="/flows/{b}#step-{ids["b_hook"]}"' in cell("notify", "b")


def test_compare_defaults_to_the_latest_portone_and_toss_flows(app, client):
    two_flows(app)
    a, b, _ids = two_flows(app)
    html = client.get("/flows/compare?lang=en").get_data(as_text=True)
    head_a = re.search(r'id="compare-head-a">(.*?)</th>', html, re.S).group(1)
    head_b = re.search(r'id="compare-head-b">(.*?)</th>', html, re.S).group(1)
    assert a in head_a and "PortOne" in head_a and b in head_b and "Toss Payments" in head_b
    assert client.get("/flows/compare?a=order-nope").status_code == 404


def test_compare_without_flows_says_so(client):
    html = client.get("/flows/compare?lang=en").get_data(as_text=True)
    assert "No PortOne flow yet" in html and "No Toss Payments flow yet" in html
    assert len(compare_rows(html)) == 9


def test_next_link_carries_the_filters_and_a_cursor(app, client):
    make_orders(app, 55)
    data = client.get("/api/flows?pg=toss").get_json()
    assert len(data["flows"]) == 28 and data["next"] is None
    data = client.get("/api/flows").get_json()
    query = parse_qs(urlsplit(data["next"]).query)
    assert query["before"][0] == f"{data['flows'][-1]['created_at']!r}~{data['flows'][-1]['id']}"


def test_a_row_says_the_buyer_left_the_window_and_nothing_was_charged(site):
    """An open order whose page reported a closed window reads as such in the list (page and API), in the
    reader's language; an order with no such report keeps its status."""
    closed, untouched = site.order("toss"), site.order("toss")
    assert site.post(f"/api/flows/{closed['order_id']}/events", json={
        "phase": "authenticate", "name": "toss.rejection", "summary_key": "toss.rejection",
        "values": {"code": "USER_CANCEL", "message": "사용자가 결제를 취소하였습니다"},
        "data": {"code": "USER_CANCEL", "message": "사용자가 결제를 취소하였습니다"}}).status_code == 201
    rows = {r["id"]: r for r in site.get("/api/flows?lang=en").json()["flows"]}
    assert rows[closed["order_id"]]["status"] == "pending"                       # still payable
    assert rows[closed["order_id"]]["shown"] == "not_charged"
    assert rows[closed["order_id"]]["status_title"] == "Not paid: nothing was charged"
    assert rows[closed["order_id"]]["word"].startswith("The buyer closed the payment window")
    assert (rows[untouched["order_id"]]["shown"], rows[untouched["order_id"]]["word"]) == ("pending", "")
    page = site.get("/flows?lang=ko").text
    row = re.search(rf'data-order-id="{closed["order_id"]}".*?</tr>', page, re.S).group(0)
    assert "status-not_charged" in row and "구매자가 결제창을 닫아 아무것도 결제되지 않았습니다" in row
