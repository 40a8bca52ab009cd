"""The emulated PortOne: REST API, browser SDK stand-in, hosted window and webhooks."""
from flask import Blueprint

bp = Blueprint("portone", __name__, static_folder="static", static_url_path="/static")

from .. import webhooks  # noqa: E402
from . import api, sdk, store  # noqa: E402,F401  (api and sdk register the routes on bp)


def dashboard_context():
    """The newest payments with their webhook deliveries, for the emulator dashboard."""
    store.nightly_sweep()
    payments = [dict(store.to_api(row), deliveries=webhooks.for_payment(row["imp_uid"]),
                     pg_cancelled_at=row["pg_cancelled_at"]) for row in store.recent(50)]
    return {"payments": payments, "money": sdk.money, "kst": store.kst_text,
            "nightly_cancel": store.setting("nightly_cancel") == "1"}
