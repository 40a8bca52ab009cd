"""The emulated Toss payments table: keys, timers, the Payment object, webhooks and idempotency keys."""
import hashlib
import json
import re
import secrets
import string
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import current_app, g

from .. import clock, db, links, webhooks

KST = timezone(timedelta(hours=9))
VERSION = "2022-11-16"

# The public docs key pairs (toss.md §0.1 fact 9) and the MID each pair's payments show.
KEY_SETS = {
    "widget": {"client": "test_gck_docs_Ovk5rk1EwkEbP0W43n07xlzm",
               "secret": "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6", "mid": "tgen_docs"},
    "api": {"client": "test_ck_D5GePWvyJnrK0W0k6q8gLzN97Eoq",
            "secret": "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R", "mid": "tvivarepublica"},
}

METHODS = ("카드", "계좌이체", "가상계좌", "휴대폰", "간편결제")
# SDK / API method names in English, as the v1 window and POST /v1/payments accept them.
METHOD_ALIASES = {"CARD": "카드", "TRANSFER": "계좌이체", "VIRTUAL_ACCOUNT": "가상계좌",
                  "MOBILE_PHONE": "휴대폰", "EASY_PAY": "간편결제", "TOSSPAY": "간편결제", "토스페이": "간편결제"}

READY_S = 30 * 60        # an unauthenticated window expires after 30 minutes
CONFIRM_S = 10 * 60      # an authenticated payment must be confirmed within 10 minutes
VBANK_DUE_S = 168 * 3600  # default virtual-account validity
IDEMPOTENCY_S = 15 * 86400
WEBHOOK_SCHEDULE = [1, 4, 16, 64, 256, 1024, 4096]

ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
CUSTOMER_KEY = re.compile(r"^[A-Za-z0-9\-_=.@]{2,50}$")
ANONYMOUS = "@@ANONYMOUS"
_ALNUM = string.ascii_letters + string.digits


