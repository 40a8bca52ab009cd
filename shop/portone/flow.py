"""What the shop does with PortOne V1's answers: read the payment back, check it, settle the order once,
cancel what the order does not keep, reconcile and audit. The routes (views.py) only parse requests.

Every way PortOne's answer reaches the shop (the page's callback, the m_redirect_url redirect, the
webhook) ends in read_back(): token -> GET /payments/{imp_uid} -> checks -> shop.settle.apply(). The
browser's and the webhook's words only say *which* payment to look at; what happened is read from
PortOne itself, and never makes an order terminal.
"""
import contextlib

from i18n import msg

from .. import billing, orders, privacy, settle, steps
from ..http import PGError, PGNotFound, PGRefused, PGUnknown, trouble
from ..orders import Status
from . import client, verify

PG = "PortOne"
ABANDON_AFTER_S = 30 * 60   # PortOne V1 never expires an unfinished window itself: the shop gives up then



def flow_of(order_id):
    return steps.Flow(order_id, "portone")


def _trouble(error):
    return trouble(error, PG)


# --- the one verification ------------------------------------------------------------------------

def read_back(flow, order, imp_uid, hint=None):
    """Read the payment from PortOne (by imp_uid, or the order's latest by merchant_uid when imp_uid is
    None), check it against the order and settle. hint: the window's own message, if the browser sent one."""
    try:
        with flow.at("approve"):
            payment = client.get_payment(imp_uid) if imp_uid else client.find_payment(order["id"])
    except PGNotFound:
        flow.record("payment_not_found", msg("PortOne has no payment %(imp_uid)s: refused, nothing changes",
                                             imp_uid=imp_uid), phase="verify", kind="check", verdict="fail",
                    expected="a PortOne payment", actual="404 Not Found")
        return settle.Answer(orders.get(order["id"]), 400, "PAYMENT_NOT_FOUND",
                      msg("PortOne has no such payment, so the shop refused it. Nothing changed."))
    except PGError as e:
        return _unknown(flow, order, e)
    if payment is None:
        flow.record("no_payment", msg("PortOne has no payment for this order: nothing was paid, the order stays "
                                      "open"), phase="verify", kind="check")
        return settle.Answer(orders.get(order["id"]), 200, None, _unpaid_message(hint))
    return settle_from(flow, order, payment, hint)


def settle_from(flow, order, payment, hint=None):
    """Record the checks of PortOne's record against the order and apply what they mean (shop.settle)."""
    verdict = verify.verify(order, payment)
    flow.checks(verdict.checks)
    if verdict.outcome == settle.Outcome.NOT_OURS:
        flow.record("refused", msg("%(reason)s Nothing changes: it is not this order's money, so the shop does "
                                   "not cancel it.", reason=verdict.reason), phase="settle", verdict="fail")
        return settle.Answer(orders.get(order["id"]), 400, "PAYMENT_OF_ANOTHER_ORDER",
                      msg("Refused: that payment belongs to another order. Nothing changed."))
    now = settle.apply(flow, order, verdict, cancel)
    if verdict.outcome == settle.Outcome.OPEN:
        return settle.Answer(now, 200, None, _unpaid_message(hint))
    if verdict.outcome == settle.Outcome.MISMATCH:
        return settle.Answer(now, 200, "PAYMENT_REFUSED", settle.refusal_words(verdict.reason, "portone", payment.imp_uid))
    return settle.Answer(now, 200, None, now["reason"])


def _unknown(flow, order, error):
    """PortOne's answer was lost or unusable: the order is UNKNOWN (never guessed); ask again by merchant_uid."""
    if isinstance(error, PGUnknown) and (error.status or 0) >= 500:
        reason = msg("PortOne did not answer properly, so the outcome is not known yet. The shop will ask PortOne "
                     "again; do not pay twice.")
    else:
        reason = msg("The shop could not get an answer from PortOne, so the outcome is not known yet. The shop "
                     "will ask PortOne again; do not pay twice.")
    orders.transition(order["id"], (Status.PENDING, Status.FAILED, Status.FORGED), Status.UNKNOWN, reason)
    flow.record("unknown", msg("No usable answer from PortOne (%(trouble)s): the order is marked unknown, not "
                               "guessed; asking PortOne again by merchant_uid", trouble=_trouble(error)),
                phase="settle", verdict="fail")
    try:
        with flow.at("settle"):
            payment = client.find_payment(order["id"])
    except PGError as e:
        flow.record("still_unknown", msg("PortOne still gives no usable answer (%(trouble)s): the order is left "
                                         "open; the next webhook, the buyer's next visit or reconcile (flask "
                                         "reconcile, or the button on /flows) asks again", trouble=_trouble(e)),
                    phase="settle", verdict="fail")
        now = orders.get(order["id"])
        return settle.Answer(now, 503, "PG_UNAVAILABLE", reason if now["status"] == Status.UNKNOWN else now["reason"])
    if payment is None:
        flow.record("no_payment", msg("Asked by merchant_uid, PortOne has no payment for this order: nothing was "
                                      "paid, the order is pending again"), phase="settle", kind="check")
        orders.transition(order["id"], (Status.UNKNOWN,), Status.PENDING, _unpaid_message(None))
        return settle.Answer(orders.get(order["id"]), 200, None, _unpaid_message(None))
    flow.record("recovered", msg("Asked by merchant_uid, PortOne answered: payment %(imp_uid)s is %(status)s; the "
                                 "shop settles from that record", imp_uid=payment.imp_uid, status=payment.status),
                phase="settle")
    return settle_from(flow, orders.get(order["id"]), payment)


