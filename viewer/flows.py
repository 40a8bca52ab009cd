"""The step-log pages and JSON: /flows (list), /flows/<id> (timeline + diagram), /flows/compare, /api/flows."""
import heapq
import json
import re
from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

import i18n

from shop import orders, privacy, providers, redact, steps
from shop.db import get_db
from shop.views import browser_word, browser_words, product_name, provider_title

from . import diagram, explain

bp = Blueprint("flows", __name__)

PAGE_SIZE = 50
MARKER = re.compile(r"\[REDACTED:([A-Za-z0-9_.:-]+)\]")
MONEY_HINTS = ("amount", "price", "total", "balance")

# The only order fields a page or JSON answer may show (never pg_secret, vbank, customer_key).
ORDER_FIELDS = ("id", "pg", "sdk", "product_id", "quantity", "order_name", "subtotal", "discount", "amount",
                "pay_method", "buyer_name", "buyer_email", "status", "pg_payment_id", "reason",
                "created_at", "updated_at", "paid_at")
LIST_COLUMNS = ("id", "pg", "product_id", "quantity", "order_name", "amount", "discount", "coupons", "status",
                "reason", "created_at")
PRIVATE_COLUMNS = ("customer_key", "buyer_name", "buyer_email", "vbank")   # read to mask the reason, never shown


class BadFilter(ValueError):
    """A /flows filter or cursor that means nothing."""


# ---- reading ------------------------------------------------------------------------------------

def _filters(args):
    """(pg, statuses, cursor) from the query string; BadFilter on an unknown value."""
    pg, status, verdict = args.get("pg") or None, args.get("status") or None, args.get("verdict") or None
    if pg is not None and pg not in providers.ids():
        raise BadFilter("pg")
    if status is not None and status not in set(orders.Status):
        raise BadFilter("status")
    if verdict is not None and verdict not in explain.VERDICT_STATUSES:
        raise BadFilter("verdict")
    statuses = None
    if verdict:
        statuses = [s for s in explain.VERDICT_STATUSES[verdict] if status in (None, s)]
    elif status:
        statuses = [status]
    cursor = None
    if args.get("before"):
        stamp, _sep, order_id = args["before"].partition("~")
        try:
            cursor = (float(stamp), order_id)
        except ValueError:
            raise BadFilter("before") from None
    return pg, statuses, cursor


