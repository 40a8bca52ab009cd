"""Pure checks of a PortOne V1 payment against the shop's stored order: no I/O, no app needed.

verify(order, payment) compares what the shop stored when it created the order (id, amount,
status) with the Payment object the shop itself read from PortOne (GET /payments/{imp_uid}).
The browser's word is never an input here.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

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
    explanation: str


@dataclass(frozen=True)
class Verdict:
    decision: str
    checks: tuple
    reason: str              # plain words, for the order's reason and the step log
    same_order: bool         # the payment was made for this order (merchant_uid matches)
    cancel_at_pg: bool       # forged and money is held at PortOne: the shop must cancel it


def won(amount):
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return repr(amount)
    return f"{amount:,.0f}원"


def _is_money(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
              f"PortOne's payment is for order {merchant_uid}" + (
                  ", this order" if same_order else f", not for this order {order['id']}")),
        Check("status", money_held, "paid (or ready with a virtual account)",
              f"{status} ({payment.get('pay_method')})", _status_words(payment)),
        Check("amount", amount_ok, stored, amount,
              f"stored {won(stored)} {'=' if amount_ok else '≠'} {'paid' if status == 'paid' else 'asked'}"
              f" {won(amount)}"),
        Check("currency", currency_ok, CURRENCY, currency,
              f"currency {currency} {'is' if currency_ok else 'is not'} {CURRENCY}"),
    )

    if not same_order:
        return Verdict(FORGED, checks, f"The payment offered for this order belongs to order {merchant_uid}; "
                       "the shop refused it.", False, False)
    if money_held and not (amount_ok and currency_ok):
        what = [c.explanation for c in checks if c.name in ("amount", "currency") and not c.ok]
        then = ("so the shop cancels the payment at PortOne" if status == "paid" else
                "so the shop refused this virtual account")
        return Verdict(FORGED, checks, "PortOne's record did not match the order (" + "; ".join(what) + "), "
                       + then + ".", True, status == "paid")
    if status == "paid":
        return Verdict(PAID, checks, "PortOne confirmed the payment: the order, the amount and the currency "
                       "all match.", True, False)
    if is_vbank_issued(payment):
        return Verdict(AWAITING_DEPOSIT, checks, "A virtual account was issued. The order is paid when "
                       "PortOne reports the deposit.", True, False)
    if status == "failed":
        why = payment.get("fail_reason") or "no reason given"
        return Verdict(FAILED, checks, f"PortOne reports that the payment failed ({why}). No money was "
                       "taken.", True, False)
    if status == "cancelled":
        if order["status"] == PAID:
            return Verdict(CANCELLED, checks, "The payment was cancelled at PortOne after it was paid; the "
                           "money went back to the buyer.", True, False)
        return Verdict(FAILED, checks, "PortOne reports the payment as cancelled. No money was kept.",
                       True, False)
    if status == "ready":
        return Verdict(PENDING, checks, "PortOne has not completed this payment, so nothing was paid "
                       "yet.", True, False)
    return Verdict(PENDING, checks, f"PortOne reports a status the shop does not know ({status}); "
                   "nothing was changed.", True, False)


def _status_words(payment):
    status = payment.get("status")
    if status == "paid":
        return "PortOne says the money was paid"
    if is_vbank_issued(payment):
        return "PortOne issued a virtual account; the buyer has not deposited yet"
    if status == "ready":
        return "PortOne says the payment was started but not completed"
    if status == "failed":
        return f"PortOne says the payment failed: {payment.get('fail_reason') or 'no reason given'}"
    if status == "cancelled":
        return f"PortOne says the payment was cancelled: {payment.get('cancel_reason') or 'no reason given'}"
    return f"PortOne reports status {status!r}"


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
