"""What the shop does with Toss's answers: confirm (once, idempotently), read back, settle the order once,
cancel what the order does not keep, reconcile and audit. The routes (views.py) only parse requests.

The successUrl redirect is the browser's word: it is checked against the stored order before the shop
confirms, and the order follows only Toss's own record (the confirm's answer, or a read-back). A /fail
visit or a webhook never decides by itself: the shop asks Toss.
"""
import time

from i18n import msg

from .. import billing, orders, settle, steps
from ..http import PGError, PGNotFound, PGRefused, PGUnknown, trouble
from ..orders import Status
from . import client, verify

PG = "Toss"
BUSY_TRIES = 5   # 409 IDEMPOTENT_REQUEST_PROCESSING: the same POST is still running at Toss
ABANDON_AFTER_S = 30 * 60   # Toss expires an unfinished window after 30 minutes


def flow_of(order_id):
    return steps.Flow(order_id, "toss")


def _trouble(error):
    return trouble(error, PG)


def secret_of(order):
    """The config key of the secret key for this order's payments: the one that goes with the client key
    its page used (widget secret for widget orders, API secret for the payment window and billing)."""
    return client.secret_key_name(order["sdk"] if order is not None else "")


def record_auth(flow, order=None):
    """Toss needs no token: every call carries the secret key. Recorded once per flow, for the log."""
    key = secret_of(order)
    if key == "TOSS_SECRET_KEY":
        flow.record("auth", msg("No token to fetch: each call to Toss carries Authorization: Basic "
                                "base64(TOSS_SECRET_KEY + ':')"), phase="server_auth")
    else:
        flow.record("auth", msg("No token to fetch: each call to Toss carries Authorization: Basic "
                                "base64(%(key)s + ':'), the secret key of the API key pair this order's page "
                                "used (not the widget's)", key=key), phase="server_auth")


def _patiently(call, *args):
    """call(*args), waiting a little while Toss says the same idempotent request is still running (409)."""
    for attempt in range(BUSY_TRIES):
        try:
            return call(*args)
        except PGRefused as e:
            if e.code != "IDEMPOTENT_REQUEST_PROCESSING":
                raise
            if attempt == BUSY_TRIES - 1:   # still running at Toss: the outcome is not known yet
                raise PGUnknown(e.what, e.status, e.code, e.message) from e
            time.sleep(0.2 * (attempt + 1))


def _ask_by_order(flow, order):
    """Toss's record of the order, None when it has none; raises PGError when Toss gave no usable answer."""
    try:
        with flow.at("approve"):
            return client.find_payment(order["id"], secret_of(order))
    except PGNotFound:
        return None


def settle_from(flow, order, payment, payment_key=None):
    """Check Toss's record against the order and apply what it means (shop.settle). Returns the Verdict."""
    verdict = verify.verdict(order, payment, payment_key)
    flow.checks(verdict.checks)
    settle.apply(flow, order, verdict, cancel)
    return verdict


def cancel(flow, payment_key):
    """Cancel a payment the shop does not keep (shop.settle's cancel): 'done' once Toss holds nothing for it,
    'refund_account' for a virtual account already paid into. Raises PGError when it did not go through."""
    secret = secret_of(orders.get(flow.order_id))
    with flow.at("settle"):
        payment = client.get_payment(payment_key, secret)
        if payment.status in ("CANCELED", "ABORTED", "EXPIRED") or payment.balance_amount == 0:
            return "done"
        if payment.status in ("READY", "IN_PROGRESS"):
            return "done"    # never confirmed: no money moved, Toss lets it expire
        if payment.method == verify.VIRTUAL_ACCOUNT and payment.status != "WAITING_FOR_DEPOSIT":
            return "refund_account"
        try:
            _patiently(client.cancel, payment_key, "Not kept by the shop: the payment did not settle its order",
                       None, None, secret)
        except PGRefused as e:
            if e.code != "ALREADY_CANCELED_PAYMENT":
                raise
    return "done"


