"""Reconciliation: `flask reconcile` and the button on /flows settle open orders from the PG's record.

The restart tests pay in the hosted window, never come back to the shop (the browser died, the
shop restarted), and run the command on a new app object built on the same database files:
nothing kept in memory is needed.
"""
import json
import re

import pytest

from app import create_app
from tests.drivers import faults
from tests.drivers import portone
from tests.drivers import toss



@pytest.fixture
def en(site):
    site.get("/?lang=en")
    # Toss's own webhooks go nowhere: only reconcile may tell the shop what happened.
    site.emulator.config["EMULATOR_TOSS_WEBHOOK_URL"] = "http://127.0.0.1:9/unreachable"
    return site


def restarted(site):
    """A new shop app on the same database files, with no emulator of its own: the PG is reached over
    HTTP at the live site, as after a restart (SITE_URL is how the CLI knows where it is)."""
    return create_app({"SHOP_DATABASE": site.app.config["SHOP_DATABASE"], "SECRET_KEY": "another-process",
                       "SITE_URL": site.url, "MOUNT_EMULATOR": False})


def reconcile(app, *args):
    result = app.test_cli_runner().invoke(args=["reconcile", "--lang", "en", *args])
    assert result.exit_code == 0, result.output
    return result.output


def flow(site, oid):
    return site.get(f"/api/flows/{oid}").json()


def status(site, oid):
    return flow(site, oid)["order"]["status"]


def reconcile_steps(site, oid):
    return [s for s in flow(site, oid)["steps"] if s["name"].endswith(".reconcile")]


def done_notices(site, key):
    with site.emulator.app_context():
        from emulator import webhooks
        rows = webhooks.for_payment(key)
    return [r for r in rows if json.loads(r["body"])["data"]["status"] == "DONE"]


# --- the shop restarted in the middle of a flow -----------------------------------------------------

def test_portone_restart_mid_flow_paid_declined_and_never_paid(en):
    site, api = en, portone.Api(en)
    paid_order, declined_order, idle_order = site.order("portone"), site.order("portone"), site.order("portone")
    paid = portone.pay(site, paid_order)                     # approved; the callback never reached the shop
    declined = portone.pay(site, declined_order, outcome="decline_refused")
    assert [status(site, o["order_id"]) for o in (paid_order, declined_order, idle_order)] == ["pending"] * 3

    out = reconcile(restarted(site))
    assert f"{paid_order['order_id']} (PortOne V1): Waiting for the payment → Paid and verified" in out
    assert f"{declined_order['order_id']} (PortOne V1): Waiting for the payment → Not paid" in out
    assert f"{idle_order['order_id']} (PortOne V1): left Waiting for the payment: nothing to settle yet" in out
    assert "Checked 3 orders: 2 settled (Not paid: the attempt failed (it can be paid again): 1, Paid and verified: " \
           "1), 1 left as they were." in out

    assert status(site, paid_order["order_id"]) == "paid" and api.payment(paid["imp_uid"])["status"] == "paid"
    assert status(site, declined_order["order_id"]) == "failed"
    assert api.payment(declined["imp_uid"])["status"] == "failed"
    assert status(site, idle_order["order_id"]) == "pending"  # recent: the buyer may still pay
    steps = flow(site, paid_order["order_id"])["steps"]
    [asked, settling] = [s for s in steps if s["name"].endswith(".reconcile")]
    assert (asked["phase"], asked["actor_from"], asked["actor_to"]) == ("settle", "shop", "portone")
    assert "by merchant_uid" in asked["summary"] and "is paid" in settling["summary"]
    assert [s["name"] for s in steps if s["name"].startswith("portone.check_")] == [
        "portone.check_merchant_uid", "portone.check_status", "portone.check_amount", "portone.check_currency"]
    assert "Paid and verified" in site.get(f"/orders/{paid_order['order_id']}").text


def test_portone_order_never_paid_is_given_up_once_the_window_is_long_gone(en):
    site = en
    idle = site.order("portone")
    abandoned = site.order("portone")
    portone.pay(site, abandoned, outcome="close")             # window opened and closed: 'ready' at PortOne
    out = reconcile(site.app, "--abandon-after", "0")
    assert out.count("Waiting for the payment → Closed: not paid in time") == 2
    for o in (idle, abandoned):
        now = flow(site, o["order_id"])["order"]
        assert now["status"] == "expired" and "no completed payment" in now["reason"]


