"""Pure checks of the Toss flow: before confirming, after confirming (or reading back), and deposits.

No I/O here: each function takes plain values (an order mapping, a client.Redirect or
client.Payment) and returns Check results; the views record them as steps and act on them.
"""
import hmac
import re
from dataclasses import dataclass

from i18n import msg

from ..orders import Status
from .client import PAYMENT_KEY

METHODS = ("카드", "가상계좌", "간편결제", "휴대폰", "계좌이체", "문화상품권", "도서문화상품권", "게임문화상품권")
VIRTUAL_ACCOUNT = "가상계좌"
UNSETTLED = (Status.PENDING, Status.UNKNOWN)   # an order the shop may still confirm

# What the PG's record means for the order (outcome()).
PAID = "paid"                  # DONE and every check passed
AWAITING_DEPOSIT = "awaiting"  # virtual account issued; the money comes later
FORGED = "forged"              # our order's payment, but amount or method do not match: cancel it
NOT_OURS = "not_ours"          # the record is another order's or another payment's: touch nothing
NOT_PAID = "not_paid"          # ABORTED or EXPIRED: no money moved
CANCELED = "canceled"          # cancelled at the PG
OPEN = "open"                  # READY / IN_PROGRESS (or anything else): nothing to settle yet

_AMOUNT = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class Check:
    name: str        # the step name, 'toss.check_...'
    ok: bool
    summary: str     # one plain line for the step log: an i18n.msg()
    expected: object = None
    actual: object = None


def parse_amount(text):
    """The redirect's amount as an integer of won, or None if it is not a plain whole number."""
    return int(text) if isinstance(text, str) and _AMOUNT.fullmatch(text) else None


def is_refresh(order, redirect):
    """True when this successUrl visit repeats one the shop already settled (same order and paymentKey)."""
    return (order is not None and order["status"] not in UNSETTLED
            and order["pg_payment_id"] is not None and order["pg_payment_id"] == redirect.payment_key)


def before_confirm(order, redirect):
    """Checks of the successUrl query against the stored order. Confirm only if all of them pass.

    order: a mapping with id, pg, amount, status, pg_payment_id (or None when not found).
    """
    if order is None or order["pg"] != "toss":
        return [Check("toss.check_order", False, msg("No Toss order %(order_id)s in this shop",
                                                     order_id=repr(redirect.order_id)),
                      msg("an order this shop stored"), redirect.order_id or msg("(none)"))]
    checks = [Check("toss.check_order", True, msg("Order %(order_id)s was stored by this shop", order_id=order["id"]),
                    order["id"], redirect.order_id)]
    amount = parse_amount(redirect.amount)
    if amount == order["amount"]:
        summary = msg("Amount in the return URL equals the stored amount (%(amount_won)s)",
                      amount_won=order["amount"])
    elif amount is None:
        summary = msg("Amount in the return URL (%(amount)s) is not a whole number of won",
                      amount=repr(redirect.amount))
    else:
        summary = msg("Amount in the return URL (%(sent_won)s) differs from the stored amount "
                      "(%(stored_won)s): not confirming", sent_won=amount, stored_won=order["amount"])
    checks.append(Check("toss.check_amount", amount == order["amount"], summary, order["amount"],
                        redirect.amount))
    key_ok = bool(PAYMENT_KEY.fullmatch(redirect.payment_key or ""))
    known = order["pg_payment_id"]
    if key_ok and known and known != redirect.payment_key:
        key_ok = False
        summary = msg("paymentKey differs from the one Toss gave this order when it was created")
    elif key_ok and known:
        summary = msg("paymentKey is well formed and is the one Toss gave this order")
    elif key_ok:
        summary = msg("paymentKey is well formed")
    else:
        summary = msg("paymentKey is missing or malformed")
    checks.append(Check("toss.check_payment_key", key_ok, summary, known or msg("a Toss paymentKey"),
                        redirect.payment_key or msg("(none)")))
    unsettled = order["status"] in UNSETTLED
    checks.append(Check("toss.check_not_settled", unsettled,
                        msg("Order is still open") if unsettled
                        else msg("Order is already %(status)s", status=order["status"]),
                        "pending", order["status"]))
    return checks


