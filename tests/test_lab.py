"""The attack lab: every attack runs through POST /lab/run/<attack> and the money state is re-checked here,
independently: the order statuses from the shop's database, the payments from the emulated PGs' REST APIs."""
import html

import pytest

from app import create_app
from lab.attacks import ATTACKS
from shop import catalog, orders
from shop.db import get_db
from tests.drivers import portone as portone_driver
from tests.drivers import portone_v2 as portone_v2_driver
from tests.drivers import toss as toss_driver

# attack -> (order statuses in the order the attack created them, PG statuses of the payments it made,
#            a failed check that must show in the first flow whose status is listed here, or None)
EXPECTED = {
    "portone-tampered-amount": (["forged"], ["cancelled"], ("forged", "portone.check_amount")),
    "toss-update-amount": (["failed"], ["IN_PROGRESS"], ("failed", "toss.check_amount")),
    "toss-set-amount": (["failed"], ["IN_PROGRESS"], ("failed", "toss.check_amount")),
    "toss-billing-key-reuse": (["registered", "paid"], ["DONE"], None),
    "toss-url-amount": (["pending"], ["IN_PROGRESS"], ("pending", "toss.check_amount")),
    "portone-order-swap": (["paid", "pending"], ["paid"], ("pending", "portone.check_merchant_uid")),
    "toss-order-swap": (["paid", "pending", "pending"], ["DONE"], ("pending", "toss.check_order_id")),
    "portone-replay": (["paid"], ["paid"], None),
    "toss-replay": (["paid"], ["DONE"], None),
    "toss-double-confirm": (["paid"], ["DONE"], None),
    "portone-webhook-unknown": (["pending"], [], ("pending", "portone.payment_not_found")),
    "portone-webhook-other-order": (["paid", "pending"], ["paid"], None),
    "toss-deposit-wrong-secret": (["awaiting_deposit"], ["WAITING_FOR_DEPOSIT"],
                                  ("awaiting_deposit", "toss.check_deposit_secret")),
    "portone-webhook-not-paid": (["pending"], ["ready"], ("pending", "portone.check_status")),
    "toss-webhook-not-paid": (["pending"], ["IN_PROGRESS"], ("pending", "toss.check_status")),
    "coupon-not-granted": (["pending"], [], None),
    "coupon-single-use-twice": (["pending"], [], None),
    "coupon-below-zero": ([], [], None),
    "host-header": (["paid", "paid"], ["paid", "DONE"], None),
    "portone-third-party-decline": (["paid"], ["paid", "failed"], None),
    "toss-fail-race": (["paid"], ["DONE"], None),
    "late-payment": (["paid"], ["paid"], None),       # the reconcile button abandons after 30 minutes only
    "peek-order": (["awaiting_deposit"], ["ready"], None),
    "message-shaped-key": (["paid", "pending"], ["DONE"], None),
    "deep-json": (["pending"], [], None),
    "webhook-flood": (["paid"], ["DONE"], None),
    "console-cross-site": (["awaiting_deposit"], ["ready"], None),
    "notice-url-internal": (["paid"], ["paid"], None),
    "portone-v2-amount-not-preregistered": (["pending"], [], ("pending", "portone_v2.no_payment")),
    "portone-v2-webhook-forged": (["pending"], ["READY"], ("pending", "portone_v2.webhook_refused")),
    "portone-v2-webhook-replayed": (["pending"], ["READY"], ("pending", "portone_v2.webhook_refused")),
    "portone-v2-other-channel": (["forged"], ["CANCELLED"], ("forged", "portone_v2.check_channel")),
}
PG_HOLDS = {"portone": {"paid"}, "portone_v2": {"PAID", "PARTIAL_CANCELLED"}, "toss": {"DONE"}}


def test_every_attack_has_an_expectation_here():
    assert set(EXPECTED) == set(ATTACKS)


def run(site, attack):
    site.app.config["LAB_SETTLE_S"] = 1.0      # how long a BROKEN verdict waits for late webhooks
    resp = site.post(f"/lab/run/{attack}?lang=en", json={})
    assert resp.status_code == 200, resp.text
    return resp.json()


def shop_orders(site):
    """Every order in the shop's database, oldest first."""
    with site.app.app_context():
        return [dict(r) for r in get_db().execute("SELECT * FROM orders ORDER BY created_at, rowid")]


def shop_steps(site, order_id):
    with site.app.app_context():
        return [dict(r) for r in get_db().execute("SELECT name, verdict FROM steps WHERE order_id = ?", (order_id,))]


def pg_payments(site, order):
    """Every payment the PG has for the order, read from its REST API as a merchant reads it."""
    if order["pg"] == "portone":
        resp = portone_driver.Api(site).get(f"/payments/findAll/{order['id']}")
        if resp.status_code == 404:
            return []
        return [{"id": p["imp_uid"], "status": p["status"], "amount": p["amount"]}
                for p in resp.json()["response"]["list"]]
    if order["pg"] == "portone_v2":
        resp = portone_v2_driver.Api(site).get(f"/payments/{order['id']}")
        if resp.status_code == 404:
            return []
        p = resp.json()
        return [{"id": p["id"], "status": p["status"], "amount": p["amount"]["total"]}]
    secret = toss_driver.API_SECRET if order["sdk"] in ("v2-payment", "billing") else toss_driver.WIDGET_SECRET
    resp = toss_driver.api(site, "GET", f"/v1/payments/orders/{order['id']}", secret=secret)
    if resp.status_code == 404:
        return []
    p = resp.json()
    return [{"id": p["paymentKey"], "status": p["status"], "amount": p["totalAmount"]}]