def list_flows(pg=None, statuses=None, cursor=None, limit=PAGE_SIZE):
    """Up to `limit` flows newest first, older than cursor (created_at, id); and the next cursor.

    Each query walks one of the created_at indexes and stops after limit+1 rows, whatever the
    table's size; several statuses are read one index range each and merged.
    """
    cols = ", ".join(LIST_COLUMNS + PRIVATE_COLUMNS)
    where, args = [], []
    if cursor:
        where.append("created_at <= ? AND (created_at < ? OR id < ?)")
        args += [cursor[0], cursor[0], cursor[1]]
    if pg:
        where.append("pg = ?")
        args.append(pg)
    db = get_db()
    count_sql = "(SELECT COUNT(*) FROM steps WHERE steps.order_id = orders.id) AS step_count"

    def query(extra_where, extra_args):
        clause = " AND ".join(where + extra_where)
        return db.execute(f"SELECT {cols}, {count_sql} FROM orders"
                          f"{' WHERE ' + clause if clause else ''}"
                          f" ORDER BY created_at DESC, id DESC LIMIT ?",
                          [*args, *extra_args, limit + 1]).fetchall()

    if statuses is None:
        rows = query([], [])
    elif not statuses:
        rows = []
    else:
        runs = [query(["status = ?"], [s]) for s in statuses]
        rows = list(heapq.merge(*runs, key=lambda r: (r["created_at"], r["id"]), reverse=True))[:limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = f"{rows[-1]['created_at']!r}~{rows[-1]['id']}" if more else None
    words = browser_words(rows)     # an open order whose buyer left the PG's window: said so, as on its page
    return [_flow_row(r, words.get(r["id"])) for r in rows], next_cursor


def _flow_row(r, word=None):
    mask = privacy.masker(r)
    reason = i18n.render(r["reason"])
    return {"id": r["id"], "pg": r["pg"], "order_name": r["order_name"], "product": product_name(r),
            "amount": r["amount"],
            "discount": r["discount"], "coupons": [c for c in r["coupons"].split(",") if c],
            "status": r["status"], "shown": "not_charged" if word else r["status"],
            "status_title": str(_("Not paid: nothing was charged") if word else _status_title(r["status"])),
            "word": (mask or str)(i18n.render(word)) if word else "",
            "verdict": explain.verdict_of(r["status"]), "reason": mask(reason) if mask else reason,
            "created_at": r["created_at"], "time": _clock(r["created_at"]), "step_count": r["step_count"]}


def _status_title(status):
    from shop.views import status_title
    return status_title(status)


def _clock(ts):
    """A time as the flows pages show it: in KST, the zone named (order ids are KST-stamped too)."""
    return datetime.fromtimestamp(ts, orders.KST).strftime("%Y-%m-%d %H:%M:%S KST") if ts else ""


def order_summary(order):
    """The whitelisted, JSON-safe view of an order."""
    out = {k: order[k] for k in ORDER_FIELDS}
    out["coupons"] = [c for c in order["coupons"].split(",") if c]
    out["status_title"] = str(_status_title(order["status"]))
    out["verdict"] = explain.verdict_of(order["status"])
    out["reason"] = i18n.render(order["reason"])   # stored as a message: shown in the reader's language
    out["product"] = product_name(order)
    out["time"] = _clock(order["created_at"])
    return out



def latest(pg):
    row = get_db().execute("SELECT id FROM orders WHERE pg = ? ORDER BY created_at DESC LIMIT 1",
                           (pg,)).fetchone()
    return row["id"] if row else None


# ---- one step, for people --------------------------------------------------------------------------

def _money_like(step):
    return any(h in step["name"].lower() for h in MONEY_HINTS)


def _value(value, as_money):
    if value is None:
        return None
    value = i18n.render(value)
    if as_money and re.fullmatch(r"-?\d+", value.strip()):
        from shop.views import money
        return money(int(value))
    return value


def compared(step):
    """'stored 10,000원 = received 10,000원' for a check, or None."""
    expected, actual = step["expected"], step["actual"]
    if expected is None and actual is None:
        return None
    if step["name"].endswith(".status"):   # a transition: before → after, not a comparison
        return f"{i18n.render(expected)} → {i18n.render(actual)}"
    if step["name"].endswith(".check_not_settled") and step["verdict"] == "fail":
        return _("already %(status)s: nothing to confirm again", status=i18n.render(actual))
    as_money = _money_like(step)
    e, a = _value(expected, as_money), _value(actual, as_money)
    if actual is None:
        return _("stored %(expected)s", expected=e)
    if expected is None:
        return _("received %(actual)s", actual=a)
    sign = "≠" if step["verdict"] == "fail" or (step["verdict"] != "pass" and expected != actual) else "="
    return f"{_('stored %(expected)s', expected=e)} {sign} {_('received %(actual)s', actual=a)}"


def _pretty(value):
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, indent=2)
    return str(value)


def exchange_sections(step):
    """The raw exchange as titled text blocks: request line, headers, body, response, error."""
    ex = step["exchange"]
    if not isinstance(ex, dict):
        return []
    out = []
    req = ex.get("request")
    if isinstance(req, dict):
        line = f"{req.get('method') or ''} {req.get('url') or ''}".strip()
        params = req.get("params")
        if isinstance(params, dict) and params:
            line += ("&" if "?" in line else "?") + "&".join(f"{k}={v}" for k, v in params.items())
        out.append({"title": _("Request"), "kind": "request-line", "text": line})
        headers = req.get("headers")
        if headers:
            out.append({"title": _("Request headers"), "kind": "headers",
                        "text": "\n".join(f"{k}: {v}" for k, v in headers.items())})
        if req.get("body") not in (None, "", {}):
            out.append({"title": _("Request body"), "kind": "body", "text": _pretty(req.get("body"))})
    resp = ex.get("response")
    if isinstance(resp, dict):
        out.append({"title": _("Response"), "kind": "status", "text": f"HTTP {resp.get('status')}"})
        if resp.get("headers"):
            out.append({"title": _("Response headers"), "kind": "headers",
                        "text": "\n".join(f"{k}: {v}" for k, v in resp["headers"].items())})
        if resp.get("body") not in (None, ""):
            out.append({"title": _("Response body"), "kind": "body", "text": _pretty(resp.get("body"))})
    if ex.get("error"):
        text = {"timeout": _("timeout: the PG may or may not have acted"),
                "refused": _("refused: this address is not a configured PG, so nothing was sent")}
        out.append({"title": _("No answer"), "kind": "error",
                    "text": text.get(ex["error"], _("the PG could not be reached: nothing was sent"))})
    if ex.get("truncated"):
        out.append({"title": _("Truncated"), "kind": "error", "text": str(ex["truncated"])})
    rest = {k: v for k, v in ex.items() if k not in ("request", "response", "error", "truncated")}
    if rest:
        title = _("Reported by the browser") if step["reported"] else _("Data")
        out.append({"title": title, "kind": "body", "text": _pretty(rest.get("browser", rest))})
    return out


