"""Routes of the shop's Toss Payments flow: /success, /fail, /webhooks/toss and /toss/checkout."""
import json
import time

from flask import Blueprint, current_app, jsonify, redirect, render_template, request
from flask_babel import lazy_gettext as _l

import i18n
from i18n import msg

from .. import catalog, config, orders, steps
from .. import views as shop_views
from ..http import PGError, PGTimeout, PGUnreachable
from ..orders import Status
from ..security import csrf_exempt
from . import client, verify

bp = Blueprint("toss", __name__)

UNSETTLED = verify.UNSETTLED
BUSY_TRIES = 5   # 409 IDEMPOTENT_REQUEST_PROCESSING: the same POST is still running at Toss

# Toss's failure codes (failUrl, confirm errors, failure.code) in plain words: messages, stored as the
# order's reason and shown in each reader's language.
EXPLAIN = {
    "PAY_PROCESS_CANCELED": msg("The payment window was closed or cancelled before paying. Nothing was "
                               "charged."),
    "PAY_PROCESS_ABORTED": msg("The payment stopped partway because the approval failed. Nothing was "
                              "charged; you can try again."),
    "REJECT_CARD_COMPANY": msg("The card company refused this payment. Nothing was charged; try another "
                              "card or ask the card company why."),
    "REJECT_CARD_PAYMENT": msg("The card company refused the payment: the limit is exceeded or the balance "
                              "is too low. Nothing was charged."),
    "INVALID_CARD_NUMBER": msg("The card number is wrong. Nothing was charged."),
    "INVALID_STOPPED_CARD": msg("This card has been stopped. Nothing was charged; use another card."),
    "INVALID_CARD_EXPIRATION": msg("The card's expiry date is wrong or has passed. Nothing was charged."),
    "INVALID_REJECT_CARD": msg("The card cannot be used; the card company must be asked why. Nothing was "
                              "charged."),
    "INVALID_CARD_LOST_OR_STOLEN": msg("The card was reported lost or stolen. Nothing was charged."),
    "EXCEED_MAX_AMOUNT": msg("The amount is above this card's limit per payment. Nothing was charged."),
    "EXCEED_MAX_DAILY_PAYMENT_COUNT": msg("This card has reached its number of payments for today. Nothing "
                                         "was charged."),
    "EXCEED_MAX_PAYMENT_AMOUNT": msg("This card has reached its amount for today. Nothing was charged."),
    "BELOW_MINIMUM_AMOUNT": msg("The amount is below the least a payment may be. Nothing was charged."),
    "NOT_FOUND_PAYMENT_SESSION": msg("The shop must confirm a payment within 10 minutes of your approval; "
                                    "this one came too late and Toss let the payment expire. Nothing was "
                                    "charged; please pay again."),
    "EXPIRED_PAYMENT": msg("The payment expired: it was not confirmed within 10 minutes of your approval "
                          "(or the window stayed open for 30 minutes). Nothing was charged."),
    "NOT_FOUND_PAYMENT": msg("Toss has no record of this payment. Nothing was charged."),
    "PROVIDER_ERROR": msg("The card company or bank had a temporary problem. Nothing was charged; try again "
                         "in a moment."),
    "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING": msg("Toss could not complete the payment. Nothing was "
                                                    "charged; try again."),
    "FAILED_INTERNAL_SYSTEM_PROCESSING": msg("Toss had an internal problem. Nothing was charged; try again "
                                            "in a moment."),
    "UNKNOWN_PAYMENT_ERROR": msg("The payment failed. If it happens again, ask your bank or card company."),
    "INVALID_API_KEY": msg("The shop's Toss secret key does not belong with its client key, so the shop "
                          "could not confirm. Nothing was charged."),
    "UNAUTHORIZED_KEY": msg("Toss did not accept the shop's secret key, so the shop could not confirm. "
                           "Nothing was charged."),
    "INCORRECT_BASIC_AUTH_FORMAT": msg("The shop sent its secret key in the wrong format, so it could not "
                                      "confirm. Nothing was charged."),
    "INVALID_REQUEST": msg("Toss found the confirmation request invalid. Nothing was charged."),
    "FORBIDDEN_REQUEST": msg("Toss did not allow this request. Nothing was charged."),
}
GENERIC = msg("The payment did not go through. Nothing was charged.")


