"""Pure checks of a PortOne V2 payment against the shop's stored order: no I/O, no app needed.

verify(order, payment, channel_key) compares what the shop stored when it created the order (its id,
which is the paymentId, and its amount) and the shop's own channel with the Payment the shop itself
read from PortOne (GET /payments/{paymentId}), and says what it means in shop.settle's vocabulary.
"""
from i18n import msg

from ..settle import Check, Outcome, Verdict

CURRENCY = "KRW"


def verify(order, payment, channel_key):
    """Compare the stored order (mapping with id, amount) and the shop's channel key with PortOne's
    Payment. Returns a Verdict whose checks list every comparison made, passed or not."""
    checks = _checks(order, payment, channel_key)
    same_order, amount_ok, currency_ok, channel_ok = (c.ok for c in checks if c.name != "check_status")
    status = payment.status
    issued = status == "VIRTUAL_ACCOUNT_ISSUED"
    money_in = status in ("PAID", "PARTIAL_CANCELLED") or issued or (status == "CANCELLED" and payment.paid_at)
    refunded = payment.cancelled if isinstance(payment.cancelled, int) else 0
    holds = payment.holds_money or issued

    def verdict(outcome, reason, **fields):
        return Verdict(outcome, checks, payment.id, reason, holds_money=holds, refunded=int(refunded),
                       fields=fields)

    if not same_order:
        return verdict(Outcome.NOT_OURS, msg("The payment offered for this order is payment %(payment_id)s; the "
                                             "shop refused it.", payment_id=payment.id))
    if money_in and not (amount_ok and currency_ok and channel_ok):
        return verdict(Outcome.MISMATCH, msg("A payment that did not match the order was refused (%(what)s); "
                                             "the order can still be paid.", what=mismatch(order, payment,
                                                                                           channel_ok)))
    return _by_status(order, payment, money_in, verdict)


def _checks(order, payment, channel_key):
    """Every comparison, passed or not: paymentId, status, amount, currency, channel (in that order)."""
    same_order = payment.id == order["id"]
    amount_ok = payment.total == order["amount"] and isinstance(payment.total, int)
    currency_ok = payment.currency == CURRENCY
    channel_ok = payment.channel_key == channel_key
    return (
        Check("check_payment_id", same_order,
              msg("PortOne's payment %(payment_id)s is this order's", payment_id=payment.id) if same_order
              else msg("PortOne's payment %(payment_id)s is not this order %(order_id)s", payment_id=payment.id,
                       order_id=order["id"]), order["id"], payment.id),
        Check("check_status", payment.status in ("PAID", "VIRTUAL_ACCOUNT_ISSUED"), _status_words(payment),
              "PAID | VIRTUAL_ACCOUNT_ISSUED", payment.status),
        Check("check_amount", amount_ok,
              msg("stored %(stored_won)s = amount.total %(pg)s", stored_won=order["amount"], pg=repr(payment.total))
              if amount_ok else msg("stored %(stored_won)s ≠ amount.total %(pg)s", stored_won=order["amount"],
                                    pg=repr(payment.total)), order["amount"], payment.total),
        Check("check_currency", currency_ok,
              msg("currency %(currency)s is KRW", currency=payment.currency) if currency_ok
              else msg("currency %(currency)s is not KRW", currency=payment.currency), CURRENCY, payment.currency),
        Check("check_channel", channel_ok,
              msg("the payment went through the shop's own channel (%(type)s)", type=payment.channel_type)
              if channel_ok else msg("the payment went through another channel (%(type)s), not the shop's own",
                                     type=payment.channel_type), "the shop's channel",
              f"{payment.channel_type} {payment.channel_key}"),
    )


def _by_status(order, payment, money_in, verdict):
    """The outcome of this order's matching payment, by PortOne's status."""
    status = payment.status
    if status == "PAID":
        return verdict(Outcome.PAID, msg("PortOne confirmed that %(amount_won)s was paid for this order, and "
                                         "every check passed.", amount_won=order["amount"]))
    if status in ("PARTIAL_CANCELLED", "CANCELLED") and money_in:
        return verdict(Outcome.REFUNDED, msg("The payment was refunded at PortOne after it was paid."))
    if status == "VIRTUAL_ACCOUNT_ISSUED":
        a = payment.account or {"bank": "", "number": "", "holder": "", "due": ""}
        return verdict(Outcome.AWAITING_DEPOSIT, msg(
            "A virtual account was issued: pay %(amount_won)s into %(bank)s %(number)s (holder %(holder)s) by "
            "%(due)s. The order is paid when PortOne reports the deposit.", amount_won=order["amount"],
            bank=a["bank"], number=a["number"], holder=a["holder"], due=a["due"]), vbank=a)
    if status in ("FAILED", "CANCELLED"):
        return verdict(Outcome.DECLINED, msg("Not paid: PortOne reports that the payment failed (%(why)s). No "
                                             "money was taken; the order can be paid again.",
                                             why=payment.failure or msg("no reason given")))
    if status in ("READY", "PAY_PENDING"):
        return verdict(Outcome.OPEN, msg("PortOne has not completed this payment, so nothing was paid yet."))
    return verdict(Outcome.OPEN, msg("PortOne reports a status the shop does not know (%(status)s); nothing was "
                                     "changed.", status=repr(status)))


def mismatch(order, payment, channel_ok=True):
    """How PortOne's record differs from the order (an i18n.msg())."""
    if not channel_ok:
        return msg("it was paid through a %(type)s channel that is not the shop's own", type=payment.channel_type)
    if payment.currency != CURRENCY:
        return msg("PortOne's currency is %(currency)s, not KRW", currency=payment.currency)
    return msg("the order is %(stored_won)s but PortOne has %(paid)s", stored_won=order["amount"],
               paid=repr(payment.total))


def _status_words(payment):
    words = {"PAID": msg("PortOne says the money was paid"),
             "VIRTUAL_ACCOUNT_ISSUED": msg("PortOne issued a virtual account; the buyer has not deposited yet"),
             "READY": msg("PortOne says the payment was started but not completed"),
             "PAY_PENDING": msg("PortOne says the payment waits for the PG's approval"),
             "PARTIAL_CANCELLED": msg("PortOne says part of the payment was cancelled"),
             "CANCELLED": msg("PortOne says the payment was cancelled")}
    if payment.status == "FAILED":
        return msg("PortOne says the payment failed: %(why)s", why=payment.failure or msg("no reason given"))
    return words.get(payment.status) or msg("PortOne reports status %(status)s", status=repr(payment.status))
