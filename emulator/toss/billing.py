"""Toss billing (자동결제): the card-registration window behind payment().requestBillingAuth, and the REST calls
POST /v1/billing/authorizations/issue (authKey -> billingKey) and POST /v1/billing/{billingKey} (a charge)."""
import base64
import secrets

from flask import Response, jsonify, make_response, render_template, request, url_for

from .. import clock, cors, db
from . import bp, store
from .api import CONFIRM_DECLINES, MAX_AMOUNT, _body, _required_str, api, parse_amount
from .errors import API, FAIL_URL, SDK, TossError
from .sdk import _sdk_error, client_key_set, window_data, with_query

CARD_NUMBER = "43301234****123*"          # masked, as test-mode billing keys show it
CARD_COMPANY = ("61", "현대")              # issuer/acquirer code and name (toss.md §3.9)



def _auth(auth_id, conn=None):
    return (conn or db.get_db()).execute("SELECT * FROM toss_billing_auths WHERE auth_id = ?",
                                         (auth_id,)).fetchone()


# ---- SDK -> emulator: open the registration window ----------------------------------------------

@bp.route("/sdk/billing-auths", methods=["OPTIONS"])
def sdk_billing_auths_preflight():
    return cors.allow(Response(status=204))


@bp.post("/sdk/billing-auths")
def sdk_billing_auths():
    """What requestBillingAuth sends before it opens the window -> {window_id, window_url} or 400 {code, message}."""
    return cors.allow(make_response(_sdk_billing_auth()))


def _sdk_billing_auth():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _sdk_error("INVALID_PARAMETERS")
    key_set, refusal = client_key_set(data.get("clientKey"), "billing")
    if refusal:
        return refusal
    customer_key = data.get("customerKey")
    anonymous = customer_key == store.ANONYMOUS     # a billing key belongs to one buyer
    if anonymous or not (isinstance(customer_key, str) and store.CUSTOMER_KEY.match(customer_key)):
        return _sdk_error("INVALID_CUSTOMER_KEY")
    if data.get("method") != "CARD":
        return _sdk_error("NOT_SUPPORTED_METHOD")
    success_url, fail_url = data.get("successUrl"), data.get("failUrl")
    if not store.origin_of(success_url):
        return _sdk_error("INCORRECT_SUCCESS_URL_FORMAT")
    if not store.origin_of(fail_url):
        return _sdk_error("INCORRECT_FAIL_URL_FORMAT")
    auth_id = "bla_" + store._random(24)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO toss_billing_auths (auth_id, key_set, customer_key, method, origin, success_url, fail_url,"
            " customer_name, customer_email, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,'READY',?)",
            (auth_id, key_set, customer_key, "카드",
             store.origin_of(data.get("page_url")) or store.origin_of(success_url), success_url, fail_url,
             _text(data.get("customerName")), _text(data.get("customerEmail")), clock.now()))
    return jsonify(window_id=auth_id, window_url=url_for("toss.billing_window", auth_id=auth_id, _external=True))


def _text(value):
    return value.strip()[:100] if isinstance(value, str) and value.strip() else None


# ---- the registration window --------------------------------------------------------------------

@bp.get("/billing/window/<auth_id>")
def billing_window(auth_id):
    auth = _auth(auth_id)
    if auth is None:
        return jsonify(code="NOT_FOUND", message=API["NOT_FOUND"][1]), 404
    data = window_data(auth_id, url_for("toss.billing_decide", auth_id=auth_id), auth["origin"])
    return render_template("toss/window.html", billing=auth, data=data, open=auth["status"] == "READY",
                           mid=store.KEY_SETS[auth["key_set"]]["mid"])


@bp.post("/billing/window/<auth_id>/decide")
def billing_decide(auth_id):
    """The buyer's choice -> approve: successUrl?customerKey&authKey; decline_invalid_card:
    failUrl?code&message; close: the Promise rejects with USER_CANCEL."""
    data = request.get_json(silent=True)
    outcome = data.get("outcome") if isinstance(data, dict) else None
    if outcome not in ("approve", "decline_invalid_card", "close"):
        return jsonify(code="INVALID_REQUEST", message=API["INVALID_REQUEST"][1]), 400
    if outcome == "close":
        rejection = {"code": "USER_CANCEL", "message": SDK["USER_CANCEL"]}
        return jsonify(type="cancel", rejection=rejection, params=rejection)
    now = clock.now()
    auth_key = "bln_" + store._random(24)
    status = "AUTHENTICATED" if outcome == "approve" else "ABORTED"
    with db.transaction() as conn:
        auth = conn.execute("UPDATE toss_billing_auths SET status = ?, auth_key = ?, authenticated_at = ?"
                            " WHERE auth_id = ? AND status = 'READY' RETURNING *",
                            (status, auth_key if outcome == "approve" else None, now, auth_id)).fetchone()
    if auth is None:
        return jsonify(code="ALREADY_PROCESSED_PAYMENT", message=API["ALREADY_PROCESSED_PAYMENT"][1]), 400
    if outcome == "approve":
        params = {"customerKey": auth["customer_key"], "authKey": auth_key}
        return jsonify(type="success", params=params, redirect_url=with_query(auth["success_url"], params))
    params = {"code": "INVALID_CARD_NUMBER", "message": FAIL_URL["INVALID_CARD_NUMBER"]}
    return jsonify(type="fail", params=params, redirect_url=with_query(auth["fail_url"], params))


# ---- REST ----------------------------------------------------------------------------------------

