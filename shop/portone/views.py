"""Routes of the shop's PortOne (I'mport V1) flow: order + pre-registration, callback, redirect, webhook.

Every way PortOne's answer reaches the shop (the page's callback, the m_redirect_url redirect,
the webhook) ends in the same function, verify_payment(): token -> GET /payments/{imp_uid} ->
checks -> one orders.transition(). The browser's and the webhook's words only say *which*
payment to look at; what happened is read from PortOne itself.
"""
import re
import time
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import i18n
from i18n import msg

from .. import config, orders, steps
from .. import views as shop_views
from ..catalog import N_
from ..http import PGError, PGTimeout, PGUnreachable
from ..orders import Status
from ..security import csrf_exempt
from . import client, verify

bp = Blueprint("portone", __name__)

PG_PROVIDERS = {"html5_inicis": _l("KG Inicis"), "kcp": _l("NHN KCP"), "nice": _l("NICE Payments"),
                "tosspayments": _l("Toss Payments (via PortOne)")}
PAY_METHODS = {"card": _l("Card"), "trans": _l("Bank transfer"), "vbank": _l("Virtual account"),
               "phone": _l("Mobile phone"), "samsung": _l("Samsung Pay")}
# imp_uid and merchant_uid become URL path segments at PortOne: accept only their documented shapes.
PAYMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# What each decision does to the order: the statuses it may move from, and to.
MOVES = {
    verify.PAID: (orders.OPEN, Status.PAID),
    verify.AWAITING_DEPOSIT: ((Status.PENDING, Status.UNKNOWN), Status.AWAITING_DEPOSIT),
    verify.FAILED: (orders.OPEN, Status.FAILED),
    verify.CANCELLED: ((Status.PAID,), Status.CANCELLED),
    verify.FORGED: (orders.OPEN, Status.FORGED),
}


@dataclass
class Outcome:
    """What a request learnt: the order as it is now, and the answer for whoever asked."""
    order: object
    http_status: int = 200
    error: str = None
    message: str = ""      # plain text for this reader, or a stored i18n.msg() (rendered when answered)


# --- the page: settings, order creation ---------------------------------------------------------

@bp.app_template_global()
def portone_settings():
    """What the checkout page needs for IMP (none of it secret)."""
    site = config.site_url()
    legacy = request.args.get("portone_sdk") == "1.2.0" and config.mode("portone") == "emulator"
    if config.mode("portone") == "live":
        sdk_url = config.LIVE["portone"]["sdk"]
    elif legacy:
        sdk_url = config.emulator_url() + "/portone/js/iamport.payment-1.2.0.js"
    else:
        sdk_url = config.emulator_url() + "/portone/v1/iamport.js"
    default_pg = current_app.config["PORTONE_PG"]
    return {"imp_code": current_app.config["PORTONE_IMP_CODE"], "sdk_url": sdk_url,
            "sdk_version": "1.2.0" if legacy else "1.3.0", "notice_url": site + url_for("portone.webhook"),
            "redirect_url": site + url_for("portone.complete_redirect"), "pgs": PG_PROVIDERS,
            "default_pg": default_pg if default_pg in PG_PROVIDERS else "html5_inicis",
            "pay_methods": PAY_METHODS}


@bp.post("/portone/orders")
def create_order():
    """Store the order (priced here, like POST /api/orders) and, if asked, pre-register its amount
    at PortOne so that the payment window refuses any other amount."""
    data = shop_views.json_body()
    if data is None:
        return shop_views.refused("BAD_REQUEST", N_("Send a JSON object."))
    if data.get("pay_method", "card") not in PAY_METHODS:
        return shop_views.refused("BAD_PAY_METHOD", N_("Choose a payment method PortOne offers here."))
    order, refusal = shop_views.place_order("portone", dict(data, pay_method=data.get("pay_method", "card")))
    if refusal is not None:
        return refusal
    answer = dict(shop_views.order_view(order), prepared=False)
    if data.get("prepare") is True:
        try:
            client.prepare(order["id"], order["id"], order["amount"])
        except PGError:
            steps.record(order["id"], "order", "portone.prepare_failed", msg("PortOne did not register the amount; "
                         "the page will not open the payment window for this order"), kind="state", verdict="fail")
            return jsonify(answer, error="PREPARE_FAILED", message=_(
                "PortOne did not pre-register the amount, so the payment window was not opened. "
                "Nothing was charged; try again.")), 502
        answer["prepared"] = True
    return jsonify(answer), 201


