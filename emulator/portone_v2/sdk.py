"""What the browser gets from the emulated PortOne V2: browser-sdk.js, the hosted window, console buttons."""
import json
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import (abort, current_app, jsonify, make_response, redirect, render_template, request, url_for)
from flask_babel import lazy_gettext as _l

from .. import console, cors
from ..portone.sdk import money
from . import bp, store

PAY_METHODS = ("CARD", "VIRTUAL_ACCOUNT", "TRANSFER", "MOBILE", "EASY_PAY")
OUTCOMES = ("approve", "pending", "decline_insufficient", "decline_refused", "decline_invalid_card", "close", "slow")
PG_FAILURE = "FAILURE_TYPE_PG"      # code of a PG-side failure, as PortOne's docs show it
DECLINES = {  # outcome -> (pgCode, pgMessage) as the channel's PG (Toss Payments) answers
    "decline_insufficient": ("REJECT_ACCOUNT_PAYMENT", "잔액이 부족합니다."),
    "decline_refused": ("REJECT_CARD_COMPANY", "카드사에서 결제를 거절했습니다."),
    "decline_invalid_card": ("INVALID_CARD_NUMBER", "카드번호를 다시 확인해주세요."),
}
USER_CANCEL = ("PAY_PROCESS_CANCELED", "사용자가 결제를 취소하였습니다")
METHOD_LABELS = {"CARD": _l("Credit card"), "TRANSFER": _l("Bank transfer"), "VIRTUAL_ACCOUNT": _l("Virtual account"),
                 "MOBILE": _l("Mobile phone"), "EASY_PAY": _l("Easy pay")}
CUSTOMER_FIELDS = {"customerId": "id", "fullName": "name", "email": "email", "phoneNumber": "phoneNumber",
                   "zipcode": "zipcode", "birthYear": "birthYear"}
GENDERS = ("MALE", "FEMALE", "OTHER")
MAX_NOTICE_URLS = 10     # the emulator's own bound (PortOne documents none)
EASY_PAY_PROVIDERS = ("KAKAOPAY", "NAVERPAY", "TOSSPAY", "PAYCO", "SAMSUNGPAY", "SSGPAY", "LPAY", "KPAY", "APPLEPAY",
                      "SKPAY", "KB_APP", "TOSS_BRANDPAY")


# --- the SDK stand-in script ---------------------------------------------------------------------

@bp.get("/browser-sdk.js")
def script():
    """browser-sdk.js with the emulator's address fixed in (taken from the request that fetched it), so it
    also works when a page keeps the real CDN URL and a test routes that URL here."""
    base = url_for("portone_v2.sdk_payment", _external=True).rsplit("/sdk/payments", 1)[0]
    resp = make_response(render_template("portone_v2/browser-sdk.js", base=base))
    resp.headers["Content-Type"] = "text/javascript; charset=utf-8"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


class Refusal(Exception):
    """requestPayment fails before any window: args = (code, message)."""


def _url(value, name):
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise Refusal("RequestParseFailed", f"{name}은(는) 올바른 HTTP(S) URL이어야 합니다.")
    return value


def _int(req, name, required=False):
    value = req.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2 ** 53 - 1:
        raise Refusal("RequestParseFailed", f"{name}은(는) 0 이상의 정수(number)여야 합니다.")
    return value


def _check_request(req):
    """The required text fields, the store, the channel and the pay method; returns the channelKey."""
    if not isinstance(req, dict):
        raise Refusal("RequestParseFailed", "결제 요청은 객체여야 합니다.")
    for name in ("storeId", "paymentId", "orderName", "currency", "payMethod"):
        if not isinstance(req.get(name), str) or not req[name]:
            raise Refusal("RequestParseFailed", f"{name}은(는) 필수 입력 항목입니다.")
    if req["storeId"] != store.store_id():
        raise Refusal("StoreNotFound", f"상점을 찾을 수 없습니다. (storeId: {req['storeId']})")
    channel_key = req.get("channelKey")
    if channel_key not in store.channels():
        raise Refusal("ChannelNotFound", f"채널을 찾을 수 없습니다. (channelKey: {channel_key})")
    if req["payMethod"] not in PAY_METHODS:
        raise Refusal("RequestParseFailed", f"지원하지 않는 결제수단입니다. (payMethod: {req['payMethod']})")
    return channel_key


