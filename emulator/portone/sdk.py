"""What the browser gets from the emulated PortOne: the IMP script, the hosted window, receipts, console buttons."""
import json
import math
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import (abort, current_app, jsonify, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale, lazy_gettext as _l

from .. import console, cors
from . import api, bp, store

PAY_METHODS = ("card", "trans", "vbank", "phone", "samsung")
OUTCOMES = ("approve", "decline_insufficient", "decline_refused", "decline_invalid_card", "close", "slow")
REFUSED = "F400"        # error_code of every refusal before the window opens, and of a closed window
DECLINED = "F1002"      # error_code of a PG decline
USER_CANCEL = "[결제포기] 사용자가 결제를 취소하셨습니다"
DECLINES = {
    "decline_insufficient": "[PG사 오류] 잔액이 부족합니다. (카드사 응답코드: 51)",
    "decline_refused": "[PG사 오류] 카드사에서 승인을 거절하였습니다. (카드사 응답코드: 05)",
    "decline_invalid_card": "[PG사 오류] 유효하지 않은 카드입니다. (카드사 응답코드: 14)",
}
METHOD_LABELS = {"card": _l("Credit card"), "trans": _l("Bank transfer"), "vbank": _l("Virtual account"),
                 "phone": _l("Mobile phone"), "samsung": _l("Samsung Pay")}
TEXT_FIELDS = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode", "pg", "vbank_due",
               "m_redirect_url")


def money(amount, currency="KRW"):
    """15,000원 / KRW 15,000, as the shop shows won."""
    if amount is None:
        return ""
    shown = f"{store.num(amount):,}"
    if currency != "KRW":
        return f"{currency} {shown}"
    return f"KRW {shown}" if str(get_locale()) == "en" else f"{shown}원"


# --- the SDK stand-in script ---------------------------------------------------------------

@bp.get("/v1/iamport.js", defaults={"legacy": False})
@bp.get("/js/iamport.payment-1.2.0.js", defaults={"legacy": True}, endpoint="script_legacy")
def script(legacy):
    """The IMP stand-in, with this emulator's address fixed at serve time from the request that fetched it."""
    base = url_for("portone.script", _external=True).rsplit("/v1/iamport.js", 1)[0]
    resp = make_response(render_template("portone/iamport.js", base=base, legacy=legacy))
    resp.headers["Content-Type"] = "text/javascript; charset=utf-8"
    resp.headers["Cache-Control"] = "public, max-age=60"
    resp.headers["Vary"] = "Host"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _method_refusal(params):
    """Why the pay method, channel or billing-key request is not accepted, or None."""
    method = params.get("pay_method", "card")
    if method not in PAY_METHODS:
        return f"지원하지 않는 결제수단입니다. (pay_method: {method})"
    key = params.get("channelKey")
    if key is not None and (store.channel_by_key(key) or {}).get("type") != "payment":
        return f"등록되지 않은 채널키입니다. (channelKey: {key})"
    customer_uid = params.get("customer_uid")
    if customer_uid is not None and (not isinstance(customer_uid, str) or not 0 < len(customer_uid) <= 80):
        return "customer_uid는 최대 80자의 문자열이어야 합니다."
    if customer_uid is not None and method != "card":
        return "빌링키 발급(customer_uid)은 pay_method: card 로만 요청할 수 있습니다."
    return None


def _merchant_uid_refusal(params):
    """Why merchant_uid is missing or too long, or None."""
    merchant_uid = params.get("merchant_uid")
    if not isinstance(merchant_uid, str) or not merchant_uid:
        return "merchant_uid는 필수 파라미터입니다."
    if len(merchant_uid) > store.MERCHANT_UID_MAX:
        return f"merchant_uid는 최대 {store.MERCHANT_UID_MAX}자까지 입력할 수 있습니다."
    return None


def _amount_refusal(params):
    """Why the amount is not a payable number (0 only with a customer_uid), or None."""
    amount = params.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount):
        return "amount는 숫자(number) 타입이어야 합니다."
    if amount < 0 or (amount == 0 and params.get("customer_uid") is None):
        return "amount는 0보다 커야 합니다. (빌링키만 발급할 때는 customer_uid와 함께 0)"
    if amount > api.MAX_AMOUNT:
        return f"amount는 {api.MAX_AMOUNT:,}원을 넘을 수 없습니다."
    if params.get("currency", "KRW") == "KRW" and amount != int(amount):
        return "원화(KRW) 결제의 amount는 정수여야 합니다."
    return None


