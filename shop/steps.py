"""The step log: records what happened in a flow (one order), phase by phase, and reads it back."""
import contextlib
import functools
import json
import os
import sys
import time

from flask import current_app, g

import i18n

from . import redact
from .db import get_db, transaction

# One ordered list of phases shared by both PGs, so two flows line up row by row.
PHASES = ("order", "checkout", "authenticate", "return", "server_auth", "approve", "verify",
          "notify", "settle")
KINDS = ("http_out", "http_in", "check", "browser", "state", "fault")
VERDICTS = ("pass", "fail", "info", None)

# What one flow and one exchange may store, so that nobody can grow the log (or a flow's page) by
# posting: a webhook flood naming one order stores at most MAX_FLOW_STEPS steps, and their exchanges at
# most MAX_FLOW_EXCHANGE characters. Whatever is cut says so ("[truncated: …]").
MAX_TEXT = 500                 # characters of one stored value (a summary's value, expected, actual)
MAX_EXCHANGE = 16 * 1024       # characters of one step's exchange (JSON: headers and bodies included)
MAX_FLOW_EXCHANGE = 256 * 1024  # characters of exchanges one flow stores; later steps keep only the mark
MAX_FLOW_STEPS = 600           # steps one flow stores (a 50-request storm makes ~300); then one says it is full
TRUNCATED = "[truncated: {n} more {what}]"

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SKIP = {os.path.join(_ROOT, "shop", "steps.py"), os.path.join(_ROOT, "shop", "http.py")}
_CLIENT = os.sep + "client.py"
_HELPERS = set()   # code objects of helpers that record for their caller (see helper())


def helper(fn):
    """Mark a function that records steps on behalf of its caller: the step's file:line names the caller."""
    _HELPERS.add(fn.__code__)
    return fn


