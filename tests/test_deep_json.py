"""Deep JSON is bad input: every JSON route of the shop answers a 4xx (never a 500) and changes nothing."""
import json

import pytest

import webjson
from shop.db import get_db

ROUTES = ["/api/orders", "/api/quote", "/payments/complete", "/portone/orders", "/webhooks/toss",
          "/webhooks/portone", "/api/flows/{order}/events"]


def deep(n, order_id):
    """Valid JSON nested n deep: objects naming the order (a few levels over the limit), or bare arrays
    (thousands of levels, as deep as the 64 KiB body limit lets through)."""
    if n > 1000:
        return "[" * n + "]" * n
    head = json.dumps({"imp_uid": "imp_1", "merchant_uid": order_id, "orderId": order_id})[:-1] + ', "data": '
    return head * n + json.dumps(order_id) + "}" * n


def state(site):
    """The orders and their steps (a refused browser event is logged as such: that is not a change)."""
    with site.app.app_context():
        db = get_db()
        return ([tuple(r) for r in db.execute("SELECT id, status FROM orders")],
                db.execute("SELECT COUNT(*) FROM steps WHERE name NOT LIKE '%.bad_event'").fetchone()[0])


@pytest.mark.parametrize("depth", [webjson.MAX_DEPTH + 1, 30_000])      # 60 KB of brackets
@pytest.mark.parametrize("route", ROUTES)
def test_a_too_deep_body_is_a_4xx_and_changes_nothing(site, route, depth):
    order = site.order("portone")
    before = state(site)
    resp = site.post(route.format(order=order["order_id"]), data=deep(depth, order["order_id"]),
                     headers={"Content-Type": "application/json"})
    assert 400 <= resp.status_code < 500, (route, resp.status_code, resp.text[:200])
    assert resp.json().get("message")                     # a clear answer, in words
    assert state(site) == before


def test_json_as_deep_as_allowed_is_read():
    assert webjson.loads(json.dumps(json.loads("[" * webjson.MAX_DEPTH + "]" * webjson.MAX_DEPTH)))
    with pytest.raises(ValueError):
        webjson.loads("[" * (webjson.MAX_DEPTH + 1) + "]" * (webjson.MAX_DEPTH + 1))
