"""What the browser gets from the emulated Toss: the payment-widget script, the hosted window (SDK iframe and
API checkout page), the window's decisions, the receipt page, and the dashboard's "deposit now"."""
import json
import math
import os
import time
from urllib.parse import urlencode, urlsplit

from flask import (Response, abort, current_app, jsonify, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _

from .. import clock, console, cors, db
from . import api, bp, store
from .errors import API, FAIL_URL, ORDER_ID_MESSAGE, ORDER_NAME_MESSAGE, SDK

HERE = os.path.dirname(__file__)

# Window outcomes -> what the buyer's card company said (failUrl code).
DECLINES = {
    "decline_insufficient": "REJECT_CARD_PAYMENT",
    "decline_refused": "REJECT_CARD_COMPANY",
    "decline_invalid_card": "INVALID_CARD_NUMBER",
}
OUTCOMES = ("approve", "slow", "close", *DECLINES)


def _sdk_error(code, message=None):
    return jsonify(code=code, message=message or SDK[code]), 400



# ---- the widget script ------------------------------------------------------------------------------

def widget_texts():
    """Every string the widget shows, translated here (the script itself holds none)."""
    return {
        "badge": _("Emulated Toss Payments widget: no real payment"),
        "methodsTitle": _("Payment method"),
        "methods": {"카드": _("Card"), "계좌이체": _("Bank transfer"), "가상계좌": _("Virtual account"),
                    "휴대폰": _("Mobile phone"), "간편결제": _("Easy pay (TossPay)")},
        "amount": _("Amount to pay"),
        "won": _("%(amount)s won"),
        "agreement": _("[Required] I agree to the payment service terms and to the collection and use of "
                       "my personal information."),
        "windowTitle": _("Toss Payments checkout (emulated)"),
        "network": _("Could not reach the emulated Toss Payments."),
    }


def _sdk_script(name):
    """core.js and scripts/<name>, wrapped in a function given the translated texts, the SDK's messages and
    the emulator's own address (from this request, never from the page's <script src>)."""
    sources = []
    for part in ("core.js", name):
        with open(os.path.join(HERE, "scripts", part), encoding="utf-8") as f:
            sources.append(f.read())
    texts = json.dumps(widget_texts(), ensure_ascii=False).replace("</", "<\\/")
    sdk_messages = json.dumps({**SDK, "ORDER_ID": ORDER_ID_MESSAGE, "ORDER_NAME": ORDER_NAME_MESSAGE},
                              ensure_ascii=False)
    base = json.dumps(url_for("toss.sdk_payments", _external=True).removesuffix("/sdk/payments"))
    body = (f"(function (TEXT, MESSAGES, BASE) {{\n\"use strict\";\n{sources[0]}\n{sources[1]}\n}})"
            f"({texts}, {sdk_messages}, {base});\n")
    resp = Response(body, mimetype="application/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Vary"] = "Cookie, Accept-Language"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.get("/v1/payment-widget")
def widget_script():
    """The stand-in for https://js.tosspayments.com/v1/payment-widget (global PaymentWidget)."""
    return _sdk_script("payment-widget.js")


@bp.get("/v2/standard")
def standard_script():
    """The stand-in for https://js.tosspayments.com/v2/standard (global TossPayments: widgets, payment)."""
    return _sdk_script("standard.js")


# ---- SDK -> emulator: create the payment the window will show ---------------------------------------

@bp.route("/sdk/payments", methods=["OPTIONS"])
def sdk_payments_preflight():
    return cors.allow(Response(status=204))


@bp.post("/sdk/payments")
def sdk_payments():
    """What requestPayment sends before it opens the window -> {paymentKey, window_id, window_url} or
    400 {code, message}. `product`: widget (v1 PaymentWidget, v2 widgets(); the default) or payment (v2 payment())."""
    return cors.allow(make_response(_sdk_payments()))


# Which key family each SDK surface takes (toss.md §1.3): the widget (v1 PaymentWidget, v2 widgets())
# needs a widget key (gck); the payment window and billing (v2 payment()) need an API key (ck).
FAMILY = {"widget": "widget", "payment": "api", "billing": "api"}
WRONG_FAMILY = {"widget": "NOT_SUPPORTED_API_INDIVIDUAL_KEY", "api": "NOT_SUPPORTED_WIDGET_KEY"}


def client_key_set(client_key, product):
    """The key set of a client key used for `product` -> (key_set, None), or (None, the SDK's refusal)."""
    client_key = client_key if isinstance(client_key, str) else ""
    if client_key.startswith(("test_gsk_", "live_gsk_", "test_sk_", "live_sk_")):
        return None, _sdk_error("INSECURE_KEY_USAGE")
    for name, keys in store.KEY_SETS.items():
        if client_key == keys["client"]:
            if name != FAMILY[product]:
                return None, _sdk_error(WRONG_FAMILY[FAMILY[product]])
            return name, None
    if client_key.startswith(("test_gck_", "live_gck_", "test_ck_", "live_ck_")):
        return None, _sdk_error("UNAUTHORIZED_KEY")
    return None, _sdk_error("INVALID_CLIENT_KEY")


def _sdk_payments():
    """Check what requestPayment sends, in the SDK's order, then create the payment the window will show."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _sdk_error("INVALID_PARAMETERS")
    product = data.get("product", "widget")
    if product not in ("widget", "payment"):
        return _sdk_error("INVALID_PARAMETERS")
    key_set, refusal = client_key_set(data.get("clientKey"), product)
    if refusal:
        return refusal
    refusal = _order_refusal(data)
    if refusal:
        return refusal
    amount, refusal = _sdk_amount(data.get("amount"))
    if refusal:
        return refusal
    method = store.parse_method(data.get("method") or "카드")
    if method is None:
        return _sdk_error("NOT_SELECTED_PAYMENT_METHOD")
    refusal = _return_urls_refusal(data.get("successUrl"), data.get("failUrl"))
    if refusal:
        return refusal
    return _create_sdk_payment(data, key_set, amount, method)


def _order_refusal(data):
    """The SDK's refusal of the customerKey, orderId or orderName, or None when all three are usable."""
    customer_key = data.get("customerKey")
    if customer_key != store.ANONYMOUS and not (isinstance(customer_key, str)
                                                and store.CUSTOMER_KEY.match(customer_key)):
        return _sdk_error("INVALID_CUSTOMER_KEY")
    order_id = data.get("orderId")
    if not isinstance(order_id, str) or not store.ORDER_ID.match(order_id):
        return _sdk_error("INVALID_PARAMETERS", ORDER_ID_MESSAGE)
    order_name = data.get("orderName")
    if not isinstance(order_name, str) or not order_name.strip():
        return _sdk_error("INVALID_PARAMETERS", ORDER_NAME_MESSAGE)
    return None


def _sdk_amount(amount):
    """amount (a number, or v2's {currency, value}) -> (whole won, None), or (None, the SDK's refusal)."""
    if isinstance(amount, dict):
        if amount.get("currency", "KRW") != "KRW":
            return None, _sdk_error("INVALID_AMOUNT_CURRENCY")
        amount = amount.get("value")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount) \
            or amount != int(amount) or abs(amount) > api.MAX_AMOUNT:
        return None, _sdk_error("INVALID_AMOUNT_VALUE")
    amount = int(amount)
    if amount <= 0:
        return None, _sdk_error("BELOW_ZERO_AMOUNT")
    return amount, None


