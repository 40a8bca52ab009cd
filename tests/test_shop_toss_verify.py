"""Pure cases: coupon pricing as the Toss panel uses it, the Toss checks, and Toss wire-format parsing."""
from datetime import date

import pytest

import i18n
from shop import catalog
from shop.orders import Status
from shop.toss import client, verify
from shop.settle import Outcome
from shop.toss.client import Payment, Redirect

TODAY = date(2026, 11, 26)


# --- coupons -----------------------------------------------------------------------------------

@pytest.mark.parametrize("product, qty, coupons, today, amount, discount", [
    ("shoes", 1, ["TOSS5000"], TODAY, 10000, 5000),            # the widget docs' fixed 5,000원 coupon
    ("jacket", 2, ["TOSS5000"], TODAY, 173000, 5000),           # fixed: not multiplied by quantity
    ("socks", 3, ["WELCOME10"], TODAY, 8100, 900),              # percent of the subtotal
    ("socks", 1, ["WELCOME10"], TODAY, 2700, 300),
    ("shoes", 2, ["BIG30K"], TODAY, 22000, 8000),               # exactly the minimum order
    ("shoes", 1, ["SUMMER2025"], date(2025, 8, 31), 12000, 3000),  # valid on its last day
    ("shoes", 1, [" toss5000 ", ""], TODAY, 10000, 5000),       # trimmed, case-insensitive, blanks skipped
    ("shoes", 1, ["FIRSTBUY"], TODAY, 12000, 3000),
])
def test_coupon_prices(product, qty, coupons, today, amount, discount):
    q = catalog.quote(product, qty, coupons, today)
    assert (q.amount, q.discount, q.subtotal - q.discount) == (amount, discount, amount)


@pytest.mark.parametrize("coupons, used, code, words", [
    (["SUMMER2025"], (), "EXPIRED_COUPON", "expired on 2025-08-31"),
    (["BIG30K"], (), "MIN_ORDER_NOT_MET", "at least 30000 won"),
    (["FIRSTBUY"], ("FIRSTBUY",), "COUPON_ALREADY_USED", "already been used"),
    (["NOPE"], (), "UNKNOWN_COUPON", "does not exist"),
])
def test_coupon_refusals_say_why(coupons, used, code, words):
    with pytest.raises(catalog.OrderRefused) as e:
        catalog.quote("shoes", 1, coupons, TODAY, used)
    assert e.value.code == code
    assert words in e.value.message % e.value.params


def test_fixed_coupon_is_the_5000_won_one():
    coupon = catalog.COUPONS[catalog.FIXED_COUPON]
    assert (catalog.FIXED_COUPON, coupon["kind"], coupon["value"]) == ("TOSS5000", "fixed", 5000)


# --- before confirm ----------------------------------------------------------------------------

def order(**kw):
    row = {"id": "order-20260101-120000-abcd1234", "pg": "toss", "amount": 10000, "status": Status.PENDING,
           "pg_payment_id": None}
    row.update(kw)
    return row


def back(**kw):
    fields = {"order_id": "order-20260101-120000-abcd1234", "payment_key": "tgen_20260101120000AbCdE",
              "amount": "10000", "payment_type": "NORMAL"}
    fields.update(kw)
    return Redirect(**fields)


def failed_names(checks):
    return [c.name for c in checks if not c.ok]


@pytest.mark.parametrize("stored, sent, failed", [
    ({}, {}, []),
    ({"status": Status.UNKNOWN}, {}, []),                                    # unknown outcome: may ask again
    ({}, {"amount": "100"}, ["check_amount"]),                          # tampered amount
    ({}, {"amount": "10000.0"}, ["check_amount"]),                      # not a whole number
    ({}, {"amount": "1e4"}, ["check_amount"]),
    ({}, {"amount": " 10000"}, ["check_amount"]),
    ({}, {"amount": ""}, ["check_amount"]),
    ({}, {"payment_key": ""}, ["check_payment_key"]),
    ({}, {"payment_key": "abc\r\nX-Evil: 1"}, ["check_payment_key"]),   # would become a header
    ({"pg_payment_id": "tgen_created"}, {"payment_key": "tgen_other"}, ["check_payment_key"]),
    ({"pg_payment_id": "tgen_created"}, {"payment_key": "tgen_created"}, []),
    ({"status": Status.PAID}, {}, ["check_not_settled"]),
    ({"status": Status.FAILED}, {}, []),                                    # a failed attempt: payable again
    ({"status": Status.EXPIRED}, {}, ["check_not_settled"]),
    ({"status": Status.AWAITING_DEPOSIT}, {}, ["check_not_settled"]),
    ({"pg": "portone"}, {}, ["check_order"]),
])
def test_before_confirm(stored, sent, failed):
    assert failed_names(verify.before_confirm(order(**stored), back(**sent))) == failed


