"""The site under gunicorn (2 worker processes, the emulator mounted): a storm of returns settles a payment
once, and workers killed mid-flow lose no payment and no webhook."""
import os
import signal
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import requests

from bench.load import SlowClients
from bench.run import Server
from conftest import Site
from drivers import portone as portone_driver
from drivers import toss as toss_driver
from drivers.emulator import until
from drivers.receiver import Receiver

pytestmark = pytest.mark.slow

STORM = 50
AT_ONCE = 5


class ServedSite(Site):
    """The conftest Site, pointed at gunicorn: the emulator is reached over HTTP only."""

    def __init__(self, server):
        super().__init__(None, server.url)
        self.server = server

    @property
    def emulator(self):  # what the drivers read from the emulator app: its accepted merchant code
        return SimpleNamespace(config={"EMULATOR_PORTONE_IMP_CODE": "imp00000000"})

    def shop_db(self, sql, *args):
        with sqlite3.connect(self.server.shop_db, timeout=30) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, args).fetchall()

    def emulator_db(self, sql, *args):
        with sqlite3.connect(self.server.emulator_db, timeout=30) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute(sql, args).fetchall()

    def steps(self, order_id):
        return self.get(f"/api/flows/{order_id}/steps").json()["steps"]

    def status(self, order_id):
        return self.get(f"/api/flows/{order_id}/steps").json()["status"]

    def deliveries_settled(self, ref, timeout=20):
        """The emulator's webhook deliveries for a payment, once none is pending (bounded wait)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.emulator_db("SELECT * FROM deliveries WHERE payment_ref = ? ORDER BY id", ref)
            if rows and all(r["status"] != "pending" for r in rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("multiworker")
    with Server(str(workdir), workers=2, name="mw", mounted=True,
                env={"EMULATOR_WEBHOOK_TIME_SCALE": "0.05"}) as server:
        yield ServedSite(server)


def storm(calls):
    """Run every call (a function returning a response) AT_ONCE at a time; return the responses."""
    with ThreadPoolExecutor(AT_ONCE) as pool:
        return list(pool.map(lambda call: call(), calls))


def paid_transitions(steps):
    """The settle steps that record a won move to paid (a lost race records an 'unchanged' step)."""
    return [s for s in steps if s["phase"] == "settle" and s["kind"] == "state" and s["verdict"] == "pass"
            and "paid" in s["summary"]]


def test_two_worker_processes_share_sessions_and_tokens(served):
    assert len(served.server.worker_pids()) == 2
    # New connections land on either worker: each must accept the CSRF token signed into the session
    # by the other (one instance secret).
    first = served.order("toss")
    for _ in range(12):
        assert served.order("toss")["amount"] == first["amount"] == 15000
    # The emulated PortOne hands out one token per merchant while it is valid, whichever worker asks.
    tokens = storm([lambda: requests.post(served.url + "/emulator/portone/users/getToken", timeout=30, json={
        "imp_key": "emulator_imp_key",
        "imp_secret": "emulator_imp_secret_0000000000000000000000000000000000000000"})] * 12)
    assert {r.status_code for r in tokens} == {200}
    assert len({r.json()["response"]["access_token"] for r in tokens}) == 1


def test_portone_storm_of_callbacks_redirects_and_webhooks_pays_once(served):
    notice_url = served.url + "/webhooks/portone"
    # A whole checkout first (no webhook racing the callback): the shop fetches and stores its token.
    warm = served.order("portone")
    paid = portone_driver.pay(served, warm)
    assert served.post("/payments/complete", json={"imp_uid": paid["imp_uid"],
                                                   "merchant_uid": warm["order_id"]}).status_code == 200
    assert served.status(warm["order_id"]) == "paid"

    # The payment under test: approved in the window, not yet verified by anyone.
    order = served.order("portone")
    paid = portone_driver.pay(served, order, notice_url=notice_url)
    imp_uid, oid = paid["imp_uid"], order["order_id"]
    body = {"imp_uid": imp_uid, "merchant_uid": oid}
    calls = []
    for i in range(STORM):
        if i % 3 == 0:
            calls.append(lambda: served.post("/payments/complete", json=body))
        elif i % 3 == 1:
            calls.append(lambda: served.get("/payments/complete", params=body, allow_redirects=False))
        else:
            calls.append(lambda: requests.post(notice_url, json=dict(body, status="paid"), timeout=30))
    answers = storm(calls)
    assert all(r.status_code in (200, 303) for r in answers), [r.text[:200] for r in answers if r.status_code >= 400]

    steps = served.steps(oid)
    won = paid_transitions(steps)
    assert len(won) == 1 and won[0]["name"] == "portone.status" and won[0]["actual"] == "paid", won
    assert served.status(oid) == "paid"
    assert "Paid and verified" in served.get(f"/orders/{oid}?lang=en").text
    # The shop's orders: this payment is attached to one paid order.
    rows = served.shop_db("SELECT status FROM orders WHERE pg = 'portone' AND pg_payment_id = ?", imp_uid)
    assert [r["status"] for r in rows] == ["paid"]
    # PortOne's record: one payment for the order, paid once, never cancelled.
    token = requests.post(served.url + "/emulator/portone/users/getToken", timeout=30, json={
        "imp_key": "emulator_imp_key",
        "imp_secret": "emulator_imp_secret_0000000000000000000000000000000000000000"}).json()
    record = requests.get(f"{served.url}/emulator/portone/payments/{imp_uid}", timeout=30, headers={
        "Authorization": "Bearer " + token["response"]["access_token"]}).json()["response"]
    assert record["status"] == "paid" and record["amount"] == order["amount"] and record["cancel_amount"] == 0
    assert [s for s in steps if s["name"] == "portone.cancel"] == []
    # The token was fetched once, in the first checkout; every storm request, on either worker, reused it.
    fetched = served.shop_db("SELECT order_id FROM steps WHERE name = 'portone.get_token' AND kind = 'http_out'")
    assert [r["order_id"] for r in fetched] == [warm["order_id"]]
    # Each webhook the emulated PortOne queued went out once, though both workers run a dispatcher.
    deliveries = served.deliveries_settled(imp_uid)
    assert deliveries and all(d["status"] == "delivered" and d["attempts"] == 1 for d in deliveries)
    for d in deliveries:
        assert len(served.emulator_db("SELECT id FROM delivery_attempts WHERE delivery_id = ?", d["id"])) == 1


def test_toss_storm_of_success_visits_and_webhooks_confirms_once(served):
    toss_driver = pytest.importorskip("drivers.toss")
    warm = served.order("toss")
    first = toss_driver.pay(served, warm)
    assert served.http.get(first["redirect_url"], timeout=30).status_code == 200
    assert served.status(warm["order_id"]) == "paid"

    order = served.order("toss")
    paid = toss_driver.pay(served, order)
    key, oid = paid["paymentKey"], order["order_id"]
    assert paid["redirect_url"] and "/success" in paid["redirect_url"]
    webhook = {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-11-26T12:00:00.000000",
               "data": {"paymentKey": key, "orderId": oid, "status": "DONE"}}
    calls = []
    for i in range(STORM):
        if i % 5 == 4:
            calls.append(lambda: requests.post(served.url + "/webhooks/toss", json=webhook, timeout=30))
        else:
            calls.append(lambda: served.http.get(paid["redirect_url"], allow_redirects=False, timeout=30))
    answers = storm(calls)
    assert all(r.status_code < 400 for r in answers), [r.text[:200] for r in answers if r.status_code >= 400]

    steps = served.steps(oid)
    won = paid_transitions(steps)
    assert len(won) == 1 and "→ paid" in won[0]["summary"], won
    assert served.status(oid) == "paid"
    assert "Paid and verified" in served.get(f"/orders/{oid}?lang=en").text
    record = requests.get(f"{served.url}/emulator/toss/v1/payments/{key}", timeout=30,
                          auth=("test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6", "")).json()
    assert record["status"] == "DONE" and record["totalAmount"] == order["amount"] and not record.get("cancels")
    # Confirmed once at Toss: a confirm that raced the winner got the first answer replayed (same
    # Idempotency-Key), IDEMPOTENT_REQUEST_PROCESSING or ALREADY_PROCESSED_PAYMENT, never a second approval.
    answers = [s["exchange"]["response"] for s in steps if s["name"] == "toss.confirm" and s["kind"] == "http_out"]
    approved = {(a["body"]["lastTransactionKey"], a["body"]["approvedAt"]) for a in answers if a["status"] == 200}
    assert approved == {(record["lastTransactionKey"], record["approvedAt"])}
    assert all(a["status"] == 200 or a["body"].get("code") in ("ALREADY_PROCESSED_PAYMENT",
                                                                "IDEMPOTENT_REQUEST_PROCESSING") for a in answers)
    rows = served.shop_db("SELECT status FROM orders WHERE pg = 'toss' AND pg_payment_id = ?", key)
    assert [r["status"] for r in rows] == ["paid"]
    deliveries = served.deliveries_settled(key)
    assert deliveries   # PAYMENT_STATUS_CHANGED, sent when the confirm went through
    for d in deliveries:
        assert d["status"] == "delivered" and d["attempts"] == 1, dict(d)
        assert len(served.emulator_db("SELECT id FROM delivery_attempts WHERE delivery_id = ?", d["id"])) == 1


def kill_every_worker(served):
    """SIGKILL each worker process at once (no cleanup runs); return once their replacements answer."""
    dead = served.server.worker_pids()
    assert len(dead) == 2
    for pid in dead:
        os.kill(pid, signal.SIGKILL)
    assert until(lambda: len(set(served.server.worker_pids()) - set(dead)) == 2, timeout=30)
    assert until(lambda: requests.get(served.url + "/emulator/clock", timeout=5).status_code == 200, timeout=30)


def test_workers_killed_mid_flow_lose_no_payment_and_no_webhook(tmp_path):
    receiver = Receiver(fail_first=3)     # the merchant's webhook endpoint answers 500 three times
    try:
        with Server(str(tmp_path), workers=2, name="killed", mounted=True, env={
                "EMULATOR_WEBHOOK_TIME_SCALE": "0.05", "EMULATOR_TOSS_WEBHOOK_URL": receiver.url,
                "EMULATOR_WEBHOOK_ALLOWED_ORIGINS": receiver.origin}) as server:
            served = ServedSite(server)
            order = served.order("toss")
            paid = toss_driver.pay(served, order)        # approved in the window, not yet confirmed
            kill_every_worker(served)
            # The buyer comes back to a new set of workers: the confirm goes through, once.
            back = served.http.get(paid["redirect_url"], timeout=30)
            assert back.status_code == 200 and served.status(order["order_id"]) == "paid"
            # Toss retries after 1, 4, 16 documented minutes (x 0.05 s): once the third try has failed the
            # next is 3.2 s away, and no worker holds a claim on it. Kill them all again right then.
            key = paid["paymentKey"]

            def deliveries():
                return served.emulator_db("SELECT * FROM deliveries WHERE payment_ref = ?", key)
            assert until(lambda: [(d["attempts"], d["claimed_until"]) for d in deliveries()] == [(3, None)], 20)
            assert deliveries()[0]["status"] == "pending"
            kill_every_worker(served)
            # The replacements take the queue up from the database: the fourth try is delivered, once.
            assert until(lambda: deliveries()[0]["status"] != "pending", timeout=30)
            delivered = deliveries()
            assert len(delivered) == 1 and delivered[0]["status"] == "delivered" and delivered[0]["attempts"] == 4
            assert len(served.emulator_db("SELECT id FROM delivery_attempts WHERE delivery_id = ?",
                                          delivered[0]["id"])) == 4
            bodies = receiver.bodies()
            assert len(bodies) == 4 and {b["data"]["paymentKey"] for b in bodies} == {key}
            assert {b["data"]["status"] for b in bodies} == {"DONE"}
            record = requests.get(f"{served.url}/emulator/toss/v1/payments/{key}", timeout=30,
                                  auth=("test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6", "")).json()
            assert record["status"] == "DONE" and record["totalAmount"] == order["amount"]
    finally:
        receiver.close()


def test_slow_clients_do_not_stop_a_checkout(served):
    """200 connections that trickle their headers and never finish them (a slowloris) are held by the
    workers' greenlets; a whole checkout still goes through meanwhile."""
    with SlowClients(served.url, count=200) as slow:
        assert slow.open == 200
        order = served.order("toss")
        paid = toss_driver.pay(served, order)
        assert served.http.get(paid["redirect_url"], timeout=30).status_code == 200
        assert served.status(order["order_id"]) == "paid"
        assert slow.open == 200     # still held, not dropped to make room


