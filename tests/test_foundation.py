"""The foundation: pricing rules, order creation, CSRF, security headers, webhook queue, clock."""
from datetime import date

import pytest

from shop import catalog
from tests.drivers.receiver import Receiver

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("product, qty, coupons, used, amount", [
    ("shoes", 1, [], (), 15000),
    ("shoes", 2, [], (), 30000),
    ("shoes", 1, ["TOSS5000"], (), 10000),
    ("shoes", 1, ["welcome10"], (), 13500),              # codes are case-insensitive
    ("jacket", 1, ["BIG30K"], (), 81000),
    ("jacket", 1, ["TOSS5000", "WELCOME10"], (), 89000 - 5000 - 8900),
    ("shoes", 1, ["FIRSTBUY"], (), 12000),
])
def test_quote_amounts(product, qty, coupons, used, amount):
    assert catalog.quote(product, qty, coupons, TODAY, used).amount == amount


@pytest.mark.parametrize("product, qty, coupons, used, code", [
    ("hat", 1, [], (), "UNKNOWN_PRODUCT"),
    ("shoes", 0, [], (), "BAD_QUANTITY"),
    ("shoes", 11, [], (), "BAD_QUANTITY"),
    ("shoes", "2", [], (), "BAD_QUANTITY"),
    ("shoes", True, [], (), "BAD_QUANTITY"),
    ("shoes", 1, ["FREEMONEY"], (), "UNKNOWN_COUPON"),
    ("shoes", 1, ["SUMMER2025"], (), "EXPIRED_COUPON"),
    ("shoes", 1, ["BIG30K"], (), "MIN_ORDER_NOT_MET"),
    ("shoes", 1, ["FIRSTBUY"], ("FIRSTBUY",), "COUPON_ALREADY_USED"),
    ("shoes", 1, ["TOSS5000", "toss5000"], (), "DUPLICATE_COUPON"),
    ("socks", 1, ["TOSS5000"], (), "AMOUNT_TOO_LOW"),
])
def test_quote_refusals(product, qty, coupons, used, code):
    with pytest.raises(catalog.OrderRefused) as e:
        catalog.quote(product, qty, coupons, TODAY, used)
    assert e.value.code == code


def test_order_is_priced_and_stored_by_the_server(site):
    order = site.order("toss", "shoes", 2, ["TOSS5000"], amount=1)   # a sent amount is ignored
    assert order["amount"] == 25000 and order["discount"] == 5000
    page = site.get(f"/orders/{order['order_id']}").text
    assert "25,000원" in page and order["order_id"] in page
    steps = site.get(f"/api/flows/{order['order_id']}/steps").json()["steps"]
    assert [s["name"] for s in steps] == ["toss.create_order", "toss.price_order"]
    assert steps[1]["expected"] == "25000"


def test_single_use_coupon_once_per_customer(site):
    site.order("portone", "shoes", 1, ["FIRSTBUY"])
    again = site.post("/api/orders", json={"pg": "portone", "product_id": "shoes", "coupons": ["FIRSTBUY"]})
    assert again.status_code == 400 and again.json()["error"] == "COUPON_ALREADY_USED"
    assert "FIRSTBUY" in again.json()["message"]


def test_post_without_csrf_token_is_refused(site):
    resp = site.post("/api/orders", json={"pg": "toss", "product_id": "shoes"}, csrf=False)
    assert resp.status_code == 403 and resp.json()["error"] == "CSRF_FAILED"


def test_pages_carry_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_language_switch_is_remembered(client):
    assert 'lang="en"' in client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    assert 'lang="ko"' in client.get("/?lang=ko").get_data(as_text=True)


def test_emulator_clock_moves(site):
    before = site.get("/emulator/clock").json()["now"]
    site.advance_clock(600)
    after = site.get("/emulator/clock").json()["now"]
    assert 599 < after - before < 700


def test_webhook_is_retried_until_delivered_and_every_attempt_kept(site):
    from emulator import webhooks
    receiver = Receiver(fail_first=1).allowed_by(site)
    emu = site.emulator
    with emu.test_request_context():
        delivery = webhooks.enqueue("portone", "paid", "imp_1", receiver.url, {"imp_uid": "imp_1"},
                                    schedule=[1, 1])
    bodies = receiver.wait_for(2, timeout=10)
    receiver.close()
    assert bodies == [{"imp_uid": "imp_1"}] * 2
    kept = site.get(f"/emulator/deliveries/{delivery}").json()
    assert kept["status"] == "delivered" and [a["status_code"] for a in kept["attempts_made"]] == [500, 200]


@pytest.mark.browser
def test_checkout_page_shows_both_pgs_side_by_side(page):
    page.goto(page.site.url + "/?lang=en")
    assert page.locator("#portone-column h2").inner_text().startswith("PortOne")
    assert page.locator("#toss-column h2").inner_text().startswith("Toss Payments")
    left = page.locator("#portone-column").bounding_box()
    right = page.locator("#toss-column").bounding_box()
    assert left["x"] < right["x"] and abs(left["y"] - right["y"]) < 5
