"""The emulated Toss REST API (/v1/payments...): Basic auth, Test-Code, Idempotency-Key, confirm, lookups,
cancel and the API-created checkout. Paths, bodies, statuses and error codes are the real ones."""
import base64
import binascii
import functools
import json
import re
import time

from flask import Response, current_app, request

from .. import clock, db
from . import bp, store
from .errors import API, TossError

# Confirm declines chosen by the authenticated amount's last two digits (test cards do not exist for
# the widget; amounts ending in 01-05 won never come from the shop's catalog).
CONFIRM_DECLINES = {
    1: "REJECT_CARD_PAYMENT",               # 403 한도초과 혹은 잔액부족
    2: "REJECT_CARD_COMPANY",               # 403 결제 승인이 거절되었습니다.
    3: "INVALID_STOPPED_CARD",              # 400 정지된 카드 입니다.
    4: "PROVIDER_ERROR",                    # 400 일시적인 오류
    5: "FAILED_INTERNAL_SYSTEM_PROCESSING",  # 500
}
BANKS = {"39": "경남", "34": "광주", "12": "지역농축협", "32": "부산", "45": "새마을금고", "64": "산림조합",
         "88": "신한", "48": "신협", "27": "씨티", "20": "우리", "71": "우체국", "50": "저축은행중앙회",
         "37": "전북", "35": "제주", "90": "카카오뱅크", "92": "토스뱅크", "81": "하나", "54": "HSBC",
         "03": "IBK기업", "06": "KB국민", "31": "DGB대구", "02": "KDB산업", "11": "NH농협", "23": "SC제일",
         "07": "Sh수협"}
BANK_NAMES = {name: code for code, name in BANKS.items()}
BANK_NAMES.update({"국민": "06", "기업": "03", "농협": "11", "산업": "02", "대구": "31", "수협": "07"})


def json_response(body, status=200):
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def error_response(code, message=None):
    status, default = API[code]
    return json_response({"code": code, "message": message or default}, status)


# ---- auth, Test-Code, idempotency ------------------------------------------------------------------

def authenticate():
    """Basic base64('<secretKey>:') -> (key_set, secret). Raises TossError with the real codes."""
    key_set, secret, error = _check_authorization(request.headers.get("Authorization", ""))
    if error:
        raise TossError(error)
    return key_set, secret


@functools.lru_cache(maxsize=256)   # the same few headers on every call: decoded once per process
def _check_authorization(header):
    """(key_set, secret, None) or (None, None, error code)."""
    try:
        return (*_decode_authorization(header), None)
    except TossError as e:
        return None, None, e.code


def _decode_authorization(header):
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "basic" or not token:
        raise TossError("UNAUTHORIZED_KEY")
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise TossError("UNAUTHORIZED_KEY")
    if ":" not in decoded:
        raise TossError("INCORRECT_BASIC_AUTH_FORMAT")
    user = decoded.split(":", 1)[0]
    for name, keys in store.KEY_SETS.items():
        if user == keys["secret"]:
            return name, user
    if any(user == keys["client"] for keys in store.KEY_SETS.values()):
        raise TossError("INVALID_API_KEY")      # a client key where the secret key belongs
    raise TossError("UNAUTHORIZED_KEY")


def api(view):
    """Auth, then TossPayments-Test-Code, then Idempotency-Key (POST), then the view.

    The view takes key_set first and returns (body, status) or raises TossError. A POST view runs
    in one transaction with the webhooks it queues and the answer kept for its Idempotency-Key
    (claimed before, in its own transaction, so a repeat meanwhile gets 409)."""
    @functools.wraps(view)
    def wrapper(**kwargs):
        try:
            key_set, secret = authenticate()
        except TossError as e:
            return error_response(e.code, e.message)
        test_code = request.headers.get("TossPayments-Test-Code", "").strip()
        if test_code in API:
            return error_response(test_code)
        if request.method != "POST":
            return _answer(*_run(view, key_set, kwargs))
        idem = request.headers.get("Idempotency-Key")
        if idem:
            if len(idem) > 300:
                return error_response("INVALID_IDEMPOTENCY_KEY")
            state, saved = store.idempotency_begin(idem, secret, request.path, request.method)
            if state == "processing":
                return error_response("IDEMPOTENT_REQUEST_PROCESSING")
            if state == "done":
                return Response(saved[1], status=saved[0], mimetype="application/json")
        try:
            with db.transaction():   # the view's own transaction joins this one as a savepoint
                body, status = _run(view, key_set, kwargs)
                text = json.dumps(body, ensure_ascii=False)
                if idem:
                    store.idempotency_finish(idem, secret, request.path, request.method, status, text)
        except BaseException:
            if idem:
                store.idempotency_release(idem, secret, request.path, request.method)
            raise
        return store.send_queued_after(Response(text, status=status, mimetype="application/json"))
    return wrapper