def after_confirm(order, payment, payment_key=None):
    """Checks of the PG's Payment (from confirm or a read-back) against the stored order.

    payment_key: the key the shop confirmed or asked for, if it has one.
    """
    checks = [
        Check("toss.check_order_id", payment.order_id == order["id"],
              msg("Toss's record is for this order") if payment.order_id == order["id"]
              else msg("Toss's record is for another order (%(order_id)s)", order_id=payment.order_id),
              order["id"], payment.order_id),
        Check("toss.check_total_amount", payment.total_amount == order["amount"],
              msg("Toss's totalAmount %(paid_won)s equals the stored %(stored_won)s", paid_won=payment.total_amount,
                  stored_won=order["amount"]) if payment.total_amount == order["amount"]
              else msg("Toss's totalAmount %(paid_won)s differs from the stored %(stored_won)s",
                       paid_won=payment.total_amount, stored_won=order["amount"]),
              order["amount"], payment.total_amount),
    ]
    if payment_key:
        same = payment.payment_key == payment_key
        checks.append(Check("toss.check_payment_key", same,
                            msg("Toss answered about the paymentKey we asked for") if same
                            else msg("Toss answered about a different paymentKey"), payment_key, payment.payment_key))
    settled = payment.status in ("DONE", "WAITING_FOR_DEPOSIT")
    checks.append(Check("toss.check_status", settled,
                        msg("Toss's status is %(status)s", status=payment.status) if settled
                        else msg("Toss's status is %(status)s: not paid (yet)", status=payment.status),
                        msg("%(done)s or %(waiting)s", done="DONE", waiting="WAITING_FOR_DEPOSIT"),
                        payment.status))
    if settled:
        ok = payment.method in METHODS and (payment.status != "WAITING_FOR_DEPOSIT"
                                            or payment.method == VIRTUAL_ACCOUNT)
        checks.append(Check("toss.check_method", ok,
                            msg("Method %(method)s fits status %(status)s", method=payment.method,
                                status=payment.status) if ok
                            else msg("Method %(method)s does not fit status %(status)s", method=payment.method,
                                     status=payment.status),
                            VIRTUAL_ACCOUNT if payment.status == "WAITING_FOR_DEPOSIT" else "a Toss method",
                            payment.method))
    return checks


def outcome(checks, payment):
    """What the PG's record means for the order: PAID, AWAITING_DEPOSIT, FORGED, NOT_OURS, NOT_PAID,
    CANCELED or OPEN.

    A record of another order (or another paymentKey) is NOT_OURS, never FORGED: cancelling it
    would cancel somebody else's payment.
    """
    failed = {c.name for c in checks if not c.ok}
    if failed & {"toss.check_order_id", "toss.check_payment_key"}:
        return NOT_OURS
    if failed & {"toss.check_total_amount", "toss.check_method"}:
        return FORGED
    if payment.status == "DONE":
        return PAID
    if payment.status == "WAITING_FOR_DEPOSIT":
        return AWAITING_DEPOSIT
    if payment.status in ("ABORTED", "EXPIRED"):
        return NOT_PAID
    if payment.status == "CANCELED":
        return CANCELED
    return OPEN


def deposit_secret(stored, sent):
    """DEPOSIT_CALLBACK check: its `secret` equals the one saved from confirm (constant-time compare).

    The values themselves never go into the Check: it is recorded as a step.
    """
    if not stored:
        return Check("toss.check_deposit_secret", False, msg("No secret was saved for this order: ignoring the "
                                                             "deposit callback"),
                     msg("the secret saved from confirm"), msg("nothing saved"))
    ok = isinstance(sent, str) and hmac.compare_digest(stored.encode(), sent.encode())
    return Check("toss.check_deposit_secret", ok,
                 msg("The callback's secret matches the one saved from confirm") if ok
                 else msg("The callback's secret does not match the one saved from confirm: ignoring it"),
                 "the secret saved from confirm", "the same secret" if ok else "a different secret")


def created(order, payment):
    """Checks of the Payment that POST /v1/payments created, before the buyer is sent to its page."""
    url = payment.checkout_url or ""
    return [
        Check("toss.check_order_id", payment.order_id == order["id"], msg("The created payment is for this order")
              if payment.order_id == order["id"] else msg("The created payment is for another order"),
              order["id"], payment.order_id),
        Check("toss.check_total_amount", payment.total_amount == order["amount"],
              msg("The created payment asks %(asked_won)s; the order is %(stored_won)s",
                  asked_won=payment.total_amount, stored_won=order["amount"]),
              order["amount"], payment.total_amount),
        Check("toss.check_checkout_url", url.startswith(("https://", "http://")),
              msg("Toss gave a checkout page to send the buyer to") if url else msg("Toss gave no checkout page"),
              "checkout.url", url or msg("(none)")),
    ]
