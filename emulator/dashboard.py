"""The emulator's dashboard at /emulator/: payments of both PGs, webhook deliveries, the clock."""
import json

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from . import clock, db, webhooks

bp = Blueprint("dashboard", __name__)


def _sections():
    """Each PG package may offer `dashboard_context()`; its template is '<pg>/dashboard.html'."""
    from . import portone, portone_v2, toss
    out = []
    for name, module in (("portone", portone), ("portone_v2", portone_v2), ("toss", toss)):
        fn = getattr(module, "dashboard_context", None)
        if fn is not None:
            out.append((f"{name}/dashboard.html", fn()))
    return out


@bp.get("/")
def index():
    return render_template("dashboard.html", sections=_sections(), deliveries=webhooks.recent(100),
                           now=clock.now(), skew=clock.offset_at(db.get_db()))


@bp.get("/deliveries/<int:delivery_id>")
def delivery(delivery_id):
    row = db.get_db().execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
    if row is None:
        abort(404)
    out = dict(row)
    out["body"] = json.loads(out["body"])
    out["schedule"] = json.loads(out["schedule"])
    out["attempts_made"] = [dict(a) for a in webhooks.attempts(delivery_id)]
    return jsonify(out)


@bp.post("/deliveries/<int:delivery_id>/resend")
def resend(delivery_id):
    new_id = webhooks.resend(delivery_id)
    if new_id is None:
        abort(404)
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(delivery_id=new_id), 201
    return redirect(url_for("dashboard.index"))