def _amounts(req):
    """(totalAmount, taxFreeAmount, vatAmount): whole numbers, a total above 0 that covers the tax-free part."""
    total = _int(req, "totalAmount", required=True)
    if total == 0:
        raise Refusal("RequestParseFailed", "totalAmount는 0보다 커야 합니다.")
    tax_free, vat = _int(req, "taxFreeAmount") or 0, _int(req, "vatAmount")
    if tax_free > total:
        raise Refusal("RequestParseFailed", "taxFreeAmount는 totalAmount보다 클 수 없습니다.")
    return total, tax_free, vat


def _currency(req):
    """The ISO 4217 code, without the SDK's CURRENCY_ prefix."""
    currency = req["currency"].removeprefix("CURRENCY_")
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise Refusal("RequestParseFailed", f"currency는 ISO 4217 통화 코드여야 합니다. (currency: {req['currency']})")
    return currency


def _country(req):
    """The ISO 3166 country code, or None."""
    country = req.get("country")
    if country is not None and not (isinstance(country, str) and len(country) == 2 and country.isalpha()
                                    and country.isupper()):
        raise Refusal("RequestParseFailed", "country는 ISO 3166 국가 코드여야 합니다.")
    return country


def _notice_urls(req):
    """The noticeUrls list (its URLs are checked when the fields are built)."""
    notice = req.get("noticeUrls") or []
    if not isinstance(notice, list) or len(notice) > MAX_NOTICE_URLS:
        raise Refusal("RequestParseFailed", f"noticeUrls는 최대 {MAX_NOTICE_URLS}개의 URL 배열이어야 합니다.")
    return notice


def _person(req):
    """The customer as the emulator keeps it: the known fields, non-empty, as text, and a known gender."""
    customer = req.get("customer") or {}
    if not isinstance(customer, dict):
        raise Refusal("RequestParseFailed", "customer는 객체여야 합니다.")
    person = {CUSTOMER_FIELDS[k]: str(v) for k, v in customer.items() if k in CUSTOMER_FIELDS and v not in (None, "")}
    if customer.get("gender") in GENDERS:
        person["gender"] = customer["gender"]
    return person


def _products(req):
    """The products, each with id, name, amount and quantity, keeping only the fields PortOne keeps."""
    products = req.get("products")
    if products is not None and not (isinstance(products, list) and all(
            isinstance(p, dict) and isinstance(p.get("id"), str) and isinstance(p.get("name"), str)
            and type(p.get("amount")) is int and type(p.get("quantity")) is int
            and abs(p["amount"]) < 2 ** 53 and abs(p["quantity"]) < 2 ** 53 for p in products)):
        raise Refusal("RequestParseFailed", "products의 각 항목에는 id, name, amount, quantity가 필요합니다.")
    return [{k: v for k, v in p.items() if k in ("id", "name", "amount", "quantity")
             or k in ("tag", "code", "link") and isinstance(v, str)} for p in products or []]


def _easy_pay_provider(req):
    """easyPay.easyPayProvider, if given one of the known providers."""
    easy_pay = req.get("easyPay") if isinstance(req.get("easyPay"), dict) else {}
    provider = easy_pay.get("easyPayProvider")
    if provider is not None and provider not in EASY_PAY_PROVIDERS:
        raise Refusal("RequestParseFailed", f"지원하지 않는 간편결제입니다. (easyPayProvider: {provider})")
    return provider


def parse(req):
    """The requestPayment fields the emulator keeps, checked as the SDK and PortOne check them."""
    channel_key = _check_request(req)
    total, tax_free, vat = _amounts(req)
    if len(req["paymentId"]) > 200 or len(req["orderName"]) > 200:
        raise Refusal("RequestParseFailed", "paymentId와 orderName은 200자 이하여야 합니다.")
    currency, country, notice = _currency(req), _country(req), _notice_urls(req)
    person, products, provider = _person(req), _products(req), _easy_pay_provider(req)
    return {
        "payment_id": req["paymentId"], "store_id": req["storeId"], "channel_key": channel_key,
        "pay_method": req["payMethod"], "order_name": req["orderName"], "total_amount": total,
        "tax_free_amount": tax_free, "vat_amount": vat, "currency": currency,
        "customer": json.dumps(person, ensure_ascii=False),
        "products": json.dumps(products, ensure_ascii=False) if products else None,
        "custom_data": None if req.get("customData") is None else json.dumps(  # as the SDK's JSON.stringify
            req["customData"], ensure_ascii=False, separators=(",", ":")),
        "notice_urls": json.dumps([_url(u, "noticeUrls") for u in notice]),
        "redirect_url": _url(req["redirectUrl"], "redirectUrl") if req.get("redirectUrl") else None,
        "force_redirect": 1 if req.get("forceRedirect") is True else 0,
        "confirm_url": _url(req["confirmUrl"], "confirmUrl") if req.get("confirmUrl") else None,
        "easy_pay_provider": provider,
        "is_escrow": 1 if req.get("isEscrow") is True else 0,
        "is_cultural": 1 if req.get("isCulturalExpense") is True else 0,
        "country": country,
    }


