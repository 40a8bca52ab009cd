"""What the shop does with PortOne V2's answers: read the payment back, check it, settle the order once,
cancel what the order does not keep, reconcile and audit. The routes (views.py) only parse requests.

The paymentId is the order id, so PortOne itself keeps one order to one paid payment (a paymentId may be
tried many times, paid once). Every way PortOne's answer reaches the shop (the Promise's result posted by
the page, the redirect, the signed webhook) ends in read_back(): GET /payments/{paymentId} -> checks ->
shop.settle.apply(). The browser's and the webhook's words only say *which* payment to look at.
"""

from i18n import msg

from .. import orders, settle, steps
from ..http import PGError, PGNotFound, PGRefused, trouble
from ..orders import Status
from . import client, verify

PG = "PortOne"
ABANDON_AFTER_S = 30 * 60   # the shop gives up on an order with no completed payment then



def flow_of(order_id):
    return steps.Flow(order_id, "portone_v2")


def _trouble(error):
    return trouble(error, PG)


def judge(order, payment):
    return verify.verify(order, payment, client.channel_key())


# --- the one verification ------------------------------------------------------------------------

def read_back(flow, order, hint=None, phase="approve"):
    """Read the order's payment (paymentId = order id) from PortOne, check it and settle.
    hint: what the SDK told the browser, for that browser's answer only."""
    flow.record("auth", msg("No token to fetch: each call to PortOne V2 carries Authorization: PortOne "
                            "<API secret>"), phase="server_auth")
    try:
        with flow.at(phase):
            payment = client.get_payment(order["id"])
    except PGNotFound:
        flow.record("no_payment", msg("PortOne has no payment for this order: nothing was paid, the order stays "
                                      "open"), phase="verify", kind="check", verdict="fail",
                    expected="a PortOne payment", actual="404 PAYMENT_NOT_FOUND")
        return settle.Answer(orders.get(order["id"]), 200, None, _unpaid_message(hint))
    except PGError as e:
        return _unknown(flow, order, e)
    return settle_from(flow, order, payment, hint)


def settle_from(flow, order, payment, hint=None):
    """Record the checks of PortOne's record against the order and apply what they mean (shop.settle)."""
    verdict = judge(order, payment)
    flow.checks(verdict.checks)
    if verdict.outcome == settle.Outcome.NOT_OURS:
        flow.record("refused", msg("%(reason)s Nothing changes.", reason=verdict.reason), phase="settle",
                    verdict="fail")
        return settle.Answer(orders.get(order["id"]), 400, "PAYMENT_OF_ANOTHER_ORDER",
                      msg("Refused: that payment belongs to another order. Nothing changed."))
    now = settle.apply(flow, order, verdict, cancel)
    if verdict.outcome == settle.Outcome.OPEN:
        return settle.Answer(now, 200, None, _unpaid_message(hint))
    if verdict.outcome == settle.Outcome.MISMATCH:
        return settle.Answer(now, 200, "PAYMENT_REFUSED", settle.refusal_words(verdict.reason, "portone_v2", payment.id))
    if verdict.outcome == settle.Outcome.DECLINED and hint:
        return settle.Answer(now, 200, None, hint)
    return settle.Answer(now, 200, None, now["reason"])


def _unknown(flow, order, error):
    """PortOne's answer was lost or unusable: the order is UNKNOWN (never guessed) until it is asked again."""
    reason = msg("The shop could not get an answer from PortOne, so the outcome is not known yet. The shop will "
                 "ask PortOne again; do not pay twice.")
    orders.transition(order["id"], (Status.PENDING, Status.FAILED, Status.FORGED), Status.UNKNOWN, reason)
    flow.record("unknown", msg("No usable answer from PortOne (%(trouble)s): the order is marked unknown, not "
                               "guessed; the next webhook, the buyer's next visit or reconcile asks again",
                               trouble=_trouble(error)), phase="settle", verdict="fail")
    now = orders.get(order["id"])
    return settle.Answer(now, 503, "PG_UNAVAILABLE", reason if now["status"] == Status.UNKNOWN else now["reason"])


def cancel(flow, payment_id):
    """Cancel a payment the shop does not keep (shop.settle's cancel). 'done' when PortOne holds nothing for it
    any more, 'refund_account' for a virtual account (a cancel needs the buyer's refundAccount).
    Raises PGError when PortOne gave no usable answer or refused."""
    with flow.at("settle"):
        payment = client.get_payment(payment_id)
        if payment.virtual_account and (payment.holds_money or payment.status == "VIRTUAL_ACCOUNT_ISSUED"):
            return "refund_account"
        if not payment.holds_money:
            return "done"
        try:
            client.cancel(payment_id, "Not kept by the shop: the payment did not settle its order",
                          payment.cancellable)
            return "done"
        except PGRefused:
            after = client.get_payment(payment_id)   # refused: perhaps cancelled meanwhile; look again
    if not after.holds_money:
        return "done"
    raise PGRefused("cancel", 409, "CANCEL_FAILED", "the payment still holds money after the cancel")


