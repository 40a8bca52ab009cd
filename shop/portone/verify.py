"""Pure checks of a PortOne V1 payment against the shop's stored order: no I/O, no app needed.

verify(order, payment) compares what the shop stored when it created the order (id, amount) with
the Payment the shop itself read from PortOne (GET /payments/{imp_uid}), and says what it means
in the shared vocabulary of shop.settle. The browser's word is never an input here.
"""
from i18n import msg

from ..settle import Check, Outcome, Verdict

CURRENCY = "KRW"


def _is_money(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _won_value(amount):
    """An amount for a message's `_won` value: whole won as an int (shown as money), anything else as text."""
    if _is_money(amount) and amount == int(amount):
        return int(amount)
    return repr(amount)


def verify(order, payment):
    """Compare the stored order (mapping with id, amount) with PortOne's Payment. Returns a Verdict whose
    checks list every comparison made, passed or not."""
    checks = _checks(order, payment)
    same_order, amount_ok, currency_ok = (c.ok for c in checks if c.name != "check_status")
    was_paid = payment.status == "paid" or (payment.status == "cancelled" and bool(payment.paid_at))
    money_in = payment.status == "paid" or payment.vbank_issued
    refunded = payment.cancel_amount if _is_money(payment.cancel_amount) else 0
    holds = (payment.status == "paid" and payment.cancellable > 0) or payment.vbank_issued

    def verdict(outcome, reason, **fields):
        return Verdict(outcome, checks, payment.imp_uid, reason, holds_money=holds,
                       refunded=int(refunded), fields=fields)

    if not same_order:
        return verdict(Outcome.NOT_OURS, msg("The payment offered for this order belongs to order "
                                             "%(merchant_uid)s; the shop refused it.",
                                             merchant_uid=payment.merchant_uid))
    if (was_paid or money_in) and not (amount_ok and currency_ok):
        return verdict(Outcome.MISMATCH, msg("A payment that did not match the order was refused (%(what)s); "
                                             "the order can still be paid.", what=mismatch(order, payment)))
    return _by_status(order, payment, was_paid, refunded, verdict)


def _checks(order, payment):
    """Every comparison, passed or not: merchant_uid, status, amount, currency (in that order)."""
    same_order = payment.merchant_uid == order["id"]
    amount_ok = _is_money(payment.amount) and payment.amount == order["amount"]
    currency_ok = payment.currency == CURRENCY
    money_in = payment.status == "paid" or payment.vbank_issued
    return (
        Check("check_merchant_uid", same_order,
              msg("PortOne's payment is for order %(merchant_uid)s, this order", merchant_uid=payment.merchant_uid)
              if same_order else msg("PortOne's payment is for order %(merchant_uid)s, not for this order "
                                     "%(order_id)s", merchant_uid=payment.merchant_uid, order_id=order["id"]),
              order["id"], payment.merchant_uid),
        Check("check_status", money_in, _status_words(payment), msg("paid (or ready with a virtual account)"),
              f"{payment.status} ({payment.pay_method})"),
        Check("check_amount", amount_ok, _amount_words(order["amount"], payment.amount, amount_ok,
                                                       payment.status == "paid"), order["amount"], payment.amount),
        Check("check_currency", currency_ok,
              msg("currency %(currency)s is KRW", currency=payment.currency) if currency_ok
              else msg("currency %(currency)s is not KRW", currency=payment.currency), CURRENCY, payment.currency),
    )


def _by_status(order, payment, was_paid, refunded, verdict):
    """The outcome of this order's matching payment, by PortOne's status."""
    if payment.status == "paid" and refunded:
        return verdict(Outcome.REFUNDED, msg("Part of the payment was refunded at PortOne."))
    if payment.status == "paid":
        return verdict(Outcome.PAID, msg("PortOne confirmed that %(amount_won)s was paid for this order, and "
                                         "every check passed.", amount_won=order["amount"]))
    if payment.vbank_issued:
        v = payment.vbank
        return verdict(Outcome.AWAITING_DEPOSIT, msg(
            "A virtual account was issued: pay %(amount_won)s into “%(bank)s” %(number)s (holder %(holder)s) by "
            "%(due)s. The order is paid when PortOne reports the deposit.", amount_won=order["amount"],
            bank=v["bank"], number=v["number"], holder=v["holder"], due=v["due"]), vbank=v)
    if payment.status == "failed":
        return verdict(Outcome.DECLINED, declined(payment.fail_reason))
    if payment.status == "cancelled" and was_paid:
        return verdict(Outcome.REFUNDED, msg("The payment was cancelled at PortOne after it was paid; the money "
                                             "went back to the buyer."))
    if payment.status == "cancelled":
        return verdict(Outcome.DECLINED, msg("Not paid: PortOne reports the payment as cancelled. No money was "
                                             "kept."))
    if payment.status == "ready":
        return verdict(Outcome.OPEN, msg("PortOne has not completed this payment, so nothing was paid yet."))
    return verdict(Outcome.OPEN, msg("PortOne reports a status the shop does not know (%(status)s); nothing was "
                                     "changed.", status=repr(payment.status)))


# PortOne passes on each PG's own failure text (Korean, free-form): a few well-known words give the
# plain sentence; the PG's text is shown beside it, labelled as PortOne's message.
DECLINE_WORDS = (
    ("잔액", msg("The card company declined the payment: the balance or limit is not enough.")),
    ("한도", msg("The card company declined the payment: the card's limit is exceeded.")),
    ("유효하지", msg("The card company declined the payment: the card is not valid.")),
    ("카드번호", msg("The card company declined the payment: the card number is wrong.")),
    ("거절", msg("The card company refused the payment.")),
)


def declined(fail_reason):
    """The order's reason for a failed payment: a plain sentence, then PortOne's own message (an i18n.msg())."""
    text = str(fail_reason or "")
    plain = next((words for key, words in DECLINE_WORDS if key in text), msg("The payment failed at the PG."))
    if not text:
        return msg("Not paid: %(plain)s No money was taken; the order can be paid again.", plain=plain)
    return msg("Not paid: %(plain)s No money was taken; the order can be paid again. PortOne's message: "
               "“%(pg_message)s”", plain=plain, pg_message=text)


def mismatch(order, payment):
    """How PortOne's record of this order's payment differs from the order (an i18n.msg())."""
    if payment.currency != CURRENCY:
        return msg("PortOne's currency is %(currency)s, not KRW", currency=payment.currency)
    if _is_money(payment.amount) and payment.amount == int(payment.amount):
        return msg("the order is %(stored_won)s but PortOne has %(paid_won)s", stored_won=order["amount"],
                   paid_won=int(payment.amount))
    return msg("the order is %(stored_won)s but PortOne has %(paid)s", stored_won=order["amount"],
               paid=repr(payment.amount))


def _amount_words(stored, amount, ok, paid):
    values = {"stored_won": _won_value(stored), "pg_won": _won_value(amount)}
    if paid:
        return (msg("stored %(stored_won)s = paid %(pg_won)s", **values) if ok
                else msg("stored %(stored_won)s ≠ paid %(pg_won)s", **values))
    return (msg("stored %(stored_won)s = asked %(pg_won)s", **values) if ok
            else msg("stored %(stored_won)s ≠ asked %(pg_won)s", **values))


def _why(text):
    """The PG's own reason (its words, as it gave them), or 'no reason given' in the reader's words."""
    return text if text else msg("no reason given")


def _status_words(payment):
    if payment.status == "paid":
        return msg("PortOne says the money was paid")
    if payment.vbank_issued:
        return msg("PortOne issued a virtual account; the buyer has not deposited yet")
    if payment.status == "ready":
        return msg("PortOne says the payment was started but not completed")
    if payment.status == "failed":
        return msg("PortOne says the payment failed: %(why)s", why=_why(payment.fail_reason))
    if payment.status == "cancelled":
        return msg("PortOne says the payment was cancelled: %(why)s", why=_why(payment.cancel_reason))
    return msg("PortOne reports status %(status)s", status=repr(payment.status))
