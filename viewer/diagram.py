"""Lays a flow's steps out as a sequence diagram (lifelines, arrows, notes) for templates/flows/diagram.html.

Only positions and words are computed here; the SVG itself is written by the template, so
every text is escaped by Jinja like the rest of the page.
"""
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

import i18n

from shop import providers

from . import explain

LOST = {"timeout": _l("no answer in time"), "unreachable": _l("unreachable"),
        "refused": _l("refused: not a configured PG")}

WIDTH = 860
TOP = 56          # below the lifeline heads
ROW = 34          # one message per row
PHASE_GAP = 20    # extra room above a new phase's first row
LABEL_MAX = 44


def _short(text, limit=LABEL_MAX):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _path_of(url):
    """'/users/getToken' from 'http://127.0.0.1:5000/emulator/portone/users/getToken?x=1'."""
    try:
        path = urlsplit(str(url or "")).path or "/"
    except ValueError:  # not a URL we can read: show it as it is
        return str(url or "")
    for base in sorted(("/emulator" + p.emulator_path for p in providers.all()), key=len, reverse=True):
        if path.startswith(base + "/") or path == base:
            path = path[len(base):] or "/"
            break
    return path


def _label(step):
    """A short label: the step's name without its provider prefix."""
    name = step["name"].split(".", 1)[-1] if "." in step["name"] else step["name"]
    return name


def layout(order, steps):
    """The diagram of one flow: dict(width, height, lifelines, messages, phases).

    Lifelines: Browser, Shop server and the order's PG. Messages, top to bottom:
    - http_out / fault with a request: a request arrow shop → PG and, when an answer came,
      a response arrow back (a lost answer is a short red arrow ending in ✗);
    - http_in: one arrow from actor_from to the shop;
    - browser steps: one arrow, dashed when reported by the browser;
    - checks: a self-arrow on the shop's lifeline, red with ✗ when failed;
    - state and other same-actor steps: a note on that lifeline.
    """
    pg = order["pg"]
    actors = ["browser", "shop", pg]
    gap = (WIDTH - 2 * 130) / 2
    xs = {a: 130 + i * gap for i, a in enumerate(actors)}
    lifelines = [{"actor": a, "name": explain.actor_name(a), "x": xs[a]} for a in actors]

    def x_of(actor):
        if actor in xs:
            return xs[actor]
        return xs[pg] if actor in providers.ids() else xs["shop"]

    messages, phases = [], []
    y, phase = TOP, None
    for s in steps:
        if s["phase"] != phase:
            phase = s["phase"]
            y += PHASE_GAP if phases else 0
            phases.append({"phase": phase, "title": explain.phase_title(phase), "y": y - 10})
            y += 8
        drawn, y = _step_messages(s, x_of(s["actor_from"]), x_of(s["actor_to"]), y)
        messages.extend(drawn)
    height = y + 40
    return {"width": WIDTH, "height": height, "lifelines": lifelines, "messages": messages,
            "phases": phases, "bottom": height - 16}


def _step_messages(s, a, b, y):
    """What one step draws between the lifelines at x a and b, below row y: (messages, the new y)."""
    fail = s["verdict"] == "fail"
    base = {"step_id": s["id"], "phase": s["phase"], "fail": fail, "dashed": bool(s["reported"]),
            "title": i18n.render(s["summary"])}
    exchange = s["exchange"] if isinstance(s["exchange"], dict) else {}
    request = exchange.get("request") if isinstance(exchange.get("request"), dict) else None
    if s["kind"] in ("http_out", "fault") and request and a != b:
        return _exchange_arrows(base, exchange, request, a, b, y)
    if a != b:
        y += ROW
        return [{**base, "kind": "message", "x1": a, "x2": b, "y": y, "label": _short(_label(s))}], y
    if s["kind"] == "check":
        y += ROW + 8
        mark = "✗ " if fail else ("✓ " if s["verdict"] == "pass" else "")
        return [{**base, "kind": "self", "x1": a, "x2": a, "y": y, "label": _short(mark + _label(s))}], y
    y += ROW
    mark = "✗ " if fail else ""
    return [{**base, "kind": "note", "x1": a, "x2": a, "y": y, "label": _short(mark + _label(s))}], y


def _exchange_arrows(base, exchange, request, a, b, y):
    """A request arrow a → b and its answer back, or a short red arrow ending in ✗ when none came."""
    line = f"{request.get('method') or ''} {_path_of(request.get('url'))}".strip()
    y += ROW
    sent = {**base, "kind": "request", "x1": a, "x2": b, "y": y, "label": _short(line), "fail": False}
    response = exchange.get("response") if isinstance(exchange.get("response"), dict) else None
    y += ROW
    if response is not None:
        status = response.get("status")
        return [sent, {**base, "kind": "response", "x1": b, "x2": a, "y": y, "dashed": True,
                       "label": _short(f"HTTP {status}" + _error_code(response)),
                       "fail": isinstance(status, int) and status >= 400}], y
    mid = b + (a - b) * 0.4
    return [sent, {**base, "kind": "lost", "x1": b, "x2": mid, "y": y, "dashed": True,
                   "label": "✗ " + _short(str(LOST.get(exchange.get("error"), LOST["timeout"]))),
                   "fail": True}], y


def _error_code(response):
    body = response.get("body")
    if isinstance(body, dict):
        code = body.get("code")
        if code not in (None, 0, "0"):
            return f" {code}"
    return ""
