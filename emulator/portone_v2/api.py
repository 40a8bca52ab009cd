"""The emulated PortOne V2 REST API (api.portone.io): real paths, `PortOne <secret>` / Bearer auth,
{"type", "message"} errors with PortOne's status for each type."""
import functools
import json

from flask import current_app, request

import webjson

from . import bp, store

STATUS = {  # each error type's HTTP status, as PortOne's OpenAPI schema gives it (x-portone-status-code)
    "INVALID_REQUEST": 400, "UNAUTHORIZED": 401, "FORBIDDEN": 403, "PAYMENT_NOT_FOUND": 404,
    "WEBHOOK_NOT_FOUND": 404, "ALREADY_PAID": 409, "PAYMENT_NOT_PAID": 409, "PAYMENT_ALREADY_CANCELLED": 409,
    "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN": 409, "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT": 409,
    "CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT": 409,
    "CANCEL_TAX_AMOUNT_EXCEEDS_CANCELLABLE_TAX_AMOUNT": 409, "SUM_OF_PARTS_EXCEEDS_CANCEL_AMOUNT": 409,
    "MAX_WEBHOOK_RETRY_COUNT_REACHED": 400, "INFORMATION_MISMATCH": 409, "INVALID_PAYMENT_TOKEN": 400,
    "PG_PROVIDER": 502,
}
PAYMENT_STATUSES = ("READY", "PENDING", "VIRTUAL_ACCOUNT_ISSUED", "PAID", "FAILED", "PARTIAL_CANCELLED",
                    "CANCELLED")
METHOD_TYPES = ("CARD", "TRANSFER", "VIRTUAL_ACCOUNT", "GIFT_CERTIFICATE", "MOBILE", "EASY_PAY",
                "CONVENIENCE_STORE", "CRYPTO")
MAX_PAGE_SIZE = 1000
NOT_FOUND = "결제 건이 존재하지 않습니다."


def answer(body, status=200):
    return current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                      content_type="application/json")


def error(kind, message):
    return answer({"type": kind, "message": message}, STATUS[kind])


class Invalid(Exception):
    """A request body that breaks the schema: 400 INVALID_REQUEST with args[0] as the message."""


def body():
    """The JSON object sent (an empty object when no body); Invalid otherwise."""
    if not request.get_data():
        return {}
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise Invalid("요청 본문은 JSON 객체여야 합니다.")
    return data


def integer(data, name, required=False, minimum=0):
    value = data.get(name)
    if value is None:
        if required:
            raise Invalid(f"{name}은(는) 필수 입력 항목입니다.")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= webjson.INT64[1]:
        raise Invalid(f"{name}은(는) {minimum} 이상의 정수(int64)여야 합니다.")
    return value


def text(data, name, required=False):
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name}은(는) 비어 있지 않은 문자열이어야 합니다.")
    return value