def explain(code):
    """Plain words for a Toss failure code (a generic sentence for codes not in the table): an i18n.msg()."""
    return EXPLAIN.get(code, GENERIC)


# Why the shop refused a successUrl visit, per failed check (shown to the buyer).
REFUSALS = {
    "toss.check_order": _l("This shop has no such order, so nothing was confirmed and nothing was "
                           "charged."),
    "toss.check_amount": _l("The amount in the return address (%(actual)s) is not the order's amount "
                            "(%(expected)s). The payment was not confirmed, so nothing was charged."),
    "toss.check_payment_key": _l("The return address names a payment that does not belong to this order. "
                                 "Nothing was confirmed and nothing was charged."),
    "toss.check_not_settled": _l("This order is already settled; it was not confirmed again."),
}


@bp.app_template_global()
def toss_widget_script():
    """The payment widget v1 script: Toss's CDN in live mode, the emulator's stand-in otherwise."""
    if config.mode("toss") == "live":
        return config.LIVE["toss"]["sdk"]
    return config.emulator_url() + "/toss/v1/payment-widget"


@bp.app_template_global()
def toss_client_key():
    """The widget's client key: public by design (the secret key never leaves the server)."""
    return current_app.config["TOSS_CLIENT_KEY"]


@bp.app_template_global()
def toss_fixed_coupon():
    """(code, won off) of the fixed coupon the panel offers as a checkbox, as in the Toss widget docs."""
    return catalog.FIXED_COUPON, catalog.COUPONS[catalog.FIXED_COUPON]["value"]


# --- successUrl ------------------------------------------------------------------------------

@bp.get("/success")
def success():
    """Toss's successUrl: check the redirect against the stored order, confirm, check again, settle."""
    back = client.success_redirect(request.args)
    order = orders.get(back.order_id)
    if order is None or order["pg"] != "toss":
        current_app.logger.warning("toss /success for an unknown order %r", back.order_id)
        return _refused(None, [verify.before_confirm(None, back)[0]], 404)
    oid = order["id"]
    refresh = verify.is_refresh(order, back)
    with steps.batch():   # the return and the checks before confirming: stored before the confirm call
        if not refresh:
            steps.record(oid, "authenticate", "toss.window",
                         msg("Toss authenticated the buyer in its payment window and redirected the browser to "
                             "successUrl; at Toss the payment now waits for the shop's confirm"),
                         kind="state", actor_from="toss", actor_to="browser", verdict="info")
        steps.record(oid, "return", "toss.success_redirect",
                     msg("Toss sent the buyer back to /success with paymentKey %(payment_key)s and amount "
                         "%(amount)s (carried by the browser: checked before use)",
                         payment_key=back.payment_key or msg("(none)"), amount=back.amount or msg("(none)")),
                     kind="http_in", actor_from="browser", actor_to="shop", verdict="info",
                     exchange={"request": {"method": "GET", "url": request.full_path}})
        if refresh:
            steps.record(oid, "settle", "shop.show_settled",
                         msg("The order is already %(status)s: shown again, not confirmed twice",
                             status=order["status"]), kind="state", verdict="info")
            return _result(oid)
        failed = _record(oid, verify.before_confirm(order, back))
        if failed:
            steps.record(oid, "verify", "toss.not_confirmed", msg("Not confirming: %(why)s", why=failed[0].summary),
                         kind="state", verdict="fail")
            return _refused(order, failed, 400)
        client.record_auth(oid)
    if _confirm(order, back.payment_key) == verify.NOT_OURS:
        return _refused(order, [], 409, [REFUSALS["toss.check_payment_key"]])
    return _result(oid)


