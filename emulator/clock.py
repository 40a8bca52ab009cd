"""The emulator's clock: real time plus an offset that tests and the dashboard can move."""
import time

from flask import Blueprint, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from . import console, db

bp = Blueprint("clock", __name__)


def offset_at(conn):
    return conn.execute("SELECT skew FROM clock WHERE id = 1").fetchone()["skew"]


def now():
    """Emulator time in UNIX seconds (float). Read once per request."""
    if "emu_offset" not in g:
        g.emu_offset = offset_at(db.get_db())
    return time.time() + g.emu_offset


def now_at(conn):
    """Emulator time outside a request (the webhook dispatcher)."""
    return time.time() + offset_at(conn)


def advance(seconds):
    with db.transaction() as conn:
        conn.execute("UPDATE clock SET skew = skew + ? WHERE id = 1", (seconds,))
    g.pop("emu_offset", None)


@bp.get("/clock")
def show():
    return jsonify(now=now(), offset=offset_at(db.get_db()))


@bp.post("/clock")
def move():
    """{"advance": seconds} moves the clock forward; {"reset": true} puts it back to real time."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = request.form.to_dict()
    if data.get("reset"):
        with db.transaction() as conn:
            conn.execute("UPDATE clock SET skew = 0 WHERE id = 1")
        g.pop("emu_offset", None)
    else:
        try:
            seconds = float(data.get("advance", ""))
        except (TypeError, ValueError):
            return jsonify(error="BAD_REQUEST", message="Send {\"advance\": seconds}."), 400
        if not 0 <= seconds <= 400 * 86400:
            return jsonify(error="BAD_REQUEST", message="advance must be 0 to 400 days in seconds."), 400
        advance(seconds)
    from . import webhooks
    webhooks.wake()
    if not request.is_json:
        if data.get("reset"):
            console.done(_("The clock is back to real time: %(now)s.", now=console.kst(now())))
        else:
            console.done(_("The clock moved %(minutes)s minutes ahead: it is now %(now)s.",
                           minutes=f"{seconds / 60:g}", now=console.kst(now())))
        return redirect(url_for("dashboard.index"))
    return jsonify(now=now(), offset=offset_at(db.get_db()))
