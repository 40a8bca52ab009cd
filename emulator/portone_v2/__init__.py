"""The emulated PortOne V2 (api.portone.io): REST API, browser SDK stand-in, hosted window, signed webhooks."""
from flask import Blueprint

bp = Blueprint("portone_v2", __name__, static_folder="static", static_url_path="/static")

from .. import webhooks  # noqa: E402
from . import api, sdk, store  # noqa: E402,F401  (api and sdk register the routes on bp)

webhooks.SIGNERS["portone_v2"] = store.sign


def dashboard_context():
    """The newest payments with their attempts and webhook deliveries, for the emulator dashboard."""
    payments = []
    for row in store.recent(50):
        payment = store.to_api(row, with_webhooks=False)
        payments.append(dict(payment, attempts=store.attempts(row["payment_id"]),
                             deliveries=webhooks.for_payment(row["payment_id"])))
    return {"payments": payments, "money": sdk.money}