# --- successUrl -----------------------------------------------------------------------------------

def confirm(flow, order, payment_key):
    """Confirm with Toss and settle the order from what Toss says. Returns the Verdict, or None when the
    outcome is unknown (the order is left UNKNOWN) or Toss refused.

    The Idempotency-Key is derived from the order and the payment, so a refresh or a concurrent duplicate
    replays the first answer instead of confirming twice (and a forged paymentKey cannot poison the key of
    the real one). A confirm with no usable answer is never guessed: the shop asks Toss by orderId and
    confirms again at most once, with the same key.
    """
    key = f"confirm-{order['id']}-{payment_key}"
    asked = None
    for attempt in (1, 2):
        try:
            payment = _confirm_once(flow, order, payment_key, key)
            return settle_from(flow, order, payment, payment_key)
        except PGRefused as e:
            if e.code == "ALREADY_PROCESSED_PAYMENT":
                return _read_back(flow, order, payment_key)
            return _refused(flow, order, payment_key, e)
        except PGError as e:
            problem = _trouble(e)
        asked = _look_up(flow, order)
        if asked is not None and asked.status not in ("READY", "IN_PROGRESS"):
            flow.record("recovered", msg("The confirm got no usable answer (%(trouble)s); asked by orderId, Toss says "
                                         "%(status)s: the shop settles from Toss's own record, without confirming "
                                         "again", trouble=problem, status=asked.status), phase="approve")
            return settle_from(flow, order, asked, payment_key)
        if asked is None or attempt == 2:
            break
        flow.record("confirm_retry", msg("The confirm got no usable answer (%(trouble)s) and Toss still shows the "
                                         "payment as %(status)s: confirming again with the same "
                                         "Idempotency-Key", trouble=problem, status=asked.status),
                    phase="approve")
    _left_unknown(flow, order, asked, problem)
    return None


def _confirm_once(flow, order, payment_key, key):
    """POST /v1/payments/confirm, waiting while Toss still runs the same request: Toss's Payment."""
    with flow.at("approve"):
        return _patiently(client.confirm, payment_key, order["id"], order["amount"], key, secret_of(order))


def _look_up(flow, order):
    """Toss's record of the order after a confirm with no usable answer: None when Toss has none or gave none."""
    try:
        return _ask_by_order(flow, order)
    except PGError:
        return None


def _left_unknown(flow, order, asked, problem):
    if asked is not None:
        flow.record("still_unknown", msg("Toss still shows the payment as %(status)s after a second confirm "
                                         "(%(trouble)s): the order is left unknown, not guessed. A reload of /success "
                                         "or reconcile confirms again with the same Idempotency-Key while Toss's "
                                         "10-minute window lasts", status=asked.status, trouble=problem),
                    phase="approve", verdict="fail")
        reason = msg("Toss did not answer the confirmation properly and still shows the payment as not confirmed, so "
                     "nothing was charged yet. Reload this page to try again.")
    else:
        flow.record("still_unknown", msg("The confirm got no usable answer (%(trouble)s) and Toss could not say what "
                                         "happened to the order: left unknown, not guessed. A reload of /success or "
                                         "reconcile asks Toss again", trouble=problem), phase="approve",
                    verdict="fail")
        reason = msg("The shop asked Toss to confirm but got no clear answer, and Toss could not tell it the outcome "
                     "either. Nothing is decided yet: reload this page to ask again.")
    settle.move(flow, order, verify.UNSETTLED, Status.UNKNOWN, reason)


