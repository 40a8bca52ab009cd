"""The emulator's dashboard at /emulator/: payments of both PGs (filtered by PG, status, order), webhook
deliveries, the clock."""
import json

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from . import clock, console, db, webhooks

bp = Blueprint("dashboard", __name__)
NAMES = {"portone": "PortOne", "toss": "Toss Payments"}


def _sections():
    """Each PG package may offer `dashboard_context()`; its template is '<pg>/dashboard.html'."""
    from . import portone, portone_v2, toss
    out = []
    for name, module in (("portone", portone), ("portone_v2", portone_v2), ("toss", toss)):
        fn = getattr(module, "dashboard_context", None)
        if fn is not None:
            out.append((name, f"{name}/dashboard.html", fn()))
    return out


def _facts(item):
    """(status, order id) of a payment in a section's list, whatever its shape (PortOne dicts, Toss rows)."""
    row = item.get("row", item) if isinstance(item, dict) else item
    keys = row.keys()
    status = row["status"] if "status" in keys else None
    order = next((row[k] for k in ("merchant_uid", "order_id", "orderId", "payment_id") if k in keys), None)
    return status, order


def _filtered(sections, pg, status, order):
    """The sections the filter keeps, each with only the payments it matches; and every status seen."""
    statuses, out = set(), []
    for name, template, ctx in sections:
        if pg and name != pg:
            continue
        kept = []
        for item in ctx.get("payments", []):
            s, o = _facts(item)
            statuses.add(s)
            if (not status or s == status) and (not order or order.lower() in str(o or "").lower()):
                kept.append(item)
        out.append((name, template, dict(ctx, payments=kept)))
    return out, sorted(s for s in statuses if s)


@bp.get("/")
def index():
    args = {k: request.args.get(k, "")[:100] for k in ("pg", "status", "order")}
    sections = _sections()
    shown, statuses = _filtered(sections, args["pg"] if args["pg"] in NAMES else "", args["status"],
                                args["order"].strip())
    return render_template("dashboard.html", sections=shown, deliveries=webhooks.recent(100), filters=args,
                           pgs=[(name, NAMES.get(name, name)) for name, _t, _c in sections], statuses=statuses,
                           now=clock.now(), skew=clock.offset_at(db.get_db()), reason=webhooks.reason)


@bp.get("/deliveries/<int:delivery_id>")
def delivery(delivery_id):
    row = webhooks.get(delivery_id)
    if row is None:
        abort(404)
    out = dict(row)
    out["body"] = json.loads(out["body"])
    out["schedule"] = json.loads(out["schedule"])
    out["reason"] = webhooks.reason(row["last_error"])
    out["attempts_made"] = [dict(a, error=webhooks.reason(a["error"])) for a in webhooks.attempts(delivery_id)]
    return jsonify(out)


@bp.post("/deliveries/<int:delivery_id>/resend")
def resend(delivery_id):
    new_id = webhooks.resend(delivery_id)
    if new_id is None:
        abort(404)
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(delivery_id=new_id), 201
    new = webhooks.get(new_id)
    if new["status"] == "refused":
        console.done(_("Webhook #%(id)s was not sent again: %(reason)s", id=delivery_id,
                       reason=webhooks.reason(new["last_error"])))
    else:
        console.done(_("Webhook #%(id)s is queued again as #%(new)s.", id=delivery_id, new=new_id),
                     _order_of(new))
    return redirect(url_for("dashboard.index"))


def _order_of(delivery):
    """The order id a delivery's payload names (PortOne merchant_uid, Toss orderId), or None."""
    body = json.loads(delivery["body"])
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    return data.get("merchant_uid") or data.get("orderId")