def _return_urls_refusal(success_url, fail_url):
    """The SDK's refusal of successUrl/failUrl (absolute URLs, both or neither), or None."""
    if success_url is not None and not store.origin_of(success_url):
        return _sdk_error("INCORRECT_SUCCESS_URL_FORMAT")
    if fail_url is not None and not store.origin_of(fail_url):
        return _sdk_error("INCORRECT_FAIL_URL_FORMAT")
    if (success_url is None) != (fail_url is None):
        return _sdk_error("INVALID_PARAMETERS", "successUrl과 failUrl은 함께 사용해야 합니다.")
    return None


def _create_sdk_payment(data, key_set, amount, method):
    """The READY payment -> {paymentKey, window_id, window_url}, or DUPLICATED_ORDER_ID if the order is paid."""
    order_id, success_url, fail_url = data["orderId"], data.get("successUrl"), data.get("failUrl")
    now = clock.now()
    origin = (store.origin_of(data.get("page_url")) or store.origin_of(request.headers.get("Origin"))
              or store.origin_of(success_url))
    with db.transaction() as conn:
        if store.order_taken(conn, order_id, key_set):
            return _sdk_error("DUPLICATED_ORDER_ID")
        row = store.create(conn, key_set=key_set, flow="sdk" if success_url else "promise", order_id=order_id,
                           order_name=data["orderName"].strip()[:100], amount=amount, method=method, origin=origin,
                           success_url=success_url, fail_url=fail_url,
                           customer_key=data["customerKey"], customer_name=_text(data.get("customerName"), 100),
                           customer_email=_text(data.get("customerEmail"), 100),
                           customer_phone=_text(data.get("customerMobilePhone"), 15),
                           metadata=data.get("metadata") if isinstance(data.get("metadata"), dict) else None,
                           now=now)
    return jsonify(paymentKey=row["payment_key"], window_id=row["payment_key"],
                   window_url=url_for("toss.window", payment_key=row["payment_key"], _external=True))