def _run(view, key_set, kwargs):
    try:
        return view(key_set, **kwargs), 200
    except TossError as e:
        return {"code": e.code, "message": e.message}, e.status


def _answer(body, status):
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


SWEEP_EVERY_S = 1.0
_last_sweep = {}   # emulator database -> when this process last swept it (time.monotonic())


@bp.before_request
def _expire_due_payments():
    """Timers also fire for payments nobody reads: at most once a second per process a request sweeps
    the due ones. (A payment that is read is expired as it is read: store.get.)"""
    path = current_app.config["EMULATOR_DATABASE"]
    if time.monotonic() - _last_sweep.get(path, 0.0) >= SWEEP_EVERY_S and request.method != "OPTIONS":
        _last_sweep[path] = time.monotonic()
        store.sweep()


# ---- request parsing -------------------------------------------------------------------------------

def _body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise TossError("INVALID_REQUEST", "요청 본문이 올바른 JSON 객체가 아닙니다.")
    return data


MAX_AMOUNT = 10 ** 10 - 1   # above any per-payment limit: EXCEED_MAX_AMOUNT (거래금액 한도를 초과했습니다)


def parse_amount(value):
    """A whole number of won, as a number or numeric string (the samples send a string); None when it is
    not one (a fraction, text). Beyond MAX_AMOUNT either way, it is MAX_AMOUNT + 1, for the limit check."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():   # finite: webjson refuses NaN and Infinity
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,15}\s*", value):
        value = int(value)
    if not isinstance(value, int):
        return None
    return max(min(value, MAX_AMOUNT + 1), -MAX_AMOUNT - 1)


def check_limit(amount):
    if amount > MAX_AMOUNT:
        raise TossError("EXCEED_MAX_AMOUNT")


def _required_str(data, name, max_len):
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise TossError("INVALID_REQUEST", f"{name}는 필수 파라미터입니다.")
    if len(value) > max_len:
        raise TossError("INVALID_REQUEST", f"{name}는 {max_len}자 이하여야 합니다.")
    return value



# ---- confirm ---------------------------------------------------------------------------------------

def _own_payment(conn, payment_key, key_set):
    """The payment row, if it exists and was made with this API key's key set; else the Toss error."""
    row = store.get(payment_key, conn)
    if row is None:
        raise TossError("NOT_FOUND_PAYMENT")
    if row["key_set"] != key_set:
        raise TossError("INVALID_API_KEY")
    return row


@bp.post("/v1/payments/confirm")
@api
def confirm(key_set):
    payment_key, order_id, amount = _confirm_params(_body())
    now = clock.now()
    with db.transaction() as conn:
        row = _own_payment(conn, payment_key, key_set)
        _check_confirmable(conn, row, order_id, amount, now)
        decline, changed = _approve(conn, row, now)
        if changed is None:
            raise TossError("ALREADY_PROCESSED_PAYMENT")
    vbank = changed["status"] == "WAITING_FOR_DEPOSIT"
    payment = store.to_payment(changed, now)
    store.notify(changed, deposit_status="WAITING_FOR_DEPOSIT" if vbank else None, payment=payment)
    if decline:
        raise TossError(decline)
    return payment


def _confirm_params(data):
    """The confirm body -> (paymentKey, orderId, amount), or the Toss error for a missing or bad one."""
    payment_key = _required_str(data, "paymentKey", 200)
    order_id = _required_str(data, "orderId", 64)
    amount = parse_amount(data.get("amount"))
    if amount is None:
        raise TossError("INVALID_REQUEST", "amount는 필수 파라미터입니다.")
    if amount <= 0:
        raise TossError("INVALID_REQUEST", "amount는 0보다 커야 합니다.")
    check_limit(amount)
    return payment_key, order_id, amount


def _check_confirmable(conn, row, order_id, amount, now):
    """Raise the Toss error unless the payment is authenticated, unexpired, and for this orderId and amount."""
    status = row["status"]
    if status in ("DONE", "WAITING_FOR_DEPOSIT", "CANCELED", "PARTIAL_CANCELED", "ABORTED"):
        raise TossError("ALREADY_PROCESSED_PAYMENT")
    if status == "EXPIRED" or now >= row["expires_at"]:
        raise TossError("NOT_FOUND_PAYMENT_SESSION")
    if order_id != row["order_id"]:
        raise TossError("NOT_FOUND_PAYMENT_SESSION")
    if amount != row["amount"]:
        raise TossError("INVALID_REQUEST", "잘못된 요청입니다. 결제 금액이 인증된 금액과 다릅니다.")
    if status == "READY":
        raise TossError("UNAPPROVED_ORDER_ID")
    if store.order_taken(conn, order_id, row["key_set"], but=row["payment_key"]):
        raise TossError("DUPLICATED_ORDER_ID")