# --- the three ways PortOne's answer comes back ----------------------------------------------------

@bp.post("/payments/complete")
def complete():
    """The page's IMP.request_pay callback posts {imp_uid, merchant_uid[, error_code, error_msg]}."""
    data = shop_views.json_body()
    if data is None:
        return shop_views.refused("BAD_REQUEST", N_("Send a JSON object."))
    order = _portone_order(data.get("merchant_uid"))
    if order is None:
        return shop_views.refused("NOT_FOUND", N_("There is no such order."), 404)
    steps.record(order["id"], "return", "portone.complete",
                 msg("The page posted the callback's result to the shop (the browser's word, to be checked "
                     "with PortOne)"), kind="http_in", actor_from="browser", actor_to="shop", verdict="info",
                 exchange={"request": {"method": "POST", "url": request.path, "body": data}})
    outcome = _returned(order, data.get("imp_uid"), data.get("error_code"), data.get("error_msg"))
    return _json(outcome)


@bp.get("/payments/complete")
def complete_redirect():
    """m_redirect_url: PortOne sends the buyer here with ?imp_uid&merchant_uid[&error_code&error_msg]."""
    args = request.args
    order = _portone_order(args.get("merchant_uid"))
    if order is None:
        abort(404)
    steps.record(order["id"], "return", "portone.redirect",
                 msg("PortOne sent the buyer back to m_redirect_url (the query is the browser's word, to be "
                     "checked with PortOne)"), kind="http_in", actor_from="browser", actor_to="shop", verdict="info",
                 exchange={"request": {"method": "GET", "url": request.path, "params": args.to_dict()}})
    _returned(order, args.get("imp_uid"), args.get("error_code"), args.get("error_msg"))
    return redirect(url_for("shop.order_result", order_id=order["id"]), 303)


@bp.post("/webhooks/portone")
@csrf_exempt
def webhook():
    """PortOne's notification {imp_uid, merchant_uid, status}, JSON or form. It is not signed: only
    imp_uid is used, and the payment is read back from PortOne. 200 = handled or ignored;
    400 = malformed; 503 = PortOne could not be asked, so please send it again."""
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    imp_uid = data.get("imp_uid") if isinstance(data, dict) else None
    if not isinstance(imp_uid, str) or not PAYMENT_ID.match(imp_uid):
        return jsonify(result="malformed", message="Send imp_uid (JSON or form)."), 400
    # Which flow to log this in: the order that already has this imp_uid, else the one the body names.
    # Neither is trusted for the outcome; verify_payment() goes by what PortOne says.
    named = orders.by_payment("portone", imp_uid) or _portone_order(data.get("merchant_uid"))
    if named is not None:
        steps.record(named["id"], "notify", "portone.webhook",
                     msg("PortOne's webhook says %(imp_uid)s is %(status)s (not signed: the shop reads the payment "
                         "back)", imp_uid=imp_uid, status=repr(str(data.get("status"))[:20])), kind="http_in", actor_from="portone", actor_to="shop",
                     verdict="info", exchange={"request": {"method": "POST", "url": request.path, "body": data}})
    outcome = verify_payment(named, imp_uid, named_by_browser=False)
    if outcome.order is None:
        current_app.logger.info("PortOne webhook for %s (merchant_uid %r): %s", imp_uid,
                                str(data.get("merchant_uid"))[:64], outcome.error or "no such order here")
        if outcome.http_status >= 500:
            return jsonify(result="retry", message="PortOne could not be asked; send it again."), 503
        return jsonify(result="ignored", message="No order of this shop has this payment."), 200
    if outcome.http_status >= 500:
        steps.record(outcome.order["id"], "notify", "portone.webhook_retry", msg("PortOne could not be asked about "
                     "this webhook: answered 503, so PortOne sends it again later"), kind="state", verdict="info")
        return jsonify(result="retry", status=outcome.order["status"],
                       message="PortOne could not be asked; send it again."), 503
    return jsonify(result="ignored" if outcome.error else "handled", status=outcome.order["status"]), 200


