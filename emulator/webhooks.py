"""Webhook deliveries from the emulated PGs: queued in the database, sent once, retried on schedule.

Every worker process runs a dispatcher thread while deliveries are pending; a delivery is
claimed with one UPDATE before it is sent, so each attempt goes out once, not once per worker.
Retry delays are the PG's documented minutes, scaled by EMULATOR_WEBHOOK_TIME_SCALE seconds
per minute and measured on the emulator's clock (moving the clock makes retries due).

The dispatcher hands each delivery to a small pool (POOL_SIZE threads), at most one in flight per
target origin, so a receiver that never answers holds only its own webhooks. One exchange (connect,
send, read the answer) has EMULATOR_WEBHOOK_DEADLINE_S in all, and redirects are not followed. A target must be an
allowed origin (emulator/targets.py); a refused one is kept as a 'refused' delivery saying why.
Deliveries still pending when the server stopped are resumed when the app starts (and on the first
request of each process, for servers that fork after loading the app).
"""
import http.client
import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from flask import current_app, has_request_context, request

import i18n
import sqlitedb

from . import clock, db, faults, targets

POLL_S = 0.1
IDLE_EXIT_S = 5.0
CLAIM_S = 60.0           # real seconds a claim holds; longer than any exchange
DEADLINE_S = 10.0        # one exchange, from connect to the last byte (EMULATOR_WEBHOOK_DEADLINE_S)
POOL_SIZE = 16          # deliveries in flight at once (each to a different origin)
ANSWER_CHARS = 1000      # of each answer kept (and shown)
USER_AGENT = "PG-Sandbox-Emulator-Webhook/1.0"

_dispatchers = {}
_lock = threading.Lock()
_resumed_pid = None

# pg -> fn(delivery_row, body_text, config) -> headers: a PG that signs its webhooks (PortOne V2)
# gets the exact body text to sign for each attempt, and that text is what is sent.
SIGNERS = {}


def enqueue(pg, event, payment_ref, url, payload, *, content_type="json", schedule=(), delay_s=0.0):
    """Queue one webhook. schedule: retry delays in documented minutes. Returns the delivery id.
    A target that is not an allowed origin is kept at once as 'refused', with the reason."""
    now = clock.now()
    own = targets.own_origin(request.host_url, request.environ) if has_request_context() else None
    cfg = current_app.config
    refused = targets.refusal(url, own, cfg.get(targets.SETTING, ""), cfg.get("EMULATOR_SHOP_URL", ""))
    with db.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO deliveries (pg, event, payment_ref, url, content_type, body, schedule, status,"
            " next_attempt_at, created_at, last_error) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (pg, event, payment_ref, str(url)[:2000], content_type, json.dumps(payload, ensure_ascii=False),
             json.dumps(list(schedule)), "refused" if refused else "pending", now + delay_s, now, refused))
        if not refused:
            faults.on_webhook(conn, cur.lastrowid)   # an armed webhook fault (duplicate, late, ...)
    if not refused:
        wake()
    return cur.lastrowid


def resend(delivery_id):
    """Send a kept delivery again now (dashboard button). Returns the new delivery id or None."""
    row = db.get_db().execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
    if row is None:
        return None
    return enqueue(row["pg"], row["event"], row["payment_ref"], row["url"], json.loads(row["body"]),
                   content_type=row["content_type"])


def get(delivery_id):
    return db.get_db().execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()


def for_payment(payment_ref):
    return db.get_db().execute("SELECT * FROM deliveries WHERE payment_ref = ? ORDER BY id",
                               (payment_ref,)).fetchall()


def recent(limit=100):
    return db.get_db().execute("SELECT * FROM deliveries ORDER BY id DESC LIMIT ?", (limit,)).fetchall()


def attempts(delivery_id):
    return db.get_db().execute("SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY id",
                               (delivery_id,)).fetchall()


def reason(text):
    """A delivery's or attempt's stored error (why it failed or was refused) in the reader's language."""
    return i18n.render(text) if text else ""


def wake():
    """Make sure this process's dispatcher runs and looks at the queue now."""
    start(current_app._get_current_object())


def start(app):
    """Start (or nudge) the dispatcher of app's database in this process."""
    path = app.config["EMULATOR_DATABASE"]
    with _lock:
        d = _dispatchers.get(path)
        if d is None or not d.is_alive():
            d = _Dispatcher(path, app.config["EMULATOR_WEBHOOK_TIME_SCALE"],
                            app.config.get("EMULATOR_WEBHOOK_DEADLINE_S", DEADLINE_S), app.config)
            _dispatchers[path] = d
            d.start()
    d.event.set()


def resume(app):
    """Start the dispatcher when deliveries were left pending (the server stopped while they waited)."""
    global _resumed_pid
    _resumed_pid = os.getpid()
    if not os.path.exists(app.config["EMULATOR_DATABASE"]):
        return
    try:
        conn = db.connect(app.config["EMULATOR_DATABASE"])
        try:
            pending = conn.execute("SELECT 1 FROM deliveries WHERE status = 'pending' LIMIT 1").fetchone()
        finally:
            conn.close()
    except Exception:   # no usable database yet: nothing can be pending
        return
    if pending:
        start(app)