def _random(n, alphabet=_ALNUM):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def kst(t):
    """Emulator seconds -> '2025-01-01T12:00:00+09:00' (None stays None)."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, KST).isoformat(timespec="seconds")


def webhook_time(t):
    """The webhook `createdAt` form: KST without an offset, microseconds."""
    return datetime.fromtimestamp(t, KST).strftime("%Y-%m-%dT%H:%M:%S.%f")


def new_payment_key(mid, t):
    """First 5 characters of the MID, yyyyMMddHHmmss (KST), 5 random alphanumerics."""
    return mid[:5] + datetime.fromtimestamp(t, KST).strftime("%Y%m%d%H%M%S") + _random(5)


def new_secret():
    return "ps_" + _random(28)


def new_transaction_key():
    return "txrd_" + _random(26, string.ascii_lowercase + string.digits)


def vat_split(amount, tax_free=0):
    """(suppliedAmount, vat): vat = round((amount - taxFree) / 11), half up."""
    taxable = amount - tax_free
    vat = (taxable * 2 + 11) // 22
    return taxable - vat, vat


def origin_of(url):
    """'http://shop.example/success?x' -> 'http://shop.example'; None unless an absolute http(s) URL."""
    parts = urlsplit(url) if isinstance(url, str) else None
    return f"{parts.scheme}://{parts.netloc}" if parts and parts.scheme in ("http", "https") and parts.netloc \
        else None


def parse_method(value):
    """'카드' or 'CARD' -> '카드'; None when unknown."""
    if value in METHODS:
        return value
    return METHOD_ALIASES.get(str(value or "").upper()) or METHOD_ALIASES.get(value)


# ---- reading ---------------------------------------------------------------------------------------

def get(payment_key, conn=None):
    """The payment (in the caller's transaction when conn is given), expired first if its timer ran out."""
    return _expired_when_due((conn or db.get_db()).execute(
        "SELECT * FROM toss_payments WHERE payment_key = ?", (payment_key,)).fetchone(), conn)


def by_order(order_id, key_set):
    """The payment for an orderId: an approved one first, else the newest attempt."""
    return _expired_when_due(db.get_db().execute(
        "SELECT * FROM toss_payments WHERE order_id = ? AND key_set = ? ORDER BY"
        " status IN ('DONE','WAITING_FOR_DEPOSIT','CANCELED','PARTIAL_CANCELED') DESC, requested_at DESC"
        " LIMIT 1", (order_id, key_set)).fetchone())


def _expired_when_due(row, conn=None):
    """A payment as read, or EXPIRED (and notified) when its timer has run out: every read sees the
    timers fire, so no request has to sweep the whole table first."""
    if row is None or row["status"] not in ("READY", "IN_PROGRESS") or row["expires_at"] is None:
        return row
    now = clock.now()
    if now < row["expires_at"]:
        return row
    if conn is not None:
        expired = expire_if_due(conn, row, now)
    else:
        with db.transaction() as conn:
            expired = expire_if_due(conn, row, now)
    if expired is None:   # another request changed it first: read it again
        return get(row["payment_key"], conn)
    notify(expired)
    return expired


def order_taken(conn, order_id, key_set, but=None):
    """True when another payment with this orderId has been approved, issued or cancelled."""
    return conn.execute(
        "SELECT 1 FROM toss_payments WHERE order_id = ? AND key_set = ? AND payment_key IS NOT ? AND status IN"
        " ('DONE','WAITING_FOR_DEPOSIT','CANCELED','PARTIAL_CANCELED')", (order_id, key_set, but)
    ).fetchone() is not None


def recent(limit=50):
    return db.get_db().execute("SELECT * FROM toss_payments ORDER BY requested_at DESC, rowid DESC LIMIT ?",
                               (limit,)).fetchall()


# ---- writing ---------------------------------------------------------------------------------------

def create(conn, *, key_set, flow, order_id, order_name, amount, method, origin, success_url=None,
           fail_url=None, customer_key=None, customer_name=None, customer_email=None, customer_phone=None,
           metadata=None, now):
    """Insert a READY payment (inside the caller's transaction). Returns the new row."""
    mid = KEY_SETS[key_set]["mid"]
    for _ in range(5):
        key = new_payment_key(mid, now)
        if get(key, conn) is None:
            break
    conn.execute(
        "INSERT INTO toss_payments (payment_key, order_id, order_name, key_set, flow, origin, requested_method,"
        " amount, balance_amount, status, requested_at, expires_at, secret, customer_key, customer_name,"
        " customer_email, customer_phone, success_url, fail_url, metadata, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (key, order_id, order_name, key_set, flow, origin, method, amount, amount, "READY", now,
         now + READY_S, new_secret(), customer_key, customer_name, customer_email, customer_phone,
         success_url, fail_url, json.dumps(metadata, ensure_ascii=False) if metadata is not None else None, now))
    return get(key, conn)


def update(conn, payment_key, expect_status, **cols):
    """Change a payment only if it is still in `expect_status` (one atomic UPDATE). Returns the row or None."""
    cols["updated_at"] = cols.get("updated_at") or clock.now()
    for name in ("details", "cancels", "metadata"):
        if name in cols and not isinstance(cols[name], (str, type(None))):
            cols[name] = json.dumps(cols[name], ensure_ascii=False)
    sets = ", ".join(f"{c} = ?" for c in cols)
    rows = conn.execute(f"UPDATE toss_payments SET {sets} WHERE payment_key = ? AND status = ? RETURNING *",
                        (*cols.values(), payment_key, expect_status)).fetchall()
    return rows[0] if rows else None


def expire_if_due(conn, row, now):
    """READY past 30 min or IN_PROGRESS past 10 min -> EXPIRED. Returns the new row, or None if not due."""
    if row is None or row["status"] not in ("READY", "IN_PROGRESS") or row["expires_at"] is None \
            or now < row["expires_at"]:
        return None
    return update(conn, row["payment_key"], row["status"], status="EXPIRED", expires_at=None,
                  failure_code="EXPIRED_PAYMENT", failure_message="결제가 만료되었습니다. 다시 시도해주세요.",
                  updated_at=now)


def sweep():
    """Expire every payment whose timer ran out, and tell the merchant (PAYMENT_STATUS_CHANGED)."""
    due = db.get_db().execute("SELECT payment_key FROM toss_payments WHERE status IN ('READY','IN_PROGRESS')"
                              " AND expires_at <= ?", (clock.now(),)).fetchall()
    for r in due:
        get(r["payment_key"])   # reading a due payment expires it