def _details_refusal(params):
    """Why name, digital, notice_url or currency is not accepted, or None."""
    name = params.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 40):
        return "name은 최대 40자의 문자열이어야 합니다."
    if params.get("pay_method", "card") == "phone" and not isinstance(params.get("digital"), bool):
        return "휴대폰 소액결제(pay_method: phone)는 digital 파라미터(true/false)가 필수입니다."
    notice = params.get("notice_url")
    if notice is not None and not (isinstance(notice, str) or (
            isinstance(notice, list) and all(isinstance(u, str) for u in notice))):
        return "notice_url은 문자열 또는 문자열 배열이어야 합니다."
    currency = params.get("currency", "KRW")
    if currency not in ("KRW", "USD", "EUR", "JPY"):
        return f"지원하지 않는 통화입니다. (currency: {currency})"
    return None


def _order_refusal(params):
    """Why this merchant_uid may not be paid: paid already, or another amount was pre-registered; or None."""
    merchant_uid, amount, currency = params["merchant_uid"], params["amount"], params.get("currency", "KRW")
    if store.merchant_uid_paid(merchant_uid):
        return f"이미 결제가 완료된 주문번호입니다. (merchant_uid: {merchant_uid})"
    pre = store.prepared(merchant_uid)
    if pre is not None and (pre["amount"] != amount or (pre["currency"] and pre["currency"] != currency)):
        return (f"사전등록된 결제금액({store.num(pre['amount'])})과 요청한 결제금액({store.num(amount)})이 "
                f"일치하지 않아 결제창을 열 수 없습니다.")
    return None


def refusal(user_code, params):
    """Why request_pay may not open the window (error_msg), or None. Mirrors the real SDK's checks."""
    if user_code != current_app.config["EMULATOR_PORTONE_IMP_CODE"]:
        return f"등록되지 않은 가맹점 식별코드입니다. (IMP.init: {user_code})"
    if not isinstance(params, dict):
        return "결제 파라미터(param)는 객체여야 합니다."
    return (_method_refusal(params) or _merchant_uid_refusal(params) or _amount_refusal(params)
            or _details_refusal(params) or _order_refusal(params))


@bp.route("/sdk/payments", methods=["POST", "OPTIONS"])
def sdk_payment():
    """IMP.request_pay's first step: create the payment (ready) and hand back the window URL."""
    if request.method == "OPTIONS":
        return cors.allow(make_response("", 204))
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    params = data.get("params")
    why = refusal(data.get("user_code"), params)
    if why:
        return cors.allow(make_response(jsonify(error_code=REFUSED, error_msg=why), 400))
    notice = params.get("notice_url") or []
    custom = params.get("custom_data")
    fields = {k: (str(params[k]) if params.get(k) is not None else None) for k in TEXT_FIELDS}
    channel = store.channel_by_key(params["channelKey"]) if params.get("channelKey") else None
    if channel is not None:
        fields.update(pg=None, pg_provider=channel["pg_provider"], pg_id=channel["pg_id"])
    if params.get("customer_uid") is not None:
        fields.update(customer_uid=params["customer_uid"], customer_uid_usage="issue")
    row = store.create(dict(
        fields, merchant_uid=params["merchant_uid"], user_code=data["user_code"],
        sdk="1.2.0" if data.get("sdk") == "1.2.0" else "1.3.0",
        pay_method=params.get("pay_method", "card"), channel="mobile" if fields["m_redirect_url"] else "pc",
        escrow=1 if params.get("escrow") else 0, name=params.get("name"), amount=params["amount"],
        currency=params.get("currency", "KRW"),
        custom_data=None if custom is None else json.dumps(custom, ensure_ascii=False),
        user_agent=request.headers.get("User-Agent"),
        notice_urls=json.dumps([notice] if isinstance(notice, str) else notice),
        page_url=str(data.get("page_url") or "")[:2000] or None))
    return cors.allow(make_response(jsonify(imp_uid=row["imp_uid"], window_url=url_for(
        "portone.window", imp_uid=row["imp_uid"], _external=True))))


# --- the hosted window ---------------------------------------------------------------------