def _portone_order(merchant_uid):
    if not isinstance(merchant_uid, str) or not PAYMENT_ID.match(merchant_uid):
        return None
    order = orders.get(merchant_uid)
    return order if order is not None and order["pg"] == "portone" else None


def _returned(order, imp_uid, error_code, error_msg):
    """The browser came back (callback or redirect). Its success or error is only a hint."""
    oid = order["id"]
    if error_code:
        steps.record(oid, "return", "portone.browser_error",
                     msg("The payment window reported error %(code)s: %(message)s (not trusted either way: the shop "
                         "asks PortOne)", code=str(error_code)[:40], message=str(error_msg)[:200]), kind="browser", actor_from="browser",
                     verdict="info", reported=True)
    if imp_uid is None or imp_uid == "":
        if not error_code:
            steps.record(oid, "verify", "portone.refused", msg("No imp_uid and no error: nothing to look up"),
                         kind="check", verdict="fail")
            return Outcome(order, 400, "MISSING_IMP_UID", _("Send the imp_uid PortOne gave the page."))
        return verify_payment(order, None, error_msg=error_msg)
    if not isinstance(imp_uid, str) or not PAYMENT_ID.match(imp_uid):
        steps.record(oid, "verify", "portone.refused", msg("The imp_uid is not a PortOne payment id: refused, "
                     "nothing changes"), kind="check", verdict="fail", actual=str(imp_uid)[:80])
        return Outcome(order, 400, "BAD_IMP_UID", _("That is not a PortOne payment id. Nothing changed."))
    return verify_payment(order, imp_uid, error_msg=error_msg)


# --- the one verification ------------------------------------------------------------------------

def verify_payment(order, imp_uid, *, named_by_browser=True, error_msg=None):
    """Read the payment from PortOne, check it against the stored order, settle the order once.

    order: the order the request names (callback, redirect), or for a webhook the flow to log in
    (may be None). imp_uid: the payment to read; None asks PortOne for the order's latest payment
    by merchant_uid. With named_by_browser=False (webhook) the order is the one PortOne names.
    """
    log_to = order["id"] if order is not None else None
    seen = order["status"] if order is not None else None   # before this request asked PortOne anything
    try:
        if imp_uid is None:
            payment = client.find_by_merchant_uid(log_to, order["id"])
        else:
            payment = client.get_payment(log_to, imp_uid)
    except client.NotFound:
        if log_to:
            steps.record(log_to, "verify", "portone.payment_not_found", msg("PortOne has no payment %(imp_uid)s: "
                         "refused, nothing changes", imp_uid=imp_uid), kind="check", verdict="fail", expected="a PortOne payment",
                         actual="404 Not Found")
        return Outcome(order, 400, "PAYMENT_NOT_FOUND", _(
            "PortOne has no such payment, so the shop refused it. Nothing changed."))
    except PGError as e:
        if order is None:
            return Outcome(None, 503, "PG_UNAVAILABLE")
        return _unknown(order, e)

    if payment is None:  # asked by merchant_uid: PortOne has no payment at all for this order
        steps.record(log_to, "verify", "portone.no_payment", msg("PortOne has no payment for this order: nothing "
                     "was paid, the order stays open"), kind="check", verdict="info")
        return Outcome(orders.get(log_to), 200, None, _pending_message(error_msg))

    if not named_by_browser:
        paid_for = _portone_order(payment.get("merchant_uid"))
        if paid_for is None:
            if log_to:
                steps.record(log_to, "verify", "portone.unknown_order", msg("PortOne says this payment is for "
                             "%(merchant_uid)s, which is not a PortOne order of this shop",
                             merchant_uid=repr(payment.get("merchant_uid"))), kind="check", verdict="fail")
            return Outcome(None, 200, "UNKNOWN_ORDER")
        if paid_for["id"] != log_to:
            if log_to:
                steps.record(log_to, "verify", "portone.other_order", msg("PortOne says %(imp_uid)s belongs to order "
                             "%(order_id)s; it is handled in that order's flow", imp_uid=imp_uid,
                             order_id=paid_for["id"]), kind="check", verdict="info")
            steps.record(paid_for["id"], "notify", "portone.webhook", msg("PortOne's webhook about %(imp_uid)s "
                         "(the body named another order)", imp_uid=imp_uid), kind="http_in", actor_from="portone",
                         actor_to="shop", verdict="info")
            seen = paid_for["status"]
        order = paid_for
    return settle(order, payment, error_msg, seen)


