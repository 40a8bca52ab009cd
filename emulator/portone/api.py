"""The emulated PortOne V1 REST API: real paths, {code, message, response} envelope, status codes, messages."""
import functools
import json
import math

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


def _int_arg(name, default):
    value = request.args.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return None


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
    if len(str(merchant_uid)) > 40:
        return None, answer(code=-1, message="merchant_uid는 최대 40자입니다.", status=400)
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