def _origin(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else "*"


# The card companies' names (Korean, as PortOne's window shows them) in the reader's language, shown beside them.
CARD_NAMES = {"366": _l("Shinhan Card"), "381": _l("KB Kookmin Card"), "365": _l("Samsung Card"),
              "367": _l("Hyundai Card"), "361": _l("BC Card"), "368": _l("Lotte Card"), "371": _l("NH Card"),
              "041": _l("Woori Card"), "044": _l("Hana Card")}


@bp.get("/window/<imp_uid>")
def window(imp_uid):
    row = store.get(imp_uid)
    if row is None:
        abort(404)
    return render_template("portone/window.html", p=row, money=money, cards=store.CARDS, card_names=CARD_NAMES,
                           method_label=METHOD_LABELS.get(row["pay_method"], row["pay_method"]),
                           merchant=current_app.config["EMULATOR_PORTONE_MERCHANT_NAME"],
                           target_origin=_origin(row["page_url"]), slow_seconds=_slow_seconds(),
                           decided=row["window_state"] != "open")


def _slow_seconds():
    return current_app.config["EMULATOR_SLOW_SECONDS"]


# The PGs that v1/iamport.js answers with the ids and error only (PortOne's "new modules", payrt reference).
NEW_MODULES = ("tosspayments", "smartro_v2", "nice_v2", "paypal_v2", "ksnet", "welcome")


def rsp_for(row, error_code=None, error_msg=None):
    """The callback's rsp, as PortOne's response reference (payrt) lists it.

    v1/iamport.js: only the ids (+ error) for the new PG modules, else the listed fields without
    `success`; the legacy 1.2.0 script: the listed fields with `success`. Types as listed:
    custom_data, paid_at and vbank_date are strings.
    """
    rsp = {"imp_uid": row["imp_uid"], "merchant_uid": row["merchant_uid"]}
    if error_code:
        rsp.update(error_code=error_code, error_msg=error_msg)
    legacy = row["sdk"] == "1.2.0"
    if not legacy and row["pg_provider"] in NEW_MODULES:
        return rsp
    ok = error_code is None
    if legacy:
        rsp["success"] = ok
    rsp.update({
        "pay_method": row["pay_method"], "paid_amount": row["amount"] if ok else 0,
        "status": row["status"] if ok else "failed", "name": row["name"], "pg_provider": row["pg_provider"],
        "pg_tid": row["pg_tid"], **{k: row[k] for k in ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr",
                                                           "buyer_postcode", "custom_data")},
        "paid_at": str(row["paid_at"]),
    })
    if row["emb_pg_provider"]:
        rsp["emb_pg_provider"] = row["emb_pg_provider"]
    if row["paid_at"]:
        rsp["receipt_url"] = store.receipt_url(row["imp_uid"])
    if row["apply_num"]:
        rsp["apply_num"] = row["apply_num"]
    if row["vbank_num"]:
        rsp.update(vbank_num=row["vbank_num"], vbank_name=row["vbank_name"], vbank_holder=row["vbank_holder"],
                   vbank_date=str(row["vbank_date"]))
    return rsp


def redirect_url_for(row, error_code=None, error_msg=None):
    """m_redirect_url with the real query: imp_uid, merchant_uid (+imp_success legacy), error_code/_msg."""
    if not row["m_redirect_url"]:
        return None
    query = [("imp_uid", row["imp_uid"]), ("merchant_uid", row["merchant_uid"])]
    if row["sdk"] == "1.2.0":
        query.append(("imp_success", "false" if error_code else "true"))
    if error_code:
        query += [("error_code", error_code), ("error_msg", error_msg)]
    parts = urlsplit(row["m_redirect_url"])
    return urlunsplit(parts._replace(query=urlencode(parse_qsl(parts.query) + query)))