def _check_rules(fields):
    """PortOne's rules for a paymentId: paid only once; the pre-registered amount, if any, must match."""
    if store.is_paid(fields["payment_id"]):
        raise Refusal("PaymentAlreadyPaid", f"이미 결제가 완료된 결제 건입니다. (paymentId: {fields['payment_id']})")
    pre = store.preregistered(fields["payment_id"])
    if pre is not None and any(expected is not None and expected != fields[name] for name, expected in (
            ("total_amount", pre["total_amount"]), ("tax_free_amount", pre["tax_free_amount"]),
            ("currency", pre["currency"]))):
        raise Refusal("AmountNotEqualToPredefined",
                      f"사전 등록된 결제 정보(금액 {pre['total_amount']})와 요청한 결제 정보(금액 "
                      f"{fields['total_amount']})가 일치하지 않습니다.")


def _platform(user_agent):
    return "MOBILE" if "Mobi" in (user_agent or "") else "PC"


@bp.route("/sdk/payments", methods=["POST", "OPTIONS"])
def sdk_payment():
    """requestPayment's first step: check the request, create the attempt (READY), hand back the window URL."""
    if request.method == "OPTIONS":
        return cors.allow(make_response("", 204))
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    req = data.get("request")
    try:
        fields = parse(req)
        _check_rules(fields)
    except Refusal as refusal:
        response = {"transactionType": "PAYMENT", "code": refusal.args[0], "message": refusal.args[1]}
        if isinstance(req, dict) and isinstance(req.get("paymentId"), str):
            response["paymentId"] = req["paymentId"]
        return cors.allow(make_response(jsonify(response), 400))
    user_agent = request.headers.get("User-Agent")
    window_type = req.get("windowType") if isinstance(req.get("windowType"), dict) else {}
    platform = _platform(user_agent)
    redirects = bool(fields["redirect_url"]) and (
        fields["force_redirect"] or window_type.get(platform.lower()) == "REDIRECTION"
        or (platform == "MOBILE" and not window_type.get("mobile")))
    row = store.create(dict(fields, platform=platform, ip_address=request.remote_addr or "127.0.0.1",
                            user_agent=user_agent, page_url=str(data.get("pageUrl") or "")[:2000] or None,
                            force_redirect=1 if redirects else 0))
    return cors.allow(make_response(jsonify(txId=row["tx_id"], paymentId=row["payment_id"], window_url=url_for(
        "portone_v2.window", tx_id=row["tx_id"], _external=True))))


# --- the hosted window ---------------------------------------------------------------------------