def test_before_confirm_without_an_order_refuses_and_names_the_order():
    [check] = verify.before_confirm(None, back(order_id="order-nope"))
    assert not check.ok and check.actual == "order-nope"


def test_tampered_amount_check_shows_both_values(app):
    check = next(c for c in verify.before_confirm(order(), back(amount="100")) if c.name == "check_amount")
    assert (check.expected, check.actual) == (10000, "100")
    with app.test_request_context("/?lang=en"):
        assert "(KRW 100)" in i18n.render(check.summary) and "(KRW 10,000)" in i18n.render(check.summary)
    with app.test_request_context("/?lang=ko"):
        assert "(100원)" in i18n.render(check.summary) and "(10,000원)" in i18n.render(check.summary)


@pytest.mark.parametrize("stored, sent, refresh", [
    ({"status": Status.PAID, "pg_payment_id": "tgen_20260101120000AbCdE"}, {}, True),
    ({"status": Status.AWAITING_DEPOSIT, "pg_payment_id": "tgen_20260101120000AbCdE"}, {}, True),
    ({"status": Status.PAID, "pg_payment_id": "tgen_20260101120000AbCdE"}, {"payment_key": "tgen_x"}, False),
    ({"status": Status.PENDING, "pg_payment_id": "tgen_20260101120000AbCdE"}, {}, False),
    ({"status": Status.FAILED, "pg_payment_id": None}, {}, False),
])
def test_refresh_is_the_same_payment_of_a_settled_order(stored, sent, refresh):
    assert verify.is_refresh(order(**stored), back(**sent)) is refresh


@pytest.mark.parametrize("text, amount", [("15000", 15000), ("015000", 15000), ("0", 0), ("-1", None),
                                          ("15,000", None), ("", None), (None, None), ("1" * 13, None)])
def test_parse_amount(text, amount):
    assert verify.parse_amount(text) == amount


# --- after confirm / read back -----------------------------------------------------------------

def payment(**kw):
    fields = {"payment_key": "tgen_20260101120000AbCdE", "order_id": "order-20260101-120000-abcd1234",
              "status": "DONE", "total_amount": 10000, "balance_amount": 10000, "method": "카드"}
    fields.update(kw)
    return Payment(**fields)


@pytest.mark.parametrize("fields, key, result, failed", [
    ({}, "tgen_20260101120000AbCdE", Outcome.PAID, []),
    ({}, None, Outcome.PAID, []),
    ({"status": "WAITING_FOR_DEPOSIT", "method": "가상계좌"}, None, Outcome.AWAITING_DEPOSIT, []),
    ({"total_amount": 100}, None, Outcome.MISMATCH, ["check_total_amount"]),
    ({"status": "WAITING_FOR_DEPOSIT", "method": "카드"}, None, Outcome.MISMATCH, ["check_method"]),
    ({"method": None}, None, Outcome.MISMATCH, ["check_method"]),
    ({"order_id": "order-someone-else"}, None, Outcome.NOT_OURS, ["check_order_id"]),
    ({"order_id": "order-someone-else", "total_amount": 1}, None, Outcome.NOT_OURS,
     ["check_order_id", "check_total_amount"]),
    ({}, "tgen_other", Outcome.NOT_OURS, ["check_payment_key"]),
    ({"status": "IN_PROGRESS"}, None, Outcome.OPEN, ["check_status"]),
    ({"status": "READY", "method": None}, None, Outcome.OPEN, ["check_status"]),
    ({"status": "ABORTED"}, None, Outcome.DECLINED, ["check_status"]),
    ({"status": "EXPIRED"}, None, Outcome.DECLINED, ["check_status"]),
    ({"status": "CANCELED", "balance_amount": 0}, None, Outcome.DECLINED, ["check_status"]),   # never approved
    ({"status": "CANCELED", "balance_amount": 0, "approved_at": "2026-01-01T12:00:00+09:00"}, None,
     Outcome.REFUNDED, ["check_status"]),
    ({"status": "PARTIAL_CANCELED", "balance_amount": 5000, "approved_at": "2026-01-01T12:00:00+09:00"}, None,
     Outcome.REFUNDED, ["check_status"]),
])
def test_after_confirm(fields, key, result, failed):
    p = payment(**fields)
    v = verify.verdict(order(), p, key)
    assert failed_names(v.checks) == failed
    assert v.outcome == result