# ---- copy as curl --------------------------------------------------------------------------------

def _placeholder(name, provider):
    """$PORTONE_ACCESS_TOKEN for 'access_token', $TOSS_SECRET_KEY for 'TOSS_SECRET_KEY:base64'."""
    name = name.split(":", 1)[0]
    var = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() or "SECRET"
    if var == "CREDENTIALS":
        var = "SECRET_KEY"
    prefix = provider.upper() + "_"
    return "$" + (var if var.startswith(("PORTONE_", "TOSS_")) else prefix + var)


def _sh(text, provider):
    """text as one shell word; a [REDACTED:X] marker becomes a $VARIABLE that the shell expands."""
    text = str(text)
    if not MARKER.search(text):
        return "'" + text.replace("'", "'\\''") + "'"
    out, pos = [], 0
    for m in MARKER.finditer(text):
        out.append(re.sub(r'([\\"`$])', r"\\\1", text[pos:m.start()]))
        var = _placeholder(m.group(1), provider)
        nxt = text[m.end():m.end() + 1]
        out.append("${" + var[1:] + "}" if nxt and (nxt.isalnum() or nxt == "_") else var)
        pos = m.end()
    out.append(re.sub(r'([\\"`$])', r"\\\1", text[pos:]))
    return '"' + "".join(out) + '"'


def curl(step):
    """A curl command that repeats this call to the PG, secrets as $PLACEHOLDERS; None if not a PG call."""
    provider = step["actor_to"]
    ex = step["exchange"]
    if step["kind"] not in ("http_out", "fault") or provider not in providers.ids() or not isinstance(ex, dict):
        return None
    req = ex.get("request")
    if not isinstance(req, dict) or not req.get("url"):
        return None
    method = (req.get("method") or "GET").upper()
    url = str(req["url"])
    params = req.get("params")
    if isinstance(params, dict) and params:
        url += ("&" if "?" in url else "?") + "&".join(
            f"{quote(str(k))}={v if MARKER.search(str(v)) else quote(str(v))}" for k, v in params.items())
    lines = [" ".join(["curl"] + (["-X", method] if method != "GET" else []) + [_sh(url, provider)])]
    headers = dict(req.get("headers") or {})
    has_type = any(k.lower() == "content-type" for k in headers)
    for key, value in headers.items():
        value = str(value)
        m = MARKER.search(value)
        if key.lower() == "authorization" and value.startswith("Basic ") and m:
            lines.append(f'-u "{_placeholder(m.group(1), provider)}:"')
        else:
            lines.append("-H " + _sh(f"{key}: {value}", provider))
    body = req.get("body")
    if req.get("encoding") == "form" and isinstance(body, dict):
        lines += ["--data-urlencode " + _sh(f"{k}={v}", provider) for k, v in body.items()]
    elif body not in (None, ""):
        if not has_type and req.get("encoding") == "json":
            lines.append("-H 'Content-Type: application/json'")
        text = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
        lines.append("-d " + _sh(text, provider))
    return redact.text(" \\\n  ".join(lines))


# ---- one step as a page and JSON show it ---------------------------------------------------------