def _code_ref():
    """'file:line function' of the shop code that decided the step (for 'read the code')."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_ROOT) and path not in _SKIP and frame.f_code not in _HELPERS \
                and not path.endswith(_CLIENT):   # a PG client only carries out what its caller decided
            return f"{_relative(path)}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back
    return None


@functools.cache
def _relative(path):
    return os.path.relpath(path, _ROOT)


class Flow:
    """The step log of one order, bound once: every step it records is named `<provider>.<name>`.

    `with flow.at("approve"):` sets the phase that the HTTP layer's steps (shop.http.call) and
    record() without a phase fall in; `with steps.bound(flow):` makes it the flow those calls log to.
    """

    def __init__(self, order_id, provider, phase="order"):
        self.order_id, self.provider, self.phase = order_id, provider, phase

    @contextlib.contextmanager
    def at(self, phase):
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        before, self.phase = self.phase, phase
        try:
            yield self
        finally:
            self.phase = before

    def record(self, name, summary, *, phase=None, kind="state", frm="shop", to="shop", verdict="info",
               expected=None, actual=None, reported=False, exchange=None, started_at=None, duration_ms=None):
        """Append a step (see steps.record); `name` without the provider prefix."""
        return record(self.order_id, phase or self.phase, f"{self.provider}.{name}", summary, kind=kind,
                      actor_from=frm, actor_to=to, verdict=verdict, expected=expected, actual=actual,
                      reported=reported, exchange=exchange, started_at=started_at, duration_ms=duration_ms)

    def checks(self, checks, phase="verify"):
        """Record each Check (stored together); return the failed ones."""
        with batch():
            for c in checks:
                record(self.order_id, phase, f"{self.provider}.{c.name}", c.summary, kind="check",
                       verdict="pass" if c.ok else "fail", expected=c.expected, actual=c.actual)
        return [c for c in checks if not c.ok]


def actors():
    """Who can appear in a step: the browser, the shop, and each provider (its id)."""
    from . import providers
    return ("browser", "shop", *providers.ids())


def current():
    """The Flow bound by the innermost `with bound(flow)`, or None."""
    stack = g.get("flows")
    return stack[-1] if stack else None


@contextlib.contextmanager
def bound(flow):
    """`with bound(flow):` the HTTP layer records its calls in this flow (in its current phase)."""
    stack = g.setdefault("flows", [])
    stack.append(flow)
    try:
        yield flow
    finally:
        stack.pop()


def record(order_id, phase, name, summary, *, kind="check", actor_from="shop", actor_to="shop",
           verdict=None, expected=None, actual=None, reported=False, exchange=None,
           started_at=None, duration_ms=None):
    """Append a step to the order's flow and return its id (None inside batch(): it is stored when
    the batch ends). Everything stored is redacted.

    summary: an i18n.msg() (rendered in each reader's language when shown; its values are redacted)."""
    _check_terms(phase, kind, verdict)
    usage = _usage(order_id)
    if usage[0] > MAX_FLOW_STEPS:
        return None
    if usage[0] == MAX_FLOW_STEPS:      # the one step that says so, instead of this one
        phase, name, kind, actor_from, actor_to, verdict, expected, actual, reported, exchange = (
            phase, "shop.log_full", "state", "shop", "shop", "fail", None, None, False, None)
        summary = i18n.msg("This flow's log is full (%(max)s steps): later steps are not stored",
                           max=MAX_FLOW_STEPS)
    usage[0] += 1
    pairs = redact._secrets()   # read once for every value of this step
    clean = functools.partial(_clean, pairs=pairs)
    stored_exchange = None
    if exchange is not None:    # redacted first, then cut: a secret is never half shown
        stored_exchange = _bounded(redact.body(exchange, pairs), MAX_FLOW_EXCHANGE - usage[1])
        usage[1] += len(stored_exchange)
    row = (order_id, phase, name, kind, actor_from, actor_to, i18n.stored(summary, clean), verdict,
           _str(expected, clean), _str(actual, clean), 1 if reported else 0, stored_exchange,
           _code_ref(), started_at or time.time(), duration_ms)
    return _write(row, name, kind)


def _check_terms(phase, kind, verdict):
    """Raise ValueError for a phase, kind or verdict that is not one of the log's own."""
    for term, value, known in (("phase", phase, PHASES), ("kind", kind, KINDS), ("verdict", verdict, VERDICTS)):
        if value not in known:
            raise ValueError(f"unknown {term} {value!r}")


def _write(row, name, kind):
    """Store one step's row now and return its id, or add it to the open batch() and return None."""
    pending = g.get("step_batch")
    if pending and kind in ("http_out", "fault"):
        # A PG call inside batch() is a bug: the steps before it should have been stored before it.
        current_app.logger.error("steps.batch(): %s was called inside a batch", name)
        _store(pending)
    elif pending is not None:
        pending.append(row)
        return None
    return get_db().execute(_INSERT, row).lastrowid


@contextlib.contextmanager
def batch():
    """`with steps.batch():` stores the block's steps together, in one transaction, when it ends (also
    when it raises). For a group of checks and the state change they decide: the log is read every
    few hundred ms, so one write at the end is as good as one per step, and cheaper. No PG call
    inside: a step before a PG call must be stored before the call goes out. A batch inside a
    batch joins it."""
    if g.get("step_batch") is not None:
        yield
        return
    g.step_batch = []
    try:
        yield
    finally:
        _store(g.pop("step_batch"))


def _store(rows):
    if rows:
        with transaction() as db:
            db.executemany(_INSERT, rows)
        rows.clear()


_INSERT = ("INSERT INTO steps (order_id, phase, name, kind, actor_from, actor_to, summary, verdict,"
           " expected, actual, reported, exchange, code_ref, started_at, duration_ms)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


def _usage(order_id):
    """[steps, exchange characters] this flow has stored: read once per request, then counted here."""
    seen = g.setdefault("step_usage", {})
    if order_id not in seen:
        row = get_db().execute("SELECT COUNT(*), TOTAL(LENGTH(exchange)) FROM steps WHERE order_id = ?",
                               (order_id,)).fetchone()
        seen[order_id] = [row[0], int(row[1])]
    return seen[order_id]


def _clean(text, pairs):
    return _cut(redact.text(text, pairs), MAX_TEXT)


def _cut(text, limit):
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return text[:limit] + "… " + TRUNCATED.format(n=len(text) - limit, what="characters")


def _shrink(value, text, items, depth):
    """A copy of a JSON value with long strings, long lists/objects and deep nesting cut, each cut marked."""
    if isinstance(value, str):
        return _cut(value, text)
    if isinstance(value, (dict, list)) and depth <= 0:
        return TRUNCATED.format(n=len(value), what="nested values")
    if isinstance(value, dict):
        out = {str(k)[:100]: _shrink(v, text, items, depth - 1) for k, v in list(value.items())[:items]}
        if len(value) > items:
            out["…"] = TRUNCATED.format(n=len(value) - items, what="keys")
        return out
    if isinstance(value, list):
        out = [_shrink(v, text, items, depth - 1) for v in value[:items]]
        return out + [TRUNCATED.format(n=len(value) - items, what="items")] if len(value) > items else out
    return value


def _bounded(exchange, room):
    """The exchange as stored JSON, at most MAX_EXCHANGE characters and at most `room` (what is left of
    the flow's budget). A cut exchange says so in its "truncated" key."""
    limit = min(MAX_EXCHANGE, room)
    text = json.dumps(exchange, ensure_ascii=False)
    if len(text) <= limit:
        return text
    for chars, items, depth in ((500, 50, 8), (100, 10, 4)):
        if limit >= 1024:
            small = dict(_shrink(exchange, chars, items, depth), truncated=TRUNCATED.format(
                n=len(text), what="characters in all; long values were cut"))
            cut = json.dumps(small, ensure_ascii=False)
            if len(cut) <= limit:
                return cut
    req, resp = (exchange.get(k) if isinstance(exchange.get(k), dict) else {} for k in ("request", "response"))
    kept = {"request": {"method": str(req.get("method", ""))[:10], "url": _cut(str(req.get("url", "")), 200)},
            "truncated": TRUNCATED.format(n=len(text), what="characters (this flow's log is large)")}
    if resp:
        kept["response"] = {"status": resp.get("status")}
    return json.dumps(kept, ensure_ascii=False)




def _str(value, clean=redact.text):
    """A compared value as stored: a msg() as a message, anything else as plain text (i18n.stored wraps
    text that could be mistaken for a stored message, so a PG's or a browser's value stays data)."""
    if value is None:
        return None
    if isinstance(value, i18n.Msg):      # words, shown in the reader's language (data stays as it is)
        return i18n.stored(value, clean)
    return i18n.stored(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), clean)


def for_order(order_id, after_id=0, limit=1000):
    """The order's steps in the order they happened, those with id > after_id."""
    rows = get_db().execute("SELECT * FROM steps WHERE order_id = ? AND id > ? ORDER BY id LIMIT ?",
                            (order_id, after_id, limit)).fetchall()
    return [as_dict(r) for r in rows]


def as_dict(row):
    d = dict(row)
    d["exchange"] = json.loads(d["exchange"]) if d["exchange"] else None
    d["reported"] = bool(d["reported"])
    return d
