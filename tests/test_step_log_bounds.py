"""The step log stays bounded: what one flow and one exchange store is capped (with a visible mark), and
`flask prune` deletes old settled flows with their steps."""
import json
import os
import time

from shop import orders, steps
from shop.db import get_db
from tests.drivers import toss as toss_driver

PAD = "x" * 60_000


def flood(site, order_id, count, payment_key="tgen_flood"):
    """`count` unauthenticated 60 KB webhooks naming one order, as anyone can send them."""
    answers = []
    for _ in range(count):
        body = {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
                "data": {"paymentKey": payment_key, "orderId": order_id, "status": "DONE", "pad": PAD}}
        answers.append(site.post("/webhooks/toss", json=body, csrf=False,
                                 headers={"TossPayments-Webhook-Transmission-Id": "t" * 4000}).status_code)
    return answers


def stored(site, order_id):
    with site.app.app_context():
        return [steps.as_dict(r) for r in get_db().execute("SELECT * FROM steps WHERE order_id = ? ORDER BY id",
                                                          (order_id,))]


def test_a_webhook_flood_naming_one_order_stays_bounded(site, monkeypatch):
    monkeypatch.setattr(steps, "MAX_FLOW_STEPS", 200)      # reached by this flood (the real cap: a bigger one)
    order = site.order("toss")
    before = os.path.getsize(site.app.config["SHOP_DATABASE"])
    answers = flood(site, order["order_id"], 160)
    assert all(a < 500 for a in answers)

    rows = stored(site, order["order_id"])
    assert len(rows) == steps.MAX_FLOW_STEPS + 1
    assert rows[-1]["name"] == "shop.log_full" and rows[-1]["verdict"] == "fail"
    sizes = [len(json.dumps(r["exchange"], ensure_ascii=False)) for r in rows if r["exchange"]]
    assert max(sizes) <= steps.MAX_EXCHANGE
    assert sum(sizes) <= steps.MAX_FLOW_EXCHANGE + steps.MAX_EXCHANGE
    assert os.path.getsize(site.app.config["SHOP_DATABASE"]) - before < 2_000_000

    hook = next(r for r in rows if r["name"] == "toss.webhook")
    assert "[truncated: " in hook["exchange"]["truncated"]
    assert "[truncated: 59500 more characters]" in hook["exchange"]["request"]["body"]["data"]["pad"]
    [header] = hook["exchange"]["request"]["headers"].values()          # the 4,000-character header
    assert header.endswith("[truncated: 3500 more characters]")

    page = site.get(f"/flows/{order['order_id']}?lang=en")
    assert page.status_code == 200 and len(page.content) < 2_500_000
    assert "Truncated" in page.text and "log is full" in page.text
    # The flow still settles: the order is the shop's record, not the log.
    got = toss_driver.pay(site, order)
    assert site.get(got["redirect_url"].replace(site.url, "")).status_code == 200
    with site.app.app_context():
        assert orders.get(order["order_id"])["status"] == "paid"
    assert len(stored(site, order["order_id"])) == steps.MAX_FLOW_STEPS + 1


def test_long_values_are_cut_with_a_mark_and_secrets_are_redacted_before_the_cut(site):
    order = site.order("toss")
    secret = site.app.config["TOSS_SECRET_KEY"]
    with site.app.test_request_context():
        steps.record(order["order_id"], "verify", "toss.check_order_id", "x" * 5000, expected="y" * 5000,
                     actual="a" * (steps.MAX_TEXT - 5) + secret,
                     exchange={"request": {"body": {"note": "z" * (steps.MAX_EXCHANGE + 10), "key": secret}}})
    row = stored(site, order["order_id"])[-1]
    assert row["summary"].endswith("[truncated: 4500 more characters]")
    assert row["expected"].startswith("y" * steps.MAX_TEXT) and "[truncated: 4500 more" in row["expected"]
    assert secret not in json.dumps(row) and secret[:8] not in row["actual"]   # never half a secret
    assert row["exchange"]["request"]["body"]["note"].endswith("more characters]")
    assert row["exchange"]["request"]["body"]["key"] == "[REDACTED:TOSS_SECRET_KEY]"