def assert_no_wrong_money(site):
    """Paid in the shop <=> the PG holds exactly the stored amount; nothing else is held at the PG."""
    for order in shop_orders(site):
        held = [p for p in pg_payments(site, order) if p["status"] in PG_HOLDS[order["pg"]]]
        if order["status"] == orders.Status.PAID:
            assert [p["amount"] for p in held] == [order["amount"]], order
            assert order["pg_payment_id"] == held[0]["id"]
        else:
            assert held == [], (order["id"], order["status"], held)


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_is_held_and_the_money_is_right(site, attack):
    result = run(site, attack)
    assert result["verdict"] == "held", result["observed"]
    assert result["attack"] == attack and result["steps"] and result["expected"]
    statuses, pg_statuses, shows = EXPECTED[attack]

    # The orders the lab names are the ones in the shop's database, with the expected statuses.
    stored = shop_orders(site)
    assert [o["id"] for o in stored] == result["flow_ids"]
    assert [o["status"] for o in stored] == statuses
    assert [f["url"] for f in result["flows"]] == [f"/flows/{o['id']}" for o in stored]

    # Each payment the attack made, as the PG itself has it.
    at_pg = [p for o in stored for p in pg_payments(site, o)]
    assert [p["status"] for p in at_pg] == pg_statuses
    assert_no_wrong_money(site)

    # The defence shows in the flow the lab links to.
    if shows:
        status, check = shows
        flow = next((o for o in stored if o["status"] == status
                     and {"name": check, "verdict": "fail"} in shop_steps(site, o["id"])), None)
        assert flow is not None, f"no {status} flow shows {check} failed"
        page = site.get(f"/flows/{flow['id']}?lang=en")
        assert page.status_code == 200 and check in page.text


def test_forged_portone_payment_is_cancelled_at_the_pg_for_its_whole_amount(site):
    result = run(site, "portone-tampered-amount")
    [payment] = result["observed"]["payments"]
    record = portone_driver.Api(site).payment(payment["id"])
    assert (record["status"], record["amount"], record["cancel_amount"]) == ("cancelled", 100, 100)
    [order] = shop_orders(site)
    assert (order["status"], order["amount"], order["pg_payment_id"]) == ("forged", 15000, None)
    with site.app.app_context():
        [owed] = orders.cancels(order["id"])
    assert (owed["payment_id"], owed["state"]) == (payment["id"], "done")      # the shop cancelled it


def test_coupon_attacks_leave_only_server_priced_orders(site):
    run(site, "coupon-not-granted")
    run(site, "coupon-single-use-twice")
    run(site, "coupon-below-zero")
    stored = shop_orders(site)
    assert [(o["amount"], o["coupons"]) for o in stored] == [(15000, ""), (12000, "FIRSTBUY")]
    with site.app.app_context():
        redeemed = get_db().execute("SELECT code, order_id FROM coupon_redemptions").fetchall()
    assert [(r["code"], r["order_id"]) for r in redeemed] == [("FIRSTBUY", stored[1]["id"])]


def test_a_late_payment_for_an_order_reconcile_gave_up_on_is_cancelled(site):
    site.app.config["RECONCILE_ABANDON_AFTER_S"] = 0      # the button gives up on unpaid orders at once
    result = run(site, "late-payment")
    [order] = shop_orders(site)
    assert order["status"] == "expired"
    assert [p["status"] for p in pg_payments(site, order)] == ["cancelled"]
    assert result["verdict"] == "held", result["observed"]
    assert_no_wrong_money(site)


def test_the_host_attack_says_broken_when_the_shop_believes_the_host(site, monkeypatch):
    from flask import request
    from shop import config
    monkeypatch.setitem(site.app.config, "TRUSTED_HOSTS", None)
    monkeypatch.setattr(config, "emulator_url", lambda: request.host_url.rstrip("/") + "/emulator")
    monkeypatch.setattr(config, "pg_origins", lambda: {config.origin(request.host_url)})
    result = run(site, "host-header")
    assert result["verdict"] == "BROKEN"
    assert any(not c["ok"] and "stranger's server received" in c["text"] for c in result["observed"]["checks"])


def test_the_flood_attack_says_broken_without_the_caps(site, monkeypatch):
    from shop import steps
    monkeypatch.setattr(steps, "MAX_EXCHANGE", 10 ** 9)
    monkeypatch.setattr(steps, "MAX_FLOW_EXCHANGE", 10 ** 9)
    result = run(site, "webhook-flood")
    assert result["verdict"] == "BROKEN"
    assert any(not c["ok"] and "the log is capped" in c["text"] for c in result["observed"]["checks"])


