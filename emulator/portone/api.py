"""The emulated PortOne V1 REST API: real paths, {code, message, response} envelope, status codes, messages."""
import functools
import json
import math
import re
from datetime import datetime

from flask import current_app, request

from . import bp, store

NOT_FOUND = "존재하지 않는 결제정보입니다."
BAD_STATUS = "지원되지 않는 상태값입니다."
NOT_PREPARED = "사전등록된 결제정보가 존재하지 않습니다."
MAX_WINDOW = 90 * 86400


def answer(response=None, code=0, message=None, status=200):
    """The V1 envelope, as the real API sends it (application/json; charset=UTF-8)."""
    body = json.dumps({"code": code, "message": message, "response": response}, ensure_ascii=False)
    return current_app.response_class(body, status=status, content_type="application/json; charset=UTF-8")


def unauthorized():
    return answer(code=-1, message="Unauthorized", status=401)


def params():
    """The request body, JSON or form (every V1 operation accepts both)."""
    data = request.get_json(silent=True) if request.is_json else None
    return data if isinstance(data, dict) else request.form.to_dict()


MAX_AMOUNT = 10 ** 10 - 1   # no PG takes more in one payment; beyond it an amount is refused like a malformed one


def number(value):
    """A money value from JSON or a form string; None when absent, not a number, not finite ("inf", "nan")
    or beyond MAX_AMOUNT."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if not isinstance(value, (int, float)):
        try:
            value = float(str(value).strip())
        except ValueError:
            return None
    if not math.isfinite(value) or abs(value) > MAX_AMOUNT:
        return None
    return int(value) if float(value).is_integer() else value


def text(data, key):
    """A text field of the body as a string (numbers too); None when absent or not text."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value)


def _int_arg(name, default):
    value = request.args.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return None


@bp.before_request
def _nightly_cancel():
    """The PG's test-mode nightly cancel happens whenever the emulator clock has passed 23:30 KST."""
    if request.method != "OPTIONS":
        store.nightly_sweep()