def _billing_object(key):
    """The Billing object the issue call answers."""
    return {"mId": store.KEY_SETS[key["key_set"]]["mid"], "customerKey": key["customer_key"],
            "authenticatedAt": store.kst(key["authenticated_at"]), "method": "카드",
            "billingKey": key["billing_key"],
            "card": {"issuerCode": CARD_COMPANY[0], "acquirerCode": CARD_COMPANY[0], "number": key["card_number"],
                     "cardType": "신용", "ownerType": "개인"},
            "cardCompany": CARD_COMPANY[1], "cardNumber": key["card_number"]}


@bp.post("/v1/billing/authorizations/issue")
@api
def issue_billing_key(key_set):
    data = _body()
    auth_key = _required_str(data, "authKey", 300)
    customer_key = _required_str(data, "customerKey", 300)
    now = clock.now()
    with db.transaction() as conn:
        auth = conn.execute("SELECT * FROM toss_billing_auths WHERE auth_key = ?", (auth_key,)).fetchone()
        if auth is None or auth["status"] != "AUTHENTICATED":
            raise TossError("INVALID_BILLING_AUTH")       # unknown, or already exchanged for a billing key
        if auth["key_set"] != key_set:
            raise TossError("INVALID_API_KEY")            # not the secret key of the client key that opened it
        if auth["customer_key"] != customer_key:
            raise TossError("NOT_MATCHES_CUSTOMER_KEY")
        if conn.execute("UPDATE toss_billing_auths SET status = 'ISSUED' WHERE auth_id = ? AND status ="
                        " 'AUTHENTICATED'", (auth["auth_id"],)).rowcount != 1:
            raise TossError("INVALID_BILLING_AUTH")
        billing_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        conn.execute("INSERT INTO toss_billing_keys (billing_key, key_set, customer_key, card_number,"
                     " authenticated_at, created_at) VALUES (?,?,?,?,?,?)",
                     (billing_key, key_set, customer_key, CARD_NUMBER, auth["authenticated_at"], now))
        key = conn.execute("SELECT * FROM toss_billing_keys WHERE billing_key = ?", (billing_key,)).fetchone()
    return _billing_object(key)


@bp.post("/v1/billing/<billing_key>")
@api
def charge_billing_key(key_set, billing_key):
    """A charge: DONE at once (type BILLING, no webhook, as Toss sends none for it), or refused by amount like
    confirm (an amount ending in 01-05 won; the payment is kept ABORTED)."""
    data = _body()
    customer_key, amount, order_id, order_name = _charge_params(data)
    now = clock.now()
    decline = CONFIRM_DECLINES.get(amount % 100)
    with db.transaction() as conn:
        key = _own_billing_key(conn, billing_key, key_set, customer_key)
        if amount < 100:
            raise TossError("BELOW_MINIMUM_AMOUNT")
        if store.order_taken(conn, order_id, key_set):
            raise TossError("DUPLICATED_ORDER_ID")
        row = store.create(conn, key_set=key_set, flow="billing", order_id=order_id, order_name=order_name,
                           amount=amount, method="카드", origin=None, customer_key=customer_key,
                           customer_name=_text(data.get("customerName")),
                           customer_email=_text(data.get("customerEmail")),
                           customer_phone=_text(data.get("customerMobilePhone")), now=now)
        changed = _settle_charge(conn, row, key, decline, now)
    if decline:
        raise TossError(decline)
    return store.to_payment(changed, now)


def _charge_params(data):
    """The charge body -> (customerKey, amount, orderId, orderName), or the Toss error for a missing or bad one."""
    customer_key = _required_str(data, "customerKey", 300)
    amount = parse_amount(data.get("amount"))
    if amount is None or amount <= 0:
        raise TossError("INVALID_REQUEST", "amount는 0보다 큰 정수여야 합니다.")
    if amount > MAX_AMOUNT:
        raise TossError("EXCEED_MAX_AMOUNT")
    order_id = _required_str(data, "orderId", 64)
    if not store.ORDER_ID.match(order_id):
        raise TossError("INVALID_REQUEST", "orderId는 영문 대소문자, 숫자, 특수문자(-, _)로 6자 이상 64자 이하여야 합니다.")
    order_name = _required_str(data, "orderName", 100)
    return customer_key, amount, order_id, order_name


def _own_billing_key(conn, billing_key, key_set, customer_key):
    """The billing key's row, if it exists, was issued to this API key's key set and belongs to this buyer."""
    key = conn.execute("SELECT * FROM toss_billing_keys WHERE billing_key = ?", (billing_key,)).fetchone()
    if key is None:
        raise TossError("INVALID_BILL_KEY_REQUEST")
    if key["key_set"] != key_set:
        raise TossError("INVALID_API_KEY")
    if key["customer_key"] != customer_key:
        raise TossError("NOT_MATCHES_CUSTOMER_KEY")
    return key


def _settle_charge(conn, row, key, decline, now):
    """The new READY payment -> ABORTED with the decline, else DONE on the billing key's card. Returns the row."""
    if decline:
        return store.update(conn, row["payment_key"], "READY", status="ABORTED", method="카드",
                            expires_at=None, failure_code=decline, failure_message=API[decline][1],
                            last_transaction_key=store.new_transaction_key(), updated_at=now)
    details = store.details_for(dict(row, method="카드"), now)
    details["card"]["number"] = key["card_number"]
    return store.update(conn, row["payment_key"], "READY", status="DONE", method="카드",
                        expires_at=None, authenticated_at=now, approved_at=now,
                        last_transaction_key=store.new_transaction_key(), details=details,
                        updated_at=now)