def _confirm(order, payment_key):
    """Confirm with Toss and settle the order from what Toss says. Returns the verify outcome, if any.
    The caller has recorded toss.auth (client.record_auth) before.

    The Idempotency-Key is derived from the order and the payment, so a refresh or a concurrent
    duplicate replays the first answer instead of confirming twice (and a forged paymentKey
    cannot poison the key of the real one).
    """
    oid = order["id"]
    key = f"confirm-{oid}-{payment_key}"
    for attempt in (1, 2):
        try:
            result = _confirm_once(payment_key, order, key)
        except PGError as e:
            result = e                      # timed out or unreachable: the outcome is unknown
        if isinstance(result, client.Payment):
            return _settle(order, result, payment_key)
        if isinstance(result, client.TossError) and result.code == "ALREADY_PROCESSED_PAYMENT":
            return _read_back(order, payment_key)
        if isinstance(result, client.TossError) and not _unsure(result):
            return _refused_by_toss(order, payment_key, result)
        # No usable answer: ask Toss what happened to this order instead of guessing.
        trouble = _trouble(result)
        asked = _ask_by_order(order)
        if isinstance(asked, client.Payment) and asked.status not in ("READY", "IN_PROGRESS"):
            steps.record(oid, "approve", "toss.recovered",
                         msg("The confirm got no usable answer (%(trouble)s); asked by orderId, Toss says "
                             "%(status)s: the shop settles from Toss's own record, without confirming again",
                             trouble=trouble, status=asked.status), kind="state", verdict="info")
            return _settle(order, asked, payment_key)
        if isinstance(asked, client.Payment) and attempt == 1:
            steps.record(oid, "approve", "toss.confirm_retry",
                         msg("The confirm got no usable answer (%(trouble)s) and Toss still shows the payment as "
                             "%(status)s: confirming again with the same Idempotency-Key", trouble=trouble,
                             status=asked.status), kind="state", verdict="info")
            continue
        break
    if isinstance(asked, client.Payment):
        steps.record(oid, "approve", "toss.still_unknown",
                     msg("Toss still shows the payment as %(status)s after a second confirm (%(trouble)s): the "
                         "order is left unknown, not guessed. A reload of /success or reconcile confirms again "
                         "with the same Idempotency-Key while Toss's 10-minute window lasts", status=asked.status,
                         trouble=trouble), kind="state", verdict="fail")
        reason = msg("Toss did not answer the confirmation properly and still shows the payment as not confirmed, "
                     "so nothing was charged yet. Reload this page to try again.")
    else:
        steps.record(oid, "approve", "toss.still_unknown",
                     msg("The confirm got no usable answer (%(trouble)s) and Toss could not say what happened to "
                         "the order: left unknown, not guessed. A reload of /success or reconcile asks Toss again",
                         trouble=trouble), kind="state", verdict="fail")
        reason = msg("The shop asked Toss to confirm but got no clear answer, and Toss could not tell it the "
                     "outcome either. Nothing is decided yet: reload this page to ask again.")
    _move(order, (Status.PENDING,), Status.UNKNOWN, reason)
    return None


def _confirm_once(payment_key, order, key):
    return _patiently(client.confirm, payment_key, order["id"], order["amount"], key)


def _patiently(call, *args):
    """call(*args), waiting a little while Toss says the same idempotent request is still running (409)."""
    for attempt in range(BUSY_TRIES):
        result = call(*args)
        if not (isinstance(result, client.TossError) and result.code == "IDEMPOTENT_REQUEST_PROCESSING"):
            return result
        time.sleep(0.2 * (attempt + 1))
    return result


def _refused_by_toss(order, payment_key, error):
    """Toss refused the confirm. Fail the order, unless the paymentKey was not this order's at all."""
    oid = order["id"]
    steps.record(oid, "approve", "toss.confirm_refused",
                 msg("Toss refused the confirmation: %(code)s (%(message)s)", code=error.code, message=error.message),
                 kind="state", verdict="fail")
    asked = _ask_by_order(order)
    if isinstance(asked, client.Payment) and asked.payment_key != payment_key:
        # e.g. NOT_FOUND_PAYMENT_SESSION for a paymentKey copied from another order: the buyer's
        # own payment is untouched, so the order stays open for the honest redirect.
        steps.check(oid, "verify", "toss.check_payment_key", msg("The return address named another order's "
                    "payment: this order stays open"), False, asked.payment_key, payment_key)
        return verify.NOT_OURS
    _move(order, UNSETTLED, Status.FAILED, explain(error.code))
    return verify.NOT_PAID


def _unsure(error):
    """True when a TossError does not say what happened: a 5xx, an answer the shop cannot read, or the
    same request still running at Toss after the shop waited for it."""
    return error.status >= 500 or error.code in ("UNEXPECTED_RESPONSE", "IDEMPOTENT_REQUEST_PROCESSING")


def _trouble(result):
    """Why a call to Toss gave no usable answer, in a few words for the step log."""
    if isinstance(result, PGTimeout):
        return msg("no answer: Toss may or may not have acted")
    if isinstance(result, PGUnreachable):
        return msg("Toss could not be reached")
    if isinstance(result, client.TossError):
        return msg("Toss answered HTTP %(status)s %(code)s", status=result.status, code=result.code)
    return msg("no usable answer")