def authorized(view):
    """The access token from `Authorization` (raw or `Bearer `) or, failing that, `X-ImpTokenHeader`."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = request.headers.get("Authorization", "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        token = token or request.headers.get("X-ImpTokenHeader", "").strip()
        if not token or not store.token_valid(token):
            return unauthorized()
        return view(*args, **kwargs)
    return wrapper


@bp.post("/users/getToken")
def get_token():
    data = params()
    key, secret = data.get("imp_key"), data.get("imp_secret")
    if not key or not secret:
        return answer(code=-1, message="imp_key, imp_secret 파라메터가 누락되었습니다.", status=400)
    cfg = current_app.config
    if key != cfg["EMULATOR_PORTONE_IMP_KEY"] or secret != cfg["EMULATOR_PORTONE_IMP_SECRET"]:
        return unauthorized()
    return answer(store.issue_token(key))


@bp.get("/payments/<imp_uid>")
@authorized
def payment(imp_uid):
    row = store.get(imp_uid)
    if row is None:
        return answer(code=-1, message=NOT_FOUND, status=404)
    return answer(store.to_api(row))


@bp.get("/payments")
@authorized
def payments():
    """imp_uid[]=..&merchant_uid[]=..: 200 all found, 207 some found, 404 none."""
    imp_uids = request.args.getlist("imp_uid[]") + request.args.getlist("imp_uid")
    merchant_uids = request.args.getlist("merchant_uid[]") + request.args.getlist("merchant_uid")
    asked = len(imp_uids) + len(merchant_uids)
    if asked == 0:
        return answer(code=-1, message="imp_uid[] 또는 merchant_uid[] 파라메터가 누락되었습니다.", status=400)
    if asked > 100:
        return answer(code=-1, message="한 번에 최대 100건까지 조회할 수 있습니다.", status=400)
    found = [row for row in map(store.get, imp_uids) if row is not None]
    for merchant_uid in merchant_uids:
        rows = store.by_merchant_uid(merchant_uid)
        if rows:
            found.append(rows[0])
    if not found:
        return answer(code=-1, message=NOT_FOUND, status=404)
    return answer([store.to_api(r) for r in found], status=200 if len(found) == asked else 207)


@bp.get("/payments/find/<merchant_uid>", defaults={"status": None})
@bp.get("/payments/find/<merchant_uid>/<status>")
@authorized
def find(merchant_uid, status):
    if status is not None and status not in store.STATUSES:
        return answer(code=-1, message=BAD_STATUS, status=400)
    rows = store.by_merchant_uid(merchant_uid, status, request.args.get("sorting", "-started"))
    if not rows:
        return answer(code=-1, message=NOT_FOUND, status=404)
    return answer(store.to_api(rows[0]))


def _page_object(total, rows, page, limit):
    last = (total + limit - 1) // limit
    return {"total": total, "previous": page - 1 if page > 1 else 0, "next": page + 1 if page < last else 0,
            "list": [store.to_api(r) for r in rows]}


def _paging():
    page, limit = _int_arg("page", 1), _int_arg("limit", 20)
    if page is None or limit is None or page < 1 or not 1 <= limit <= 1000:
        return None
    return page, limit


@bp.get("/payments/findAll/<merchant_uid>", defaults={"status": None})
@bp.get("/payments/findAll/<merchant_uid>/<status>")
@authorized
def find_all(merchant_uid, status):
    if status is not None and status not in store.STATUSES:
        return answer(code=-1, message=BAD_STATUS, status=400)
    paging = _paging()
    if paging is None:
        return answer(code=-1, message="page는 1 이상, limit은 1~1000 사이의 정수여야 합니다.", status=400)
    page, limit = paging
    rows = store.by_merchant_uid(merchant_uid, status, request.args.get("sorting", "-started"))
    if not rows:
        return answer(code=-1, message=NOT_FOUND, status=404)
    return answer(_page_object(len(rows), rows[(page - 1) * limit: page * limit], page, limit))


@bp.get("/payments/status/<status>")
@authorized
def by_status(status):
    if status != "all" and status not in store.STATUSES:
        return answer(code=-1, message=BAD_STATUS, status=400)
    paging = _paging()
    if paging is None:
        return answer(code=-1, message="page는 1 이상, limit은 1~1000 사이의 정수여야 합니다.", status=400)
    page, limit = paging
    until = _int_arg("to", store.now())
    since = _int_arg("from", (until or 0) - MAX_WINDOW)
    if since is None or until is None or since > until or until - since > MAX_WINDOW:
        return answer(code=-1, message="조회기간(from ~ to)은 최대 90일까지 지정할 수 있습니다.", status=400)
    total, rows = store.by_status(status, since, until, request.args.get("sorting", "-started"),
                                  limit, (page - 1) * limit)
    if page > 1 and not rows:
        return answer(code=-1, message="요청하신 page가 조회 가능한 범위를 벗어났습니다.", status=400)
    return answer(_page_object(total, rows, page, limit))


@bp.post("/payments/cancel")
@authorized
def cancel():
    """Full or partial cancel. Refusals are HTTP 200 with code 1, as the real API answers."""
    data = params()
    imp_uid, merchant_uid = data.get("imp_uid") or None, data.get("merchant_uid") or None
    if not imp_uid and not merchant_uid:
        return answer(code=1, message="imp_uid 또는 merchant_uid 중 하나는 지정해주셔야합니다.")
    amount, checksum = number(data.get("amount")), number(data.get("checksum"))
    if data.get("amount") not in (None, "") and (amount is None or amount < 0):
        return answer(code=1, message="amount 파라메터가 올바르지 않습니다.")
    try:
        row, _ = store.cancel(imp_uid=imp_uid, merchant_uid=merchant_uid, amount=amount, checksum=checksum,
                              reason=data.get("reason") or None,
                              refund={k: data.get(k) for k in ("refund_holder", "refund_bank", "refund_account",
                                                               "refund_tel")})
    except store.Refused as refused:
        return answer(code=1, message=refused.args[0])
    return answer(store.to_api(row))


def _prepare_fields():
    data = params()
    merchant_uid, amount = data.get("merchant_uid"), number(data.get("amount"))
    if not merchant_uid or amount is None:
        return None, answer(code=-1, message="merchant_uid, amount 파라메터가 누락되었습니다.", status=400)
    if len(str(merchant_uid)) > store.MERCHANT_UID_MAX:
        return None, answer(code=-1, message=f"merchant_uid는 최대 {store.MERCHANT_UID_MAX}자입니다.", status=400)
    return (str(merchant_uid), amount, data.get("currency") or None), None


def _prepared_object(row):
    return {"merchant_uid": row["merchant_uid"], "amount": row["amount"], "currency": row["currency"]}


@bp.post("/payments/prepare")
@authorized
def prepare():
    fields, error = _prepare_fields()
    if error:
        return error
    if not store.prepare(*fields):
        return answer(code=1, message="결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다).")
    return answer(_prepared_object(store.prepared(fields[0])))


@bp.put("/payments/prepare")
@authorized
def update_prepare():
    fields, error = _prepare_fields()
    if error:
        return error
    if not store.update_prepared(*fields):
        return answer(code=-1, message=NOT_PREPARED, status=404)
    return answer(_prepared_object(store.prepared(fields[0])))


@bp.get("/payments/prepare/<merchant_uid>")
@authorized
def get_prepare(merchant_uid):
    row = store.prepared(merchant_uid)
    if row is None:
        return answer(code=-1, message=NOT_PREPARED, status=404)
    return answer(_prepared_object(row))


@bp.get("/payments/<imp_uid>/balance")
@authorized
def balance(imp_uid):
    """Amount detail by means (PortOne fills it for PAYCO only); here all of it is the primary means."""
    row = store.get(imp_uid)
    if row is None:
        return answer(code=-1, message=NOT_FOUND, status=404)
    left = row["amount"] - row["cancel_amount"] if row["status"] in ("paid", "cancelled") else 0
    vat = store.num(round(left / 11))
    zero = {"tax_free": 0, "supply": 0, "vat": 0, "service": 0}
    primary = {"tax_free": 0, "supply": store.num(left - vat), "vat": vat, "service": 0}
    return answer({"amount": row["amount"], "cash_receipt": zero, "primary": primary, "secondary": zero,
                   "discount": zero, "histories": []})


@bp.get("/users/pg")
@authorized
def pg_settings():
    return answer(store.CHANNELS)


# --- virtual accounts ------------------------------------------------------------------------

@bp.delete("/vbanks/<imp_uid>")
@authorized
def revoke_vbank(imp_uid):
    row = store.get(imp_uid)
    if row is None:
        return answer(code=-1, message=NOT_FOUND, status=404)
    if not store.revoke_vbank(imp_uid):
        return answer(code=-1, message="입금대기(ready) 상태의 가상계좌 결제건이 아닙니다.", status=400)
    return answer(store.to_api(store.get(imp_uid)))


# --- cash receipts (현금영수증) of cash payments ------------------------------------------------

NO_RECEIPT = "현금영수증 발행된 내역이 존재하지 않습니다."


@bp.get("/receipts/<imp_uid>")
@authorized
def cash_receipt(imp_uid):
    row = store.get(imp_uid)
    if row is None or row["cash_receipt"] is None:
        return answer(code=-1, message=NOT_FOUND if row is None else NO_RECEIPT, status=404)
    return answer(json.loads(row["cash_receipt"]))


@bp.post("/receipts/<imp_uid>")
@authorized
def issue_cash_receipt(imp_uid):
    """Issue for a paid bank transfer or virtual account; identifier is required, type person|company."""
    data, row = params(), store.get(imp_uid)
    kind = data.get("type") or "person"
    if not data.get("identifier") or kind not in ("person", "company"):
        return answer(code=-1, message="identifier 파라메터가 누락되었거나 type(person, company)이 올바르지 않습니다.",
                      status=400)
    if row is None or row["status"] != "paid" or row["pay_method"] not in ("trans", "vbank"):
        return answer(code=-1, message="현금영수증을 발행할 수 있는 현금성 결제건(계좌이체, 가상계좌)이 아닙니다.",
                      status=400)
    if row["cash_receipt"] and not json.loads(row["cash_receipt"])["cancelled_at"]:
        return answer(code=1, message="이미 현금영수증이 발행된 결제건입니다.")
    return answer(store.issue_cash_receipt(row, kind))


@bp.delete("/receipts/<imp_uid>")
@authorized
def revoke_cash_receipt(imp_uid):
    row = store.get(imp_uid)
    if row is None or row["cash_receipt"] is None or json.loads(row["cash_receipt"])["cancelled_at"]:
        return answer(code=-1, message=NOT_FOUND if row is None else NO_RECEIPT, status=400)
    return answer(store.revoke_cash_receipt(row))


# --- billing (정기결제): billing keys and payments without the window ---------------------------

NO_CUSTOMER = "요청하신 customer_uid({})로 등록된 정보를 찾을 수 없습니다."
CARD_AUTH_FAILED = "카드정보 인증에 실패하였습니다."
CARD_NUMBER = re.compile(r"^\d{4}-?\d{4}-?\d{4}-?\d{3,4}$")
BUYER = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")


def _card_refusal(data):
    """Why PortOne refuses the card (code -1, HTTP 200), or None: the number and YYYY-MM expiry must be valid."""
    if not data.get("card_number") or not data.get("expiry"):
        return "card_number, expiry 파라메터가 누락되었습니다."
    expiry = str(data["expiry"])
    try:
        expires = datetime.strptime(expiry, "%Y-%m") if len(expiry) == 7 else None
    except ValueError:
        expires = None
    today = datetime.fromtimestamp(store.now(), store.KST)
    if not CARD_NUMBER.match(str(data["card_number"])) or expires is None or \
            (expires.year, expires.month) < (today.year, today.month):
        return CARD_AUTH_FAILED
    return None


def _billing_channel(data):
    """The channel of channel_key, else of pg, else the store's billing channel; None for an unknown key."""
    if data.get("channel_key"):
        return store.channel_by_key(data["channel_key"])
    if text(data, "pg"):
        provider, _, mid = text(data, "pg").partition(".")
        return {"pg_provider": provider, "pg_id": mid or store.PG_IDS.get(provider, "emulator")}
    return store.BILLING_CHANNEL