def _origin(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else "*"


@bp.get("/window/<tx_id>")
def window(tx_id):
    row = store.transaction(tx_id)
    if row is None:
        abort(404)
    return render_template("portone_v2/window.html", p=row, money=money, cards=store.CARDS,
                           method_label=METHOD_LABELS.get(row["pay_method"], row["pay_method"]),
                           merchant=current_app.config["EMULATOR_PORTONE_MERCHANT_NAME"],
                           target_origin=_origin(row["page_url"]),
                           slow_seconds=current_app.config["EMULATOR_SLOW_SECONDS"],
                           decided=row["window_state"] != "open")


def result_for(row, code=None, message=None, pg=None):
    """The Promise's PaymentResponse."""
    out = {"transactionType": "PAYMENT", "txId": row["tx_id"], "paymentId": row["payment_id"]}
    if row["payment_token"]:
        out["paymentToken"] = row["payment_token"]
    if code:
        out.update(code=code, message=message)
        if pg:
            out.update(pgCode=pg[0], pgMessage=pg[1])
    return out


def redirect_url_for(row, response):
    """redirectUrl with PortOne's query (paymentId, transactionType, txId; code, message, pgCode, pgMessage
    on failure), when this attempt returns by redirect."""
    if not (row["redirect_url"] and row["force_redirect"]):
        return None
    names = ("paymentId", "transactionType", "txId", "paymentToken", "code", "message", "pgCode", "pgMessage")
    parts = urlsplit(row["redirect_url"])
    query = parse_qsl(parts.query) + [(k, response[k]) for k in names if k in response]
    return urlunsplit(parts._replace(query=urlencode(query)))


@bp.post("/window/<tx_id>/decide")
def decide(tx_id):
    """The buyer's choice in the window -> {rsp: PaymentResponse, redirect_url} for the SDK."""
    data = request.get_json(silent=True)
    outcome = data.get("outcome") if isinstance(data, dict) else None
    if outcome not in OUTCOMES:
        return jsonify(code="BAD_OUTCOME", message=f"outcome must be one of {', '.join(OUTCOMES)}"), 400
    if store.transaction(tx_id) is None:
        return jsonify(code="NOT_FOUND", message="No such payment window."), 404
    if not store.claim_window(tx_id):
        return jsonify(code="WINDOW_CLOSED", message="This payment window is already closed."), 409
    if outcome in ("approve", "slow", "pending"):
        if outcome == "slow":
            time.sleep(current_app.config["EMULATOR_SLOW_SECONDS"])
        row = (store.pend if outcome == "pending" else store.approve)(tx_id, data.get("card_code"))
        failure = json.loads(row["failure"]) if row["status"] == "FAILED" else None   # paid meanwhile
        response = (result_for(row, failure["pgCode"], failure["reason"]) if failure else result_for(row))
    elif outcome == "close":
        row = store.transaction(tx_id)
        response = result_for(row, PG_FAILURE, USER_CANCEL[1], USER_CANCEL)
    else:
        pg = DECLINES[outcome]
        message = f"[PG사 오류] {pg[1]}"
        row = store.fail(tx_id, message, *pg)
        response = result_for(row, PG_FAILURE, message, pg)
    return jsonify(rsp=response, redirect_url=redirect_url_for(row, response))


# --- the console (dashboard buttons) -------------------------------------------------------------

def _console_answer(row, done):
    """A dashboard button's answer: the payment as JSON, or a confirmation (with a link to the flow it changed)
    and back to the dashboard; row None: the payment's state did not allow it, nothing changed."""
    if request.is_json or request.accept_mimetypes.best == "application/json":
        if row is None:
            return jsonify(error="NOT_ALLOWED", message="The payment is not in a state that allows this."), 409
        return jsonify(payment=store.to_api(row))
    if row is None:
        console.done(_l("Nothing changed: the payment is not in a state that allows this."))
    else:
        console.done(done % {"payment_id": row["payment_id"], "status": row["status"]}, row["payment_id"])
    return redirect(url_for("dashboard.index"))


@bp.post("/console/transactions/<tx_id>/deposit")
@console.console_route
def deposit(tx_id):
    """Dashboard: the buyer paid into the issued virtual account (PAID, webhook)."""
    if store.transaction(tx_id) is None:
        abort(404)
    return _console_answer(store.deposit(tx_id),
                           _l("Deposited: %(payment_id)s is now %(status)s; its webhook is queued."))


@bp.post("/console/transactions/<tx_id>/approve-pending")
@console.console_route
def approve_pending(tx_id):
    """Dashboard: the PG approves a PAY_PENDING payment (PAID, webhook)."""
    if store.transaction(tx_id) is None:
        abort(404)
    return _console_answer(store.settle_pending(tx_id),
                           _l("The PG approved %(payment_id)s: it is now %(status)s; its webhook is queued."))


@bp.post("/console/transactions/<tx_id>/cancel")
@console.console_route
def console_cancel(tx_id):
    """Dashboard: the merchant cancels the rest of the payment from PortOne's console (trigger CONSOLE)."""
    row = store.transaction(tx_id)
    if row is None:
        abort(404)
    try:
        store.cancel(row["payment_id"], {"reason": "관리자 콘솔에서 취소", "refundAccount": {"bank": "KOOKMIN"}},
                     trigger="CONSOLE")
        row = store.transaction(tx_id)
    except store.Refused:
        row = None
    return _console_answer(row, _l("Cancelled from the console: %(payment_id)s is now %(status)s; its webhook "
                                   "is queued."))


@bp.get("/sdk-test")
def sdk_test():
    """A page written like PortOne's V2 integration guide, loading the SDK from here or (cdn=1) from the real
    CDN address, which a browser test routes back here."""
    cdn = request.args.get("cdn") == "1"
    resp = make_response(render_template(
        "portone_v2/sdk_test.html", cdn=cdn, store_id=store.store_id(), channels=store.channels(),
        sdk_src="https://cdn.portone.io/v2/browser-sdk.js" if cdn else url_for("portone_v2.script")))
    if cdn:
        resp.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self' https://cdn.portone.io; "
                                                   "object-src 'none'; base-uri 'self'")
    return resp