def _approve(conn, row, now):
    """IN_PROGRESS -> DONE (a virtual account: WAITING_FOR_DEPOSIT), or ABORTED when the amount picks a decline.
    Returns (the decline code or None, the changed row or None if another request changed it first)."""
    payment_key = row["payment_key"]
    decline = CONFIRM_DECLINES.get(row["amount"] % 100) if row["method"] != "가상계좌" else None
    tx = store.new_transaction_key()
    if decline:
        changed = store.update(conn, payment_key, "IN_PROGRESS", status="ABORTED", expires_at=None,
                               failure_code=decline, failure_message=API[decline][1],
                               last_transaction_key=tx, updated_at=now)
    elif row["method"] == "가상계좌":
        changed = store.update(conn, payment_key, "IN_PROGRESS", status="WAITING_FOR_DEPOSIT",
                               expires_at=None, last_transaction_key=tx,
                               details=store.details_for(row, now), updated_at=now)
    else:
        changed = store.update(conn, payment_key, "IN_PROGRESS", status="DONE", expires_at=None,
                               approved_at=now, last_transaction_key=tx,
                               details=store.details_for(row, now), updated_at=now)
    return decline, changed


# ---- lookups ---------------------------------------------------------------------------------------

@bp.get("/v1/payments/<payment_key>")
@api
def get_payment(key_set, payment_key):
    row = store.get(payment_key)
    if row is None or row["key_set"] != key_set:
        raise TossError("NOT_FOUND_PAYMENT")
    return store.to_payment(row)


@bp.get("/v1/payments/orders/<order_id>")
@api
def get_payment_by_order(key_set, order_id):
    row = store.by_order(order_id, key_set)
    if row is None:
        raise TossError("NOT_FOUND_PAYMENT")
    return store.to_payment(row)


# ---- cancel ----------------------------------------------------------------------------------------

def _refund_account(value):
    """Validate refundReceiveAccount{bank, accountNumber, holderName} -> {bankCode, accountNumber, holderName}."""
    if not isinstance(value, dict):
        raise TossError("INVALID_REQUEST", "입금 완료된 가상계좌 결제를 취소하려면 refundReceiveAccount가 필요합니다.")
    bank = str(value.get("bank") or "").strip()
    code = bank if bank in BANKS else BANK_NAMES.get(bank.removesuffix("은행"))
    if code is None:
        raise TossError("INVALID_BANK")
    number = str(value.get("accountNumber") or "")
    if not re.fullmatch(r"\d{6,20}", number):
        raise TossError("INVALID_REFUND_ACCOUNT_NUMBER")
    holder = value.get("holderName")
    if not isinstance(holder, str) or not holder.strip() or len(holder) > 60:
        raise TossError("INVALID_REFUND_ACCOUNT_INFO")
    return {"bankCode": code, "accountNumber": number, "holderName": holder.strip()}


@bp.post("/v1/payments/<payment_key>/cancel")
@api
def cancel(key_set, payment_key):
    data = _body()
    reason = _required_str(data, "cancelReason", 200)
    now = clock.now()
    with db.transaction() as conn:
        row = _own_payment(conn, payment_key, key_set)
        status, balance = row["status"], row["balance_amount"]
        amount = _cancel_amount(data, status, balance)
        details = json.loads(row["details"] or "{}")
        if status == "WAITING_FOR_DEPOSIT" and amount != balance:
            raise TossError("NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT")
        if row["method"] == "가상계좌" and status != "WAITING_FOR_DEPOSIT":
            account = _refund_account(data.get("refundReceiveAccount"))
            details["virtualAccount"] = dict(details["virtualAccount"], refundReceiveAccount=account,
                                             refundStatus="PENDING")
        new_balance = balance - amount
        tx = store.new_transaction_key()
        cancels = json.loads(row["cancels"]) if row["cancels"] else []
        cancels.append(_cancel_record(tx, reason, amount, new_balance, now))
        new_status = "CANCELED" if new_balance == 0 else "PARTIAL_CANCELED"
        if new_status == "CANCELED" and "card" in details:
            details["card"] = dict(details["card"], acquireStatus="CANCELED")
        changed = store.update(conn, payment_key, status, status=new_status, balance_amount=new_balance,
                               cancels=cancels, details=details, last_transaction_key=tx, updated_at=now)
        if changed is None:
            raise TossError("FORBIDDEN_CONSECUTIVE_REQUEST")
    vbank_canceled = row["method"] == "가상계좌" and new_status == "CANCELED"
    payment = store.to_payment(changed, now)
    store.notify(changed, deposit_status="CANCELED" if vbank_canceled else None, transaction_key=tx,
                 payment=payment)
    return payment