def _ask_by_order(order, phase="approve"):
    try:
        return client.get_by_order(order["id"], phase)
    except PGError:
        return None


def _read_back(order, payment_key):
    """Toss says it is already processed (a refresh raced us): read the payment back and settle from it."""
    try:
        payment = client.get_payment(payment_key, order["id"])
    except PGError:
        payment = None
    if isinstance(payment, client.Payment):
        return _settle(order, payment, payment_key)
    _move(order, (Status.PENDING,), Status.UNKNOWN,
          msg("Toss says this payment was already processed, but the shop could not read it back. Reload this "
              "page to ask again."))
    return None


# --- settling from Toss's record ---------------------------------------------------------------

def _settle(order, payment, payment_key=None):
    """Check Toss's record against the order and move the order to match. Returns the verify outcome
    (NOT_OURS: the record is another order's, and nothing changes)."""
    checks = verify.after_confirm(order, payment, payment_key)
    result = verify.outcome(checks, payment)
    if result == verify.FORGED:
        _record(order["id"], checks)    # stored before the cancel call
        _forged(order, payment, [c for c in checks if not c.ok])
        return result
    with steps.batch():   # the checks and the state change they lead to: one write
        _record(order["id"], checks)
        _apply(order, payment, result)
    return result


def _apply(order, payment, result):
    """Move the order to match a verify outcome other than FORGED (no call to Toss)."""
    if result == verify.NOT_OURS:
        steps.record(order["id"], "settle", "shop.not_ours",
                     msg("Toss's record is not this order's: nothing changes"), kind="state", verdict="fail")
    elif result == verify.PAID:
        reason = (msg("The deposit arrived and Toss confirms it.") if order["status"] == Status.AWAITING_DEPOSIT
                  else msg("Toss confirmed the payment and every check passed."))
        fields = {"pg_payment_id": payment.payment_key}
        if payment.secret:
            fields["pg_secret"] = payment.secret
        _move(order, (*UNSETTLED, Status.AWAITING_DEPOSIT), Status.PAID, reason, **fields)
    elif result == verify.AWAITING_DEPOSIT:
        _move(order, UNSETTLED, Status.AWAITING_DEPOSIT,
              msg("Toss issued a virtual account. The order is paid when the money arrives in it."),
              pg_payment_id=payment.payment_key, pg_secret=payment.secret, vbank=payment.virtual_account)
    elif result == verify.NOT_PAID:
        code = payment.failure[0] if payment.failure else ""
        _move(order, (*UNSETTLED, Status.AWAITING_DEPOSIT), Status.FAILED,
              explain(code) if code in EXPLAIN else msg("Toss reports the payment as %(status)s: nothing was "
                                                         "charged.", status=payment.status))
    elif result == verify.CANCELED:
        if order["status"] == Status.PAID:
            _move(order, (Status.PAID,), Status.CANCELLED, msg("The payment was cancelled at Toss and refunded."))
        else:
            _move(order, (*UNSETTLED, Status.AWAITING_DEPOSIT), Status.FAILED,
                  msg("The payment was cancelled at Toss before any money arrived."))
    else:
        steps.record(order["id"], "settle", "shop.nothing_yet",
                     msg("Toss shows the payment as %(status)s: nothing to settle yet", status=payment.status),
                     kind="state", verdict="info")


def _forged(order, payment, failed):
    """Toss's record of this order's payment does not match what the shop stored: cancel it, mark FORGED."""
    why = [c.summary for c in failed]
    ok = _cancel_forged(order["id"], payment.payment_key, why)
    fields = ", ".join(MISMATCH_FIELDS.get(c.name, c.name) for c in failed)   # the same in every language
    _move(order, (*UNSETTLED, Status.AWAITING_DEPOSIT), Status.FORGED, _forged_reason(fields, ok),
          pg_payment_id=payment.payment_key)