def settle(order, payment, error_msg=None, seen=None):
    """Record the checks and apply the decision: at most one request wins the transition.

    seen: the order's status when this request began (defaults to order["status"]).
    """
    oid = order["id"]
    seen = seen or order["status"]
    verdict = verify.verify(order, payment)
    with steps.batch():   # the checks: stored together
        for c in verdict.checks:
            steps.check(oid, "verify", f"portone.check_{c.name}", c.explanation, c.ok, c.expected, c.actual)
    imp_uid = payment.get("imp_uid")

    if not verdict.same_order:
        steps.record(oid, "settle", "portone.refused", msg("%(reason)s Nothing changes: it is not this order's "
                     "money, so the shop does not cancel it.", reason=verdict.reason), kind="state", verdict="fail")
        return Outcome(orders.get(oid), 400, "PAYMENT_OF_ANOTHER_ORDER", _(
            "Refused: that payment belongs to another order. Nothing changed."))

    if verdict.decision == verify.PENDING:
        steps.record(oid, "settle", "portone.not_settled", msg("%(reason)s The order stays open; a webhook will "
                     "settle it if PortOne completes the payment.", reason=verdict.reason), kind="state",
                     verdict="info")
        return Outcome(orders.get(oid), 200, None, _pending_message(error_msg))

    from_statuses, to_status = MOVES[verdict.decision]
    fields = {"pg_payment_id": imp_uid}
    if verdict.decision == verify.AWAITING_DEPOSIT:
        fields["vbank"] = verify.vbank_details(payment)
    reason = _reason(verdict, order, payment)
    if orders.transition(oid, from_statuses, to_status, reason, **fields):
        steps.record(oid, "settle", "portone.settle", msg("Order %(status)s: %(reason)s", status=to_status,
                                                          reason=verdict.reason), kind="state",
                     verdict="pass" if to_status in (Status.PAID, Status.AWAITING_DEPOSIT) else "fail",
                     expected=order["status"], actual=to_status)
        if verdict.cancel_at_pg:
            _cancel_forged(oid, payment, _forged_what(order, payment))
        now = orders.get(oid)
        return Outcome(now, 200, None, now["reason"])

    now = orders.get(oid)
    steps.record(oid, "settle", "portone.already_settled", msg("No change: the order is already %(status)s "
                 "(settled by another request, e.g. the webhook or the page); PortOne says %(pg_status)s",
                 status=now["status"], pg_status=payment.get("status")), kind="state", verdict="info", expected="/".join(from_statuses),
                 actual=now["status"])
    if verdict.cancel_at_pg and seen == Status.FORGED:
        # Already refused before this request began, yet PortOne still holds the money: cancel it now.
        if _cancel_forged(oid, payment, _forged_what(order, payment)):
            orders.transition(oid, (Status.FORGED,), Status.FORGED, _reason(verdict, now, payment))
        now = orders.get(oid)
    return Outcome(now, 200, None, now["reason"])


