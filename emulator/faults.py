"""Fault injection in the emulated PGs: armed faults, applying them to REST calls and webhooks, and their log.

A fault is armed for one PG and one target (a REST endpoint or the PG's webhooks) and affects the
next `count` matching requests (0 = every one until cleared). Each request takes one use with a
guarded UPDATE in a write transaction, so several worker processes never spend a use twice.
Every fault applied is kept in fault_events and shown on the dashboard.

Kinds for REST targets:
  error_5xx       answer 500 in the PG's own error envelope, without acting
  refused         (cancel endpoints) answer as the PG does when its card company or bank refuses the cancel
  timeout_before  hold the request EMULATOR_FAULT_DELAY_S, then answer 504: the PG did not act
  timeout_after   act (the view runs), then hold the answer EMULATOR_FAULT_DELAY_S: outcome unknown
  down            close the connection without an answer (503 with no body where the server
                  offers no socket, e.g. Flask's test client)
Kinds for webhooks (applied when a webhook is queued):
  duplicate       queue it twice
  reorder         hold the next `count` webhooks, then release them newest first
  late            deliver EMULATOR_FAULT_LATE_S seconds of emulator time later
  never           keep it as a delivery with status 'dropped' and never send it
"""
import json
import re
import socket
import time

from flask import Blueprint, current_app, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

import webjson

from . import clock, console, db

# target -> (method, [path patterns under /emulator/<pg's URL prefix>]); "webhook" has no path.
TARGETS = {
    "portone": {
        "get_token": ("POST", ["/users/getToken"]),
        "get_payment": ("GET", ["/payments/{imp_uid}"]),
        "find_payment": ("GET", ["/payments/find/{merchant_uid}", "/payments/find/{merchant_uid}/{status}"]),
        "cancel": ("POST", ["/payments/cancel"]),
        "prepare": ("POST", ["/payments/prepare"]),
        "webhook": (None, []),
    },
    "portone_v2": {
        "login": ("POST", ["/login/api-secret"]),
        "get_payment": ("GET", ["/payments/{paymentId}"]),
        "list_payments": ("GET", ["/payments"]),
        "pre_register": ("POST", ["/payments/{paymentId}/pre-register"]),
        "cancel": ("POST", ["/payments/{paymentId}/cancel"]),
        "confirm": ("POST", ["/payments/{paymentId}/confirm"]),
        "resend_webhook": ("POST", ["/payments/{paymentId}/resend-webhook"]),
        "webhook": (None, []),
    },
    "toss": {
        "confirm": ("POST", ["/v1/payments/confirm"]),
        "get_payment": ("GET", ["/v1/payments/{paymentKey}"]),
        "get_by_order": ("GET", ["/v1/payments/orders/{orderId}"]),
        "cancel": ("POST", ["/v1/payments/{paymentKey}/cancel"]),
        "create": ("POST", ["/v1/payments"]),
        "webhook": (None, []),
    },
}
PREFIXES = {"portone_v2": "portone-v2"}   # a pg whose URL prefix is not its name
REST_KINDS = ("error_5xx", "timeout_before", "timeout_after", "down", "refused")
WEBHOOK_KINDS = ("duplicate", "reorder", "late", "never")
MAX_COUNT = 1000
REORDER_GAP_S = 0.5   # emulator seconds between released webhooks, so several workers keep the order

KIND_LABELS = {
    "error_5xx": _l("answer HTTP 500 without acting"),
    "timeout_before": _l("time out before acting"),
    "timeout_after": _l("act, then time out"),
    "down": _l("endpoint down (connection closed)"),
    "refused": _l("the card company or bank refuses the cancel (the PG's own error; cancel only)"),
    "duplicate": _l("send each webhook twice"),
    "reorder": _l("hold webhooks, then send them in reverse order"),
    "late": _l("send webhooks late"),
    "never": _l("never send webhooks"),
}

