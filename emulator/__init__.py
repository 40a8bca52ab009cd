"""The emulator app: fake PortOne and Toss over HTTP, with a movable clock and a dashboard.

Mounted at /emulator by the site's app.py, or alone: `flask --app emulator run -p 5001`.
"""
import os

from dotenv import load_dotenv
from flask import Flask

import i18n
import keyfile
import webjson

from . import clock, console, dashboard, db, errors_http, faults, sessions, webhooks

# The credentials the emulator accepts (the shop's emulator-mode defaults). The Toss keys
# are the public docs keys that anyone may use.
DEFAULTS = {
    "EMULATOR_PORTONE_IMP_CODE": "imp00000000",
    "EMULATOR_PORTONE_IMP_KEY": "emulator_imp_key",
    "EMULATOR_PORTONE_IMP_SECRET": "emulator_imp_secret_0000000000000000000000000000000000000000",
    "EMULATOR_PORTONE_WEBHOOK_URL": "",      # console URL; a request's notice_url overrides it
    "EMULATOR_PORTONE_WEBHOOK_FORMAT": "json",  # json | form
    "EMULATOR_PORTONE_V2_STORE_ID": "store-00000000-0000-4000-8000-000000000000",
    "EMULATOR_PORTONE_V2_CHANNEL_KEY": "channel-key-test-00000000-0000-4000-8000-000000000000",  # the TEST channel
    "EMULATOR_PORTONE_V2_LIVE_CHANNEL_KEY": "channel-key-live-00000000-0000-4000-8000-000000000000",  # plays LIVE
    "EMULATOR_PORTONE_V2_API_SECRET": "emulator_v2_api_secret_000000000000000000000000000000000000000000000000",
    "EMULATOR_PORTONE_V2_WEBHOOK_SECRET": "whsec_ZW11bGF0b3ItdjItd2ViaG9vay1zZWNyZXQtMDAwMDAwMDA=",
    "EMULATOR_PORTONE_V2_WEBHOOK_SECRET_2": "",  # a second active secret (rotation): webhooks carry both signatures
    "EMULATOR_PORTONE_V2_WEBHOOK_URL": "",       # console URL; requestPayment's noticeUrls override it
    "EMULATOR_PORTONE_V2_WEBHOOK_VERSION": "2024-04-25",  # 2024-04-25 | 2024-01-01 (legacy body)
    "EMULATOR_TOSS_WEBHOOK_URL": "",          # empty: <site that loaded the widget>/webhooks/toss
    "EMULATOR_WEBHOOK_TIME_SCALE": "1",       # seconds per documented minute of retry delay
    "EMULATOR_PORTONE_MERCHANT_NAME": "PG Sandbox",  # the merchant the hosted windows show
    "EMULATOR_SLOW_SECONDS": "3",             # the windows' "answer slowly" outcome
    "EMULATOR_FAULT_DELAY_S": "15",           # how long a timeout fault holds the answer
    "EMULATOR_FAULT_LATE_S": "600",           # emulator seconds a "late" webhook waits
    "EMULATOR_WEBHOOK_DEADLINE_S": "10",      # one webhook exchange, connect to last byte
    "EMULATOR_WEBHOOK_ALLOWED_ORIGINS": "",   # webhook origins besides the emulator's own; * = any
    "EMULATOR_CONSOLE_PASSWORD": "",          # set: the console asks for it (HTTP Basic, any user name)
    "EMULATOR_SHOP_URL": "",                  # the shop for the console's links; empty: the site it is mounted in
}
SECONDS = ("EMULATOR_WEBHOOK_TIME_SCALE", "EMULATOR_WEBHOOK_DEADLINE_S", "EMULATOR_SLOW_SECONDS",
           "EMULATOR_FAULT_DELAY_S", "EMULATOR_FAULT_LATE_S")


def _configure(app, test_config):
    """The settings: DEFAULTS under the environment (and .env), the database and secret key in instance/, then
    test_config; the durations as numbers."""
    load_dotenv(os.path.join(os.path.dirname(app.root_path), ".env"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update({k: os.environ.get(k) or v for k, v in DEFAULTS.items()})
    app.config.update(
        EMULATOR_DATABASE=os.environ.get("EMULATOR_DATABASE")
        or os.path.join(app.instance_path, "emulator.sqlite3"),
        SECRET_KEY=os.environ.get("EMULATOR_SECRET_KEY")
        or keyfile.instance_secret(os.path.join(app.instance_path, "emulator_secret_key")),
        SESSION_COOKIE_NAME="emulator_session",
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    for key in SECONDS:
        app.config[key] = float(app.config[key])


def _register_blueprints(app):
    """The emulated PGs under their prefixes, the dashboard and the clock."""
    from .portone import bp as portone_bp
    from .portone_v2 import bp as portone_v2_bp
    from .toss import bp as toss_bp
    app.register_blueprint(portone_bp, url_prefix="/portone")
    app.register_blueprint(portone_v2_bp, url_prefix="/portone-v2")
    app.register_blueprint(toss_bp, url_prefix="/toss")
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(clock.bp)


def _headers(response):
    """Every answer's security headers. The hosted window is shown inside the shop's page, so framing is allowed."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; object-src 'none'; base-uri 'self'")
    return response


def create_app(test_config=None):
    """The emulator app, configured from DEFAULTS, the environment and test_config."""
    app = Flask(__name__, instance_path=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "instance"))
    _configure(app, test_config)
    webjson.init_app(app)
    app.session_interface = sessions.SessionInterface()
    db.init_app(app)
    i18n.init_app(app)
    webhooks.init_app(app)
    console.init_app(app)    # before faults: a refused console request spends no fault
    _register_blueprints(app)
    faults.init_app(app)
    errors_http.init_app(app)
    app.after_request(_headers)
    return app