def _cancel_forged(oid, payment, what=None):
    """Cancel a forged payment in full at PortOne. True when PortOne shows it cancelled.

    When the cancel gets no usable answer the order stays FORGED, its reason says the money is
    still held (what: the mismatch in words), and a portone.cancel_pending step tells reconcile
    (needs_cancel) to read the payment again and retry.
    """
    imp_uid = payment.get("imp_uid")
    try:
        after = client.cancel(oid, imp_uid, "Forgery suspected: the payment did not match the order",
                              verify.cancellable(payment))
    except client.Refused as e:
        steps.record(oid, "settle", "portone.cancel_refused", msg("PortOne refused the cancel (%(message)s); "
                     "check the payment in PortOne's console", message=e.message), kind="state", verdict="fail")
        return False
    except PGError as e:
        steps.record(oid, "settle", "portone.cancel_pending", msg("The cancel got no usable answer (%(trouble)s): "
                     "the payment may still be held at PortOne. Left for reconcile (flask reconcile or the "
                     "button on /flows), which reads it again and cancels it if it is still paid",
                     trouble=_trouble(e)), kind="state", verdict="fail")
        if what is not None:
            orders.transition(oid, (Status.FORGED,), Status.FORGED, msg(
                "Refused as forged: %(what)s. Cancelling the payment at PortOne has not gone through yet; "
                "the shop will try again.", what=what))
        return False
    ok = after.get("status") == "cancelled"
    steps.check(oid, "settle", "portone.cancelled", msg("PortOne shows the forged payment cancelled"),
                ok, "cancelled", after.get("status"))
    return ok


def _trouble(error):
    """What went wrong with a call to PortOne, in a few words for the step log."""
    if isinstance(error, PGTimeout):
        return msg("no answer: PortOne may or may not have acted")
    if isinstance(error, PGUnreachable):
        return msg("PortOne could not be reached")
    if isinstance(error, client.PortOneError) and error.code:
        return msg("PortOne answered HTTP %(status)s, code %(code)s", status=error.http_status, code=error.code)
    if isinstance(error, client.PortOneError):
        return msg("PortOne answered HTTP %(status)s", status=error.http_status)
    return type(error).__name__


def _unknown(order, error):
    """PortOne's answer was lost or unusable: the order is UNKNOWN (never guessed); ask again by merchant_uid."""
    oid = order["id"]
    if isinstance(error, client.PortOneError) and error.http_status >= 500:
        reason = msg("PortOne did not answer properly, so the outcome is not known yet. The shop will ask "
                     "PortOne again; do not pay twice.")
    else:
        reason = msg("The shop could not get an answer from PortOne, so the outcome is not known yet. The shop "
                     "will ask PortOne again; do not pay twice.")
    orders.transition(oid, (Status.PENDING, Status.AWAITING_DEPOSIT), Status.UNKNOWN, reason)
    steps.record(oid, "settle", "portone.unknown", msg("No usable answer from PortOne (%(trouble)s): the order "
                 "is marked unknown, not guessed; asking PortOne again by merchant_uid", trouble=_trouble(error)),
                 kind="state", verdict="fail")
    try:
        payment = client.find_by_merchant_uid(oid, oid)
    except PGError as e:
        steps.record(oid, "settle", "portone.still_unknown", msg("PortOne still gives no usable answer "
                     "(%(trouble)s): the order is left open; the next webhook, the buyer's next visit or "
                     "reconcile (flask reconcile, or the button on /flows) asks again", trouble=_trouble(e)),
                     kind="state", verdict="fail")
        now = orders.get(oid)
        return Outcome(now, 503, "PG_UNAVAILABLE", reason if now["status"] == Status.UNKNOWN else now["reason"])
    if payment is None:
        steps.record(oid, "settle", "portone.no_payment", msg("Asked by merchant_uid, PortOne has no payment for "
                     "this order: nothing was paid, the order is pending again"), kind="check", verdict="info")
        orders.transition(oid, (Status.UNKNOWN,), Status.PENDING, _pending_message(None))
        return Outcome(orders.get(oid), 200, None, _pending_message(None))
    steps.record(oid, "settle", "portone.recovered", msg("Asked by merchant_uid, PortOne answered: payment "
                 "%(imp_uid)s is %(status)s; the shop settles from that record", imp_uid=payment.get("imp_uid"),
                 status=payment.get("status")), kind="state", verdict="info")
    return settle(orders.get(oid), payment)


