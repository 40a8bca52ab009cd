"""The subscription page with PortOne V1 over real HTTP against the emulated PortOne: a card registered in the
window under the customer_uid the server chose, charges from the server (approved, declined), a cancel, and
another buyer refused."""
import re

import pytest

from tests.drivers import portone as drv


@pytest.fixture(autouse=True)
def english(site):
    site.http.cookies.set("lang", "en")


def order_json(site, order_id):
    return site.get(f"/api/flows/{order_id}").json()["order"]


def steps_of(site, order_id):
    return site.get(f"/api/flows/{order_id}/steps").json()["steps"]


def register(site, **decide):
    reg = site.post("/portone/billing/registrations", json={})
    assert reg.status_code == 201, reg.text
    reg = reg.json()
    assert reg["customer_uid"] == "cuid-" + reg["order_id"] and reg["amount"] == 0
    params = {"pg": reg["pg"], "pay_method": "card", "merchant_uid": reg["merchant_uid"], "name": reg["name"],
              "amount": 0, "customer_uid": reg["customer_uid"]}
    opened = drv.open_window(site, params)
    assert opened.status_code == 200, opened.text
    imp_uid = opened.json()["imp_uid"]
    rsp = drv.decide(site, imp_uid, **decide).json()["rsp"]
    answer = site.post("/portone/billing/registered", json={"imp_uid": rsp.get("imp_uid"),
                                                            "merchant_uid": reg["merchant_uid"],
                                                            "error_code": rsp.get("error_code"),
                                                            "error_msg": rsp.get("error_msg")})
    return reg, answer


def charge(site, plan):
    page = site.post("/portone/billing/charge", data={"plan": plan})
    assert page.status_code == 200, page.text
    return re.search(r'id="order-([^"]+)"', page.text).group(1), page


def test_register_charge_decline_and_cancel_with_portone(site):
    reg, answer = register(site)
    assert answer.status_code == 200 and answer.json() == {"status": "registered", "registered": True}
    page = site.get("/subscription").text
    assert 'id="portone-card-number"' in page and 'id="toss-no-card"' in page
    assert [s["verdict"] for s in steps_of(site, reg["order_id"]) if s["name"] == "portone.check_billing_key"] \
        == ["pass"]

    order_id, page = charge(site, "basic")
    order = order_json(site, order_id)
    assert (order["status"], order["amount"], order["pg"]) == ("paid", 9900, "portone")
    p = drv.Api(site).payment(order["pg_payment_id"])
    assert (p["status"], p["amount"], p["customer_uid"], p["merchant_uid"]) == \
        ("paid", 9900, reg["customer_uid"], order_id)

    declined, _ = charge(site, "declined")
    assert order_json(site, declined)["status"] == "failed"

    done = site.post(f"/portone/billing/charges/{order_id}/cancel", data={})
    assert done.status_code == 200 and order_json(site, order_id)["status"] == "cancelled"
    assert drv.Api(site).payment(order["pg_payment_id"])["status"] == "cancelled"


def test_a_closed_registration_window_registers_nothing(site):
    reg, answer = register(site, outcome="close")
    assert answer.status_code == 200 and answer.json()["registered"] is False
    assert order_json(site, reg["order_id"])["status"] == "failed"
    refused = site.post("/portone/billing/charge", data={"plan": "basic"})
    assert refused.status_code == 400 and "No card is registered" in refused.text


def test_another_buyer_cannot_claim_or_charge_a_portone_registration(site):
    from tests.conftest import Site
    reg, _ = register(site)
    stranger = Site(site.app, site.url)
    claim = stranger.post("/portone/billing/registered", json={"merchant_uid": reg["merchant_uid"], "imp_uid": "x"})
    assert claim.status_code == 404
    order_id, _ = charge(site, "basic")
    assert stranger.post("/portone/billing/charge", data={"plan": "basic"}).status_code == 400
    assert stranger.post(f"/portone/billing/charges/{order_id}/cancel", data={}).status_code == 404
    assert order_json(site, order_id)["status"] == "paid"
    paid = drv.Api(site).get("/payments/status/paid").json()["response"]["list"]
    held = [p for p in paid if p["customer_uid"] == reg["customer_uid"] and p["amount"] > 0]
    assert [p["merchant_uid"] for p in held] == [order_id]           # the buyer's one charge, still paid at PortOne


def test_a_callback_naming_a_card_registration_settles_nothing(site):
    """The registration's id is public on /flows: a page callback (or m_redirect_url) naming it with its 0-won
    issue payment is not a payment of an order, and leaves the registration to its own callback."""
    reg = site.post("/portone/billing/registrations", json={}).json()
    params = {"pg": reg["pg"], "pay_method": "card", "merchant_uid": reg["merchant_uid"], "name": reg["name"],
              "amount": 0, "customer_uid": reg["customer_uid"]}
    imp_uid = drv.decide(site, drv.open_window(site, params).json()["imp_uid"]).json()["rsp"]["imp_uid"]
    posted = site.post("/payments/complete", json={"imp_uid": imp_uid, "merchant_uid": reg["merchant_uid"]})
    assert posted.status_code == 404
    assert site.get("/payments/complete", params={"imp_uid": imp_uid, "merchant_uid": reg["merchant_uid"]}) \
        .status_code == 404
    assert order_json(site, reg["order_id"])["status"] == "pending"            # not "paid"
    answer = site.post("/portone/billing/registered", json={"imp_uid": imp_uid, "merchant_uid": reg["merchant_uid"]})
    assert answer.json() == {"status": "registered", "registered": True}       # the card is registered after all
    assert site.app.test_cli_runner().invoke(args=["audit"]).exit_code == 0
