"""Stored data is never code: a paymentKey, imp_uid, merchant_uid or PG metadata shaped like a stored
message ({"m": ..., "v": ...}), or carrying a format width, is shown as the text it is on every page."""
import json

import pytest
import requests

import i18n
from shop import steps
from shop.db import get_db
from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver

WIDE = json.dumps({"m": "%(a)99999999s", "v": {"a": "x"}})                      # a 100 MB format width
KNOWN = json.dumps({"m": "Order %(id)s", "v": {"id": "<b>owned</b>"}})          # a real msgid, stranger's values


def flow_pages(site, order_id):
    """Every page of a flow, as anyone can open them: (path, response)."""
    paths = [f"/flows/{order_id}?lang=en", f"/api/flows/{order_id}", f"/flows/{order_id}.json",
             f"/api/flows/{order_id}/steps", f"/flows/compare?a={order_id}&b={order_id}", "/flows", "/api/flows",
             f"/walkthrough?toss={order_id}&portone={order_id}", f"/orders/{order_id}"]
    return [(p, site.get(p)) for p in paths]


def assert_shown_as_data(site, order_id):
    """Every page of the flow answers (no 500, no 100 MB), and the flow page shows the text literally."""
    for path, resp in flow_pages(site, order_id):
        assert resp.status_code == 200 and len(resp.content) < 2_000_000, (path, resp.status_code)
    assert "%(a)99999999s" in site.get(f"/flows/{order_id}?lang=en").text


def test_unknown_msgids_render_as_the_text_they_are(app):
    with app.test_request_context("/?lang=en"):
        assert i18n.render(WIDE) == WIDE                             # not a msgid the code defines
        assert i18n.render(i18n.stored(KNOWN)) == KNOWN              # plain text is stored wrapped
        assert i18n.render(i18n.msg("Order %(id)s", id="a")) == "Order a"
        nested = i18n.msg("Order %(id)s", id=i18n.msg("Order %(id)s", id="b"))
        assert i18n.render(nested) == "Order Order b"
        assert i18n.parse(WIDE) is None and i18n.parse(nested)["m"] == "Order %(id)s"


def test_a_checks_compared_values_are_stored_as_plain_text(site):
    order = site.order("toss")
    with site.app.test_request_context():
        steps.record(order["order_id"], "verify", "toss.check_payment_key", "x", expected=KNOWN,
                     actual={"m": "Order %(id)s"})
        row = get_db().execute("SELECT expected, actual FROM steps WHERE name = 'toss.check_payment_key'").fetchone()
    assert json.loads(row["expected"]) == {"t": KNOWN}
    assert i18n.render(row["actual"]) == json.dumps({"m": "Order %(id)s"}, ensure_ascii=False)


def test_a_message_shaped_payment_key_in_the_success_url(site):
    order = site.order("toss")
    for key in (WIDE, KNOWN):
        resp = site.get("/success", params={"paymentKey": key, "orderId": order["order_id"],
                                            "amount": order["amount"], "paymentType": "NORMAL"})
        assert resp.status_code < 500 and len(resp.content) < 2_000_000
    with site.app.app_context():
        stored = [r["summary"] for r in get_db().execute("SELECT summary FROM steps WHERE order_id = ?",
                                                         (order["order_id"],))]
    assert any("%(a)99999999s" in s for s in stored)
    assert_shown_as_data(site, order["order_id"])
    page = site.get(f"/flows/{order['order_id']}?lang=en").text
    assert "<b>owned</b>" not in page                        # the stranger's markup is escaped text


def test_a_message_shaped_imp_uid_posted_to_complete(site):
    order = site.order("portone")
    for imp_uid in (WIDE, KNOWN):
        resp = site.post("/payments/complete", json={"imp_uid": imp_uid, "merchant_uid": order["order_id"]})
        assert resp.status_code < 500, resp.text
        back = site.get("/payments/complete", params={"imp_uid": imp_uid, "merchant_uid": order["order_id"]},
                        allow_redirects=False)
        assert back.status_code < 500
    assert_shown_as_data(site, order["order_id"])


def test_a_strangers_merchant_uid_and_metadata_come_back_as_data(site):
    """A stranger pays with a message-shaped merchant_uid, buyer_name and custom_data, then claims the
    shop's order with it: the read-back carries them, and they stay data."""
    order = site.order("portone")
    params = portone_driver.request_pay_params({**order, "order_id": WIDE}, notice_url=site.url + "/webhooks/portone")
    params.update(buyer_name=KNOWN, custom_data={"m": "%(a)99999999s", "v": {"a": "x"}})
    opened = portone_driver.open_window(site, params)
    assert opened.status_code == 200, opened.text
    imp_uid = opened.json()["imp_uid"]
    assert portone_driver.decide(site, imp_uid).status_code == 200
    resp = site.post("/payments/complete", json={"imp_uid": imp_uid, "merchant_uid": order["order_id"]})
    assert resp.status_code < 500 and resp.json().get("status") != "paid"
    assert_shown_as_data(site, order["order_id"])

    toss = site.order("toss")
    started = toss_driver.start(site, toss, metadata={"m": "%(a)99999999s", "v": {"a": "x"}}, customerName=KNOWN)
    assert started["status"] == 200, started
    got = toss_driver.decide(site, started["paymentKey"], "approve")
    resp = requests.get(got["redirect_url"], timeout=30, cookies=site.http.cookies)
    assert resp.status_code == 200 and len(resp.content) < 2_000_000
    assert_shown_as_data(site, toss["order_id"])


@pytest.mark.parametrize("pg", ["toss", "portone"])
def test_the_buyers_own_pages_still_show_messages_in_their_language(site, pg):
    order = site.order(pg)
    page = site.get(f"/flows/{order['order_id']}?lang=en").text
    assert "Server priced the order" in page
    assert "Server priced the order" not in site.get(f"/flows/{order['order_id']}?lang=ko").text