def _api_payment_fields(data, channel):
    """The order fields of onetime/again; (fields, None) or (None, refusal answer)."""
    merchant_uid, amount = text(data, "merchant_uid"), number(data.get("amount"))
    if not merchant_uid or amount is None or amount <= 0:
        return None, answer(code=-1, message="merchant_uid, amount 파라메터가 누락되었거나 올바르지 않습니다.")
    if len(str(merchant_uid)) > store.MERCHANT_UID_MAX:
        return None, answer(code=-1, message=f"merchant_uid는 최대 {store.MERCHANT_UID_MAX}자입니다.")
    if store.merchant_uid_paid(str(merchant_uid)):
        return None, answer(code=1, message=f"이미 결제가 완료된 주문번호입니다. (merchant_uid: {merchant_uid})")
    custom = data.get("custom_data")
    notice = text(data, "notice_url")
    return dict({k: text(data, k) for k in BUYER},
                merchant_uid=str(merchant_uid), amount=amount, currency=text(data, "currency") or "KRW",
                name=text(data, "name"), user_code=current_app.config["EMULATOR_PORTONE_IMP_CODE"],
                pay_method="card", pg_provider=channel["pg_provider"], pg_id=channel["pg_id"],
                custom_data=None if custom is None else (custom if isinstance(custom, str)
                                                         else json.dumps(custom, ensure_ascii=False)),
                notice_urls=json.dumps([notice] if notice else []),
                user_agent=request.headers.get("User-Agent")), None