def test_created_payment_checks():
    ok = payment(status="READY", method=None, checkout_url="http://127.0.0.1/emulator/toss/checkout/x")
    assert failed_names(verify.created(order(), ok)) == []
    bad = payment(status="READY", total_amount=1, checkout_url="javascript:alert(1)")
    assert failed_names(verify.created(order(), bad)) == ["check_total_amount", "check_checkout_url"]


# --- deposit callback secret -------------------------------------------------------------------

@pytest.mark.parametrize("stored, sent, ok", [
    ("ps_abcdefghijklmnopqrstuvwxyz12", "ps_abcdefghijklmnopqrstuvwxyz12", True),
    ("ps_abcdefghijklmnopqrstuvwxyz12", "ps_abcdefghijklmnopqrstuvwxyz13", False),
    ("ps_abcdefghijklmnopqrstuvwxyz12", "", False),
    ("ps_abcdefghijklmnopqrstuvwxyz12", None, False),
    ("ps_abcdefghijklmnopqrstuvwxyz12", "비밀", False),           # non-ASCII does not crash the compare
    (None, "ps_abcdefghijklmnopqrstuvwxyz12", False),
    ("", "", False),
])
def test_deposit_secret(stored, sent, ok):
    check = verify.deposit_secret(stored, sent)
    assert check.ok is ok
    # the secret itself never reaches the step log
    assert "ps_" not in f"{check.summary}{check.expected}{check.actual}"


# --- Toss wire formats (client) ----------------------------------------------------------------

def test_payment_from_a_virtual_account():
    p = client.payment_from({
        "paymentKey": "tgen_1", "orderId": "order-1", "status": "WAITING_FOR_DEPOSIT", "totalAmount": 10000,
        "balanceAmount": 10000, "method": "가상계좌", "secret": "ps_secret", "unknownNewField": 1,
        "virtualAccount": {"accountNumber": "X1234567890123", "bankCode": "20", "customerName": "김토스",
                           "dueDate": "2026-01-08T12:00:00+09:00"}})
    assert p.virtual_account == {"bank": "우리은행", "number": "X1234567890123", "holder": "김토스",
                                 "due": "2026-01-08 12:00"}
    assert p.secret == "ps_secret" and "ps_secret" not in repr(p)


@pytest.mark.parametrize("data", [None, [], {}, {"paymentKey": "k", "orderId": "o", "status": "DONE"},
                                  {"paymentKey": "k", "orderId": "o", "status": "DONE", "totalAmount": "10000"},
                                  {"paymentKey": "k", "orderId": "o", "status": "DONE", "totalAmount": True}])
def test_payment_from_refuses_what_it_cannot_check(data):
    assert client.payment_from(data) is None


@pytest.mark.parametrize("body, event, order_id, key, status", [
    ({"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
      "data": {"paymentKey": "tgen_1", "orderId": "order-1", "status": "DONE"}},
     "PAYMENT_STATUS_CHANGED", "order-1", "tgen_1", "DONE"),
    ({"createdAt": "2026-01-01T12:00:00.000000", "secret": "ps_1", "status": "DONE",
      "transactionKey": "txrd_1", "orderId": "order-1"}, "DEPOSIT_CALLBACK", "order-1", "", "DONE"),
    ({"eventType": "DEPOSIT_CALLBACK", "data": {"secret": "ps_1", "status": "DONE", "orderId": "order-1"}},
     "DEPOSIT_CALLBACK", "order-1", "", "DONE"),
    ({"eventType": "BILLING_DELETED", "data": {"billingKey": "b", "orderId": "order-1"}},
     "BILLING_DELETED", "order-1", "", ""),
])
def test_webhook_bodies(body, event, order_id, key, status):
    hook = client.webhook_from(body)
    assert (hook.event, hook.order_id, hook.payment_key, hook.status) == (event, order_id, key, status)


@pytest.mark.parametrize("body", [None, "x", [], {}, {"eventType": "PAYMENT_STATUS_CHANGED"},
                                  {"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "k"}},
                                  {"secret": "ps_1", "status": "DONE"}, {"orderId": "o", "status": "DONE"}])
def test_malformed_webhook_bodies(body):
    assert client.webhook_from(body) is None


def test_redirect_queries_are_text_and_bounded():
    got = client.success_redirect({"paymentType": "NORMAL", "orderId": "o" * 100, "paymentKey": "k",
                                   "amount": "15000", "extra": "ignored"})
    assert (len(got.order_id), got.payment_key, got.amount) == (64, "k", "15000")
    fail = client.fail_redirect({"code": "REJECT_CARD_COMPANY", "message": "결제 승인이 거절되었습니다."})
    assert (fail.order_id, fail.code, fail.message) == ("", "REJECT_CARD_COMPANY", "결제 승인이 거절되었습니다.")
