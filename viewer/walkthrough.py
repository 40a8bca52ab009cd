"""The guided walkthrough at /walkthrough: one real PortOne and one real Toss payment, phase by phase.

The learner pays once in each column (the checkout's own panels, embedded); then each of the
nine phases gets two slides, side by side for both PGs: what is about to happen and why, then
the steps the shop recorded (read from /api/flows/<id>) and what to notice in them.
The walkthrough follows this browser's newest order per PG since it started (or the flows
named in ?portone=&toss=).
"""
import time

from flask import Blueprint, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from shop import catalog, config, orders, providers, steps
from shop import views as shop_views
from shop.db import get_db
from shop.portone_v2.views import portone_version

from shop.toss.views import toss_sdk

from . import explain

bp = Blueprint("walkthrough", __name__)

SESSION = "walkthrough_since"

# Before a phase: what is about to happen, and why it matters.
BEFORE = {
    "order": _l("Before any PG is involved, the shop's server prices the order from its own catalogue and "
                "stores it. This stored amount is what every later check compares against; a number sent "
                "by the browser is never used."),
    "checkout": _l("The browser calls the PG's SDK with the stored order id and amount. This happens in the "
                   "buyer's browser, so the shop records it only as reported by the browser."),
    "authenticate": _l("The buyer approves in the PG's own window. The shop's page never sees the card."),
    "return": _l("The PG hands control back through the browser, with a callback or a redirect. Anything in "
                 "it could be forged, so the shop takes it as a hint, never as proof."),
    "server_auth": _l("From here on the shop's server talks to the PG directly, with credentials the browser "
                      "never sees."),
    "approve": _l("The server asks the PG itself about the payment. This is where the payment becomes real "
                  "for the shop."),
    "verify": _l("The shop compares what the PG says with what it stored. A mismatch is treated as a forgery: "
                 "the payment is cancelled at the PG."),
    "notify": _l("The PG also tells the shop's server directly, with a webhook. It may come before or after "
                 "the browser returns, more than once, or not at all."),
    "settle": _l("The order's status changes in one atomic update, so the callback, the redirect and the "
                 "webhook can never settle it twice."),
}

# Before a phase, per PG: what this PG does in it.
PLAN = {
    "order": {"portone": _l("The order id becomes PortOne's merchant_uid."),
              "toss": _l("The order id becomes Toss's orderId; the widget is shown for the stored amount.")},
    "checkout": {"portone": _l("IMP.request_pay(params, callback) with merchant_uid and amount."),
                 "toss": _l("widget.requestPayment with orderId, orderName, successUrl and failUrl.")},
    "authenticate": {"portone": _l("PortOne's window: when the buyer approves, the payment is already "
                                   "approved."),
                     "toss": _l("Toss's window: the buyer authenticates, but no money moves until the shop "
                                "confirms.")},
    "return": {"portone": _l("The callback's rsp (imp_uid, merchant_uid) is forwarded to POST "
                             "/payments/complete."),
               "toss": _l("The browser is sent to successUrl?paymentKey&orderId&amount.")},
    "server_auth": {"portone": _l("POST /users/getToken: an access token, valid 30 minutes."),
                    "toss": _l("No token: Basic auth with the secret key on every call.")},
    "approve": {"portone": _l("GET /payments/{imp_uid}: read the payment back."),
                "toss": _l("POST /v1/payments/confirm: approve it, within 10 minutes.")},
    "verify": {"portone": _l("Amount, status and merchant_uid of the payment read back."),
               "toss": _l("The redirect's amount before confirm, then Toss's answer after it.")},
    "notify": {"portone": _l("A webhook with imp_uid and status, to the notice_url."),
               "toss": _l("PAYMENT_STATUS_CHANGED (or DEPOSIT_CALLBACK for a virtual account).")},
    "settle": {"portone": _l("Paid, or cancelled at PortOne after a forgery (POST /payments/cancel)."),
               "toss": _l("Paid, or cancelled at Toss (POST /v1/payments/{paymentKey}/cancel).")},
}

# Before a phase, for Toss with SDK v2 (/walkthrough?toss_sdk=v2): what it does instead.
PLAN_TOSS_V2 = {
    "order": _l("The order id becomes Toss's orderId; the server's amount goes to widgets.setAmount."),
    "checkout": _l("widgets.requestPayment with orderId, orderName, successUrl and failUrl (or payment()."
                   "requestPayment with the amount, without the widget)."),
    "server_auth": _l("No token: Basic auth with the secret key of the order's key pair on every call."),
}

