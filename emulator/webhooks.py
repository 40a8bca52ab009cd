"""Webhook deliveries from the emulated PGs: queued in the database, sent once, retried on schedule.

Every worker process runs a dispatcher thread while deliveries are pending; a delivery is
claimed with one UPDATE before it is sent, so each attempt goes out once, not once per worker.
Retry delays are the PG's documented minutes, scaled by EMULATOR_WEBHOOK_TIME_SCALE seconds
per minute and measured on the emulator's clock (moving the clock makes retries due).
"""
import json
import threading
import time

import requests
from flask import current_app

import sqlitedb

from . import clock, db, faults

POLL_S = 0.1
IDLE_EXIT_S = 5.0
CLAIM_S = 60.0

_dispatchers = {}
_lock = threading.Lock()


def enqueue(pg, event, payment_ref, url, payload, *, content_type="json", schedule=(), delay_s=0.0):
    """Queue one webhook. schedule: retry delays in documented minutes. Returns the delivery id."""
    now = clock.now()
    with db.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO deliveries (pg, event, payment_ref, url, content_type, body, schedule, status,"
            " next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (pg, event, payment_ref, url, content_type, json.dumps(payload, ensure_ascii=False),
             json.dumps(list(schedule)), "pending", now + delay_s, now))
        faults.on_webhook(conn, cur.lastrowid)   # an armed webhook fault (duplicate, late, ...)
    wake()
    return cur.lastrowid


def resend(delivery_id):
    """Send a kept delivery again now (dashboard button). Returns the new delivery id or None."""
    row = db.get_db().execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
    if row is None:
        return None
    return enqueue(row["pg"], row["event"], row["payment_ref"], row["url"], json.loads(row["body"]),
                   content_type=row["content_type"])


def for_payment(payment_ref):
    return db.get_db().execute("SELECT * FROM deliveries WHERE payment_ref = ? ORDER BY id",
                               (payment_ref,)).fetchall()


def recent(limit=100):
    return db.get_db().execute("SELECT * FROM deliveries ORDER BY id DESC LIMIT ?", (limit,)).fetchall()


def attempts(delivery_id):
    return db.get_db().execute("SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY id",
                               (delivery_id,)).fetchall()


def wake():
    """Make sure this process's dispatcher runs and looks at the queue now."""
    app = current_app._get_current_object()
    path = app.config["EMULATOR_DATABASE"]
    with _lock:
        d = _dispatchers.get(path)
        if d is None or not d.is_alive():
            d = _Dispatcher(path, app.config["EMULATOR_WEBHOOK_TIME_SCALE"])
            _dispatchers[path] = d
            d.start()
    d.event.set()


class _Dispatcher(threading.Thread):
    def __init__(self, path, scale):
        super().__init__(daemon=True, name="webhook-dispatcher")
        self.path, self.scale = path, scale
        self.event = threading.Event()
        self.session = requests.Session()

    def run(self):
        idle_since = time.monotonic()
        try:
            conn = db.connect(self.path)
        except Exception:
            return
        while True:
            try:
                sent = self.tick(conn)
                pending = conn.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").fetchone()[0]
            except Exception:  # the database went away (a test's temporary folder): stop quietly
                conn.close()
                return
            if sent or pending:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_EXIT_S:
                with _lock:
                    if _dispatchers.get(self.path) is self:
                        del _dispatchers[self.path]
                conn.close()
                return
            self.event.wait(POLL_S)
            self.event.clear()

    def tick(self, conn):
        now = clock.now_at(conn)
        due = conn.execute("SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?"
                           " ORDER BY next_attempt_at, id LIMIT 20", (now,)).fetchall()
        sent = 0
        for row in due:
            real = time.time()
            with sqlitedb.transaction(conn):   # a write queues on the process's writer lock
                cur = conn.execute("UPDATE deliveries SET claimed_until = ? WHERE id = ? AND status = 'pending'"
                                   " AND (claimed_until IS NULL OR claimed_until < ?)",
                                   (real + CLAIM_S, row["id"], real))
            if cur.rowcount == 1:
                self.attempt(conn, row["id"])
                sent += 1
        return sent

    def attempt(self, conn, delivery_id):
        d = conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        payload = json.loads(d["body"])
        started = time.time()
        status_code, error, text = None, None, ""
        try:
            if d["content_type"] == "form":
                resp = self.session.post(d["url"], data=payload, timeout=(3, 10))
            else:
                resp = self.session.post(d["url"], json=payload, timeout=(3, 10))
            status_code, text = resp.status_code, resp.text[:2000]
        except requests.RequestException as e:
            error = type(e).__name__
        ok = status_code is not None and 200 <= status_code < 300
        attempts_done = d["attempts"] + 1
        schedule = json.loads(d["schedule"])
        now = clock.now_at(conn)
        if ok:
            status, next_at = "delivered", d["next_attempt_at"]
        elif attempts_done <= len(schedule):
            status, next_at = "pending", now + schedule[attempts_done - 1] * self.scale
        else:
            status, next_at = "failed", d["next_attempt_at"]
        with sqlitedb.transaction(conn):
            conn.execute("INSERT INTO delivery_attempts (delivery_id, at, status_code, error, duration_ms,"
                         " response) VALUES (?,?,?,?,?,?)",
                         (delivery_id, now, status_code, error, round((time.time() - started) * 1000, 1), text))
            conn.execute("UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                         " claimed_until = NULL, last_status = ?, last_error = ? WHERE id = ?",
                         (status, attempts_done, next_at, status_code, error, delivery_id))


def init_app(app):
    """Nothing runs until the first delivery is queued; then wake() starts the dispatcher."""
    app.extensions["webhooks"] = _dispatchers