def _text(value, max_len):
    return value.strip()[:max_len] if isinstance(value, str) and value.strip() else None


# ---- the hosted window -------------------------------------------------------------------------------

def window_data(window_id, decide_url, origin, top_level=False):
    """What window.js needs: whom it decides for, where to post the result, and its texts."""
    return {
        "windowId": window_id,
        "decideUrl": decide_url,
        "parentOrigin": origin or "*",
        "topLevel": top_level,
        "texts": {"working": _("Asking the card company..."), "slow": _("The card company is answering slowly..."),
                  "failed": _("The window could not finish: %(message)s"), "closed": _("You can close this page.")},
    }


def _window_page(payment_key, top_level):
    row = store.get(payment_key)
    if row is None:
        abort(404)
    data = window_data(payment_key, url_for("toss.decide", payment_key=payment_key), row["origin"], top_level)
    return render_template("toss/window.html", p=row, data=data, open=row["status"] == "READY",
                           mid=store.KEY_SETS[row["key_set"]]["mid"], shop=urlsplit(row["origin"] or "").netloc,
                           meaning=widget_texts()["methods"].get(row["requested_method"]))


@bp.get("/window/<payment_key>")
def window(payment_key):
    """The window the widget shows in an in-page modal (iframe)."""
    return _window_page(payment_key, top_level=False)


@bp.get("/v1/payments/<payment_key>/checkout")
def checkout(payment_key):
    """Payment.checkout.url: the same window as a whole page (POST /v1/payments sends the buyer here)."""
    return _window_page(payment_key, top_level=True)


def with_query(url, params):
    """url plus params, after its own query if it has one ('...?a=1&' as the official samples write it)."""
    joint = "" if url.endswith(("?", "&")) else "&" if urlsplit(url).query else "?"
    return url + joint + urlencode(params)


@bp.post("/window/<payment_key>/decide")
def decide(payment_key):
    """The buyer's choice in the window -> {type, redirect_url | rejection | result}.

    approve/slow: READY -> IN_PROGRESS (confirm due within 10 minutes), success redirect.
    decline_*: READY -> ABORTED with failure, fail redirect. close: no change; the SDK's Promise
    rejects with USER_CANCEL (a whole-page checkout goes to failUrl with PAY_PROCESS_CANCELED)."""
    data = request.get_json(silent=True)
    outcome = data.get("outcome") if isinstance(data, dict) else None
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        return jsonify(code="INVALID_REQUEST", message=API["INVALID_REQUEST"][1]), 400
    if outcome == "slow":
        time.sleep(current_app.config["EMULATOR_SLOW_SECONDS"])
    now = clock.now()
    with db.transaction() as conn:
        row = store.get(payment_key, conn)
        refusal = _window_refusal(row, now)
        if refusal:
            return refusal
        changed = _record_outcome(conn, row, outcome, now)
        if outcome != "close" and changed is None:
            return jsonify(code="ALREADY_PROCESSED_PAYMENT", message=API["ALREADY_PROCESSED_PAYMENT"][1]), 400
    if changed is not None:
        store.notify(changed)
    return _decide_answer(row, outcome)


def _window_refusal(row, now):
    """The error answer when the window's payment is gone, expired or already decided; None while READY."""
    if row is None:
        return jsonify(code="NOT_FOUND_PAYMENT", message=API["NOT_FOUND_PAYMENT"][1]), 404
    if row["status"] == "EXPIRED" or (row["status"] == "READY" and now >= row["expires_at"]):
        return jsonify(code="NOT_FOUND_PAYMENT_SESSION", message=API["NOT_FOUND_PAYMENT_SESSION"][1]), 404
    if row["status"] != "READY":
        return jsonify(code="ALREADY_PROCESSED_PAYMENT", message=API["ALREADY_PROCESSED_PAYMENT"][1]), 400
    return None