def test_toss_restart_mid_flow_confirms_with_the_same_idempotency_key(en):
    site = en
    paid_order, declined_order, idle_order = site.order("toss"), site.order("toss"), site.order("toss")
    paid = toss.pay(site, paid_order)                         # authenticated; /success never visited
    toss.pay(site, declined_order, outcome="decline_insufficient")
    assert toss.record(site, paid["paymentKey"])["status"] == "IN_PROGRESS"

    out = reconcile(restarted(site))
    assert f"{paid_order['order_id']} (Toss Payments): Waiting for the payment → Paid and verified" in out
    assert f"{declined_order['order_id']} (Toss Payments): Waiting for the payment → Not paid" in out
    assert f"{idle_order['order_id']} (Toss Payments): left Waiting for the payment" in out

    record = toss.record(site, paid["paymentKey"])
    assert record["status"] == "DONE" and record["totalAmount"] == paid_order["amount"]
    assert len(done_notices(site, paid["paymentKey"])) == 1
    steps = flow(site, paid_order["order_id"])["steps"]
    [confirm] = [s for s in steps if s["name"] == "toss.confirm"]
    key = f"confirm-{paid_order['order_id']}-{paid['paymentKey']}"
    assert confirm["exchange"]["request"]["headers"]["Idempotency-Key"] == key   # what /success would send
    assert any("never confirmed (IN_PROGRESS)" in s["summary"] for s in reconcile_steps(site, paid_order["order_id"]))
    # The buyer's browser comes back late: the page shows the result, nothing is confirmed twice.
    again = site.get(f"/success?paymentType=NORMAL&orderId={paid_order['order_id']}&paymentKey={paid['paymentKey']}"
                     f"&amount={paid_order['amount']}")
    assert 'data-status="paid"' in again.text
    assert len([s for s in flow(site, paid_order["order_id"])["steps"] if s["name"] == "toss.confirm"]) == 1
    assert status(site, declined_order["order_id"]) == "failed"
    assert status(site, idle_order["order_id"]) == "pending"


def test_toss_payment_past_the_10_minute_window_expires_and_fails(en):
    site = en
    order = site.order("toss")
    got = toss.pay(site, order)
    site.advance_clock(11 * 60)
    assert "Waiting for the payment → Not paid" in reconcile(site.app)
    assert toss.record(site, got["paymentKey"])["status"] == "EXPIRED"
    assert "within 10 minutes" in flow(site, order["order_id"])["order"]["reason"]
    assert not [s for s in flow(site, order["order_id"])["steps"] if s["name"] == "toss.confirm"]


def test_toss_tampered_amount_is_not_confirmed_by_reconcile(en):
    site = en
    order = site.order("toss")
    got = toss.pay(site, order, amount=1000)                  # the browser handed Toss a smaller amount
    out = reconcile(site.app)
    assert "left Waiting for the payment" in out
    assert toss.record(site, got["paymentKey"])["status"] == "IN_PROGRESS"
    steps = flow(site, order["order_id"])["steps"]
    assert not [s for s in steps if s["name"] == "toss.confirm"]
    [amount] = [s for s in steps if s["name"] == "toss.check_total_amount"]
    assert amount["verdict"] == "fail" and "does not confirm" in reconcile_steps(site, order["order_id"])[-1]["summary"]


def test_toss_window_still_open_and_order_never_sent_to_toss(en):
    site = en
    in_window, never = site.order("toss"), site.order("toss")
    toss.start(site, in_window)                               # the window is open (READY)
    reconcile(site.app, "--abandon-after", "0")
    assert status(site, in_window["order_id"]) == "pending"   # Toss expires READY itself after 30 minutes
    now = flow(site, never["order_id"])["order"]
    assert now["status"] == "expired" and "Toss has no completed payment for this order" in now["reason"]