# --- the lab can tell a broken defence -------------------------------------------------------------

def test_lab_says_broken_when_the_portone_amount_check_is_gone(site, monkeypatch):
    import dataclasses

    from shop.portone import verify
    real = verify.verify
    monkeypatch.setattr(verify, "verify",
                        lambda order, payment: real(order, dataclasses.replace(payment, amount=order["amount"])))
    result = run(site, "portone-tampered-amount")
    assert result["verdict"] == "BROKEN"
    assert any(not c["ok"] and "does not hold its amount" in c["text"] for c in result["observed"]["checks"])


def test_lab_says_broken_when_the_portone_v2_channel_check_is_gone(site, monkeypatch):
    from shop.portone_v2 import verify
    real = verify.verify
    monkeypatch.setattr(verify, "verify", lambda order, payment, channel_key: real(order, payment, payment.channel_key))
    result = run(site, "portone-v2-other-channel")
    assert result["verdict"] == "BROKEN"
    assert [o["status"] for o in result["observed"]["orders"]] == ["paid"]


def test_lab_says_broken_when_coupons_may_make_the_amount_tiny(site, monkeypatch):
    monkeypatch.setattr(catalog, "MIN_AMOUNT", -10 ** 9)
    result = run(site, "coupon-below-zero")
    assert result["verdict"] == "BROKEN"
    assert [c["ok"] for c in result["observed"]["checks"]][:2] == [False, True]


def test_lab_says_broken_when_a_webhook_is_believed(site, monkeypatch):
    import dataclasses

    from shop.settle import Outcome
    from shop.toss import verify
    real = verify.verdict
    monkeypatch.setattr(verify, "verdict", lambda order, payment, key=None: dataclasses.replace(
        real(order, payment, key), outcome=Outcome.PAID))
    result = run(site, "toss-webhook-not-paid")
    assert result["verdict"] == "BROKEN"
    assert [o["status"] for o in result["observed"]["orders"]] == ["paid"]


# --- the page and its runner ----------------------------------------------------------------------

def test_lab_page_lists_every_attack_with_attack_and_defence(site):
    page = site.get("/lab?lang=en").text
    text = html.unescape(page)
    for attack in ATTACKS.values():
        assert f'data-attack="{attack.id}"' in page
        assert all(str(words) in text for words in (attack.title, attack.attack, attack.defence))
    assert page.count('class="lab-what"') == page.count('class="lab-defence"') == len(ATTACKS)
    assert 'href="/lab"' in site.get("/?lang=en").text          # the nav link


def test_runner_needs_the_csrf_token_and_a_known_attack(site):
    refused = site.post("/lab/run/toss-replay", json={}, csrf=False)
    assert refused.status_code == 403 and refused.json()["error"] == "CSRF_FAILED"
    unknown = site.post("/lab/run/steal-everything", json={})
    assert unknown.status_code == 404 and unknown.json()["error"] == "UNKNOWN_ATTACK"
    assert shop_orders(site) == []


def test_no_secret_in_the_lab_answer(site):
    result = site.post("/lab/run/portone-replay", json={}).text + site.post("/lab/run/toss-replay", json={}).text
    result += site.post("/lab/run/portone-v2-webhook-replayed", json={}).text
    for key in ("PORTONE_IMP_KEY", "PORTONE_IMP_SECRET", "TOSS_SECRET_KEY", "SECRET_KEY", "PORTONE_V2_API_SECRET",
                "PORTONE_V2_WEBHOOK_SECRET"):
        assert site.app.config[key] not in result


def test_lab_is_not_served_when_a_pg_is_live(tmp_path):
    app = create_app({"TESTING": True, "SHOP_DATABASE": str(tmp_path / "shop.sqlite3"), "SECRET_KEY": "k",
                      "TOSS_MODE": "live", "TOSS_CLIENT_KEY": "test_ck_fake", "TOSS_SECRET_KEY": "test_sk_fake"},
                     emulator_config={"TESTING": True, "EMULATOR_DATABASE": str(tmp_path / "emu.sqlite3")})
    client = app.test_client()
    assert "lab.run" not in app.view_functions
    assert client.get("/lab").status_code == 404
    assert 'href="/lab"' not in client.get("/?lang=en").get_data(as_text=True)


def test_the_attacker_imports_neither_the_shop_nor_the_emulator():
    import ast
    from pathlib import Path
    for path in Path(__file__).resolve().parent.parent.joinpath("lab").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level]
        assert not [m for m in names if m.split(".")[0] in ("shop", "emulator", "app")], path.name


def test_the_billing_key_attack_never_shows_the_victims_billing_key(site):
    result = run(site, "toss-billing-key-reuse")
    from emulator import db
    with site.emulator.app_context():
        [key] = [r[0] for r in db.get_db().execute("SELECT billing_key FROM toss_billing_keys")]
        charges = db.get_db().execute("SELECT status FROM toss_payments").fetchall()
    assert [c[0] for c in charges] == ["DONE"]     # the victim's own charge, and nothing else
    assert key not in str(result)
    assert {s["status"] for s in result["steps"] if "guessed billing key" in s["action"]} == {400}