# After a phase, per PG: what to notice in the recorded steps.
NOTICE = {
    "order": {"portone": _l("Notice the amount the server stored: it is the reference for the amount check "
                            "later on."),
              "toss": _l("Same server-side pricing as PortOne: the browser only named a product, a quantity "
                         "and coupons.")},
    "checkout": {"portone": _l("The amount in request_pay came from the server, but a tampered browser could "
                               "change it here; that is why the server checks it later."),
                 "toss": _l("These steps are reported by the browser: the shop keeps them for the record and "
                            "trusts none of them.")},
    "authenticate": {"portone": _l("With PortOne V1 the money has moved once the buyer approved: from now on "
                                   "the shop verifies, and cancels if something is wrong."),
                     "toss": _l("With Toss nothing is charged yet: if the shop never confirms, the payment "
                                "expires.")},
    "return": {"portone": _l("Only imp_uid and merchant_uid are used; a status or amount in rsp is ignored."),
               "toss": _l("Notice the amount in the success URL: the shop compares it with the stored amount "
                          "before confirming.")},
    "server_auth": {"portone": _l("The token is cached and reused until it expires; the secret never reaches "
                                  "the page (it shows as a [REDACTED] marker)."),
                    "toss": _l("The secret key is sent only by the server, as Basic auth; the step log shows "
                               "it redacted.")},
    "approve": {"portone": _l("Notice the read-back: the shop believes only what PortOne's API says, not what "
                              "the browser said."),
                "toss": _l("Notice the confirm: only this call moves the money, and its Idempotency-Key makes "
                           "a retry safe.")},
    "verify": {"portone": _l("Notice the amount check: the amount PortOne reports must equal the stored "
                             "amount, or the order is a forgery and is cancelled."),
               "toss": _l("Notice the amount check before confirm, and the check of Toss's totalAmount after "
                          "it.")},
    "notify": {"portone": _l("Notice the webhook: the shop reads the payment again, finds the order already "
                             "settled and changes nothing."),
               "toss": _l("Notice the webhook: the shop re-reads the payment from Toss before acting on it.")},
    "settle": {"portone": _l("One atomic status change: whichever of callback or webhook came first settled "
                             "the order."),
               "toss": _l("One atomic status change: a refresh of the success page shows the result again, it "
                          "does not confirm twice.")},
}

# The same, for PortOne V2 (the walkthrough's PortOne column follows the version the checkout page offers).
PLAN["order"]["portone_v2"] = _l("The order id becomes the paymentId itself; the server pre-registers its "
                                 "amount at PortOne.")
PLAN["checkout"]["portone_v2"] = _l("PortOne.requestPayment({storeId, channelKey, paymentId, totalAmount, ...}) "
                                    "returns a Promise.")
PLAN["authenticate"]["portone_v2"] = _l("PortOne's window: when the buyer approves, the payment is already "
                                        "approved.")
PLAN["return"]["portone_v2"] = _l("The Promise resolves with paymentId; the page posts it to POST "
                                  "/portone-v2/complete.")
PLAN["server_auth"]["portone_v2"] = _l("No token: the API secret goes on every call (Authorization: PortOne "
                                       "<secret>).")
PLAN["approve"]["portone_v2"] = _l("GET /payments/{paymentId}: read the payment back.")
PLAN["verify"]["portone_v2"] = _l("paymentId, amount.total, currency, status and the channel of the payment read "
                                  "back.")
PLAN["notify"]["portone_v2"] = _l("A Transaction.Paid webhook signed as Standard Webhooks, to the noticeUrls.")
PLAN["settle"]["portone_v2"] = _l("Paid, or cancelled at PortOne (POST /payments/{paymentId}/cancel).")
NOTICE["order"]["portone_v2"] = _l("Notice the pre-registration: PortOne will refuse any other amount for this "
                                   "paymentId.")
NOTICE["checkout"]["portone_v2"] = _l("The paymentId is the order id: PortOne lets it be tried many times but paid "
                                      "only once.")
NOTICE["authenticate"]["portone_v2"] = _l("As with V1, the money has moved once the buyer approved: the shop "
                                          "verifies next.")
NOTICE["return"]["portone_v2"] = _l("Only the paymentId is used; a code or message from the Promise is a hint for "
                                    "the page.")
NOTICE["server_auth"]["portone_v2"] = _l("The API secret never reaches the page; the step log shows it redacted.")
NOTICE["approve"]["portone_v2"] = _l("Notice the read-back: the shop believes only what PortOne's API says.")
NOTICE["verify"]["portone_v2"] = _l("Notice the channel check: a payment on a channel that is not the shop's is "
                                    "refused and cancelled.")
NOTICE["notify"]["portone_v2"] = _l("Notice the signature check before anything is read: a forged or stale webhook "
                                    "is refused.")
NOTICE["settle"]["portone_v2"] = _l("One atomic status change: whichever of the page or the webhook came first "
                                    "settled the order.")