def test_unknown_orders_are_settled_once_the_pg_answers(en):
    site = en
    faults.fast(site, delay_s=1.0, shop_timeout=0.3)
    p_order, t_order = site.order("portone"), site.order("toss")
    p_paid = portone.pay(site, p_order)
    t_paid = toss.pay(site, t_order)
    faults.arm(site, "portone", "get_token", "error_5xx", count=0)
    faults.arm(site, "toss", "confirm", "timeout_before", count=0)
    assert site.post("/payments/complete", json={"imp_uid": p_paid["imp_uid"],
                                                 "merchant_uid": p_order["order_id"]}).status_code == 503
    assert "Outcome unknown" in site.get(t_paid["redirect_url"].replace(site.url, "")).text
    assert [status(site, o["order_id"]) for o in (p_order, t_order)] == ["unknown", "unknown"]

    out = reconcile(site.app)                                 # PortOne still cannot be asked
    assert f"{p_order['order_id']} (PortOne V1): left Outcome unknown: asking the PG again: the PG gave no usable " \
           "answer" in out
    assert status(site, p_order["order_id"]) == "unknown"
    assert status(site, t_order["order_id"]) == "unknown"     # Toss's confirm still times out
    faults.clear(site)
    out = reconcile(site.app)
    assert "Checked 2 orders: 2 settled (Paid and verified: 2), 0 left as they were." in out
    assert toss.record(site, t_paid["paymentKey"])["status"] == "DONE"
    assert len(done_notices(site, t_paid["paymentKey"])) == 1


def test_options_pick_the_pg_and_leave_recent_orders_alone(en):
    site = en
    p_order, t_order = site.order("portone"), site.order("toss")
    portone.pay(site, p_order)
    toss.pay(site, t_order)
    assert "Checked 0 orders" in reconcile(site.app, "--older-than", "3600")
    out = reconcile(site.app, "--pg", "toss")
    assert "Checked 1 orders" in out and t_order["order_id"] in out and p_order["order_id"] not in out
    assert status(site, p_order["order_id"]) == "pending" and status(site, t_order["order_id"]) == "paid"
    refused = site.app.test_cli_runner().invoke(args=["reconcile", "--pg", "paypal"])
    assert refused.exit_code != 0 and "paypal" in refused.output


# --- the button on /flows ---------------------------------------------------------------------------

def test_reconcile_button_on_flows_settles_and_says_how(en):
    site = en
    p_order, t_order = site.order("portone"), site.order("toss")
    portone.pay(site, p_order)
    toss.pay(site, t_order)
    page = site.get("/flows").text
    token = re.search(r'id="reconcile-form".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    resp = site.http.post(site.url + "/flows/reconcile", data={"csrf_token": token}, timeout=30)
    assert resp.status_code == 200 and resp.url == site.url + "/flows"
    result = re.search(r'<section class="reconcile-result".*?</section>', resp.text, re.S).group(0)
    assert "Checked 2 orders: 2 settled (Paid and verified: 2), 0 left as they were." in result
    assert f"{p_order['order_id']} (PortOne V1): Waiting for the payment → Paid and verified" in result
    assert f"{t_order['order_id']} (Toss Payments): Waiting for the payment → Paid and verified" in result
    assert "reconcile-result" not in site.get("/flows").text   # shown once
    assert [status(site, o["order_id"]) for o in (p_order, t_order)] == ["paid", "paid"]
    # Pressed again (anyone may): settled orders are `flask reconcile`'s, their logs do not grow.
    logged = [len(site.get(f"/api/flows/{o['order_id']}").json()["steps"]) for o in (p_order, t_order)]
    again = site.http.post(site.url + "/flows/reconcile", data={"csrf_token": token}, timeout=30)
    assert "Checked 0 orders" in again.text
    assert [len(site.get(f"/api/flows/{o['order_id']}").json()["steps"]) for o in (p_order, t_order)] == logged


def test_reconcile_button_needs_the_csrf_token(en):
    site = en
    order = site.order("portone")
    portone.pay(site, order)
    resp = site.http.post(site.url + "/flows/reconcile", data={}, timeout=30)
    assert resp.status_code == 403
    assert status(site, order["order_id"]) == "pending"


def test_unknown_order_portone_has_no_payment_for_is_pending_again(en):
    site = en
    order = site.order("portone")
    faults.arm(site, "portone", "get_token", "error_5xx", count=0)
    resp = site.post("/payments/complete", json={"imp_uid": None, "merchant_uid": order["order_id"],
                                                 "error_code": "F400", "error_msg": "window closed"})
    assert resp.status_code == 503 and status(site, order["order_id"]) == "unknown"
    faults.clear(site)
    assert "left Waiting for the payment: nothing to settle yet" in reconcile(site.app)
    now = flow(site, order["order_id"])["order"]
    assert now["status"] == "pending" and "Nothing was paid" in now["reason"]