# ---- method details filled at confirm ---------------------------------------------------------------

def details_for(row, now):
    """The method objects (card, virtualAccount, ...) a confirmed payment carries."""
    method, amount = row["method"], row["amount"]
    card = {"amount": amount, "issuerCode": "61", "acquirerCode": "61", "number": "12345678****000*",
            "installmentPlanMonths": 0, "approveNo": "00000000", "useCardPoint": False, "cardType": "신용",
            "ownerType": "개인", "acquireStatus": "READY", "isInterestFree": False, "interestPayer": None}
    if method == "카드":
        return {"card": card}
    if method == "간편결제":
        return {"card": card, "easyPay": {"provider": "토스페이", "amount": 0, "discountAmount": 0}}
    if method == "계좌이체":
        return {"transfer": {"bankCode": "20", "settlementStatus": "INCOMPLETED"}}
    if method == "휴대폰":
        return {"mobilePhone": {"customerMobilePhone": row["customer_phone"] or "01012345678",
                                "settlementStatus": "INCOMPLETED", "receiptUrl": receipt_url(row["payment_key"])}}
    if method == "가상계좌":
        return {"virtualAccount": {
            "accountType": "일반", "accountNumber": "X" + "".join(secrets.choice(string.digits) for _ in range(13)),
            "bankCode": "20", "customerName": row["customer_name"] or "", "depositorName": None,
            "dueDate": kst(now + VBANK_DUE_S), "refundStatus": "NONE", "expired": False,
            "settlementStatus": "INCOMPLETED", "refundReceiveAccount": None}}
    return {}


# ---- the Payment object ----------------------------------------------------------------------------

def receipt_url(payment_key):
    return links.external("toss.receipt", transactionId=payment_key, ref="PX")


def checkout_url(payment_key):
    return links.external("toss.checkout", payment_key=payment_key)


def to_payment(row, now=None):
    """The Payment object (API version 2022-11-16): every key present, nulls where nothing applies."""
    now = clock.now() if now is None else now
    details = json.loads(row["details"] or "{}")
    return {
        "mId": KEY_SETS[row["key_set"]]["mid"],
        "lastTransactionKey": row["last_transaction_key"],
        "paymentKey": row["payment_key"],
        "orderId": row["order_id"],
        "orderName": row["order_name"],
        "taxExemptionAmount": 0,
        "status": row["status"],
        "requestedAt": kst(row["requested_at"]),
        "approvedAt": kst(row["approved_at"]),
        "useEscrow": False,
        "cultureExpense": False,
        **_method_objects(details, row["status"], now),
        "cancels": json.loads(row["cancels"]) if row["cancels"] else None,
        "secret": row["secret"],
        "type": "BILLING" if row["flow"] == "billing" else "NORMAL",
        # Easy-pay amounts live only under easyPay{provider, amount, discountAmount}: the Payment object
        # in https://docs.tosspayments.com/reference#payment-객체 has no top-level easyPayAmount.
        "easyPay": details.get("easyPay"),
        "country": "KR",
        "failure": {"code": row["failure_code"], "message": row["failure_message"]} if row["failure_code"] else None,
        "isPartialCancelable": True,
        "receipt": {"url": receipt_url(row["payment_key"])},
        "checkout": {"url": checkout_url(row["payment_key"])},
        **_amounts(row),
        "metadata": json.loads(row["metadata"]) if row["metadata"] else None,
        "method": row["method"],
        "transactionKey": None,
        "version": VERSION,
    }


def _method_objects(details, status, now):
    """card, virtualAccount (`expired` once its dueDate passes unpaid), transfer, mobilePhone as confirm filled
    them; null for what the emulator never issues (gift certificates, cash receipts, discounts)."""
    va = details.get("virtualAccount")
    if va is not None:
        va = dict(va, expired=bool(status == "WAITING_FOR_DEPOSIT" and
                                   datetime.fromisoformat(va["dueDate"]).timestamp() < now))
    return {
        "card": details.get("card"),
        "virtualAccount": va,
        "transfer": details.get("transfer"),
        "mobilePhone": details.get("mobilePhone"),
        "giftCertificate": None,
        "cashReceipt": None,
        "cashReceipts": None,
        "discount": None,
    }