def _customer_extra(data, prefix):
    return {f"customer_{k}": text(data, f"{prefix}{k}") for k in ("name", "tel", "email", "addr", "postcode")}


@bp.post("/subscribe/payments/onetime")
@authorized
def pay_onetime():
    """Key-in payment with card details; with customer_uid the card is also kept as a billing key."""
    data = params()
    channel = _billing_channel(data)
    if channel is None:
        return answer(code=-1, message="등록되지 않은 채널키입니다.")
    fields, error = _api_payment_fields(data, channel)
    if error:
        return error
    why = _card_refusal(data)
    if why:
        return answer(code=-1, message=why)
    card, customer_uid = store.card_for(str(data["card_number"])), text(data, "customer_uid") or None
    row = store.pay_by_api(fields, card, customer_uid, "payment" if customer_uid else None)
    if customer_uid and row["status"] == "paid":
        store.save_customer(customer_uid, row, {**_customer_extra(data, "buyer_"),
                                                "customer_id": text(data, "customer_id")})
    return answer(store.to_api(row))


@bp.post("/subscribe/payments/again")
@authorized
def pay_again():
    """A payment with a kept billing key. A declined card is code 0 with status failed, as PortOne answers."""
    data = params()
    customer_uid = text(data, "customer_uid")
    if not customer_uid or not text(data, "name"):
        return answer(code=-1, message="customer_uid, merchant_uid, amount, name 파라메터가 누락되었습니다.")
    key = store.customer(str(customer_uid))
    if key is None:
        return answer(code=-1, message=NO_CUSTOMER.format(customer_uid))
    fields, error = _api_payment_fields(data, {"pg_provider": key["pg_provider"], "pg_id": key["pg_id"]})
    if error:
        return error
    row = store.pay_by_api(fields, (key["card_code"], key["card_name"], key["card_number"]), key["customer_uid"],
                           "payment")
    return answer(store.to_api(row))