class _Dispatcher(threading.Thread):
    def __init__(self, path, scale, deadline_s, config=None):
        super().__init__(daemon=True, name="webhook-dispatcher")
        self.path, self.scale, self.deadline_s, self.config = path, scale, float(deadline_s), config
        self.event = threading.Event()
        self.pool = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="webhook")
        self.busy = set()          # target origins with a delivery in flight
        self.busy_lock = threading.Lock()

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
                self.pool.shutdown(wait=False)
                return
            if sent or pending or self.busy:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_EXIT_S:
                with _lock:
                    if _dispatchers.get(self.path) is self:
                        del _dispatchers[self.path]
                conn.close()
                self.pool.shutdown(wait=False)
                return
            self.event.wait(POLL_S)
            self.event.clear()

    def tick(self, conn):
        """Hand due deliveries to the pool: the first due one per origin not already in flight. (One row per
        URL is read, so many deliveries queued for one receiver never hide another receiver's.)"""
        now = clock.now_at(conn)
        due = conn.execute("SELECT id, url FROM (SELECT id, url, next_attempt_at, ROW_NUMBER() OVER (PARTITION BY"
                           " url ORDER BY next_attempt_at, id) AS n FROM deliveries WHERE status = 'pending'"
                           " AND next_attempt_at <= ?) WHERE n = 1 ORDER BY next_attempt_at, id LIMIT 500",
                           (now,)).fetchall()
        sent, seen = 0, set()
        for row in due:
            target = targets.parse(row["url"])
            origin = target.origin if target else ("invalid", row["url"])
            if origin in seen:
                continue
            seen.add(origin)
            with self.busy_lock:
                if origin in self.busy or len(self.busy) >= POOL_SIZE:
                    continue
                if not claim(conn, row["id"], now, max(CLAIM_S, self.deadline_s * 2)):
                    continue
                self.busy.add(origin)
            self.pool.submit(self._run_attempt, row["id"], origin)
            sent += 1
        return sent

    def _run_attempt(self, delivery_id, origin):
        try:
            conn = db.connect(self.path)
            try:
                self.attempt(conn, delivery_id)
            finally:
                conn.close()
        except Exception:   # the database went away: the claim expires and another process retries
            pass
        finally:
            with self.busy_lock:
                self.busy.discard(origin)
            self.event.set()

    def attempt(self, conn, delivery_id):
        d = conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        payload = json.loads(d["body"])
        started = time.time()
        status_code, error, text = None, None, ""
        headers = {}
        if d["content_type"] == "form":
            body, ctype = urlencode(payload, doseq=True), "application/x-www-form-urlencoded"
        else:
            body, ctype = json.dumps(payload, ensure_ascii=False), "application/json"
        signer = SIGNERS.get(d["pg"])
        if signer is not None:   # a signed PG sends exactly the text it signed
            body = body if d["content_type"] == "form" else d["body"]
            headers = signer(d, body, self.config)
        try:
            status_code, text = post(d["url"], body.encode(), {"Content-Type": ctype, **headers}, self.deadline_s)
        except Failed as e:
            error = e.args[0]
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


def claim(conn, delivery_id, now, hold_s):
    """Take one delivery for an attempt: True when it is still pending, due on the emulator clock `now`, and not
    held by another attempt. (The row the dispatcher read may have been sent and rescheduled since.)"""
    real = time.time()
    with sqlitedb.transaction(conn):   # a write queues on the process's writer lock
        cur = conn.execute("UPDATE deliveries SET claimed_until = ? WHERE id = ? AND status = 'pending'"
                           " AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)",
                           (real + hold_s, delivery_id, now, real))
    return cur.rowcount == 1


class Failed(Exception):
    """No answer: the stored message says why (connection refused, deadline passed, ...)."""


def _start_deadline(conn, deadline_s):
    """A timer that ends conn's exchange after deadline_s, whatever it is waiting for: (timer, event set if it did)."""
    cut = threading.Event()

    def stop():
        cut.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    timer = threading.Timer(deadline_s, stop)
    timer.daemon = True
    timer.start()
    return timer, cut


def _answer_text(raw):
    """The answer as kept: its first ANSWER_CHARS characters, marked when there was more."""
    text = raw.decode("utf-8", "replace")
    if len(text) > ANSWER_CHARS or len(raw) > ANSWER_CHARS * 4:
        text = text[:ANSWER_CHARS] + " …"
    return text


def post(url, body, headers, deadline_s=None):
    """POST body to url as the client the target was judged for: (status, first ANSWER_CHARS of the
    answer). The whole exchange has deadline_s (DEADLINE_S); a redirect is an answer, not followed."""
    deadline_s = DEADLINE_S if deadline_s is None else deadline_s
    target = targets.parse(url)
    if target is None:
        raise Failed(i18n.msg("Not sent: %(url)s is not an absolute http(s) URL.", url=str(url)[:200]))
    cls = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    conn = cls(target.host, target.port, timeout=deadline_s)
    timer, cut = _start_deadline(conn, deadline_s)
    try:
        conn.request("POST", target.path, body=body,
                     headers={"Host": target.host_header, "User-Agent": USER_AGENT, **headers})
        resp = conn.getresponse()
        raw = resp.read(ANSWER_CHARS * 4 + 1)
    except (OSError, http.client.HTTPException) as e:
        error = type(e).__name__
    else:
        error = None
    finally:
        timer.cancel()
        conn.close()
    if cut.is_set():    # cut short (a cut can also look like an answer that ended early)
        raise Failed(i18n.msg("No complete answer within %(s)s s (the deadline of one delivery).",
                              s=f"{deadline_s:g}"))
    if error:
        raise Failed(error)
    return resp.status, _answer_text(raw)


def init_app(app):
    """Resume deliveries left pending by a stopped server, now and in each process's first request."""
    app.extensions["webhooks"] = _dispatchers

    def resume_in_this_process():
        if _resumed_pid != os.getpid():
            resume(app)
    app.before_request(resume_in_this_process)
    resume(app)