def _amounts(row):
    """The amount keys: total, balance, and the balance's supplied amount and VAT (all in KRW)."""
    supplied, vat = vat_split(row["balance_amount"])
    return {
        "currency": "KRW",
        "totalAmount": row["amount"],
        "balanceAmount": row["balance_amount"],
        "suppliedAmount": supplied,
        "vat": vat,
        "taxFreeAmount": 0,
    }


# ---- webhooks --------------------------------------------------------------------------------------

# PAYMENT_STATUS_CHANGED is sent when a payment becomes one of these (never READY / IN_PROGRESS).
NOTIFIED = ("DONE", "WAITING_FOR_DEPOSIT", "CANCELED", "PARTIAL_CANCELED", "ABORTED", "EXPIRED")


def webhook_url(row):
    """EMULATOR_TOSS_WEBHOOK_URL, else <the merchant site's origin>/webhooks/toss; None if unknown."""
    configured = current_app.config.get("EMULATOR_TOSS_WEBHOOK_URL")
    if configured:
        return configured
    return row["origin"] + "/webhooks/toss" if row["origin"] else None


def notify(row, deposit_status=None, transaction_key=None, payment=None):
    """Queue the webhooks for a status change: PAYMENT_STATUS_CHANGED (wrapped), and for a virtual
    account DEPOSIT_CALLBACK (flat) when `deposit_status` is given. payment: the row's Payment object,
    when the caller has built it already."""
    url = webhook_url(row)
    if url is None:
        return
    if db.get_db().in_transaction:
        g.toss_webhooks_queued = True   # not visible to the dispatcher before the commit
    now = clock.now()
    if row["status"] in NOTIFIED:
        webhooks.enqueue("toss", "PAYMENT_STATUS_CHANGED", row["payment_key"], url,
                         {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": webhook_time(now),
                          "data": payment or to_payment(row, now)}, schedule=WEBHOOK_SCHEDULE)
    if deposit_status:
        webhooks.enqueue("toss", "DEPOSIT_CALLBACK", row["payment_key"], url,
                         {"createdAt": webhook_time(now), "secret": row["secret"], "status": deposit_status,
                          "transactionKey": transaction_key or row["last_transaction_key"],
                          "orderId": row["order_id"]}, schedule=WEBHOOK_SCHEDULE)


def send_queued_after(response):
    """Webhooks queued in the request's (now committed) transaction go out once `response` is sent,
    so the dispatcher does not compete with the answer for this process. Returns the response."""
    if g.pop("toss_webhooks_queued", False):
        app = current_app._get_current_object()

        def wake():
            with app.app_context():
                webhooks.wake()
        response.call_on_close(wake)
    return response


# ---- idempotency keys ------------------------------------------------------------------------------

def _api_key_id(secret_key):
    return hashlib.sha256(secret_key.encode()).hexdigest()


def idempotency_begin(idem_key, secret_key, path, method):
    """Claim a key. Returns ('new', None), ('processing', None) or ('done', (status, body))."""
    now = clock.now()
    ident = (idem_key, _api_key_id(secret_key), path, method)
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM toss_idempotency WHERE idem_key = ? AND api_key = ? AND path = ?"
                           " AND method = ?", ident).fetchone()
        if row is not None and now - row["created_at"] < IDEMPOTENCY_S:
            if row["state"] == "processing":
                return "processing", None
            return "done", (row["status_code"], row["body"])
        conn.execute("INSERT OR REPLACE INTO toss_idempotency (idem_key, api_key, path, method, state,"
                     " created_at) VALUES (?,?,?,?,'processing',?)", (*ident, now))
    return "new", None


def idempotency_finish(idem_key, secret_key, path, method, status_code, body):
    with db.transaction() as conn:
        conn.execute("UPDATE toss_idempotency SET state = 'done', status_code = ?, body = ? WHERE idem_key = ?"
                     " AND api_key = ? AND path = ? AND method = ?",
                     (status_code, body, idem_key, _api_key_id(secret_key), path, method))


def idempotency_release(idem_key, secret_key, path, method):
    with db.transaction() as conn:
        conn.execute("DELETE FROM toss_idempotency WHERE idem_key = ? AND api_key = ? AND path = ? AND method = ?",
                     (idem_key, _api_key_id(secret_key), path, method))
