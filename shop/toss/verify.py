"""Pure checks of the Toss flow: before confirming, after confirming (or reading back), and deposits.

No I/O here: each function takes plain values (an order mapping, a client.Redirect or client.Payment)
and returns shop.settle Checks, or a Verdict in shop.settle's vocabulary; flow.py records and acts.
"""
import hmac
import re

from i18n import msg

from ..orders import PAYABLE, Status
from ..settle import Check, Outcome, Verdict
from .client import PAYMENT_KEY

# Toss's `method` values (Korean on the wire) and what each means, for readers of either language.
METHODS = {"카드": msg("card"), "가상계좌": msg("virtual account"), "간편결제": msg("easy pay"),
           "휴대폰": msg("mobile phone"), "계좌이체": msg("bank transfer"),
           "문화상품권": msg("culture gift card"), "도서문화상품권": msg("book gift card"),
           "게임문화상품권": msg("game gift card")}
VIRTUAL_ACCOUNT = "가상계좌"
UNSETTLED = tuple(s for s in PAYABLE if s != Status.AWAITING_DEPOSIT)   # an order the shop may still confirm

_AMOUNT = re.compile(r"[0-9]{1,12}")

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
        return [Check("check_order", False, msg("No Toss order %(order_id)s in this shop",
                                                     order_id=repr(redirect.order_id)),
                      msg("an order this shop stored"), redirect.order_id or msg("(none)"))]
    unsettled = order["status"] in UNSETTLED
    return [
        Check("check_order", True, msg("Order %(order_id)s was stored by this shop", order_id=order["id"]),
              order["id"], redirect.order_id),
        _amount_check(order, redirect),
        _payment_key_check(order, redirect),
        Check("check_not_settled", unsettled,
              msg("Order is still open") if unsettled
              else msg("No change: the order is already %(status)s, so it is not confirmed again",
                       status=order["status"]),
              "pending", order["status"]),
    ]


def _amount_check(order, redirect):
    """The successUrl's amount is a whole number of won and equals the stored amount."""
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
    return Check("check_amount", amount == order["amount"], summary, order["amount"], redirect.amount)


def _payment_key_check(order, redirect):
    """The successUrl's paymentKey is well formed and, when Toss gave the order one at creation, that one."""
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
    return Check("check_payment_key", key_ok, summary, known or msg("a Toss paymentKey"),
                 redirect.payment_key or msg("(none)"))


def after_confirm(order, payment, payment_key=None):
    """Checks of the PG's Payment (from confirm or a read-back) against the stored order.

    payment_key: the key the shop confirmed or asked for, if it has one.
    """
    checks = [
        Check("check_order_id", payment.order_id == order["id"],
              msg("Toss's record is for this order") if payment.order_id == order["id"]
              else msg("Toss's record is for another order (%(order_id)s)", order_id=payment.order_id),
              order["id"], payment.order_id),
        Check("check_total_amount", payment.total_amount == order["amount"],
              msg("Toss's totalAmount %(paid_won)s equals the stored %(stored_won)s", paid_won=payment.total_amount,
                  stored_won=order["amount"]) if payment.total_amount == order["amount"]
              else msg("Toss's totalAmount %(paid_won)s differs from the stored %(stored_won)s",
                       paid_won=payment.total_amount, stored_won=order["amount"]),
              order["amount"], payment.total_amount),
    ]
    if payment_key:
        same = payment.payment_key == payment_key
        checks.append(Check("check_payment_key", same,
                            msg("Toss answered about the paymentKey we asked for") if same
                            else msg("Toss answered about a different paymentKey"), payment_key, payment.payment_key))
    settled = payment.status in ("DONE", "WAITING_FOR_DEPOSIT")
    checks.append(Check("check_status", settled,
                        msg("Toss's status is %(status)s", status=payment.status) if settled
                        else msg("Toss's status is %(status)s: not paid (yet)", status=payment.status),
                        msg("%(done)s or %(waiting)s", done="DONE", waiting="WAITING_FOR_DEPOSIT"),
                        payment.status))
    if settled:
        checks.append(_method_check(payment))
    return checks


def _method_check(payment):
    """A settled payment's method is a Toss method, and a virtual account when it waits for a deposit."""
    ok = payment.method in METHODS and (payment.status != "WAITING_FOR_DEPOSIT" or payment.method == VIRTUAL_ACCOUNT)
    return Check("check_method", ok,
                 msg("Method “%(method)s” (%(meaning)s) fits status “%(status)s”",
                     method=payment.method, meaning=METHODS[payment.method], status=payment.status) if ok
                 else msg("Method “%(method)s” (%(meaning)s) does not fit status “%(status)s”",
                          method=payment.method, status=payment.status,
                          meaning=METHODS.get(payment.method) or msg("not a Toss method")),
                 VIRTUAL_ACCOUNT if payment.status == "WAITING_FOR_DEPOSIT" else "a Toss method", payment.method)