def step_view(step, start):
    return {
        "id": step["id"], "phase": step["phase"], "phase_title": explain.phase_title(step["phase"]),
        "name": step["name"], "kind": step["kind"],
        "actor_from": step["actor_from"], "actor_to": step["actor_to"],
        "actors": f"{explain.actor_name(step['actor_from'])} → {explain.actor_name(step['actor_to'])}",
        "summary": i18n.render(step["summary"]), "verdict": step["verdict"], "expected": i18n.render(step["expected"]),
        "actual": i18n.render(step["actual"]), "compared": compared(step), "reported": step["reported"],
        "started_at": step["started_at"], "t_ms": round((step["started_at"] - start) * 1000, 1),
        "duration_ms": step["duration_ms"], "explanation": explain.explanation(step),
        "doc_url": explain.doc_url(step), "code_ref": step["code_ref"], "exchange": step["exchange"],
        "curl": curl(step),
    }


def flow_data(order):
    """The order summary and every step, ready for the page and the JSON answers (the buyer's personal
    data masked unless this browser placed the order), the raw rows, and the mask (None: nothing hidden)."""
    rows = steps.for_order(order["id"], limit=5000)
    start = min([order["created_at"]] + [s["started_at"] for s in rows[:1]])
    summary, views = order_summary(order), [step_view(s, start) for s in rows]
    mask = privacy.masker(order, rows)
    return (summary, views, rows, mask) if mask is None else (mask(summary), mask(views), rows, mask)


def _order_or_404(order_id):
    order = orders.get(order_id)
    if order is None:
        abort(404)
    return order


def _elapsed(ms):
    if ms is None:
        return ""
    return f"+{ms / 1000:.2f} s" if ms >= 1000 else f"+{ms:.0f} ms"


def _duration(ms):
    if ms is None:
        return ""
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


@bp.app_template_filter("redacted")
def redacted_filter(text):
    """Escape text, then show each [REDACTED:NAME] marker as a visible mark."""
    escaped = str(escape(text or ""))
    return Markup(MARKER.sub(lambda m: f'<mark class="redacted" title="{escape(m.group(1))}">'
                                       f'[REDACTED:{escape(m.group(1))}]</mark>', escaped))


@bp.app_template_global()
def livelog_config():
    """What the checkout page's live logs need: URL patterns and every word they show."""
    return {
        "steps_url": url_for("flows.flow_steps", order_id="__ID__"),
        "flow_url": url_for("flows.flow", order_id="__ID__"),
        "phases": {p: explain.phase_title(p) for p in steps.PHASES},
        "actors": {a: explain.actor_name(a) for a in steps.actors()},
        "statuses": {**{s.value: str(_status_title(s)) for s in orders.Status},
                     "not_charged": _("Not paid: nothing was charged")},
        "final": [s.value for s in orders.FINAL],
        "words": {"heading": _("Step log"), "reported": _("reported by the browser, not verified"),
                  "open_flow": _("See every step"), "details": _("details"),
                  "waiting": _("Waiting for the first step…"), "arrow": "→"},
    }


@bp.app_template_global()
def step_explanation(name, summary=""):
    """The plain, translated line for a step name (e.g. a failed check on a refusal page)."""
    return explain.explanation({"name": name, "summary": summary})


# ---- routes --------------------------------------------------------------------------------------

@bp.get("/api/flows/<order_id>/steps")
def flow_steps(order_id):
    """Steps after ?after=<step id>, for the live log: {order_id, status, steps}; each summary in the
    request's language."""
    order = _order_or_404(order_id)
    after = request.args.get("after", 0, type=int)
    rows = steps.for_order(order_id, after)
    for s in rows:
        s["summary"] = i18n.render(s["summary"])
    if not privacy.owns(order):     # the live log of someone else's order: masked (PII read from every step)
        rows = privacy.masker(order, steps.for_order(order_id, limit=5000) if after else rows)(rows)
    shown = "not_charged" if browser_word(order) else order["status"]   # a closed window is said as such
    return jsonify(order_id=order_id, status=order["status"], shown=shown, steps=rows)


@bp.get("/flows")
def flow_list():
    try:
        pg, statuses, cursor = _filters(request.args)
    except BadFilter:
        pg, statuses, cursor = None, None, None
    rows, next_cursor = list_flows(pg, statuses, cursor)
    keep = {k: request.args[k] for k in ("pg", "status", "verdict") if request.args.get(k)}
    return render_template("flows/list.html", rows=rows, filters=keep, statuses=list(orders.Status),
                           verdicts=explain.VERDICT_TITLES, providers=providers.ids(),
                           next_url=url_for("flows.flow_list", **keep, before=next_cursor) if next_cursor else None,
                           first_url=url_for("flows.flow_list", **keep) if cursor else None)