# PortOne does not document the body of its 5xx answers; the envelope is its usual one.
PORTONE_5XX = {"code": -1, "message": "Internal Server Error", "response": None}
PORTONE_V2_5XX = {"type": "INTERNAL_SERVER_ERROR", "message": "Internal Server Error"}
TOSS_5XX = {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING",
            "message": "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요."}

# How each PG answers a cancel that its card company or bank refused: PortOne V1 with HTTP 200 and code != 0
# (its business failures), V2 with 502 PG_PROVIDER and the PG's own code, Toss with 400 REFUND_REJECTED. The
# PG's pgCode/pgMessage are the emulator's (PortOne passes on whatever the PG said).
REFUSALS = {
    ("portone", "cancel"): (200, {"code": 1, "message": "[PG사 오류] 카드사에서 취소를 거절했습니다.", "response": None}),
    ("portone_v2", "cancel"): (502, {"type": "PG_PROVIDER", "message": "PG사에서 오류를 전달했습니다.",
                                     "pgCode": "CANCEL_REJECTED", "pgMessage": "카드사에서 취소를 거절했습니다."}),
    ("toss", "cancel"): (400, {"code": "REFUND_REJECTED", "message": "환불이 거절됐습니다. 결제사에 문의 부탁드립니다."}),
}

bp = Blueprint("faults", __name__)


def _compile():
    out = []
    for pg, targets in TARGETS.items():
        for target, (method, patterns) in targets.items():
            for pattern in patterns:
                regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(f"/{PREFIXES.get(pg, pg)}{pattern}"))
                out.append((method, re.compile(regex), pg, target))
    return out


_ROUTES = _compile()


def match(method, path):
    """(pg, target) for a request to the emulator app (path without /emulator), else None."""
    for m, regex, pg, target in _ROUTES:
        if m == method and regex.fullmatch(path):
            return pg, target
    return None


def endpoint_text(pg, target):
    method, patterns = TARGETS[pg][target]
    return f"{method} {patterns[0]}" if method else _l("webhooks")


# ---- reading and arming -------------------------------------------------------------------------------

def to_dict(row):
    count, used = row["count"], row["used"]
    return {"id": row["id"], "pg": row["pg"], "target": row["target"], "kind": row["kind"], "count": count,
            "used": used, "remaining": None if count == 0 else max(count - used, 0),
            "active": count == 0 or used < count, "created_at": row["created_at"],
            "endpoint": str(endpoint_text(row["pg"], row["target"])), "label": str(KIND_LABELS[row["kind"]])}


def all_faults():
    return db.get_db().execute("SELECT * FROM faults ORDER BY id DESC").fetchall()


def validate(data):
    """(pg, target, kind, count) from a JSON or form body, or raise ValueError with a message for people."""
    if not isinstance(data, dict):
        raise ValueError('Send JSON {"pg", "target", "kind", "count"}.')
    pg, target, kind = (v if isinstance(v, str) else None for v in (data.get("pg"), data.get("target"),
                                                                     data.get("kind")))
    if pg not in TARGETS:
        raise ValueError(f"pg must be one of: {', '.join(TARGETS)}.")
    if target not in TARGETS[pg]:
        raise ValueError(f"target for {pg} must be one of: {', '.join(TARGETS[pg])}.")
    kinds = WEBHOOK_KINDS if target == "webhook" else REST_KINDS
    if kind not in kinds:
        raise ValueError(f"kind for {pg} {target} must be one of: {', '.join(kinds)}.")
    if kind == "refused" and (pg, target) not in REFUSALS:
        raise ValueError("refused is for the cancel endpoints: " + ", ".join(f"{p} {t}" for p, t in REFUSALS) + ".")
    count = data.get("count")
    if count in (None, ""):
        count = 2 if kind == "reorder" else 1
    elif isinstance(count, str) and count.strip().isdigit():
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be a whole number from 0 (until cleared) to {MAX_COUNT}.")
    if kind == "reorder" and count == 1:
        raise ValueError("reorder needs count 2 or more (webhooks to hold), or 0 to hold until cleared.")
    return pg, target, kind, count


