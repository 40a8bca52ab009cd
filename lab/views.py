"""The attack lab's page (/lab) and its runner (POST /lab/run/<attack>), served only in emulator mode."""
from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from . import attacks
from .records import Records

bp = Blueprint("lab", __name__)


def _emulated():
    """The lab never attacks a real PG: both PGs must be the emulator."""
    cfg = current_app.config
    return cfg.get("PORTONE_MODE") == "emulator" and cfg.get("TOSS_MODE") == "emulator"


def init_app(app):
    """Serve the lab only when both PGs are the emulator (checked again on every request)."""
    if app.config.get("PORTONE_MODE") == "emulator" and app.config.get("TOSS_MODE") == "emulator":
        app.register_blueprint(bp)


@bp.before_request
def _only_against_the_emulator():
    if not _emulated():
        abort(404)


@bp.app_template_global()
def lab_url():
    """The nav link (defined only where the lab is registered)."""
    return url_for("lab.index")


@bp.get("/lab")
def index():
    groups = [(key, title, [a for a in attacks.ATTACKS.values() if a.group == key])
              for key, title in attacks.GROUPS.items()]
    return render_template("lab/index.html", groups=groups, count=len(attacks.ATTACKS))


@bp.post("/lab/run/<attack>")
def run(attack):
    """Run one attack against this same site (request.host_url), as a separate browser, and judge it."""
    chosen = attacks.ATTACKS.get(attack)
    if chosen is None:
        return jsonify(error="UNKNOWN_ATTACK", message=_("There is no such attack.")), 404
    cfg = current_app.config
    site = request.host_url.rstrip("/")
    emulator = cfg.get("EMULATOR_URL") or site + "/emulator"
    records = Records(site, emulator, (cfg["PORTONE_IMP_KEY"], cfg["PORTONE_IMP_SECRET"]),
                      (cfg["TOSS_SECRET_KEY"], cfg.get("TOSS_API_SECRET_KEY")))
    result = attacks.run(chosen, site, records, float(cfg.get("LAB_SETTLE_S", attacks.SETTLE_S)))
    current_app.logger.info("attack lab: %s %s", chosen.id, result["verdict"])
    return jsonify(result)