def verdict(order, payment, payment_key=None):
    """What Toss's record means for the order (shop.settle's vocabulary), with every check made.

    A record of another order (or another paymentKey) is NOT_OURS, never a mismatch: cancelling it
    would cancel somebody else's payment.
    """
    checks = after_confirm(order, payment, payment_key)
    failed = {c.name for c in checks if not c.ok}
    fields = {"pg_secret": payment.secret} if payment.secret else {}
    holds = payment.status in ("DONE", "WAITING_FOR_DEPOSIT", "PARTIAL_CANCELED") and \
        (payment.balance_amount is None or payment.balance_amount > 0)

    def judged(outcome, reason, **extra):
        return Verdict(outcome, tuple(checks), payment.payment_key, reason, holds_money=holds,
                       refunded=payment.refunded, fields={**fields, **extra})

    if failed & {"check_order_id", "check_payment_key"}:
        return judged(Outcome.NOT_OURS, msg("Toss's record is not this order's: nothing changes"))
    if failed & {"check_total_amount", "check_method"}:
        names = ", ".join(MISMATCH_FIELDS[c] for c in sorted(failed & set(MISMATCH_FIELDS)))
        return judged(Outcome.MISMATCH, msg("A payment that did not match the order (%(why)s) was refused; the "
                                            "order can still be paid.", why=names))
    if payment.status == "DONE":
        return judged(Outcome.PAID, msg("The deposit arrived and Toss confirms it.")
                      if order["status"] == Status.AWAITING_DEPOSIT else
                      msg("Toss confirmed the payment and every check passed."))
    if payment.status == "WAITING_FOR_DEPOSIT":
        return judged(Outcome.AWAITING_DEPOSIT, msg("Toss issued a virtual account. The order is paid when the "
                                                    "money arrives in it."), vbank=payment.virtual_account)
    if payment.status == "PARTIAL_CANCELED" or (payment.status == "CANCELED" and payment.approved_at):
        return judged(Outcome.REFUNDED, msg("The payment was cancelled at Toss and refunded."))
    if payment.status in ("ABORTED", "EXPIRED", "CANCELED"):
        code = payment.failure[0] if payment.failure else ""
        return judged(Outcome.DECLINED, explain(code) if code in EXPLAIN else msg(
            "Not paid: Toss reports the payment as %(status)s. Nothing was charged; the order can be paid again.",
            status=payment.status))
    return judged(Outcome.OPEN, msg("Toss shows the payment as %(status)s: nothing to settle yet",
                                    status=payment.status))


# The field of Toss's Payment that a failed check compared (named in the order's reason, the same in every
# language).
MISMATCH_FIELDS = {"check_total_amount": "totalAmount", "check_method": "method"}


def deposit_secret(stored, sent):
    """DEPOSIT_CALLBACK check: its `secret` equals the one saved from confirm (constant-time compare).

    The values themselves never go into the Check: it is recorded as a step.
    """
    if not stored:
        return Check("check_deposit_secret", False, msg("No secret was saved for this order: ignoring the "
                                                             "deposit callback"),
                     msg("the secret saved from confirm"), msg("nothing saved"))
    ok = isinstance(sent, str) and hmac.compare_digest(stored.encode(), sent.encode())
    return Check("check_deposit_secret", ok,
                 msg("The callback's secret matches the one saved from confirm") if ok
                 else msg("The callback's secret does not match the one saved from confirm: ignoring it"),
                 "the secret saved from confirm", "the same secret" if ok else "a different secret")


def created(order, payment):
    """Checks of the Payment that POST /v1/payments created, before the buyer is sent to its page."""
    url = payment.checkout_url or ""
    return [
        Check("check_order_id", payment.order_id == order["id"], msg("The created payment is for this order")
              if payment.order_id == order["id"] else msg("The created payment is for another order"),
              order["id"], payment.order_id),
        Check("check_total_amount", payment.total_amount == order["amount"],
              msg("The created payment asks %(asked_won)s; the order is %(stored_won)s",
                  asked_won=payment.total_amount, stored_won=order["amount"]),
              order["amount"], payment.total_amount),
        Check("check_checkout_url", url.startswith(("https://", "http://")),
              msg("Toss gave a checkout page to send the buyer to") if url else msg("Toss gave no checkout page"),
              "checkout.url", url or msg("(none)")),
    ]