def cancel(flow, imp_uid):
    """Cancel a payment the shop does not keep (shop.settle's cancel). 'done' when PortOne holds nothing for it
    any more (an unpaid virtual account is closed), 'refund_account' for a virtual account already paid into
    (refunding it needs the buyer's bank account). Raises PGError when PortOne gave no usable answer or refused."""
    with flow.at("settle"):
        payment = client.get_payment(imp_uid)
        if payment.vbank_issued:
            payment = client.revoke_vbank(imp_uid)
            return "done" if payment.status == "cancelled" else "refund_account"
        if payment.pay_method == "vbank" and payment.status == "paid":
            return "refund_account"
        if payment.status != "paid" or payment.cancellable <= 0:
            return "done"
        try:
            after = client.cancel(imp_uid, "Not kept by the shop: the payment did not settle its order",
                                  payment.cancellable)
        except PGRefused as refusal:
            after = client.get_payment(imp_uid)   # refused: perhaps cancelled meanwhile; look again
            if after.status != "cancelled" and after.cancellable > 0:
                raise refusal                     # still held: PortOne's own words say why
    if after.status == "cancelled" or after.cancellable <= 0:
        return "done"
    raise PGRefused("cancel", 200, 1, "the payment is still paid after the cancel")


# --- the ways PortOne's answer comes back ----------------------------------------------------------

def returned(flow, order, imp_uid, error_code, error_msg):
    """The browser came back (callback or redirect). Its success or error is only a hint: the shop asks PortOne."""
    if error_code:
        said = {"error_code": str(error_code)[:40], "error_msg": str(error_msg)[:200]}
        # Anyone can post a callback for a public order id: only the buyer's own browser's words may later
        # explain the order on its pages (shop.views.browser_words reads exchange.browser).
        flow.record("browser_error", msg("The payment window reported error %(code)s: “%(message)s” (not trusted "
                                         "either way: the shop asks PortOne)", code=said["error_code"],
                                         message=said["error_msg"]),
                    phase="return", kind="browser", frm="browser", reported=True,
                    exchange={"browser": said} if privacy.owns(order) else None)
    if imp_uid is None or imp_uid == "":
        if not error_code:
            flow.record("refused", msg("No imp_uid and no error: nothing to look up"), phase="verify",
                        kind="check", verdict="fail")
            return settle.Answer(order, 400, "MISSING_IMP_UID", msg("Send the imp_uid PortOne gave the page."))
        return read_back(flow, order, None, _hint(error_code, error_msg))
    return read_back(flow, order, imp_uid, _hint(error_code, error_msg))


def _hint(code, message):
    """What the window told the browser, for that browser's answer only (never stored as the order's state)."""
    if not code:
        return None
    if code == "F400" and "결제포기" in str(message or ""):
        return msg("You closed PortOne's payment window, so nothing was charged. The order can still be paid.")
    return msg("Nothing was charged: the payment window said “%(error)s”. The order can still be paid.",
               error=str(message or code)[:200])


def _unpaid_message(hint):
    return hint or msg("Nothing was paid: PortOne has not completed this payment.")