def test_make_serve_runs_two_servers_and_stops_both(tmp_path):
    """bench/serve.py (make serve): the shop finds the emulator at its own URL; when one server dies the
    other is stopped too."""
    with Server(str(tmp_path), workers=1, name="two") as server:
        assert server.emulator_url != server.url + "/emulator"
        assert requests.get(server.url + "/emulator/clock", timeout=10).status_code == 404   # nothing mounted
        page = requests.get(server.url + "/", timeout=10).text
        assert server.emulator_url + "/portone/v1/iamport.js" in page
        masters = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(masters) == 2
        emulator_master = next(int(pid) for pid in masters if b"emulator" in open(f"/proc/{pid}/cmdline", "rb").read())
        os.kill(emulator_master, signal.SIGTERM)
        assert until(lambda: server.proc.poll() is not None, timeout=30)
        assert not any(os.path.exists(f"/proc/{pid}") and b"gunicorn" in open(f"/proc/{pid}/cmdline", "rb").read()
                       for pid in masters)


def test_a_claim_left_by_a_dead_worker_expires_and_another_sends_it(served):
    """A worker that died while sending leaves its claim on a delivery: once the claim's time has passed,
    a live worker sends it (once)."""
    receiver = Receiver()
    try:
        now = time.time()
        with sqlite3.connect(served.server.emulator_db, timeout=30) as conn:
            conn.execute("INSERT INTO deliveries (pg, event, payment_ref, url, content_type, body, schedule, status,"
                         " next_attempt_at, claimed_until, created_at) VALUES ('portone', 'paid', 'imp_orphan', ?,"
                         " 'json', ?, '[]', 'pending', ?, ?, ?)",
                         (receiver.url, '{"imp_uid": "imp_orphan", "status": "paid"}', now - 1, now + 2, now - 1))
        kill_every_worker(served)     # the workers that knew nothing of it are gone too
        assert until(lambda: served.emulator_db("SELECT status FROM deliveries WHERE payment_ref = 'imp_orphan'")
                     [0]["status"] == "delivered", timeout=30)
        row = served.emulator_db("SELECT * FROM deliveries WHERE payment_ref = 'imp_orphan'")[0]
        assert row["attempts"] == 1 and row["claimed_until"] is None
        assert receiver.bodies() == [{"imp_uid": "imp_orphan", "status": "paid"}]
    finally:
        receiver.close()
