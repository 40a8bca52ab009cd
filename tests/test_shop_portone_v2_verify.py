"""The pure checks of a PortOne V2 payment (shop/portone_v2/verify.py): every status PortOne's schema has,
and every way a payment can fail to match the order (id, amount, currency, channel)."""
import pytest

from shop.portone_v2.client import payment_from
from shop.portone_v2.verify import verify
from shop.settle import Outcome

ORDER = {"id": "order-1", "amount": 15000}
SHOP = "channel-key-live"


def payment(status="PAID", total=15000, cancelled=0, currency="KRW", channel=SHOP, kind="LIVE", **extra):
    data = {"id": "order-1", "status": status, "amount": {"total": total, "cancelled": cancelled},
            "currency": currency, "channel": {"key": channel, "type": kind},
            "method": {"type": "PaymentMethodCard"}, **extra}
    if status in ("PAID", "PARTIAL_CANCELLED", "CANCELLED"):
        data.setdefault("paidAt", "2026-01-01T00:00:00Z")
    return payment_from(data)


def checks(verdict):
    return {c.name: c.ok for c in verdict.checks}


@pytest.mark.parametrize("status,outcome,holds", [
    ("PAID", Outcome.PAID, True), ("READY", Outcome.OPEN, False), ("PAY_PENDING", Outcome.OPEN, False),
    ("FAILED", Outcome.DECLINED, False), ("PARTIAL_CANCELLED", Outcome.REFUNDED, True),
    ("CANCELLED", Outcome.REFUNDED, False), ("SOMETHING_NEW", Outcome.OPEN, False)])
def test_each_status(status, outcome, holds):
    cancelled = {"PARTIAL_CANCELLED": 5000, "CANCELLED": 15000}.get(status, 0)
    v = verify(ORDER, payment(status, cancelled=cancelled), SHOP)
    assert (v.outcome, v.holds_money, v.refunded, v.payment_id) == (outcome, holds, cancelled, "order-1")
    assert set(checks(v)) == {"check_payment_id", "check_status", "check_amount", "check_currency", "check_channel"}


def test_a_cancelled_payment_that_was_never_paid_is_a_decline():
    v = verify(ORDER, payment_from({"id": "order-1", "status": "CANCELLED", "amount": {"total": 15000},
                                    "currency": "KRW", "channel": {"key": SHOP}}), SHOP)
    assert v.outcome == Outcome.DECLINED and not v.holds_money


def test_an_issued_virtual_account_awaits_the_deposit_and_keeps_the_account():
    p = payment("VIRTUAL_ACCOUNT_ISSUED", method={"type": "PaymentMethodVirtualAccount", "bank": "SHINHAN",
                                                  "accountNumber": "X123", "remitteeName": "PG Sandbox",
                                                  "expiredAt": "2026-01-08T00:00:00Z"})
    v = verify(ORDER, p, SHOP)
    assert v.outcome == Outcome.AWAITING_DEPOSIT and v.holds_money and checks(v)["check_status"]
    assert v.fields["vbank"] == {"bank": "SHINHAN", "number": "X123", "holder": "PG Sandbox",
                                 "due": "2026-01-08T00:00:00Z"}


@pytest.mark.parametrize("change,failed", [
    ({"total": 100}, "check_amount"), ({"total": 15000.0}, "check_amount"), ({"total": "15000"}, "check_amount"),
    ({"currency": "USD"}, "check_currency"), ({"channel": "channel-key-test", "kind": "TEST"}, "check_channel")])
def test_a_paid_payment_that_does_not_match_is_a_mismatch(change, failed):
    v = verify(ORDER, payment(**change), SHOP)     # 15000.0: the schema's amounts are int64, a float is not one
    assert v.outcome == Outcome.MISMATCH and v.holds_money
    assert [name for name, ok in checks(v).items() if not ok] == [failed]


def test_another_orders_payment_is_not_ours():
    v = verify({"id": "order-2", "amount": 15000}, payment(), SHOP)
    assert v.outcome == Outcome.NOT_OURS and not checks(v)["check_payment_id"]


def test_a_failed_payment_on_another_channel_is_only_a_decline():
    v = verify(ORDER, payment("FAILED", channel="channel-key-test", failure={"reason": "잔액 부족"}), SHOP)
    assert v.outcome == Outcome.DECLINED and "잔액 부족" in str(v.reason)


def test_what_is_not_a_payment_is_refused_as_unknown():
    from shop.http import PGUnknown
    for data in (None, [], {"status": "PAID"}, {"id": 5}):
        with pytest.raises(PGUnknown):
            payment_from(data)
    odd = payment_from({"id": "order-1", "amount": "lots", "channel": [], "method": "x"})
    assert verify(ORDER, odd, SHOP).outcome == Outcome.OPEN
