"""PortOne verification as a table: the stored order vs the Payment the shop read from PortOne."""
import pytest

import i18n
from shop.portone import verify

ORDER = {"id": "order-20261126-120000-abcd1234", "amount": 15000, "status": "pending"}


def payment(**changes):
    """A paid card payment for ORDER, as GET /payments/{imp_uid} returns it, with changes."""
    p = {"imp_uid": "imp_123456789012", "merchant_uid": ORDER["id"], "pay_method": "card", "amount": 15000,
         "cancel_amount": 0, "currency": "KRW", "status": "paid", "fail_reason": None, "cancel_reason": None,
         "vbank_num": None, "vbank_name": None, "vbank_holder": None, "vbank_date": 0}
    p.update(changes)
    return p


VBANK = dict(status="ready", pay_method="vbank", vbank_num="T1234567890123", vbank_name="KB국민은행",
             vbank_holder="PG Sandbox", vbank_date=1798729199)


@pytest.mark.parametrize("order_status, changes, decision, failing", [
    ("pending", {}, verify.PAID, set()),
    ("unknown", {}, verify.PAID, set()),
    ("pending", {"amount": 15000.0}, verify.PAID, set()),                      # JSON number 15000.0 is 15,000
    ("pending", VBANK, verify.AWAITING_DEPOSIT, set()),
    ("awaiting_deposit", dict(VBANK, status="paid"), verify.PAID, set()),       # the deposit arrived
    ("pending", {"status": "failed", "fail_reason": "잔액부족"}, verify.FAILED, {"status"}),
    ("pending", {"status": "cancelled"}, verify.FAILED, {"status"}),
    ("paid", {"status": "cancelled", "cancel_amount": 15000}, verify.CANCELLED, {"status"}),
    ("pending", {"status": "ready"}, verify.PENDING, {"status"}),               # window open or abandoned
    ("pending", {"status": "ready", "pay_method": "vbank"}, verify.PENDING, {"status"}),  # no account yet
    ("pending", {"status": "weird"}, verify.PENDING, {"status"}),
    ("pending", {"amount": 100}, verify.FORGED, {"amount"}),                    # tampered amount
    ("pending", {"amount": 15001}, verify.FORGED, {"amount"}),
    ("pending", {"amount": "15000"}, verify.FORGED, {"amount"}),                # a string is not an amount
    ("pending", {"amount": True}, verify.FORGED, {"amount"}),
    ("pending", {"currency": "USD"}, verify.FORGED, {"currency"}),
    ("pending", dict(VBANK, amount=100), verify.FORGED, {"amount"}),
    ("pending", {"merchant_uid": "order-other"}, verify.FORGED, {"merchant_uid"}),
    ("pending", {"merchant_uid": "order-other", "status": "failed"}, verify.FORGED, {"merchant_uid", "status"}),
    ("pending", {"status": "failed", "amount": 100}, verify.FAILED, {"status", "amount"}),  # no money moved
])
def test_decisions(order_status, changes, decision, failing):
    v = verify.verify(dict(ORDER, status=order_status), payment(**changes))
    assert v.decision == decision
    assert {c.name for c in v.checks if not c.ok} == failing
    assert [c.name for c in v.checks] == ["merchant_uid", "status", "amount", "currency"]
    assert v.reason


@pytest.mark.parametrize("changes, cancel, same", [
    ({"amount": 100}, True, True),                      # money held for this order: cancel it at PortOne
    ({"currency": "USD"}, True, True),
    (dict(VBANK, amount=100), False, True),             # nothing deposited yet: nothing to cancel
    ({"merchant_uid": "order-other"}, False, False),    # another order's money: never cancel it from here
    ({}, False, True),
])
def test_only_this_orders_held_money_is_cancelled(changes, cancel, same):
    v = verify.verify(ORDER, payment(**changes))
    assert (v.cancel_at_pg, v.same_order) == (cancel, same)


def test_amount_check_reads_like_a_receipt_in_the_readers_language(app):
    ok = {c.name: c for c in verify.verify(ORDER, payment()).checks}["amount"]
    bad = {c.name: c for c in verify.verify(ORDER, payment(amount=100)).checks}["amount"]
    assert (ok.expected, ok.actual, ok.ok, bad.ok) == (15000, 15000, True, False)
    with app.test_request_context("/?lang=en"):
        assert i18n.render(ok.explanation) == "stored KRW 15,000 = paid KRW 15,000"
        assert i18n.render(bad.explanation) == "stored KRW 15,000 ≠ paid KRW 100"
    with app.test_request_context("/?lang=ko"):
        assert i18n.render(bad.explanation) == "저장 15,000원 ≠ 결제 100원"


def test_failed_payment_explains_the_pg_reason(app):
    v = verify.verify(ORDER, payment(status="failed", fail_reason="[PG사 오류] 잔액이 부족합니다."))
    with app.test_request_context("/?lang=en"):
        assert i18n.render(v.reason) == ("PortOne reports that the payment failed ([PG사 오류] 잔액이 부족합니다.). "
                                         "No money was taken.")


def test_vbank_details_in_korean_time():
    assert verify.vbank_details(payment(**VBANK)) == {
        "bank": "KB국민은행", "number": "T1234567890123", "holder": "PG Sandbox", "due": "2026-12-31 23:59 KST"}


@pytest.mark.parametrize("changes, left", [({}, 15000), ({"cancel_amount": 5000}, 10000), ({"amount": 100.0}, 100)])
def test_cancellable_is_the_checksum(changes, left):
    assert verify.cancellable(payment(**changes)) == left