def authorized(view):
    """`Authorization: PortOne <API secret>` or `Bearer <access token>`; a storeId other than the emulated
    store's is 403 FORBIDDEN; a broken body is 400 INVALID_REQUEST."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
        credential = credential.strip()
        if scheme == "PortOne":
            ok = credential == current_app.config["EMULATOR_PORTONE_V2_API_SECRET"]
        elif scheme == "Bearer":
            ok = bool(credential) and store.token_valid(credential)
        else:
            ok = False
        if not ok:
            return error("UNAUTHORIZED", "인증 정보가 올바르지 않습니다.")
        try:
            return view(*args, **kwargs)
        except Invalid as e:
            return error("INVALID_REQUEST", e.args[0])
        except store.Refused as e:
            return error(*e.args)
    return wrapper


def check_store(store_id):
    if store_id is not None and store_id != store.store_id():
        raise store.Refused("FORBIDDEN", "요청한 상점에 접근할 권한이 없습니다.")


# --- auth --------------------------------------------------------------------------------------

@bp.post("/login/api-secret")
def login():
    try:
        secret = text(body(), "apiSecret", required=True)
    except Invalid as e:
        return error("INVALID_REQUEST", e.args[0])
    if secret != current_app.config["EMULATOR_PORTONE_V2_API_SECRET"]:
        return error("UNAUTHORIZED", "API Secret이 올바르지 않습니다.")
    return answer(store.issue_token())


@bp.post("/token/refresh")
def refresh():
    try:
        token = text(body(), "refreshToken", required=True)
    except Invalid as e:
        return error("INVALID_REQUEST", e.args[0])
    pair = store.refresh_token(token)
    if pair is None:
        return error("UNAUTHORIZED", "리프레시 토큰이 유효하지 않습니다.")
    return answer(pair)


# --- payments ----------------------------------------------------------------------------------

def _payment_or_404(payment_id):
    row = store.current(payment_id)
    if row is None:
        raise store.Refused("PAYMENT_NOT_FOUND", NOT_FOUND)
    return row


@bp.get("/payments/<path:payment_id>")
@authorized
def get_payment(payment_id):
    check_store(request.args.get("storeId"))
    return answer(store.to_api(_payment_or_404(payment_id)))


@bp.get("/payments/<path:payment_id>/transactions")
@authorized
def transactions(payment_id):
    """Every attempt of one paymentId, oldest first (many may fail, one at most is paid)."""
    check_store(request.args.get("storeId"))
    rows = store.attempts(payment_id)
    if not rows:
        raise store.Refused("PAYMENT_NOT_FOUND", NOT_FOUND)
    return answer({"items": [store.to_transaction(r) for r in rows]})


def _filter(data):
    """GET /payments `filter`, checked against the schema's types; times as UNIX s."""
    f = data.get("filter") or {}
    if not isinstance(f, dict):
        raise Invalid("filter는 객체여야 합니다.")
    out = {}
    for name, allowed in (("status", PAYMENT_STATUSES), ("methods", METHOD_TYPES)):
        if f.get(name) is not None:
            if not isinstance(f[name], list) or any(v not in allowed for v in f[name]):
                raise Invalid(f"filter.{name}의 값은 {', '.join(allowed)} 중에서 골라야 합니다.")
            out[name] = f[name]
    for name, allowed in (("timestampType", ("CREATED_AT", "STATUS_CHANGED_AT")),
                          ("sortBy", ("REQUESTED_AT", "STATUS_CHANGED_AT")), ("sortOrder", ("DESC", "ASC")),
                          ("version", ("V1", "V2"))):
        if f.get(name) is not None:
            if f[name] not in allowed:
                raise Invalid(f"filter.{name}은(는) {', '.join(allowed)} 중 하나여야 합니다.")
            out[name] = f[name]
    for name in ("from", "until"):
        if f.get(name) is not None:
            try:
                out[name] = store.parse_time(f[name])
            except (TypeError, ValueError):
                raise Invalid(f"filter.{name}은(는) RFC 3339 날짜-시간이어야 합니다.") from None
    if f.get("isTest") is not None:
        if not isinstance(f["isTest"], bool):
            raise Invalid("filter.isTest는 true 또는 false여야 합니다.")
        out["isTest"] = f["isTest"]
    for name in ("storeId", "currency"):
        if f.get(name) is not None:
            out[name] = text(f, name)
    if f.get("pgProvider") is not None:
        if not isinstance(f["pgProvider"], list) or not all(isinstance(p, str) for p in f["pgProvider"]):
            raise Invalid("filter.pgProvider는 문자열 배열이어야 합니다.")
        out["pgProvider"] = f["pgProvider"]
    check_store(out.get("storeId"))
    return out


@bp.get("/payments")
@authorized
def list_payments():
    """Page-based list: the body (or the `requestBody` query parameter) {page: {number, size}, filter}."""
    raw = request.args.get("requestBody")
    if raw is not None:
        try:
            data = webjson.loads(raw)     # the same rules as every JSON body (depth, int64, no NaN)
        except ValueError:
            raise Invalid("requestBody는 JSON이어야 합니다.") from None
        if not isinstance(data, dict):
            raise Invalid("requestBody는 JSON 객체여야 합니다.")
    else:
        data = body()
    page = data.get("page") or {}
    if not isinstance(page, dict):
        raise Invalid("page는 객체여야 합니다.")
    number = integer(page, "number") or 0
    size = integer(page, "size", minimum=1)
    size = 10 if size is None else size
    if size > MAX_PAGE_SIZE:
        raise Invalid(f"page.size는 최대 {MAX_PAGE_SIZE}입니다.")
    rows = store.search(_filter(data))
    items = [store.to_api(r) for r in rows[number * size:(number + 1) * size]]
    return answer({"items": items, "page": {"number": number, "size": len(items), "totalCount": len(rows)}})


