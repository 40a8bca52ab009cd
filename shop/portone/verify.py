"""Pure checks of a PortOne V1 payment against the shop's stored order: no I/O, no app needed.

verify(order, payment) compares what the shop stored when it created the order (id, amount,
status) with the Payment object the shop itself read from PortOne (GET /payments/{imp_uid}).
The browser's word is never an input here.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from i18n import msg

# Decisions, from the shop's point of view.
PAID = "paid"                          # money in, every check passed
AWAITING_DEPOSIT = "awaiting_deposit"  # virtual account issued, deposit not in yet
PENDING = "pending"                    # PortOne has not completed it (window open or abandoned)
FAILED = "failed"                      # PortOne says it failed, or it was cancelled before we kept it
CANCELLED = "cancelled"                # it was paid, then cancelled (refunded) at PortOne
FORGED = "forged"                      # PortOne's record does not match the order

CURRENCY = "KRW"
KST = timezone(timedelta(hours=9), "KST")


@dataclass(frozen=True)
class Check:
    """One comparison: its name, whether it passed, the two values and what it means in plain words."""
    name: str
    ok: bool
    expected: object
    actual: object
    explanation: str         # an i18n.msg()


@dataclass(frozen=True)
class Verdict:
    decision: str
    checks: tuple
    reason: str              # plain words (an i18n.msg()), for the step log
    same_order: bool         # the payment was made for this order (merchant_uid matches)
    cancel_at_pg: bool       # forged and money is held at PortOne: the shop must cancel it


def won(amount):
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return repr(amount)
    return f"{amount:,.0f}원"


def _is_money(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _won_value(amount):
    """An amount for a message's `_won` value: whole won as an int (shown as money), anything else as text."""
    if _is_money(amount) and amount == int(amount):
        return int(amount)
    return repr(amount)


def is_vbank_issued(payment):
    """status ready + pay_method vbank + an account number: the buyer still has to deposit."""
    return (payment.get("status") == "ready" and payment.get("pay_method") == "vbank"
            and bool(payment.get("vbank_num")))


def verify(order, payment):
    """Compare the stored order (mapping with id, amount, status) with PortOne's Payment dict.

    Returns a Verdict whose checks list every comparison made, passed or not.
    """
    status = payment.get("status")
    merchant_uid = payment.get("merchant_uid")
    amount = payment.get("amount")
    currency = payment.get("currency")
    stored = order["amount"]

    same_order = merchant_uid == order["id"]
    amount_ok = _is_money(amount) and amount == stored
    currency_ok = currency == CURRENCY
    money_held = status == "paid" or is_vbank_issued(payment)

    checks = (
        Check("merchant_uid", same_order, order["id"], merchant_uid,
              msg("PortOne's payment is for order %(merchant_uid)s, this order", merchant_uid=merchant_uid)
              if same_order else msg("PortOne's payment is for order %(merchant_uid)s, not for this order "
                                     "%(order_id)s", merchant_uid=merchant_uid, order_id=order["id"])),
        Check("status", money_held, msg("paid (or ready with a virtual account)"),
              f"{status} ({payment.get('pay_method')})", _status_words(payment)),
        Check("amount", amount_ok, stored, amount, _amount_words(stored, amount, amount_ok, status == "paid")),
        Check("currency", currency_ok, CURRENCY, currency,
              msg("currency %(currency)s is KRW", currency=currency) if currency_ok
              else msg("currency %(currency)s is not KRW", currency=currency)),
    )

    if not same_order:
        return Verdict(FORGED, checks, msg("The payment offered for this order belongs to order %(merchant_uid)s; "
                                           "the shop refused it.", merchant_uid=merchant_uid), False, False)
    if money_held and not (amount_ok and currency_ok):
        what = [c.explanation for c in checks if c.name in ("amount", "currency") and not c.ok]
        if status == "paid":
            reason = msg("PortOne's record did not match the order (%(what)s), so the shop cancels the payment "
                         "at PortOne.", what=what)
        else:
            reason = msg("PortOne's record did not match the order (%(what)s), so the shop refused this virtual "
                         "account.", what=what)
        return Verdict(FORGED, checks, reason, True, status == "paid")
    if status == "paid":
        return Verdict(PAID, checks, msg("PortOne confirmed the payment: the order, the amount and the currency "
                                         "all match."), True, False)
    if is_vbank_issued(payment):
        return Verdict(AWAITING_DEPOSIT, checks, msg("A virtual account was issued. The order is paid when "
                                                     "PortOne reports the deposit."), True, False)
    if status == "failed":
        return Verdict(FAILED, checks, msg("PortOne reports that the payment failed (%(why)s). No money was "
                                           "taken.", why=_why(payment.get("fail_reason"))), True, False)
    if status == "cancelled":
        if order["status"] == PAID:
            return Verdict(CANCELLED, checks, msg("The payment was cancelled at PortOne after it was paid; the "
                                                  "money went back to the buyer."), True, False)
        return Verdict(FAILED, checks, msg("PortOne reports the payment as cancelled. No money was kept."),
                       True, False)
    if status == "ready":
        return Verdict(PENDING, checks, msg("PortOne has not completed this payment, so nothing was paid "
                                            "yet."), True, False)
    return Verdict(PENDING, checks, msg("PortOne reports a status the shop does not know (%(status)s); "
                                        "nothing was changed.", status=status), True, False)


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
    status = payment.get("status")
    if status == "paid":
        return msg("PortOne says the money was paid")
    if is_vbank_issued(payment):
        return msg("PortOne issued a virtual account; the buyer has not deposited yet")
    if status == "ready":
        return msg("PortOne says the payment was started but not completed")
    if status == "failed":
        return msg("PortOne says the payment failed: %(why)s", why=_why(payment.get("fail_reason")))
    if status == "cancelled":
        return msg("PortOne says the payment was cancelled: %(why)s", why=_why(payment.get("cancel_reason")))
    return msg("PortOne reports status %(status)s", status=repr(status))


def vbank_details(payment):
    """The virtual account to show the buyer: {bank, number, holder, due} (due in Korean time)."""
    due = payment.get("vbank_date") or 0
    return {
        "bank": payment.get("vbank_name") or payment.get("vbank_code") or "",
        "number": payment.get("vbank_num") or "",
        "holder": payment.get("vbank_holder") or "",
        "due": datetime.fromtimestamp(due, KST).strftime("%Y-%m-%d %H:%M KST") if due else "",
    }


def cancellable(payment):
    """What PortOne should still hold for this payment: the checksum sent with a full cancel."""
    amount = payment.get("amount") or 0
    return int(amount - (payment.get("cancel_amount") or 0))