def arm(pg, target, kind, count):
    with db.transaction() as conn:
        cur = conn.execute("INSERT INTO faults (pg, target, kind, count, used, created_at) VALUES (?,?,?,?,0,?)",
                           (pg, target, kind, count, clock.now()))
        return conn.execute("SELECT * FROM faults WHERE id = ?", (cur.lastrowid,)).fetchone()


def remove(fault_id=None):
    """Delete one fault (or all when fault_id is None); webhooks it held are released. Returns how many."""
    with db.transaction() as conn:
        where, args = ("", ()) if fault_id is None else (" WHERE id = ?", (fault_id,))
        ids = [r["id"] for r in conn.execute("SELECT id FROM faults" + where, args)]
        for i in ids:
            _release(conn, i)
        conn.execute("DELETE FROM faults" + where, args)
    if ids:
        from . import webhooks
        webhooks.wake()
    return len(ids)


def _take(conn, pg, target):
    """Spend one use of the oldest active fault for (pg, target) inside conn's write transaction."""
    row = conn.execute("SELECT * FROM faults WHERE pg = ? AND target = ? AND (count = 0 OR used < count)"
                       " ORDER BY id LIMIT 1", (pg, target)).fetchone()
    if row is None:
        return None
    cur = conn.execute("UPDATE faults SET used = used + 1 WHERE id = ? AND (count = 0 OR used < count)",
                       (row["id"],))
    return row if cur.rowcount == 1 else None


def _record(conn, fault, **fields):
    cols = {"fault_id": fault["id"], "at": clock.now(), "pg": fault["pg"], "target": fault["target"],
            "kind": fault["kind"], **fields}
    cur = conn.execute(f"INSERT INTO fault_events ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                       list(cols.values()))
    return cur.lastrowid


# ---- REST faults: before and after the view ----------------------------------------------------------

def _ref():
    """The payment or order the request is about, for the log (body first, then the URL)."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if hasattr(data, "get"):
        for name in ("orderId", "merchant_uid", "paymentKey", "imp_uid", "paymentId"):
            value = data.get(name)
            if isinstance(value, str) and value:
                return value[:100]
    return next((str(v)[:100] for v in (request.view_args or {}).values()), None)


def before_request():
    """Apply an armed REST fault to this request; returns a response to answer with, or None."""
    hit = match(request.method, request.path)
    if hit is None:
        return None
    pg, target = hit
    conn = db.get_db()
    if conn.execute("SELECT 1 FROM faults WHERE pg = ? AND target = ? AND (count = 0 OR used < count) LIMIT 1",
                    (pg, target)).fetchone() is None:
        return None     # the common case: nothing armed, no write
    delay = float(current_app.config["EMULATOR_FAULT_DELAY_S"])
    with db.transaction() as conn:
        fault = _take(conn, pg, target)
        if fault is None:
            return None
        kind = fault["kind"]
        status = {"error_5xx": 500, "timeout_before": 504, "down": None, "timeout_after": None,
                  "refused": REFUSALS.get((pg, target), (None,))[0]}[kind]
        event_id = _record(conn, fault, method=request.method, path=request.path, ref=_ref(),
                           status_code=status, delay_s=delay if kind.startswith("timeout") else None)
    if kind == "timeout_after":
        g.emu_fault = (event_id, delay)
        return None
    if kind == "down":
        return _drop_connection()
    if kind == "timeout_before":
        time.sleep(delay)
    return _error(pg, status, kind, REFUSALS[(pg, target)][1] if kind == "refused" else None)


def after_request(response):
    """timeout_after: the view has acted; hold its answer past the caller's timeout."""
    pending = g.pop("emu_fault", None)
    if pending is not None:
        event_id, delay = pending
        with db.transaction() as conn:
            conn.execute("UPDATE fault_events SET status_code = ? WHERE id = ?", (response.status_code, event_id))
        response.headers["X-Emulator-Fault"] = "timeout_after"
        time.sleep(delay)
    return response


def _error(pg, status, kind, body=None):
    body = body or {"portone": PORTONE_5XX, "portone_v2": PORTONE_V2_5XX}.get(pg, TOSS_5XX)
    resp = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                      content_type="application/json; charset=UTF-8")
    resp.headers["X-Emulator-Fault"] = kind
    return resp