def _cancel_forged(oid, payment_key, why):
    """Cancel a mismatching payment at Toss (same Idempotency-Key each time). True when it is cancelled.

    A failed cancel is a toss.cancel_forged step with verdict fail: reconcile (needs_cancel) tries again.
    """
    try:
        cancelled = _patiently(client.cancel, payment_key, oid, "Order details did not match the payment")
    except PGError as e:
        cancelled = e
    ok = isinstance(cancelled, client.Payment) or (isinstance(cancelled, client.TossError)
                                                   and cancelled.code == "ALREADY_CANCELED_PAYMENT")
    steps.record(oid, "settle", "toss.cancel_forged",
                 msg("Cancelled the mismatching payment at Toss (%(why)s)", why=why) if ok
                 else msg("Could not cancel the mismatching payment at Toss yet (%(why)s; %(trouble)s): left for "
                          "reconcile (flask reconcile or the button on /flows), which tries the cancel again",
                          why=why, trouble=_trouble(cancelled)),
                 kind="state", verdict="pass" if ok else "fail")
    return ok


# The field of Toss's Payment that a failed after-confirm check compared (named in the order's reason).
MISMATCH_FIELDS = {"toss.check_order_id": "orderId", "toss.check_total_amount": "totalAmount",
                   "toss.check_payment_key": "paymentKey", "toss.check_status": "status",
                   "toss.check_method": "method"}


def _forged_reason(fields, cancelled):
    """fields: the mismatching fields of Toss's Payment, named as Toss names them (the same in every language)."""
    if cancelled:
        return msg("Toss's record of this payment did not match the order (%(why)s). The payment was cancelled "
                   "at Toss.", why=fields)
    return msg("Toss's record of this payment did not match the order (%(why)s). Cancelling it at Toss has not "
               "succeeded yet.", why=fields)


def _move(order, from_statuses, to_status, reason, **fields):
    """One status change through orders.transition; the step says whether this call won."""
    moved = orders.transition(order["id"], from_statuses, to_status, reason, **fields)
    if moved:
        good = to_status in (Status.PAID, Status.AWAITING_DEPOSIT)
        steps.record(order["id"], "settle", "shop.status", msg("Order %(before)s → %(after)s: %(reason)s",
                                                               before=order["status"], after=to_status, reason=reason),
                     kind="state", verdict="pass" if good else "fail", expected=order["status"], actual=to_status)
    else:
        now = orders.get(order["id"])["status"]
        steps.record(order["id"], "settle", "shop.status_unchanged",
                     msg("Order is already %(status)s: this %(wanted)s did not apply", status=now, wanted=to_status),
                     kind="state", verdict="info")
    return moved


def _record(order_id, checks):
    """Record each check as a step (stored together); return the failed ones."""
    with steps.batch():
        for c in checks:
            steps.check(order_id, "verify", c.name, c.summary, c.ok, c.expected, c.actual)
    return [c for c in checks if not c.ok]


def _result(order_id, status=200):
    order = orders.get(order_id)
    vbank = json.loads(order["vbank"]) if order["vbank"] else None
    return render_template("result.html", order=order, view=shop_views.order_view(order), vbank=vbank), status


def _refused(order, failed, status, reasons=None):
    reasons = list(reasons or [])
    for c in failed:
        text = REFUSALS.get(c.name)
        if text is not None:
            reasons.append(text % {"expected": _money(c.expected), "actual": _money(c.actual)})
    return render_template("toss/refused.html", order=order, reasons=reasons or [i18n.render(GENERIC)],
                           failed=failed), status


def _money(value):
    amount = verify.parse_amount(str(value)) if value is not None else None
    return shop_views.money(amount) if amount is not None else i18n.render(str(value))


# --- failUrl -----------------------------------------------------------------------------------

@bp.get("/fail")
def fail():
    """Toss's failUrl: explain the code in plain words; mark the order FAILED only after asking Toss."""
    back = client.fail_redirect(request.args)
    order = orders.get(back.order_id)
    if order is not None and order["pg"] == "toss":
        if order["status"] in UNSETTLED:
            steps.record(order["id"], "authenticate", "toss.window",
                         msg("The payment did not go through in Toss's payment window; Toss redirected the "
                             "browser to failUrl"), kind="state", actor_from="toss", actor_to="browser",
                         verdict="info")
        steps.record(order["id"], "return", "toss.fail_redirect",
                     msg("Toss sent the buyer to /fail with %(code)s: %(message)s (carried by the browser: asking "
                         "Toss before believing it)", code=back.code or msg("(no code)"), message=back.message),
                     kind="http_in",
                     actor_from="browser", actor_to="shop", verdict="info",
                     exchange={"request": {"method": "GET", "url": request.full_path}})
        if order["status"] in UNSETTLED:
            _settle_failure(order, back)
        order = orders.get(order["id"])
    return render_template("toss/fail.html", code=back.code, message=back.message,
                           explanation=explain(back.code), order=order)