def _record_outcome(conn, row, outcome, now):
    """approve/slow: READY -> IN_PROGRESS; decline_*: READY -> ABORTED with the card company's failure;
    close: no change. Returns the changed row, or None (close, or another request changed it first)."""
    payment_key = row["payment_key"]
    if outcome in ("approve", "slow"):
        return store.update(conn, payment_key, "READY", status="IN_PROGRESS", method=row["requested_method"],
                            authenticated_at=now, expires_at=now + store.CONFIRM_S, updated_at=now)
    if outcome in DECLINES:
        code = DECLINES[outcome]
        return store.update(conn, payment_key, "READY", status="ABORTED", method=row["requested_method"],
                            expires_at=None, failure_code=code, failure_message=FAIL_URL[code],
                            updated_at=now)
    return None


def _decide_answer(row, outcome):
    """What the window does next: the success or fail redirect (or the Promise's result or rejection)."""
    payment_key = row["payment_key"]
    base = {"paymentKey": payment_key, "orderId": row["order_id"]}
    if outcome in ("approve", "slow"):
        params = {"paymentType": "NORMAL", **base, "amount": row["amount"]}
        if row["flow"] == "promise":
            return jsonify(type="success", result=params, params=params)
        return jsonify(type="success", params=params, redirect_url=with_query(row["success_url"], {
            "paymentType": "NORMAL", "orderId": row["order_id"], "paymentKey": payment_key,
            "amount": row["amount"]}))
    if outcome in DECLINES:
        code = DECLINES[outcome]
        params = {"code": code, "message": FAIL_URL[code], "orderId": row["order_id"]}
        if row["flow"] == "promise":
            return jsonify(type="fail", rejection={"code": code, "message": FAIL_URL[code]}, params=params)
        return jsonify(type="fail", params=params, redirect_url=with_query(row["fail_url"], params))
    if row["flow"] == "checkout":
        params = {"code": "PAY_PROCESS_CANCELED", "message": FAIL_URL["PAY_PROCESS_CANCELED"],
                  "orderId": row["order_id"]}
        return jsonify(type="fail", params=params, redirect_url=with_query(row["fail_url"], params))
    rejection = {"code": "USER_CANCEL", "message": SDK["USER_CANCEL"]}
    return jsonify(type="cancel", rejection=rejection, params=rejection)


# ---- receipt and the dashboard's deposit button ----------------------------------------------------

@bp.get("/receipt/redirection")
def receipt():
    row = store.get(request.args.get("transactionId", ""))
    if row is None:
        abort(404)
    return render_template("toss/receipt.html", p=row, payment=store.to_payment(row),
                           mid=store.KEY_SETS[row["key_set"]]["mid"])


@bp.post("/payments/<payment_key>/deposit")
@console.console_route
def deposit(payment_key):
    """The emulator's "입금처리": a virtual account WAITING_FOR_DEPOSIT -> DONE, with DEPOSIT_CALLBACK."""
    now = clock.now()
    with db.transaction() as conn:
        row = store.get(payment_key, conn)
        if row is None:
            return jsonify(code="NOT_FOUND_PAYMENT", message=API["NOT_FOUND_PAYMENT"][1]), 404
        if row["status"] != "WAITING_FOR_DEPOSIT":
            return jsonify(code="INVALID_REQUEST", message="입금 대기 중인 가상계좌가 아닙니다."), 400
        details = json.loads(row["details"])
        va = details["virtualAccount"]
        if store.to_payment(row, now)["virtualAccount"]["expired"]:
            return jsonify(code="INVALID_REQUEST", message="입금 기한이 지난 가상계좌입니다."), 400
        details["virtualAccount"] = dict(va, depositorName=row["customer_name"] or "홍길동")
        tx = store.new_transaction_key()
        changed = store.update(conn, payment_key, "WAITING_FOR_DEPOSIT", status="DONE", approved_at=now,
                               details=details, last_transaction_key=tx, updated_at=now)
    store.notify(changed, deposit_status="DONE", transaction_key=tx)
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(store.to_payment(changed, now))
    console.done(_("Deposited: %(key)s is now %(status)s; DEPOSIT_CALLBACK is queued.", key=payment_key,
                   status=changed["status"]), changed["order_id"])
    return redirect(url_for("dashboard.index"))