def _drop_connection():
    """Close the client's connection without an answer (werkzeug's and gunicorn's servers expose the
    socket); the server's later write fails and it drops the connection quietly."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    resp = current_app.response_class(b"", status=503)
    resp.headers["X-Emulator-Fault"] = "down"
    return resp


# ---- webhook faults: applied by webhooks.enqueue inside its transaction ------------------------------

def on_webhook(conn, delivery_id):
    """Apply an armed webhook fault to the delivery just inserted (conn is in enqueue's transaction)."""
    d = conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
    fault = _take(conn, d["pg"], "webhook")
    if fault is None:
        return
    kind, detail, delay = fault["kind"], None, None
    if kind == "duplicate":
        cur = conn.execute(
            "INSERT INTO deliveries (pg, event, payment_ref, url, content_type, body, schedule, status,"
            " next_attempt_at, created_at) SELECT pg, event, payment_ref, url, content_type, body, schedule,"
            " status, next_attempt_at, created_at FROM deliveries WHERE id = ?", (delivery_id,))
        detail = {"copy": cur.lastrowid}
    elif kind == "late":
        delay = float(current_app.config["EMULATOR_FAULT_LATE_S"])
        conn.execute("UPDATE deliveries SET next_attempt_at = next_attempt_at + ? WHERE id = ?", (delay, delivery_id))
    elif kind == "never":
        conn.execute("UPDATE deliveries SET status = 'dropped' WHERE id = ?", (delivery_id,))
    elif kind == "reorder":
        conn.execute("UPDATE deliveries SET status = 'held' WHERE id = ?", (delivery_id,))
    _record(conn, fault, ref=d["payment_ref"], path=d["event"], delivery_id=delivery_id, delay_s=delay,
            detail=json.dumps(detail) if detail else None)
    if kind == "reorder" and fault["count"] and fault["used"] + 1 >= fault["count"]:
        _release(conn, fault["id"])


def _release(conn, fault_id):
    """Send the webhooks a reorder fault held, newest first."""
    held = conn.execute("SELECT d.id FROM fault_events e JOIN deliveries d ON d.id = e.delivery_id"
                        " WHERE e.fault_id = ? AND d.status = 'held' ORDER BY d.id DESC", (fault_id,)).fetchall()
    now = clock.now_at(conn)
    for i, row in enumerate(held):
        conn.execute("UPDATE deliveries SET status = 'pending', next_attempt_at = ? WHERE id = ?",
                     (now + i * REORDER_GAP_S, row["id"]))


# ---- the log ---------------------------------------------------------------------------------------

def events(limit=100, after=0):
    return db.get_db().execute("SELECT * FROM fault_events WHERE id > ? ORDER BY id DESC LIMIT ?",
                               (after, limit)).fetchall()


def describe(e):
    """What the emulator did, in the reader's language (e.g. 'answer delayed 15 s after acting')."""
    s = f"{e['delay_s']:g}" if e["delay_s"] is not None else ""
    kind = e["kind"]
    if kind == "error_5xx":
        return _("answered HTTP %(status)s without acting", status=e["status_code"])
    if kind == "timeout_before":
        return _("held the request %(s)s s without acting, then answered HTTP 504", s=s)
    if kind == "timeout_after":
        return _("acted, then delayed the answer (HTTP %(status)s) by %(s)s s", status=e["status_code"] or "?", s=s)
    if kind == "down":
        return _("closed the connection without an answer")
    if kind == "duplicate":
        return _("queued the webhook twice (deliveries #%(a)s and #%(b)s)", a=e["delivery_id"],
                 b=json.loads(e["detail"] or "{}").get("copy", "?"))
    if kind == "reorder":
        return _("held webhook #%(id)s, to be sent in reverse order", id=e["delivery_id"])
    if kind == "late":
        return _("delayed webhook #%(id)s by %(s)s s of emulator time", id=e["delivery_id"], s=s)
    return _("dropped webhook #%(id)s: it is never sent", id=e["delivery_id"])


def event_dict(e):
    out = {k: e[k] for k in e.keys() if k != "detail"}
    out["detail"] = json.loads(e["detail"]) if e["detail"] else None
    out["summary"] = describe(e)
    return out


def dashboard_state():
    """For the dashboard's faults section (a Jinja global, so dashboard.py stays as it is)."""
    return {"faults": [to_dict(r) for r in all_faults()],
            "events": [dict(event_dict(e), target_text=str(endpoint_text(e["pg"], e["target"])))
                       for e in events(50)],
            "targets": [(pg, t, str(endpoint_text(pg, t))) for pg, ts in TARGETS.items() for t in ts],
            "rest_kinds": [(k, str(KIND_LABELS[k])) for k in REST_KINDS],
            "webhook_kinds": [(k, str(KIND_LABELS[k])) for k in WEBHOOK_KINDS],
            "delay_s": current_app.config["EMULATOR_FAULT_DELAY_S"],
            "late_s": current_app.config["EMULATOR_FAULT_LATE_S"]}


# ---- control API: /emulator/faults ---------------------------------------------------------------------

def _wants_html():
    return not request.is_json and request.accept_mimetypes.best != "application/json"


def _bad(message):
    return jsonify(error="BAD_REQUEST", message=message), 400


@bp.get("/faults")
def index():
    return jsonify([to_dict(r) for r in all_faults()])


@bp.get("/faults/events")
def list_events():
    after = webjson.whole_number(request.args.get("after", "0"), low=0)
    if after is None:
        return _bad("after must be an event id.")
    return jsonify([event_dict(e) for e in events(200, after)])


@bp.post("/faults")
def create():
    """JSON {pg, target, kind, count} -> 201 with the fault; the dashboard's form sends target 'pg:target'."""
    if request.is_json:
        data = request.get_json(silent=True)
    else:
        data = request.form.to_dict()
        if ":" in data.get("target", "") and not data.get("pg"):
            data["pg"], data["target"] = data["target"].split(":", 1)
    try:
        pg, target, kind, count = validate(data)
    except ValueError as e:
        if _wants_html():
            flash(str(e), "faults")
            return redirect(url_for("dashboard.index") + "#faults")
        return _bad(str(e))
    row = arm(pg, target, kind, count)
    if _wants_html():
        console.done(_("Fault #%(id)s armed: %(pg)s %(target)s — %(label)s.", id=row["id"], pg=pg, target=target,
                       label=KIND_LABELS[kind]))
        return redirect(url_for("dashboard.index") + "#faults")
    return jsonify(to_dict(row)), 201


@bp.delete("/faults/<int:fault_id>")
def delete(fault_id):
    if not remove(fault_id):
        return jsonify(error="NOT_FOUND", message=f"No fault {fault_id}."), 404
    return jsonify(deleted=fault_id)


@bp.post("/faults/<int:fault_id>/delete")
def delete_form(fault_id):
    if remove(fault_id):
        console.done(_("Fault #%(id)s removed.", id=fault_id))
    return redirect(url_for("dashboard.index") + "#faults")


@bp.post("/faults/clear")
def clear():
    """Remove every armed fault (webhooks held by a reorder fault are sent). The log is kept."""
    n = remove()
    if _wants_html():
        console.done(_("All faults cleared (%(n)s).", n=n))
        return redirect(url_for("dashboard.index") + "#faults")
    return jsonify(cleared=n)


def init_app(app):
    """The control routes, the request hooks and the dashboard's Jinja global."""
    app.register_blueprint(bp)
    app.before_request(before_request)
    app.after_request(after_request)
    app.jinja_env.globals["faults_state"] = dashboard_state