@bp.post("/payments/<path:payment_id>/pre-register")
@authorized
def pre_register(payment_id):
    data = body()
    check_store(data.get("storeId"))
    fields = {"storeId": data.get("storeId"), "totalAmount": integer(data, "totalAmount"),
              "taxFreeAmount": integer(data, "taxFreeAmount"),
              "currency": (text(data, "currency") or "").removeprefix("CURRENCY_") or None}
    if store.is_paid(payment_id):
        raise store.Refused("ALREADY_PAID", "결제가 이미 완료되었습니다.")
    store.preregister(payment_id, fields)
    return answer({})


def _refund_account(data):
    account = data.get("refundAccount")
    if account is None:
        return None
    if not isinstance(account, dict):
        raise Invalid("refundAccount는 객체여야 합니다.")
    for name in ("bank", "number", "holderName"):
        text(account, name, required=True)
    return account


@bp.post("/payments/<path:payment_id>/cancel")
@authorized
def cancel(payment_id):
    data = body()
    check_store(data.get("storeId"))
    fields = {"reason": text(data, "reason", required=True), "refundAccount": _refund_account(data),
              "skipWebhook": data.get("skipWebhook") is True}
    for name in ("amount", "taxFreeAmount", "vatAmount", "currentCancellableAmount"):
        value = integer(data, name, minimum=1 if name == "amount" else 0)
        if value is not None:
            fields[name] = value
    if data.get("requester") not in (None, "CUSTOMER", "ADMIN"):
        raise Invalid("requester는 CUSTOMER 또는 ADMIN이어야 합니다.")
    return answer({"cancellation": store.cancel(payment_id, fields)})


@bp.post("/payments/<path:payment_id>/resend-webhook")
@authorized
def resend_webhook(payment_id):
    data = body()
    check_store(data.get("storeId"))
    webhook_id = text(data, "webhookId")
    _payment_or_404(payment_id)
    new_id = store.resend(payment_id, webhook_id)
    webhook = next(w for w in store.webhook_log(payment_id) if w["id"] == new_id)
    return answer({"webhook": webhook})


@bp.post("/payments/<path:payment_id>/confirm")
@authorized
def confirm(payment_id):
    """Manual confirm of an authenticated payment (requestPayment with confirmUrl): the paymentToken the SDK
    returned, and optionally the amount and currency to check."""
    data = body()
    check_store(data.get("storeId"))
    token = text(data, "paymentToken", required=True)
    tx_id, total, tax_free = text(data, "txId"), integer(data, "totalAmount"), integer(data, "taxFreeAmount")
    currency = text(data, "currency")
    row = _payment_or_404(payment_id)
    if row["status"] in store.PAID_LIKE:
        raise store.Refused("ALREADY_PAID", "결제가 이미 완료되었습니다.")
    if row["status"] != "READY" or not row["payment_token"] or token != row["payment_token"] or (
            tx_id and tx_id != row["tx_id"]):
        raise store.Refused("INVALID_PAYMENT_TOKEN", "유효하지 않은 결제 토큰입니다.")
    if (total is not None and total != row["total_amount"] or currency and currency != row["currency"]
            or tax_free is not None and tax_free != row["tax_free_amount"]):
        raise store.Refused("INFORMATION_MISMATCH", "결제 정보가 일치하지 않습니다.")
    if not store.confirm(row["tx_id"]):
        raise store.Refused("INVALID_PAYMENT_TOKEN", "유효하지 않은 결제 토큰입니다.")
    row = store.transaction(row["tx_id"])
    return answer({"pgTxId": row["pg_tx_id"], "paidAt": store.rfc3339(row["paid_at"])})