@bp.get("/api/flows")
def api_flow_list():
    try:
        pg, statuses, cursor = _filters(request.args)
    except BadFilter as e:
        return jsonify(error="BAD_FILTER", message=_("Unknown value for %(name)s.", name=str(e))), 400
    rows, next_cursor = list_flows(pg, statuses, cursor)
    keep = {k: request.args[k] for k in ("pg", "status", "verdict") if request.args.get(k)}
    for r in rows:
        r["url"] = url_for("flows.api_flow", order_id=r["id"])
    return jsonify(flows=rows, next_cursor=next_cursor,
                   next=url_for("flows.api_flow_list", **keep, before=next_cursor) if next_cursor else None)


def recent(limit=50):
    """The newest flows for the compare page's pickers, grouped by PG: [(PG title, [(id, label)])], newest first;
    label = time · PG · outcome · amount · id."""
    rows, _cursor = list_flows(limit=limit)
    return [(provider_title(pg), [(r["id"], f"{r['time']} · {provider_title(pg)} · {r['status_title']} · "
                                            f"{i18n.money(r['amount'])} · {r['id']}") for r in rows if r["pg"] == pg])
            for pg in providers.ids() if any(r["pg"] == pg for r in rows)]



@bp.get("/flows/compare")
def compare():
    a_id = request.args.get("a") or latest("portone")
    b_id = request.args.get("b") or latest("toss")
    a = _order_or_404(a_id) if a_id else None
    b = _order_or_404(b_id) if b_id else None
    picks = recent()
    a_order, a_steps = flow_data(a)[:2] if a else (None, [])
    b_order, b_steps = flow_data(b)[:2] if b else (None, [])
    rows = [{"phase": p, "title": explain.phase_title(p), "hint": str(explain.PHASE_HINTS[p]),
             "difference": explain.difference(p, a, b),
             "a": [s for s in a_steps if s["phase"] == p], "b": [s for s in b_steps if s["phase"] == p]}
            for p in steps.PHASES]
    return render_template("flows/compare.html", a=a_order, b=b_order, rows=rows, recent=picks,
                           listed={i for _title, flows in picks for i, _label in flows})


@bp.get("/flows/<order_id>")
def flow(order_id):
    order = _order_or_404(order_id)
    summary, views, rows, mask = flow_data(order)
    for v in views:
        v["elapsed"], v["took"] = _elapsed(v["t_ms"]), _duration(v["duration_ms"])
        v["sections"] = exchange_sections(v)
    by_phase = request.args.get("view") == "phase"
    if by_phase:
        views.sort(key=lambda v: steps.PHASES.index(v["phase"]))   # stable: time order within a phase
    else:
        mark_out_of_order(views)
    drawn = diagram.layout(order, rows)
    return render_template("flow.html", order=summary, steps=views, by_phase=by_phase, word=browser_word(order),
                           diagram=mask(drawn) if mask else drawn, phases=steps.PHASES)


BROWSER_SIDE = ("checkout", "authenticate", "return")   # what the browser does and reports


def mark_out_of_order(views):
    """Mark each browser-side step recorded after the server had already gone further (a webhook, a read-back,
    a settle came first): `late_after` is the title of the furthest phase reached before it."""
    top = -1
    for v in views:
        rank = steps.PHASES.index(v["phase"])
        late = v["phase"] in BROWSER_SIDE and top > steps.PHASES.index("return")
        v["late_after"] = explain.phase_title(steps.PHASES[top]) if late else None
        top = max(top, rank)


@bp.get("/api/flows/<order_id>")
def api_flow(order_id):
    summary, views, _rows, _mask = flow_data(_order_or_404(order_id))
    return jsonify(order=summary, steps=views)


@bp.get("/flows/<order_id>.json")
def flow_download(order_id):
    summary, views, _rows, _mask = flow_data(_order_or_404(order_id))
    resp = jsonify(order=summary, steps=views)
    resp.headers["Content-Disposition"] = f'attachment; filename="flow-{order_id}.json"'
    return resp