# --- the ways PortOne's answer comes back ----------------------------------------------------------

def returned(flow, order, code, message):
    """The browser came back (the Promise's result, or the redirect). Its success or failure is only a hint:
    the shop asks PortOne."""
    if code:
        flow.record("browser_error", msg("requestPayment reported %(code)s: %(message)s (not trusted either way: "
                                         "the shop asks PortOne)", code=str(code)[:60], message=str(message)[:200]),
                    phase="return", kind="browser", frm="browser", reported=True)
    return read_back(flow, order, _hint(code, message))


def _hint(code, message):
    """What the SDK told the browser, for that browser's answer only (never stored as the order's state)."""
    if not code:
        return None
    return msg("Nothing was charged: PortOne said \"%(error)s\". The order can still be paid.",
               error=str(message or code)[:200])


def _unpaid_message(hint):
    return hint or msg("Nothing was paid: PortOne has not completed this payment.")


def webhook(order, payment_id):
    """A verified webhook about payment_id: read it back and settle the order it names (already looked up)."""
    flow = flow_of(order["id"])
    with steps.bound(flow):
        try:
            with flow.at("notify"):
                payment = client.get_payment(payment_id)
        except PGNotFound:
            flow.record("payment_not_found", msg("PortOne has no payment %(payment_id)s: nothing changes",
                                                 payment_id=payment_id), phase="notify", kind="check",
                        verdict="fail")
            return settle.Answer(order, 200, "PAYMENT_NOT_FOUND")
        except PGError as e:
            flow.record("webhook_retry", msg("PortOne could not be asked about this webhook (%(trouble)s): "
                                             "answered 503, so PortOne sends it again later", trouble=_trouble(e)),
                        phase="notify", verdict="fail")
            return settle.Answer(order, 503, "PG_UNAVAILABLE")
        return settle_from(flow, order, payment)


def pre_register(flow, order):
    """Pre-register the order's amount so PortOne refuses a requestPayment with any other. True if done."""
    try:
        with flow.at("order"):
            client.pre_register(order["id"], order["amount"])
    except PGError:
        flow.record("pre_register_failed", msg("PortOne did not register the amount; the page will not call "
                                               "requestPayment for this order"), phase="order", verdict="fail")
        return False
    return True


# --- reconciliation and audit (shop/reconcile.py) --------------------------------------------------

def reconcile(order, abandon_after=ABANDON_AFTER_S):
    """Settle an order from PortOne's payment of its paymentId (any status: a late payment is cancelled). A
    payable order with no completed payment is given up (EXPIRED) once older than abandon_after seconds.
    Returns None, or 'no_answer' / 'waiting' when left as it was."""
    flow = flow_of(order["id"])
    flow.record("reconcile", msg("Reconcile: the order is %(status)s; asking PortOne V2 for payment %(payment_id)s",
                                 status=order["status"], payment_id=order["id"]), phase="settle", to="portone_v2")
    try:
        with steps.bound(flow), flow.at("settle"):
            payment = client.get_payment(order["id"])
    except PGNotFound:
        payment = None
    except PGError as e:
        flow.record("reconcile", msg("PortOne gave no usable answer (%(trouble)s): left %(status)s; the next "
                                     "reconcile asks again", trouble=_trouble(e), status=order["status"]),
                    phase="settle", verdict="fail")
        return "no_answer"
    if payment is not None and judge(order, payment).outcome != settle.Outcome.OPEN:
        with steps.bound(flow):
            flow.record("reconcile", msg("PortOne says payment %(payment_id)s is %(status)s: settling from that "
                                         "record with the same checks as the page's return and the webhook",
                                         payment_id=payment.id, status=payment.status), phase="settle")
            settle_from(flow, orders.get(order["id"]), payment)
    return settle.after_reconcile(flow, order, abandon_after, "PortOne")


def holdings(order):
    """For `flask audit`: [(paymentId, won PortOne holds for it, 'paid' | 'awaiting_deposit')] for the order."""
    try:
        p = client.get_payment(order["id"])
    except PGNotFound:
        return []
    if p.status == "VIRTUAL_ACCOUNT_ISSUED":
        return [(p.id, p.total, "awaiting_deposit")]
    return [(p.id, p.cancellable, "paid")] if p.holds_money else []


def order_of(payment_id):
    """The PortOne V2 order whose paymentId this is, or None."""
    order = orders.get(payment_id) if isinstance(payment_id, str) else None
    return order if order is not None and order["pg"] == "portone_v2" else None

