"""The emulated Toss Payments: REST API, browser SDK stand-in, hosted window and webhooks."""
from flask import Blueprint

bp = Blueprint("toss", __name__, static_folder="static", static_url_path="/static")


@bp.app_template_filter("toss_won")
def toss_won(amount):
    """15000 -> '15,000' (the template adds the unit through its translated string)."""
    return f"{amount:,}"


def dashboard_context():
    """Recent Toss payments (newest first) with their webhook deliveries, for the emulator dashboard."""
    from .. import clock, webhooks
    from . import store
    store.sweep()
    now = clock.now()
    payments = []
    for row in store.recent(50):
        payments.append({"row": row, "requested_at": store.kst(row["requested_at"]),
                         "deliveries": webhooks.for_payment(row["payment_key"]),
                         "virtual_account": store.to_payment(row, now)["virtualAccount"]})
    return {"payments": payments}


from . import api, billing, sdk  # noqa: E402,F401  (routes register on bp)
