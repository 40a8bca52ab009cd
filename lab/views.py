"""The attack lab's page (/lab) and its runner (POST /lab/run/<attack>), served only in emulator mode."""
from flask import Blueprint, abort, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _

from . import attacks
from .records import Records

bp = Blueprint("lab", __name__)


def _emulated(cfg=None):
    """The lab never attacks a real PG: every PG must be the emulator."""
    cfg = cfg or current_app.config
    return all(cfg.get(key) == "emulator" for key in ("PORTONE_MODE", "PORTONE_V2_MODE", "TOSS_MODE"))


def init_app(app):
    """Serve the lab only when every PG is the emulator (checked again on every request)."""
    if _emulated(app.config):
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
    """Run one attack against this same site (SITE_URL, never the request's Host: the lab sends the
    merchant's keys to the emulator it names), as a separate browser, and judge it."""
    chosen = attacks.ATTACKS.get(attack)
    if chosen is None:
        return jsonify(error="UNKNOWN_ATTACK", message=_("There is no such attack.")), 404
    cfg = current_app.config
    site = cfg["SITE_URL"].rstrip("/")
    emulator = cfg.get("EMULATOR_URL") or site + "/emulator"
    records = Records(site, emulator, (cfg["PORTONE_IMP_KEY"], cfg["PORTONE_IMP_SECRET"]),
                      (cfg["TOSS_SECRET_KEY"], cfg.get("TOSS_API_SECRET_KEY")), cfg["PORTONE_V2_API_SECRET"])
    # A network attacker's copy of a webhook PortOne signed: the lab signs it with the emulator's secret.
    result = attacks.run(chosen, site, records, float(cfg.get("LAB_SETTLE_S", attacks.SETTLE_S)),
                         webhook_secret=cfg["PORTONE_V2_WEBHOOK_SECRET"])
    current_app.logger.info("attack lab: %s %s", chosen.id, result["verdict"])
    return jsonify(result)