def _cancel_amount(data, status, balance):
    """The amount to cancel (cancelAmount, else the whole balance), or the Toss error when the payment cannot be
    cancelled or the body's amounts (cancelAmount, taxFreeAmount, currency, refundableAmount) do not fit it."""
    if status == "CANCELED":
        raise TossError("ALREADY_CANCELED_PAYMENT")
    if status not in ("DONE", "PARTIAL_CANCELED", "WAITING_FOR_DEPOSIT"):
        raise TossError("NOT_CANCELABLE_PAYMENT")
    amount = balance
    if data.get("cancelAmount") is not None:
        amount = parse_amount(data["cancelAmount"])
        if amount is None or amount <= 0:
            raise TossError("INVALID_REQUEST", "cancelAmount는 0보다 큰 정수여야 합니다.")
    tax_free = parse_amount(data.get("taxFreeAmount", 0))
    if tax_free is None or tax_free != 0:
        raise TossError("INVALID_REQUEST", "taxFreeAmount가 면세 금액을 초과합니다.")
    if data.get("currency") not in (None, "KRW"):
        raise TossError("INVALID_REQUEST", "currency는 결제 통화(KRW)와 같아야 합니다.")
    if data.get("refundableAmount") is not None and parse_amount(data["refundableAmount"]) != balance:
        raise TossError("NOT_MATCHES_REFUNDABLE_AMOUNT")
    if amount > balance:
        raise TossError("NOT_CANCELABLE_AMOUNT")
    return amount


def _cancel_record(tx, reason, amount, new_balance, now):
    """One entry of the Payment's cancels[]: this cancel, done at once."""
    return {"transactionKey": tx, "cancelReason": reason, "taxExemptionAmount": 0,
            "canceledAt": store.kst(now), "transferDiscountAmount": 0, "easyPayDiscountAmount": 0,
            "receiptKey": None, "cancelAmount": amount, "taxFreeAmount": 0,
            "refundableAmount": new_balance, "cardDiscountAmount": 0, "cancelStatus": "DONE",
            "cancelRequestId": None}


# ---- API-created checkout ("Create Payment", an alternative to the SDK) ----------------------------

@bp.post("/v1/payments")
@api
def create_payment(key_set):
    data = _body()
    method = store.parse_method(data.get("method"))
    if data.get("easyPay") and method == "카드":
        method = "간편결제"
    if method is None:
        raise TossError("INVALID_REQUEST", "method는 CARD, TRANSFER, VIRTUAL_ACCOUNT, MOBILE_PHONE 중 하나여야 합니다.")
    amount = parse_amount(data.get("amount"))
    if amount is None or amount <= 0:
        raise TossError("INVALID_REQUEST", "amount는 0보다 큰 정수여야 합니다.")
    check_limit(amount)
    order_id = _required_str(data, "orderId", 64)
    if not store.ORDER_ID.match(order_id):
        raise TossError("INVALID_REQUEST", "orderId는 영문 대소문자, 숫자, 특수문자(-, _)로 6자 이상 64자 이하여야 합니다.")
    order_name = _required_str(data, "orderName", 100)
    success_url = data.get("successUrl") or data.get("returnUrl")
    fail_url = data.get("failUrl") or success_url
    if not store.origin_of(success_url):
        raise TossError("INVALID_REQUEST", "successUrl은 http(s)로 시작하는 절대 URL이어야 합니다.")
    if not store.origin_of(fail_url):
        raise TossError("INVALID_REQUEST", "failUrl은 http(s)로 시작하는 절대 URL이어야 합니다.")
    minimum = 200 if method in ("계좌이체", "가상계좌") else 100
    if amount < minimum:
        raise TossError("BELOW_MINIMUM_AMOUNT")
    now = clock.now()
    with db.transaction() as conn:
        if store.order_taken(conn, order_id, key_set):
            raise TossError("DUPLICATED_ORDER_ID")
        row = store.create(conn, key_set=key_set, flow="checkout", order_id=order_id, order_name=order_name,
                           amount=amount, method=method, origin=store.origin_of(success_url),
                           success_url=success_url, fail_url=fail_url, customer_name=_opt(data, "customerName", 100),
                           customer_email=_opt(data, "customerEmail", 100),
                           customer_phone=_opt(data, "customerMobilePhone", 15),
                           metadata=data.get("metadata") if isinstance(data.get("metadata"), dict) else None,
                           now=now)
    return store.to_payment(row, now)


def _opt(data, name, max_len):
    value = data.get(name)
    return value[:max_len] if isinstance(value, str) and value else None