# --- reconciliation (shop/reconcile.py: flask reconcile and the button on /flows) ------------------

CANCEL_OUTCOMES = ("portone.cancel_pending", "portone.cancel_refused", "portone.cancelled")


def _note(oid, summary, verdict="info"):
    steps.record(oid, "settle", "shop.reconcile", summary, kind="state", actor_from="shop", actor_to="portone",
                 verdict=verdict)


def reconcile(order, abandon_after):
    """Settle an open order from what PortOne says about its merchant_uid, through settle().

    No payment, or one still `ready` without a virtual account (the window was abandoned): the
    order stays pending while it is younger than abandon_after seconds, then FAILED (PortOne V1
    never expires such a payment itself). Returns None, or 'no_answer' / 'waiting' when left open.
    """
    oid = order["id"]
    _note(oid, msg("Reconcile: the order is %(status)s; asking PortOne for its latest payment by merchant_uid",
                   status=order["status"]))
    try:
        payment = client.find_by_merchant_uid(oid, oid)
    except PGError as e:
        _note(oid, msg("PortOne gave no usable answer (%(trouble)s): left %(status)s; the next reconcile asks "
                       "again", trouble=_trouble(e), status=order["status"]), "fail")
        return "no_answer"
    decision = verify.verify(order, payment).decision if payment is not None else verify.PENDING
    if decision == verify.PENDING:
        what = (msg("no payment") if payment is None else
                msg("payment %(imp_uid)s still %(status)s", imp_uid=payment.get("imp_uid"), status=payment.get("status")))
        age = time.time() - order["created_at"]
        if age < abandon_after or order["status"] not in (Status.PENDING, Status.UNKNOWN):
            _note(oid, msg("PortOne has %(what)s for this order, %(age)s s after it was created: nothing was paid "
                           "yet, the buyer may still pay (it is closed after %(limit)s s)", what=what, age=int(age),
                           limit=int(abandon_after)))
            orders.transition(oid, (Status.UNKNOWN,), Status.PENDING, _pending_message(None))
            return "waiting"
        reason = msg("Not paid: PortOne has no completed payment for this order %(minutes)s minutes after it was "
                     "created, so the shop closed it. Nothing was charged.", minutes=int(abandon_after // 60))
        if orders.transition(oid, (Status.PENDING, Status.UNKNOWN), Status.FAILED, reason):
            steps.record(oid, "settle", "portone.settle", msg("Order failed: PortOne has %(what)s for this order "
                         "%(age)s s after it was created; the buyer never paid", what=what, age=int(age)),
                         kind="state", verdict="fail", expected=order["status"], actual=Status.FAILED)
        return None
    if decision == verify.AWAITING_DEPOSIT and order["status"] == Status.AWAITING_DEPOSIT:
        _note(oid, msg("PortOne still waits for the deposit into the virtual account: nothing to change"))
        return "waiting"
    _note(oid, msg("PortOne says payment %(imp_uid)s is %(status)s: settling from that record with the same "
                   "checks as the callback and the webhook", imp_uid=payment.get("imp_uid"),
                   status=payment.get("status")))
    settle(order, payment)
    return None


def needs_cancel(order):
    """True for a FORGED order whose last cancel at PortOne did not go through."""
    done = [s for s in steps.for_order(order["id"]) if s["name"] in CANCEL_OUTCOMES]
    return bool(done) and done[-1]["name"] == "portone.cancel_pending"


def retry_cancel(order):
    """A forged payment whose cancel got no usable answer: read it again, cancel it if PortOne still holds it."""
    oid = order["id"]
    _note(oid, msg("Reconcile: the cancel of this forged payment did not go through; reading it again from "
                   "PortOne"))
    try:
        payment = (client.get_payment(oid, order["pg_payment_id"]) if order["pg_payment_id"]
                   else client.find_by_merchant_uid(oid, oid))
    except PGError as e:
        _note(oid, msg("PortOne gave no usable answer (%(trouble)s): the next reconcile tries again",
                       trouble=_trouble(e)), "fail")
        return "no_answer"
    if payment is None:
        steps.check(oid, "settle", "portone.cancelled", msg("PortOne has no payment for this order: nothing is "
                                                            "held"), True, msg("nothing held"), msg("no payment"))
        return None
    what = _forged_what(order, payment)
    if verify.verify(order, payment).cancel_at_pg:
        if not _cancel_forged(oid, payment, what):
            return "no_answer"
    else:
        steps.check(oid, "settle", "portone.cancelled", msg("PortOne shows the forged payment cancelled (the "
                    "earlier cancel had gone through)"), payment.get("status") == "cancelled", "cancelled",
                    payment.get("status"))
        if payment.get("status") != "cancelled":
            return None
    orders.transition(oid, (Status.FORGED,), Status.FORGED, msg(
        "Refused as forged: %(what)s. The shop cancelled the payment at PortOne.", what=what))
    return None


# --- plain words --------------------------------------------------------------------------------

def _reason(verdict, order, payment):
    """The order's reason (an i18n.msg(): stored, then shown in each reader's language)."""
    d = verdict.decision
    if d == verify.PAID:
        return msg("PortOne confirmed that %(amount_won)s was paid for this order, and every check passed.",
                   amount_won=order["amount"])
    if d == verify.AWAITING_DEPOSIT:
        v = verify.vbank_details(payment)
        return msg("A virtual account was issued: pay %(amount_won)s into %(bank)s %(number)s (holder %(holder)s) "
                   "by %(due)s. The order is paid when PortOne reports the deposit.",
                   amount_won=order["amount"], bank=v["bank"], number=v["number"], holder=v["holder"],
                   due=v["due"])
    if d == verify.FAILED and payment.get("status") == "failed":
        return msg("Not paid: PortOne reports that the payment failed (%(why)s). No money was taken.",
                   why=payment.get("fail_reason") or msg("no reason given"))
    if d == verify.FAILED:
        return msg("Not paid: PortOne reports the payment as cancelled. No money was kept.")
    if d == verify.CANCELLED:
        return msg("The payment was cancelled at PortOne after it was paid; the money went back to the buyer.")
    what = _forged_what(order, payment)     # FORGED, this order's payment: amount or currency differ.
    if verdict.cancel_at_pg:
        return msg("Refused as forged: %(what)s. The shop cancelled the payment at PortOne.", what=what)
    return msg("Refused as forged: %(what)s. Do not pay into this virtual account.", what=what)


def _forged_what(order, payment):
    """How PortOne's record of this order's payment differs from the order (an i18n.msg())."""
    if payment.get("currency") != verify.CURRENCY:
        return msg("PortOne's currency is %(currency)s, not KRW", currency=payment.get("currency"))
    paid = payment.get("amount")
    if isinstance(paid, (int, float)) and not isinstance(paid, bool) and paid == int(paid):
        return msg("the order is %(stored_won)s but PortOne has %(paid_won)s", stored_won=order["amount"],
                   paid_won=int(paid))
    return msg("the order is %(stored_won)s but PortOne has %(paid)s", stored_won=order["amount"],
               paid=verify.won(paid))


def _pending_message(error_msg):
    if error_msg:
        return msg("Nothing was paid: the payment window said \"%(error)s\", and PortOne has no completed "
                   "payment for this order.", error=str(error_msg)[:200])
    return msg("Nothing was paid: PortOne has not completed this payment.")


def _json(outcome):
    order = outcome.order
    body = {"status": order["status"], "order_id": order["id"],
            "message": i18n.render(outcome.message or order["reason"]),
            "result_url": url_for("shop.order_result", order_id=order["id"]),
            "flow_url": url_for("flows.flow", order_id=order["id"])}
    if outcome.error:
        body["error"] = outcome.error
    return jsonify(body), outcome.http_status