def webhook(named, imp_uid):
    """PortOne's webhook about imp_uid; named: the order whose flow logs it (the one holding this imp_uid,
    else the one the body names), or None. The order settled is the one PortOne's record names."""
    log = flow_of(named["id"]) if named is not None else None
    try:
        with steps.bound(log), (log.at("notify") if log else contextlib.nullcontext()):
            payment = client.get_payment(imp_uid)
    except PGNotFound:
        if log:
            log.record("payment_not_found", msg("PortOne has no payment %(imp_uid)s: nothing changes",
                                                imp_uid=imp_uid), phase="notify", kind="check", verdict="fail")
        return settle.Answer(named, 200, "PAYMENT_NOT_FOUND")
    except PGError as e:
        if log:
            log.record("webhook_retry", msg("PortOne could not be asked about this webhook (%(trouble)s): answered "
                                            "503, so PortOne sends it again later", trouble=_trouble(e)),
                       phase="notify", verdict="fail")
        return settle.Answer(named, 503, "PG_UNAVAILABLE")
    paid_for = _order(payment.merchant_uid)
    if paid_for is None:
        if log:
            log.record("unknown_order", msg("PortOne says this payment is for %(merchant_uid)s, which is not a "
                                            "PortOne order of this shop", merchant_uid=repr(payment.merchant_uid)),
                       phase="notify", kind="check", verdict="fail")
        return settle.Answer(None, 200, "UNKNOWN_ORDER")
    if named is None or paid_for["id"] != named["id"]:
        _handed_over(log, paid_for, imp_uid)
    flow = flow_of(paid_for["id"])
    if paid_for["sdk"] == "billing-auth":
        flow.record("registration_webhook", msg("A card registration's payment (it issued the billing key): "
                                                "nothing to settle"), phase="notify")
        return settle.Answer(paid_for, 200, "CARD_REGISTRATION")
    with steps.bound(flow):
        return settle_from(flow, paid_for, payment)


@steps.helper
def _handed_over(log, paid_for, imp_uid):
    """The webhook named another order (or none): say so in its flow, and log the webhook in the paid order's."""
    if log:
        log.record("other_order", msg("PortOne says %(imp_uid)s belongs to order %(order_id)s; it is handled in "
                                      "that order's flow", imp_uid=imp_uid, order_id=paid_for["id"]),
                   phase="notify")
    flow_of(paid_for["id"]).record("webhook", msg("PortOne's webhook about %(imp_uid)s (the body named another "
                                                  "order)", imp_uid=imp_uid), phase="notify", kind="http_in",
                                   frm="portone")


def _order(merchant_uid):
    order = orders.get(merchant_uid) if isinstance(merchant_uid, str) else None
    return order if order is not None and order["pg"] == "portone" else None


def prepare(flow, order):
    """Pre-register the order's amount so PortOne refuses to open a window with any other. True if done."""
    try:
        with flow.at("order"):
            client.prepare(order["id"], order["amount"])
    except PGError:
        flow.record("prepare_failed", msg("PortOne did not register the amount; the page will not open the payment "
                                          "window for this order"), phase="order", verdict="fail")
        return False
    return True


# --- reconciliation and audit (shop/reconcile.py: flask reconcile, flask audit, the button on /flows) -----

def reconcile(order, abandon_after=ABANDON_AFTER_S):
    """Settle an order from every payment PortOne has for its merchant_uid (any status: a late or second
    payment is cancelled). A payable order with no completed payment is given up (EXPIRED) once it is older
    than abandon_after seconds. Returns None, or 'no_answer' / 'waiting' when left as it was."""
    flow = flow_of(order["id"])
    if order["sdk"] == "billing-auth":   # a card registration: its 0-won issue payment settles nothing
        return billing.reconcile_registration(flow, order, abandon_after)
    flow.record("reconcile", msg("Reconcile: the order is %(status)s; asking PortOne for its payments by "
                                 "merchant_uid", status=order["status"]), phase="settle", to="portone")
    try:
        with steps.bound(flow), flow.at("settle"):
            payments = client.payments_of(order["id"])
    except PGError as e:
        flow.record("reconcile", msg("PortOne gave no usable answer (%(trouble)s): left %(status)s; the next "
                                     "reconcile asks again", trouble=_trouble(e), status=order["status"]),
                    phase="settle", verdict="fail")
        return "no_answer"
    with steps.bound(flow):
        for payment in sorted(payments, key=lambda p: p.status != "paid"):   # a paid one first
            if verify.verify(order, payment).outcome != settle.Outcome.OPEN:
                flow.record("reconcile", msg("PortOne says payment %(imp_uid)s is %(status)s: settling from that "
                                             "record with the same checks as the callback and the webhook",
                                             imp_uid=payment.imp_uid, status=payment.status), phase="settle")
                settle_from(flow, orders.get(order["id"]), payment)
    return settle.after_reconcile(flow, order, abandon_after, PG)


def holdings(order):
    """For `flask audit`: [(payment id, won the PG holds for it, 'paid' | 'awaiting_deposit')] for the order."""
    if order["sdk"] == "billing-auth":
        return []   # a card registration: its issue payment holds no money
    return [(p.imp_uid, p.cancellable if p.status == "paid" else p.amount,
             "paid" if p.status == "paid" else "awaiting_deposit")
            for p in client.payments_of(order["id"])
            if (p.status == "paid" and p.cancellable > 0) or p.vbank_issued]