# The steps each phase points at (step-name prefixes), highlighted on its slide.
KEY_STEPS = {
    "order": ("portone.price_order", "portone_v2.price_order", "portone_v2.pre_register", "toss.price_order"),
    "checkout": ("portone.request_pay", "portone_v2.request_payment", "toss.request_payment"),
    "authenticate": ("portone.window", "toss.window"),
    "return": ("portone.callback", "portone.complete", "portone.redirect", "portone_v2.response",
               "portone_v2.complete", "portone_v2.redirect", "toss.success"),
    "server_auth": ("portone.get_token", "portone.token", "portone_v2.auth", "toss.auth"),
    "approve": ("portone.get_payment", "portone_v2.get_payment", "toss.confirm"),
    "verify": ("portone.check_amount", "portone_v2.check_amount", "portone_v2.check_channel", "toss.check_amount",
               "toss.check_total_amount"),
    "notify": ("portone.webhook", "portone_v2.webhook", "toss.webhook"),
    "settle": ("portone.status", "portone_v2.status", "toss.status"),
}


def _flow_ids():
    """{pg: order id or None}: ?portone= / ?toss= when they name that PG's order, else this browser's
    newest order per PG since the walkthrough started."""
    since = session.get(SESSION, 0)
    ids = {}
    for pg in columns():
        asked = orders.get(request.args.get(pg))
        if asked is not None and asked["pg"] == pg:
            ids[pg] = asked["id"]
            continue
        row = get_db().execute(
            "SELECT id FROM orders WHERE pg = ? AND customer_key = ? AND created_at >= ?"
            " ORDER BY created_at DESC LIMIT 1", (pg, shop_views.customer_key(), since)).fetchone()
        ids[pg] = row["id"] if row else None
    return ids


# The pages a walkthrough passes through: only they offer the way back to it.
RESUME_ON = ("shop.checkout", "shop.order_result", "flows.flow", "flows.compare", "toss.success", "toss.fail")


@bp.app_template_global()
def walkthrough_active():
    """True on the pages of a payment while this browser is in a walkthrough (they offer the way back)."""
    return has_request_context() and request.endpoint in RESUME_ON and SESSION in session


def columns():
    """The walkthrough's two PGs: the PortOne the checkout page offers (?portone=v1|v2, remembered), and Toss."""
    return ("portone_v2" if portone_version() == "v2" else "portone", "toss")


def _config(ids):
    """What static/js/walkthrough.js needs: URL patterns, the followed flows, every word it shows."""
    return {
        "pgs": columns(),
        "flows": ids,
        "flow_api": url_for("flows.api_flow", order_id="__ID__"),
        "flow_url": url_for("flows.flow", order_id="__ID__"),
        "code_url": url_for("code.show", path="__PATH__"),
        "key_steps": KEY_STEPS,
        "final": [s.value for s in orders.FINAL],
        "words": {
            "progress": _("Slide %(n)s of %(total)s", n="{n}", total="{total}"),
            "no_flow": _("No payment with this PG yet: go back to the start (Home key) and pay."),
            "no_step": _("No step was recorded in this phase."),
            "no_step_notify": _("No webhook has arrived yet. It comes a moment after the payment: come back to "
                                "this slide in a few seconds."),
            "no_step_authenticate": _("Nothing to record here: this happens inside the PG's window, and the "
                                      "shop's page sees none of it. That is the point."),
            "loading": _("Reading the recorded steps…"),
            "failed": _("The recorded steps could not be read. Try this slide again."),
            "reported": _("reported by the browser, not verified"),
            "key": _("look here"),
            "code": _("code"),
            "details": _("details"),
            "waiting": _("Waiting for a payment…"),
            "order": _("Order %(id)s", id="{id}"),
        },
    }


@bp.get("/walkthrough")
def index():
    """The slides: start (pay in each column), then before/after for each phase, then the outcome."""
    if SESSION not in session:
        session[SESSION] = time.time()
    ids = _flow_ids()
    v2 = toss_sdk() == "v2"
    phases = [{"phase": p, "number": i, "title": explain.phase_title(p), "hint": str(explain.PHASE_HINTS[p]),
               "before": str(BEFORE[p]),
               "plan": {pg: str(PLAN_TOSS_V2.get(p, PLAN[p][pg]) if pg == "toss" and v2 else PLAN[p][pg])
                        for pg in providers.ids()},
               "sdk_difference": str(explain.TOSS_SDK_DIFFERENCES[p]) if v2 else "",
               "notice": {pg: str(NOTICE[p][pg]) for pg in providers.ids()}}
              for i, p in enumerate(steps.PHASES, 1)]
    return render_template("walkthrough/index.html", phases=phases, pgs=columns(), products=catalog.PRODUCTS,
                           customer_key=shop_views.customer_key(), modes=config.modes(),
                           wt_config=_config(ids))


@bp.post("/walkthrough/restart")
def restart():
    """Start over: follow only the orders made from now on."""
    session[SESSION] = time.time()
    return redirect(url_for("walkthrough.index"))


@bp.post("/walkthrough/end")
def end():
    """Leave the walkthrough (the header stops offering the way back)."""
    session.pop(SESSION, None)
    return redirect(url_for("shop.checkout"))