@bp.post("/window/<imp_uid>/decide")
def decide(imp_uid):
    """The buyer's choice in the window -> {rsp, redirect_url} for the SDK."""
    data = request.get_json(silent=True)
    outcome = data.get("outcome") if isinstance(data, dict) else None
    if outcome not in OUTCOMES:
        return jsonify(error_code="BAD_OUTCOME", error_msg=f"outcome must be one of {', '.join(OUTCOMES)}"), 400
    if store.get(imp_uid) is None:
        return jsonify(error_code="NOT_FOUND", error_msg="No such payment window."), 404
    if not store.claim_window(imp_uid):
        return jsonify(error_code="WINDOW_CLOSED", error_msg="This payment window is already closed."), 409
    error_code = error_msg = None
    if outcome in ("approve", "slow"):
        if outcome == "slow":
            time.sleep(_slow_seconds())
        row = store.approve(imp_uid, data.get("card_code"))
    elif outcome == "close":
        row, error_code, error_msg = store.get(imp_uid), REFUSED, USER_CANCEL
    else:
        error_code, error_msg = DECLINED, DECLINES[outcome]
        row = store.fail(imp_uid, error_msg)
    return jsonify(rsp=rsp_for(row, error_code, error_msg),
                   redirect_url=redirect_url_for(row, error_code, error_msg))


# --- receipts and the console --------------------------------------------------------------

@bp.get("/slips/<imp_uid>")
def slip(imp_uid):
    """The PG's card slip (매출전표) that receipt_url points to, with the PG's own nightly test cancel."""
    row = store.get(imp_uid)
    if row is None or not row["paid_at"]:
        abort(404)
    return render_template("portone/receipt.html", p=row, money=money, history=json.loads(row["cancel_history"]),
                           method_label=METHOD_LABELS.get(row["pay_method"], row["pay_method"]),
                           merchant=current_app.config["EMULATOR_PORTONE_MERCHANT_NAME"],
                           kst=store.kst_text)


@bp.route("/nightly-cancel", methods=["GET", "POST"])
@console.console_route
def nightly_cancel():
    """The switch of the PG's test-mode nightly cancel: GET reads it, POST {"enabled": true|false} sets it."""
    if request.method == "POST":
        data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
        enabled = data.get("enabled") if isinstance(data, dict) else None
        if isinstance(enabled, str) and not request.is_json:
            enabled = {"true": True, "1": True, "on": True, "false": False, "0": False}.get(enabled.lower())
        if not isinstance(enabled, bool):
            return jsonify(error="BAD_REQUEST", message='Send {"enabled": true} or {"enabled": false}.'), 400
        store.set_setting("nightly_cancel", "1" if enabled else "0")
        store.nightly_sweep()
        if not request.is_json:
            return redirect(url_for("dashboard.index"))
    return jsonify(enabled=store.setting("nightly_cancel") == "1", at="23:30 KST", pgs=list(store.NIGHTLY_PGS))


def _console_answer(row, done, status=200):
    if request.is_json or request.accept_mimetypes.best == "application/json":
        if row is None:
            return jsonify(error="NOT_ALLOWED", message="The payment is not in a state that allows this."), 409
        return jsonify(payment=store.to_api(row)), status
    if row is None:
        console.done(_l("Nothing changed: the payment is not in a state that allows this."))
    else:
        console.done(done % {"imp_uid": row["imp_uid"], "status": row["status"]}, row["merchant_uid"])
    return redirect(url_for("dashboard.index"))


@bp.post("/payments/<imp_uid>/deposit")
@console.console_route
def deposit(imp_uid):
    """Dashboard: the buyer paid into the virtual account (ready -> paid, webhook)."""
    if store.get(imp_uid) is None:
        abort(404)
    return _console_answer(store.deposit(imp_uid),
                           _l("Deposited: %(imp_uid)s is now %(status)s; its webhook is queued."))


@bp.post("/payments/<imp_uid>/console-cancel")
@console.console_route
def console_cancel(imp_uid):
    """Dashboard: the merchant cancels the whole payment from PortOne's console (webhook: cancelled)."""
    if store.get(imp_uid) is None:
        abort(404)
    try:
        row, _ = store.cancel(imp_uid=imp_uid, reason="관리자 콘솔에서 취소", event="console_cancel",
                              refund={"refund_holder": "-", "refund_bank": "-", "refund_account": "-"})
    except store.Refused:
        row = None
    return _console_answer(row, _l("Cancelled from the console: %(imp_uid)s is now %(status)s; "
                                   "its webhook is queued."))


@bp.get("/sdk-test")
def sdk_test():
    """A bare page that loads the SDK stand-in (for the emulator's own browser test)."""
    return render_template("portone/sdk_test.html", legacy=request.args.get("sdk") == "1.2.0",
                           imp_code=current_app.config["EMULATOR_PORTONE_IMP_CODE"])