def _refused(flow, order, payment_key, error):
    """Toss refused the confirm. The order follows Toss's record of it, never the refusal alone."""
    flow.record("confirm_refused", msg("Toss refused the confirmation: %(code)s (%(message)s)", code=error.code,
                                       message=error.message), phase="approve", verdict="fail")
    asked = _look_up(flow, order)
    if asked is None:
        # Toss has no payment for this order (or could not say): the refused key was not the buyer's payment.
        # Anyone can open /success with a public order id, so the order stays as it is for the honest return.
        flow.record("no_payment", msg("Toss has no payment for this order: the refused return changes nothing, "
                                      "the order stays open"), phase="verify", kind="check", verdict="fail")
        return settle.Verdict(settle.Outcome.NOT_OURS, (), payment_key, "")
    if asked.payment_key != payment_key:
        # e.g. NOT_FOUND_PAYMENT_SESSION for a paymentKey copied from another order: the buyer's own payment
        # is untouched, so the order stays open for the honest redirect.
        flow.record("check_payment_key", msg("The return address named another order's payment: this order stays "
                                             "open"), phase="verify", kind="check", verdict="fail",
                    expected=asked.payment_key, actual=payment_key)
        return settle.Verdict(settle.Outcome.NOT_OURS, (), payment_key, "")
    if asked.status not in ("READY", "IN_PROGRESS"):
        return settle_from(flow, order, asked, payment_key)
    # This attempt is over: Toss will not confirm it, and lets it expire. The order may be paid again.
    settle.move(flow, order, verify.UNSETTLED, Status.FAILED, verify.explain(error.code))
    return None


def _read_back(flow, order, payment_key):
    """Toss says it is already processed (a refresh raced us): read the payment back and settle from it."""
    try:
        with flow.at("approve"):
            payment = client.get_payment(payment_key, secret_of(order))
    except PGError:
        settle.move(flow, order, verify.UNSETTLED, Status.UNKNOWN, msg(
            "Toss says this payment was already processed, but the shop could not read it back. Reload this page "
            "to ask again."))
        return None
    return settle_from(flow, order, payment, payment_key)


# --- failUrl and webhooks --------------------------------------------------------------------------

def failed(flow, order):
    """After a failUrl visit (the browser's word): settle only from what Toss's own record says."""
    try:
        asked = _ask_by_order(flow, order)
    except PGError:
        flow.record("fail_unconfirmed", msg("Could not ask Toss about this order: it stays as it is until Toss "
                                            "answers (reconcile asks again)"), phase="verify", verdict="fail")
        return
    if asked is None:
        flow.record("check_not_paid", msg("Toss has no payment for this order: nothing was charged"), phase="verify",
                    kind="check", verdict="pass", expected=msg("no payment"), actual="NOT_FOUND_PAYMENT")
        return
    settle_from(flow, order, asked)


def read_for_webhook(flow, order, payment_key):
    """A webhook's read-back (phase notify): the Payment, or None when Toss has none; PGError passes through."""
    try:
        with flow.at("notify"):
            secret = secret_of(order)
            return (client.get_payment(payment_key, secret) if payment_key
                    else client.find_payment(order["id"], secret))
    except PGNotFound:
        return None


def deposit_checked(flow, order, secret):
    """A DEPOSIT_CALLBACK's secret against the one saved from confirm; the check is recorded. True when it holds."""
    check = verify.deposit_secret(order["pg_secret"], secret)
    return not flow.checks([check])


# --- server-created checkout ------------------------------------------------------------------------

def create_checkout(flow, order, success_url, fail_url):
    """POST /v1/payments for the order. Returns the checkout URL to send the buyer to, or None (the order
    is then given up: nobody could pay it)."""
    record_auth(flow)
    try:
        with flow.at("checkout"):
            payment = client.create_payment(order["id"], order["amount"], order["order_name"], success_url,
                                            fail_url, order["buyer_name"], order["buyer_email"])
    except PGError as e:
        code = e.code or ""
        settle.move(flow, order, verify.UNSETTLED, Status.EXPIRED,
                    verify.explain(code) if code in verify.EXPLAIN else
                    msg("Toss did not open a checkout for this order, so nobody could pay it. Nothing was charged."))
        return None
    if flow.checks(verify.created(order, payment)):
        settle.move(flow, order, verify.UNSETTLED, Status.EXPIRED,
                    msg("Toss did not open a checkout for this order, so nobody could pay it. Nothing was charged."))
        return None
    orders.attach_payment(order["id"], payment.payment_key)
    flow.record("open_checkout", msg("Sending the buyer to Toss's checkout page"), phase="checkout")
    return payment.checkout_url