def test_deep_exchanges_are_cut_at_a_depth(site):
    order = site.order("toss")
    deep = "leaf"
    for _ in range(50):
        deep = {"d": deep}
    with site.app.test_request_context():
        steps.record(order["order_id"], "notify", "toss.webhook", "deep", kind="http_in", actor_from="toss",
                     exchange={"request": {"body": deep, "pad": "p" * steps.MAX_EXCHANGE}})
    row = stored(site, order["order_id"])[-1]
    assert "nested values]" in json.dumps(row["exchange"]) and "leaf" not in json.dumps(row["exchange"])
    assert site.get(f"/flows/{order['order_id']}").status_code == 200


def test_prune_deletes_old_settled_flows_with_their_steps(site):
    old_paid, old_open, recent = site.order("toss"), site.order("portone"), site.order("toss")
    with site.app.app_context():
        db = get_db()
        db.execute("UPDATE orders SET status = 'paid' WHERE id = ?", (old_paid["order_id"],))
        db.execute("UPDATE orders SET status = 'failed' WHERE id = ?", (recent["order_id"],))
        db.execute("UPDATE orders SET created_at = ? WHERE id IN (?, ?)",
                   (time.time() - 40 * 86400, old_paid["order_id"], old_open["order_id"]))
        db.commit()
    result = site.app.test_cli_runner().invoke(args=["prune", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "pruned 1 flow(s) and 2 step(s)" in result.output
    with site.app.app_context():
        left = [r["id"] for r in get_db().execute("SELECT id FROM orders ORDER BY created_at")]
        orphans = get_db().execute("SELECT COUNT(*) FROM steps WHERE order_id NOT IN (SELECT id FROM orders)")
        assert orphans.fetchone()[0] == 0
    assert left == [old_open["order_id"], recent["order_id"]]   # open orders stay for reconciliation
    assert site.get(f"/flows/{old_paid['order_id']}").status_code == 404
    assert site.get(f"/flows/{recent['order_id']}").status_code == 200

    bad = site.app.test_cli_runner().invoke(args=["prune", "--days", "-1"])
    assert bad.exit_code != 0 and "-1" in bad.output


def test_prune_keeps_what_the_shop_still_owes_or_keeps(site):
    """An old settled order with a cancel the shop still owes, or a registration whose card is saved, stays; one
    whose cancel is done goes with its cancel record (prune never fails on them)."""
    owed, done, plain, card = (site.order("portone") for _ in range(4))
    with site.app.app_context():
        orders.cancel_needed("portone", "imp_owed", owed["order_id"], "not kept")
        orders.cancel_needed("portone", "imp_done", done["order_id"], "not kept")
        orders.cancel_state("portone", "imp_done", "done")
        db = get_db()
        db.execute("INSERT INTO billing_keys (customer_key, pg, billing_key, order_id, created_at) VALUES"
                   " ('cust', 'portone', 'cuid-x', ?, 0)", (card["order_id"],))
        ids = [o["order_id"] for o in (owed, done, plain, card)]
        db.execute("UPDATE orders SET status = 'forged', created_at = ? WHERE id IN (?, ?, ?, ?)",
                   (time.time() - 40 * 86400, *ids))
        db.commit()
    result = site.app.test_cli_runner().invoke(args=["prune", "--days", "30"])
    assert result.exit_code == 0, result.output
    with site.app.app_context():
        left = {r["id"] for r in get_db().execute("SELECT id FROM orders")}
        assert left == {owed["order_id"], card["order_id"]}
        assert [c["payment_id"] for c in orders.cancels()] == ["imp_owed"]
