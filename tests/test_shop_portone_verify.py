"""PortOne verification as a table: the stored order vs the Payment the shop read from PortOne."""
import pytest

import i18n
from shop.portone import client, verify
from shop.settle import Outcome

ORDER = {"id": "order-20261126-120000-abcd1234", "amount": 15000, "status": "pending"}


def payment(**changes):
    """A paid card payment for ORDER, as GET /payments/{imp_uid} returns it, with changes."""
    p = {"imp_uid": "imp_123456789012", "merchant_uid": ORDER["id"], "pay_method": "card", "amount": 15000,
         "cancel_amount": 0, "currency": "KRW", "status": "paid", "fail_reason": None, "cancel_reason": None,
         "vbank_num": None, "vbank_name": None, "vbank_holder": None, "vbank_date": 0}
    p.update(changes)
    return client.payment_from(p)


VBANK = dict(status="ready", pay_method="vbank", vbank_num="T1234567890123", vbank_name="KB국민은행",
             vbank_holder="PG Sandbox", vbank_date=1798729199)


@pytest.mark.parametrize("changes, outcome, failing", [
    ({}, Outcome.PAID, set()),
    ({"amount": 15000.0}, Outcome.PAID, set()),                          # JSON number 15000.0 is 15,000
    (VBANK, Outcome.AWAITING_DEPOSIT, set()),
    (dict(VBANK, status="paid"), Outcome.PAID, set()),                  # the deposit arrived
    ({"status": "failed", "fail_reason": "잔액부족"}, Outcome.DECLINED, {"status"}),
    ({"status": "cancelled"}, Outcome.DECLINED, {"status"}),             # cancelled before it was paid
    ({"status": "cancelled", "cancel_amount": 15000, "paid_at": 1}, Outcome.REFUNDED, {"status"}),
    ({"cancel_amount": 5000}, Outcome.REFUNDED, set()),                  # partly refunded, still paid
    ({"status": "ready"}, Outcome.OPEN, {"status"}),                     # window open or abandoned
    ({"status": "ready", "pay_method": "vbank"}, Outcome.OPEN, {"status"}),  # no account yet
    ({"status": "weird"}, Outcome.OPEN, {"status"}),
    ({"amount": 100}, Outcome.MISMATCH, {"amount"}),                     # tampered amount
    ({"amount": 15001}, Outcome.MISMATCH, {"amount"}),
    ({"amount": 100.5}, Outcome.MISMATCH, {"amount"}),                   # a fraction of a won
    ({"amount": "15000"}, Outcome.MISMATCH, {"amount"}),                 # a string is not an amount
    ({"amount": True}, Outcome.MISMATCH, {"amount"}),
    ({"currency": "USD"}, Outcome.MISMATCH, {"currency"}),
    (dict(VBANK, amount=100), Outcome.MISMATCH, {"amount"}),
    ({"merchant_uid": "order-other"}, Outcome.NOT_OURS, {"merchant_uid"}),
    ({"merchant_uid": "order-other", "status": "failed"}, Outcome.NOT_OURS, {"merchant_uid", "status"}),
    ({"status": "failed", "amount": 100}, Outcome.DECLINED, {"status", "amount"}),  # no money moved
])
def test_outcomes(changes, outcome, failing):
    v = verify.verify(ORDER, payment(**changes))
    assert v.outcome == outcome
    assert {c.name.removeprefix("check_") for c in v.checks if not c.ok} == failing
    assert [c.name for c in v.checks] == ["check_merchant_uid", "check_status", "check_amount", "check_currency"]
    assert v.reason


@pytest.mark.parametrize("changes, holds", [
    ({"amount": 100}, True),                      # money held for this order: the shop cancels it
    ({"currency": "USD"}, True),
    (dict(VBANK, amount=100), True),              # an issued account: a deposit could still come
    ({"status": "failed", "amount": 100}, False),
    ({"cancel_amount": 15000}, False),            # nothing left to cancel
    ({}, True),
])
def test_holds_money_says_whether_there_is_anything_to_cancel(changes, holds):
    assert verify.verify(ORDER, payment(**changes)).holds_money is holds


def test_amount_check_reads_like_a_receipt_in_the_readers_language(app):
    ok = {c.name: c for c in verify.verify(ORDER, payment()).checks}["check_amount"]
    bad = {c.name: c for c in verify.verify(ORDER, payment(amount=100)).checks}["check_amount"]
    assert (ok.expected, ok.actual, ok.ok, bad.ok) == (15000, 15000, True, False)
    with app.test_request_context("/?lang=en"):
        assert i18n.render(ok.summary) == "stored KRW 15,000 = paid KRW 15,000"
        assert i18n.render(bad.summary) == "stored KRW 15,000 ≠ paid KRW 100"
    with app.test_request_context("/?lang=ko"):
        assert i18n.render(bad.summary) == "저장 15,000원 ≠ 결제 100원"


def test_failed_payment_explains_the_pg_reason(app):
    """A plain sentence in the reader's language first, then PortOne's own words, labelled as such."""
    v = verify.verify(ORDER, payment(status="failed", fail_reason="[PG사 오류] 잔액이 부족합니다."))
    with app.test_request_context("/?lang=en"):
        assert i18n.render(v.reason) == (
            "Not paid: The card company declined the payment: the balance or limit is not enough. No money was "
            "taken; the order can be paid again. PortOne's message: “[PG사 오류] 잔액이 부족합니다.”")
    with app.test_request_context("/?lang=ko"):
        assert i18n.render(v.reason).startswith("결제되지 않음: 카드사가 결제를 거절했습니다: 잔액 또는 한도가 부족합니다.")
    unknown = verify.verify(ORDER, payment(status="failed", fail_reason="[PG사 오류] 알 수 없는 오류"))
    with app.test_request_context("/?lang=en"):
        assert i18n.render(unknown.reason).startswith("Not paid: The payment failed at the PG. No money was taken")
        assert "“[PG사 오류] 알 수 없는 오류”" in i18n.render(unknown.reason)


def test_vbank_details_in_korean_time():
    assert payment(**VBANK).vbank == {
        "bank": "KB국민은행", "number": "T1234567890123", "holder": "PG Sandbox", "due": "2026-12-31 23:59 KST"}


@pytest.mark.parametrize("changes, left", [({}, 15000), ({"cancel_amount": 5000}, 10000), ({"amount": 100.0}, 100),
                                           ({"amount": 100.5}, 100.5)])   # exactly as PortOne counts it
def test_cancellable_is_the_checksum(changes, left):
    assert payment(**changes).cancellable == left