# --- reconciliation and audit (shop/reconcile.py) -----------------------------------------------------

def reconcile(order, abandon_after=ABANDON_AFTER_S):
    """Settle an order (of any status) from Toss's record of its orderId, through the functions /success uses.

    IN_PROGRESS (authenticated, never confirmed: the buyer's return was lost) is confirmed with the
    Idempotency-Key /success would use, while the order is payable; Toss itself refuses or expires it after
    its 10-minute window. READY is left to Toss, which expires it after 30 minutes. No completed payment:
    payable while the order is younger than abandon_after seconds, then EXPIRED (given up; a later payment
    is cancelled). Returns None, or 'no_answer' / 'waiting' when the order was left as it was.
    """
    flow = flow_of(order["id"])
    if order["sdk"] == "billing-auth":   # a card registration holds no payment
        return billing.reconcile_registration(flow, order, abandon_after)
    flow.record("reconcile", msg("Reconcile: the order is %(status)s; asking Toss what it knows about order "
                                 "%(order_id)s", status=order["status"], order_id=order["id"]), phase="settle",
                to="toss")
    with steps.bound(flow):
        try:
            payment = _ask_by_order(flow, order)
        except PGError as e:
            flow.record("reconcile", msg("Toss gave no usable answer (%(trouble)s): left %(status)s; the next "
                                         "reconcile asks again", trouble=_trouble(e), status=order["status"]),
                        phase="settle", verdict="fail")
            return "no_answer"
        if payment is not None and payment.status == "IN_PROGRESS" and order["status"] in verify.UNSETTLED:
            return _confirm_lost_return(flow, order, payment)
        if payment is not None and payment.status == "READY":
            flow.record("reconcile", msg("The buyer has not finished Toss's payment window (READY): left open; Toss "
                                         "expires it after 30 minutes"), phase="settle")
            return "waiting"
        if payment is not None and payment.status not in ("READY", "IN_PROGRESS"):
            settle_from(flow, order, payment, order["pg_payment_id"]
                        if order["pg_payment_id"] == payment.payment_key else None)
    return settle.after_reconcile(flow, order, abandon_after, PG)


def _confirm_lost_return(flow, order, payment):
    """Reconcile found a payment authenticated but never confirmed: confirm it as /success would, if it matches."""
    checks = [c for c in verify.after_confirm(order, payment) if c.name != "check_status"]
    if flow.checks(checks):   # IN_PROGRESS: not confirmed yet, so its status is not checked
        flow.record("reconcile", msg("Toss's record does not match the order, so the shop does not confirm it: Toss "
                                     "lets it expire and nothing is charged"), phase="settle", verdict="fail")
        return "waiting"
    flow.record("reconcile", msg("Toss shows payment %(payment_key)s authenticated but never confirmed (IN_PROGRESS): "
                                 "the buyer's return to /success was lost. Confirming it now with the Idempotency-Key "
                                 "/success uses, so it cannot be confirmed twice", payment_key=payment.payment_key),
                phase="settle")
    record_auth(flow, order)
    confirm(flow, order, payment.payment_key)
    return None


def holdings(order):
    """For `flask audit`: [(paymentKey, won Toss holds for it, 'paid' | 'awaiting_deposit')] for the order."""
    if order["sdk"] == "billing-auth":
        return []   # a card registration: no payment
    try:
        p = client.find_payment(order["id"], secret_of(order))
    except PGNotFound:
        return []
    if p.status in ("DONE", "PARTIAL_CANCELED") and (p.balance_amount or 0) > 0:
        return [(p.payment_key, p.balance_amount, "paid")]
    if p.status == "WAITING_FOR_DEPOSIT":
        return [(p.payment_key, p.total_amount, "awaiting_deposit")]
    return []