def _settle_failure(order, back):
    asked = _ask_by_order(order)
    if isinstance(asked, client.Payment) and asked.order_id == order["id"] \
            and asked.status in ("DONE", "WAITING_FOR_DEPOSIT", "ABORTED", "EXPIRED", "CANCELED"):
        _settle(order, asked)           # Toss's own record decides, whatever the redirect said
    elif isinstance(asked, client.Payment) and asked.order_id == order["id"]:
        steps.check(order["id"], "verify", "toss.check_not_paid",
                    msg("Toss shows the payment as %(status)s: it was never confirmed, and the shop will not "
                        "confirm it now", status=asked.status), True, msg("not %(status)s", status="DONE"), asked.status)
        _move(order, UNSETTLED, Status.FAILED, explain(back.code))
    elif isinstance(asked, client.TossError) and asked.status == 404:
        steps.check(order["id"], "verify", "toss.check_not_paid",
                    msg("Toss has no payment for this order: nothing was charged"), True, msg("no payment"), asked.code)
        _move(order, UNSETTLED, Status.FAILED, explain(back.code))
    else:
        steps.record(order["id"], "verify", "toss.fail_unconfirmed",
                     msg("Could not ask Toss about this order: it stays open until Toss answers (reconcile asks "
                         "again)"), kind="state", verdict="fail")


# --- webhooks ----------------------------------------------------------------------------------

@bp.post("/webhooks/toss")
@csrf_exempt
def webhook():
    """Toss's webhooks. The body is a hint: the shop acts only on what it reads back from Toss.

    Answers 200 when the event was handled or can never be (so Toss stops retrying), 4xx for a
    body that is not a Toss webhook or names no order of ours, 503 when Toss could not be asked
    (so Toss retries later).
    """
    data = request.get_json(silent=True)
    hook = client.webhook_from(data)
    if hook is None:
        current_app.logger.warning("toss webhook refused: not a Toss webhook body")
        return jsonify(error="BAD_WEBHOOK", message="Expected a Toss webhook JSON body."), 400
    order = orders.get(hook.order_id)
    if order is None or order["pg"] != "toss":
        current_app.logger.warning("toss webhook %s for an unknown order %r", hook.event, hook.order_id)
        return jsonify(error="UNKNOWN_ORDER", message="No Toss order with this orderId."), 404
    transmission = {k: v for k, v in request.headers.items() if k.lower().startswith("tosspayments-webhook")}
    steps.record(order["id"], "notify", "toss.webhook",
                 msg("Toss webhook %(event)s says the payment is %(status)s (not trusted: the shop reads it back)",
                     event=hook.event, status=hook.status or msg("(no status)")), kind="http_in", actor_from="toss", actor_to="shop",
                 verdict="info", exchange={"request": {"method": "POST", "url": request.path,
                                                       "headers": transmission, "body": data}})
    if hook.event == "DEPOSIT_CALLBACK":
        return _deposit(order, hook)
    if hook.event == "PAYMENT_STATUS_CHANGED":
        return _status_changed(order, hook)
    steps.record(order["id"], "notify", "toss.webhook_ignored",
                 msg("The shop does not act on %(event)s", event=hook.event), kind="state", verdict="info")
    return jsonify(received=True, applied=False)


def _status_changed(order, hook):
    try:
        payment = (client.get_payment(hook.payment_key, order["id"], "notify") if hook.payment_key
                   else client.get_by_order(order["id"], "notify"))
    except PGError:
        payment = None
    return _apply_read_back(order, payment, hook.payment_key or None)


def _deposit(order, hook):
    if not order["pg_secret"] and order["status"] in UNSETTLED:
        # The confirm answer (with the secret) is not stored yet: let Toss retry later.
        steps.record(order["id"], "notify", "toss.deposit_too_early",
                     msg("No secret stored yet for this order: asking Toss to send it again later"),
                     kind="state", verdict="info")
        return jsonify(error="NOT_READY", message="Try again later."), 409
    check = verify.deposit_secret(order["pg_secret"], hook.secret)
    _record(order["id"], [check])
    if not check.ok:
        # Toss resends only the same body, which can never pass: answer 200 so the retries stop;
        # the failed check stays in the log for a person to look at.
        return jsonify(received=True, applied=False, error="SECRET_MISMATCH")
    try:
        payment = (client.get_payment(order["pg_payment_id"], order["id"], "notify") if order["pg_payment_id"]
                   else client.get_by_order(order["id"], "notify"))
    except PGError:
        payment = None
    return _apply_read_back(order, payment, order["pg_payment_id"])