@bp.get("/subscribe/customers/<customer_uid>")
@authorized
def get_customer(customer_uid):
    row = store.customer(customer_uid)
    if row is None:
        return answer(code=-1, message=NO_CUSTOMER.format(customer_uid), status=404)
    return answer(store.to_customer(row))


@bp.post("/subscribe/customers/<customer_uid>")
@authorized
def save_customer(customer_uid):
    """Issue a billing key from card details (API 방식 빌링키 발급)."""
    data = params()
    if len(customer_uid) > 80:
        return answer(code=-1, message="customer_uid는 최대 80자입니다.")
    channel = _billing_channel(data)
    if channel is None:
        return answer(code=-1, message="등록되지 않은 채널키입니다.")
    why = _card_refusal(data)
    if why:
        return answer(code=-1, message=why)
    code, name, masked = store.card_for(str(data["card_number"]))
    row = store.save_customer(customer_uid, {"pg_provider": channel["pg_provider"], "pg_id": channel["pg_id"],
                                             "card_code": code, "card_name": name, "card_number": masked},
                              {**_customer_extra(data, "customer_"), "customer_id": text(data, "customer_id")})
    return answer(store.to_customer(row))


@bp.delete("/subscribe/customers/<customer_uid>")
@authorized
def delete_customer(customer_uid):
    row = store.delete_customer(customer_uid)
    if row is None:
        return answer(code=-1, message=NO_CUSTOMER.format(customer_uid), status=404)
    return answer(store.to_customer(row))