def _apply_read_back(order, payment, payment_key):
    if isinstance(payment, client.Payment):
        _settle(order, payment, payment_key)
        return jsonify(received=True, status=orders.get(order["id"])["status"])
    if payment is None or _unsure(payment):
        steps.record(order["id"], "notify", "toss.webhook_retry", msg("The payment could not be read back from "
                     "Toss: answered 503, so Toss sends the webhook again later"), kind="state", verdict="info")
        return jsonify(error="PG_UNAVAILABLE", message="Could not read the payment back; retry later."), 503
    steps.record(order["id"], "notify", "toss.webhook_unverified",
                 msg("Toss could not show the payment (%(code)s): nothing changes", code=payment.code),
                 kind="state", verdict="fail")
    return jsonify(error="UNKNOWN_PAYMENT", message="Toss has no such payment."), 400


# --- reconciliation (shop/reconcile.py: flask reconcile and the button on /flows) ------------------

def _note(oid, summary, verdict="info"):
    steps.record(oid, "settle", "shop.reconcile", summary, kind="state", actor_from="shop", actor_to="toss",
                 verdict=verdict)


def reconcile(order, abandon_after):
    """Settle an open order from Toss's record of its orderId, through the same functions /success uses.

    IN_PROGRESS (authenticated, never confirmed: the buyer's return was lost) is confirmed with the
    Idempotency-Key /success would use; Toss itself refuses or expires it after its 10-minute window.
    READY is left to Toss, which expires it after 30 minutes. No payment at Toss: pending while the
    order is younger than abandon_after seconds, then FAILED. Returns None, or 'no_answer' /
    'waiting' when the order was left open.
    """
    oid = order["id"]
    _note(oid, msg("Reconcile: the order is %(status)s; asking Toss what it knows about order %(order_id)s",
                   status=order["status"], order_id=oid))
    try:
        payment = client.get_by_order(oid, "settle")
    except PGError as e:
        payment = e
    if isinstance(payment, client.TossError) and payment.status == 404:
        age = time.time() - order["created_at"]
        if age < abandon_after or order["status"] not in UNSETTLED:
            _note(oid, msg("Toss has no payment for this order (%(code)s), %(age)s s after it was created: left "
                           "%(status)s, the buyer may still pay (it is closed after %(limit)s s)", code=payment.code,
                           age=int(age), status=order["status"], limit=int(abandon_after)))
            return "waiting"
        _move(order, UNSETTLED, Status.FAILED, msg(
            "Not paid: Toss has no payment for this order %(minutes)s minutes after it was created, so the shop "
            "closed it. Nothing was charged.", minutes=int(abandon_after // 60)))
        return None
    if not isinstance(payment, client.Payment):
        _note(oid, msg("Toss gave no usable answer (%(trouble)s): left %(status)s; the next reconcile asks again",
                       trouble=_trouble(payment), status=order["status"]), "fail")
        return "no_answer"
    if payment.status == "READY":
        _note(oid, msg("The buyer has not finished Toss's payment window (READY): left open; Toss expires it "
                       "after 30 minutes"))
        return "waiting"
    if payment.status == "IN_PROGRESS":
        checks = verify.after_confirm(order, payment, order["pg_payment_id"])
        _record(oid, [c for c in checks if c.name != "toss.check_status"])   # IN_PROGRESS: not confirmed yet
        if verify.outcome(checks, payment) != verify.OPEN or order["status"] not in UNSETTLED:
            _note(oid, msg("Toss's record does not match the order, so the shop does not confirm it: Toss lets it "
                           "expire and nothing is charged"), "fail")
            return "waiting"
        _note(oid, msg("Toss shows payment %(payment_key)s authenticated but never confirmed (IN_PROGRESS): the "
                       "buyer's return to /success was lost. Confirming it now with the Idempotency-Key /success "
                       "uses, so it cannot be confirmed twice", payment_key=payment.payment_key))
        client.record_auth(oid)
        _confirm(order, payment.payment_key)
        return None
    if payment.status == "WAITING_FOR_DEPOSIT" and order["status"] == Status.AWAITING_DEPOSIT:
        _note(oid, msg("Toss still waits for the deposit into the virtual account: nothing to change"))
        return "waiting"
    _note(oid, msg("Toss says the payment is %(status)s: settling from that record with the same checks as "
                   "/success and the webhook", status=payment.status))
    _settle(order, payment, order["pg_payment_id"])
    return None


def needs_cancel(order):
    """True for a FORGED order whose last cancel at Toss did not go through."""
    done = [s for s in steps.for_order(order["id"]) if s["name"] == "toss.cancel_forged"]
    return bool(done) and done[-1]["verdict"] == "fail"


def retry_cancel(order):
    """A forged payment whose cancel did not go through: read it again, cancel it if Toss still holds it."""
    oid = order["id"]
    _note(oid, msg("Reconcile: the cancel of this forged payment did not go through; reading it again from Toss"))
    try:
        payment = (client.get_payment(order["pg_payment_id"], oid, "settle") if order["pg_payment_id"]
                   else client.get_by_order(oid, "settle"))
    except PGError as e:
        payment = e
    if not isinstance(payment, client.Payment):
        _note(oid, msg("Toss gave no usable answer (%(trouble)s): the next reconcile tries again",
                       trouble=_trouble(payment)), "fail")
        return "no_answer"
    failed = [c for c in verify.after_confirm(order, payment) if not c.ok and c.name != "toss.check_status"]
    why = [c.summary for c in failed] or msg("Toss shows it %(status)s", status=payment.status)
    ok = payment.status in ("CANCELED", "ABORTED", "EXPIRED") or _cancel_forged(oid, payment.payment_key, why)
    if payment.status in ("CANCELED", "ABORTED", "EXPIRED"):
        steps.record(oid, "settle", "toss.cancel_forged", msg("Toss shows the payment %(status)s: nothing is "
                     "held any more", status=payment.status), kind="state", verdict="pass")
    if ok:
        fields = ", ".join(MISMATCH_FIELDS.get(c.name, c.name) for c in failed) or payment.status
        orders.transition(oid, (Status.FORGED,), Status.FORGED, _forged_reason(fields, True))
        return None
    return "no_answer"


# --- server-created checkout -------------------------------------------------------------------

@bp.post("/toss/checkout")
def checkout():
    """The checkout created by the server (POST /v1/payments): the buyer goes to Toss's own page."""
    form = request.form
    quantity = form.get("quantity", "1")
    data = {"product_id": form.get("product_id", ""), "quantity": int(quantity) if quantity.isdigit() else quantity,
            "coupons": [c for c in form.getlist("coupons") if c.strip()], "pay_method": "CARD",
            "buyer_name": form.get("buyer_name", ""), "buyer_email": form.get("buyer_email", "")}
    order, refusal = shop_views.place_order("toss", data)
    if refusal is not None:
        response, status = refusal
        answer = response.get_json()
        return render_template("toss/fail.html", code=answer["error"], message="",
                               explanation=answer["message"], order=None), status
    oid = order["id"]
    site = config.site_url()
    client.record_auth(oid)
    try:
        payment = client.create_payment(oid, order["amount"], order["order_name"], site + "/success",
                                        site + "/fail", order["buyer_name"], order["buyer_email"])
    except PGError:
        payment = None
    failed = _record(oid, verify.created(order, payment)) if isinstance(payment, client.Payment) else None
    if isinstance(payment, client.Payment) and not failed:
        orders.attach_payment(oid, payment.payment_key)
        steps.record(oid, "checkout", "toss.open_checkout", msg("Sending the buyer to Toss's checkout page"),
                     kind="state", verdict="info")
        return redirect(payment.checkout_url, 303)
    code = payment.code if isinstance(payment, client.TossError) else ""
    _move(order, UNSETTLED, Status.FAILED,
          explain(code) if code in EXPLAIN else msg("Toss did not open a checkout for this order, so nobody "
                                                    "could pay it. Nothing was charged."))
    order = orders.get(oid)
    return render_template("toss/fail.html", code=code, message=getattr(payment, "message", ""),
                           explanation=order["reason"], order=order), 502
