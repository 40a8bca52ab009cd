"""Writes and reads of the emulated PortOne V2's tables: tokens, payment attempts, pre-registrations, webhooks."""
import hashlib
import json
import secrets
import string
import time
import uuid
from datetime import datetime, timedelta, timezone

from flask import current_app
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from .. import clock, db, webhooks

KST = timezone(timedelta(hours=9))
ACCESS_LIFETIME = 30 * 60          # PortOne V2 access tokens: 30 minutes
REFRESH_LIFETIME = 24 * 3600
WEBHOOK_RETRIES = [1, 4, 16, 64, 256]   # documented: up to 5 re-sends, 1, 4, 16, 64, 256 minutes apart
MAX_MANUAL_RESENDS = 5
MERCHANT_ID = "merchant-00000000-0000-4000-8000-000000000000"

PAID_LIKE = ("PAID", "PARTIAL_CANCELLED", "CANCELLED")
EVENTS = {"READY": "Transaction.Ready", "PAY_PENDING": "Transaction.PayPending",
          "VIRTUAL_ACCOUNT_ISSUED": "Transaction.VirtualAccountIssued", "PAID": "Transaction.Paid",
          "FAILED": "Transaction.Failed", "PARTIAL_CANCELLED": "Transaction.PartialCancelled",
          "CANCELLED": "Transaction.Cancelled"}
LEGACY_STATUS = {"READY": "Ready", "PAY_PENDING": "PayPending", "VIRTUAL_ACCOUNT_ISSUED": "VirtualAccountIssued",
                 "PAID": "Paid", "FAILED": "Failed", "PARTIAL_CANCELLED": "PartialCancelled",
                 "CANCELLED": "Cancelled"}

# (publisher code, name, BIN) of the cards the window offers
CARDS = [("SHINHAN_CARD", "신한카드", "451842"), ("KOOKMIN_CARD", "KB국민카드", "944603"),
         ("SAMSUNG_CARD", "삼성카드", "536181"), ("HYUNDAI_CARD", "현대카드", "433470"),
         ("BC_CARD", "BC카드", "940915"), ("LOTTE_CARD", "롯데카드", "467309")]
VA_BANK, TRANSFER_BANK = "KOOKMIN", "SHINHAN"
VA_DAYS = 3


class Refused(Exception):
    """A REST refusal: args = (type, message); api.py turns it into PortOne's status and body."""


def now():
    return clock.now()


def rfc3339(ts):
    """UNIX s as PortOne writes times: RFC 3339, UTC, milliseconds."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text):
    """RFC 3339 text -> UNIX s; ValueError when it is not one."""
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment.timestamp()


def _digits(n):
    return "".join(secrets.choice(string.digits) for _ in range(n))


# --- the emulated store and its channels ---------------------------------------------------------

def channels():
    """channelKey -> the SelectedChannel a payment on it shows (one TEST channel, one playing LIVE)."""
    cfg = current_app.config
    return {
        cfg["EMULATOR_PORTONE_V2_CHANNEL_KEY"]: {
            "type": "TEST", "id": "channel-id-test", "key": cfg["EMULATOR_PORTONE_V2_CHANNEL_KEY"],
            "name": "토스페이먼츠 (테스트)", "pgProvider": "TOSSPAYMENTS", "pgMerchantId": "tosstest"},
        cfg["EMULATOR_PORTONE_V2_LIVE_CHANNEL_KEY"]: {
            "type": "LIVE", "id": "channel-id-live", "key": cfg["EMULATOR_PORTONE_V2_LIVE_CHANNEL_KEY"],
            "name": "토스페이먼츠 (실연동)", "pgProvider": "TOSSPAYMENTS", "pgMerchantId": "pgsandbox01"},
    }


def store_id():
    return current_app.config["EMULATOR_PORTONE_V2_STORE_ID"]


# --- tokens --------------------------------------------------------------------------------------

def issue_token():
    t = now()
    access, refresh = "emu-v2-" + secrets.token_urlsafe(32), "emu-v2-refresh-" + secrets.token_urlsafe(32)
    with db.transaction() as conn:
        conn.execute("INSERT INTO portone_v2_tokens (access_token, refresh_token, expires_at, refresh_until)"
                     " VALUES (?,?,?,?)", (access, refresh, t + ACCESS_LIFETIME, t + REFRESH_LIFETIME))
    return {"accessToken": access, "refreshToken": refresh}


def refresh_token(refresh):
    """A new pair for a valid refresh token (the old one is spent), else None."""
    with db.transaction() as conn:
        cur = conn.execute("DELETE FROM portone_v2_tokens WHERE refresh_token = ? AND refresh_until > ?",
                           (refresh, now()))
    return issue_token() if cur.rowcount else None


def token_valid(access):
    return db.get_db().execute("SELECT 1 FROM portone_v2_tokens WHERE access_token = ? AND expires_at > ?",
                               (access, now())).fetchone() is not None


# --- payments: reads -----------------------------------------------------------------------------

def transaction(tx_id):
    return db.get_db().execute("SELECT * FROM portone_v2_transactions WHERE tx_id = ?", (tx_id,)).fetchone()


def attempts(payment_id):
    return db.get_db().execute("SELECT * FROM portone_v2_transactions WHERE payment_id = ?"
                               " ORDER BY requested_at, rowid", (payment_id,)).fetchall()


def _current(rows):
    """The attempt a payment shows: the paid one (there is at most one), else the newest."""
    if not rows:
        return None
    return next((r for r in rows if r["status"] in PAID_LIKE), None) or rows[-1]


def current(payment_id):
    return _current(attempts(payment_id))


def all_current():
    """The shown attempt of every payment."""
    by_id = {}
    for row in db.get_db().execute("SELECT * FROM portone_v2_transactions ORDER BY requested_at, rowid"):
        by_id.setdefault(row["payment_id"], []).append(row)
    return [_current(rows) for rows in by_id.values()]


def is_paid(payment_id):
    return db.get_db().execute("SELECT 1 FROM portone_v2_transactions WHERE payment_id = ? AND status IN"
                               " ('PAID', 'PARTIAL_CANCELLED', 'CANCELLED')", (payment_id,)).fetchone() is not None


def vat_of(total, tax_free, vat=None):
    return vat if vat is not None else round((total - tax_free) / 11)


def _amount(row):
    """The Payment's amount object: total, its tax-free, VAT and supply parts, what is paid and cancelled."""
    total, tax_free = row["total_amount"], row["tax_free_amount"]
    vat = vat_of(total, tax_free, row["vat_amount"])
    return {"total": total, "taxFree": tax_free, "vat": vat, "supply": total - tax_free - vat,
            "discount": 0, "paid": total if row["status"] in PAID_LIKE else 0, "cancelled": row["cancelled_amount"],
            "cancelledTaxFree": row["cancelled_tax_free"]}


def _optional_fields(row):
    """The Payment fields an attempt has only when it was asked for them: channel, method, customData, ..."""
    out = {}
    channel = channels().get(row["channel_key"])
    if channel:
        out["channel"] = channel
    if row["method"]:
        out["method"] = json.loads(row["method"])
    if row["custom_data"] is not None:
        out["customData"] = row["custom_data"]
    if row["products"]:
        products = json.loads(row["products"])
        out.update(products=products, productCount=len(products))
    if row["country"]:
        out["country"] = row["country"]
    if row["is_escrow"]:
        out["escrow"] = {"status": "BEFORE_REGISTERED"}   # no delivery registered yet
    return out


def _status_fields(row):
    """The Payment fields its status carries: pgTxId, paidAt and cancellations, cancelledAt, failure."""
    status, out = row["status"], {}
    if status in PAID_LIKE or status in ("VIRTUAL_ACCOUNT_ISSUED", "PAY_PENDING"):
        out["pgTxId"] = row["pg_tx_id"]
    if status in PAID_LIKE:
        out["paidAt"] = rfc3339(row["paid_at"])
        out["cancellations"] = json.loads(row["cancellations"])
    if status == "PAID":
        out.update(disputes=[], pgResponse=json.dumps({"status": "DONE"}))
    if status in ("PARTIAL_CANCELLED", "CANCELLED"):
        out["cancelledAt"] = rfc3339(row["cancelled_at"])
    if status == "FAILED":
        out.update(failedAt=rfc3339(row["failed_at"]), failure=json.loads(row["failure"]))
    return out


def to_api(row, with_webhooks=True):
    """The Payment object of this attempt's status, with the fields that status carries."""
    out = {
        "status": row["status"], "id": row["payment_id"], "transactionId": row["tx_id"], "merchantId": MERCHANT_ID,
        "storeId": row["store_id"], "version": "V2",
        "requestedAt": rfc3339(row["requested_at"]), "updatedAt": rfc3339(row["updated_at"]),
        "statusChangedAt": rfc3339(row["status_changed_at"]), "orderName": row["order_name"],
        "amount": _amount(row), "currency": row["currency"], "customer": json.loads(row["customer"]),
        "origin": {k: v for k, v in {"platformType": row["platform"], "ipAddress": row["ip_address"],
                                     "userAgent": row["user_agent"], "url": row["page_url"]}.items() if v},
        "isCulturalExpense": bool(row["is_cultural"]),
    }
    out.update(_optional_fields(row))
    if with_webhooks:
        out["webhooks"] = webhook_log(row["payment_id"])
    out.update(_status_fields(row))
    return out


def to_transaction(row):
    """One attempt as PaymentTransaction: the payment object of its status, its own id, the paymentId."""
    out = to_api(row, with_webhooks=False)
    for name in ("transactionId", "origin", "disputes"):
        out.pop(name, None)
    if row["status"] == "PAID":
        out.pop("cancellations")
    out.update(id=row["tx_id"], paymentId=row["payment_id"])
    return out


def search(f):
    """Every payment's shown attempt matching the GET /payments filter f (already validated), sorted."""
    ts_column = "status_changed_at" if f.get("timestampType") == "STATUS_CHANGED_AT" else "requested_at"
    statuses = {"PAY_PENDING" if s == "PENDING" else s for s in f.get("status") or []}
    channel_types = {k: c["type"] for k, c in channels().items()}
    out = []
    for row in all_current():
        if (f.get("storeId") and row["store_id"] != f["storeId"]
                or statuses and row["status"] not in statuses
                or f.get("methods") and row["pay_method"] not in f["methods"]
                or "isTest" in f and (channel_types.get(row["channel_key"]) == "TEST") != f["isTest"]
                or f.get("currency") and row["currency"] != f["currency"]
                or f.get("version") and f["version"] != "V2"
                or f.get("pgProvider") and "TOSSPAYMENTS" not in f["pgProvider"]
                or "from" in f and row[ts_column] < f["from"]
                or "until" in f and row[ts_column] >= f["until"]):
            continue
        out.append(row)
    key = "status_changed_at" if f.get("sortBy") == "STATUS_CHANGED_AT" else "requested_at"
    out.sort(key=lambda r: r[key], reverse=f.get("sortOrder", "DESC") == "DESC")
    return out


def recent(limit=50):
    return sorted(all_current(), key=lambda r: r["requested_at"], reverse=True)[:limit]


# --- payments: writes ----------------------------------------------------------------------------

def create(fields):
    """Insert an attempt in status READY (the window is opening); webhook Transaction.Ready. Returns the row."""
    t = now()
    row = dict(fields, tx_id=str(uuid.uuid4()), status="READY", requested_at=t, updated_at=t, status_changed_at=t)
    with db.transaction() as conn:
        conn.execute(f"INSERT INTO portone_v2_transactions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                     list(row.values()))
    row = transaction(row["tx_id"])
    notify(row)
    return row


def _update(tx_id, changes, only_status=None, unless_paid=False):
    """Apply changes; with only_status, only while the attempt is in that status; with unless_paid, only while
    no attempt of its paymentId is paid (one statement, so two attempts never both pay). True if applied."""
    sets = ", ".join(f"{k} = ?" for k in changes)
    sql, args = f"UPDATE portone_v2_transactions SET {sets} WHERE tx_id = ?", [*changes.values(), tx_id]
    if only_status:
        sql += " AND status = ?"
        args.append(only_status)
    if unless_paid:
        sql += (" AND NOT EXISTS (SELECT 1 FROM portone_v2_transactions AS other WHERE other.payment_id ="
                " portone_v2_transactions.payment_id AND other.status IN ('PAID', 'PARTIAL_CANCELLED', 'CANCELLED'))")
    with db.transaction() as conn:
        return conn.execute(sql, args).rowcount == 1


def claim_window(tx_id):
    """The window's one decision: True for the first caller while the attempt is READY."""
    with db.transaction() as conn:
        cur = conn.execute("UPDATE portone_v2_transactions SET window_state = 'decided' WHERE tx_id = ?"
                           " AND window_state = 'open' AND status = 'READY'", (tx_id,))
    return cur.rowcount == 1


def _pg_tx_id(t):
    return f"tgen_{datetime.fromtimestamp(t, KST):%Y%m%d%H%M%S}{secrets.token_hex(4)}"


def _method(row, card_code, t):
    kind = row["pay_method"]
    if kind == "CARD":
        code, name, bin6 = next((c for c in CARDS if c[0] == card_code), CARDS[0])
        return {"type": "PaymentMethodCard", "card": {"publisher": code, "issuer": code, "brand": "LOCAL",
                                                      "type": "CREDIT", "ownerType": "PERSONAL", "bin": bin6,
                                                      "name": name, "number": f"{bin6}******{_digits(3)}*"},
                "approvalNumber": _digits(8), "installment": {"month": 0, "isInterestFree": False},
                "pointUsed": False}
    if kind == "VIRTUAL_ACCOUNT":
        return {"type": "PaymentMethodVirtualAccount", "bank": VA_BANK, "accountNumber": "X" + _digits(13),
                "accountType": "NORMAL", "remitteeName": current_app.config["EMULATOR_PORTONE_MERCHANT_NAME"],
                "expiredAt": rfc3339(t + VA_DAYS * 86400), "issuedAt": rfc3339(t)}
    if kind == "TRANSFER":
        return {"type": "PaymentMethodTransfer", "bank": TRANSFER_BANK}
    if kind == "MOBILE":
        phone = json.loads(row["customer"]).get("phoneNumber") or "01000000000"
        return {"type": "PaymentMethodMobile", "phoneNumber": phone}
    return {"type": "PaymentMethodEasyPay", "provider": row["easy_pay_provider"] or "KAKAOPAY"}


def approve(tx_id, card_code=None):
    """The buyer approved in the window: PAID, VIRTUAL_ACCOUNT_ISSUED (virtual account), or, for a manual
    confirm (confirmUrl), still READY with a paymentToken and a Transaction.Confirm to the confirmUrl."""
    row, t = transaction(tx_id), now()
    changes = {"method": json.dumps(_method(row, card_code, t), ensure_ascii=False), "updated_at": t}
    if row["pay_method"] == "VIRTUAL_ACCOUNT":
        changes.update(status="VIRTUAL_ACCOUNT_ISSUED", status_changed_at=t, pg_tx_id=_pg_tx_id(t))
    elif row["confirm_url"]:
        changes.update(payment_token="ptk_" + secrets.token_urlsafe(24))
    else:
        changes.update(status="PAID", status_changed_at=t, paid_at=t, pg_tx_id=_pg_tx_id(t))
    if not _update(tx_id, changes, unless_paid=True):   # another attempt of this paymentId was paid meanwhile
        return _already_paid(tx_id)
    row = transaction(tx_id)
    if row["payment_token"]:
        send_confirm(row)
    else:
        notify(row)
    return row


def _already_paid(tx_id):
    return fail(tx_id, "이미 결제가 완료된 결제 건입니다.", "PaymentAlreadyPaid", "이미 결제가 완료되었습니다.")


def pend(tx_id, card_code=None):
    """The buyer approved but the PG answers later: PAY_PENDING, webhook Transaction.PayPending."""
    row, t = transaction(tx_id), now()
    if not _update(tx_id, {"status": "PAY_PENDING", "status_changed_at": t, "updated_at": t,
                           "pg_tx_id": _pg_tx_id(t), "method": json.dumps(_method(row, card_code, t),
                                                                           ensure_ascii=False)}, unless_paid=True):
        return _already_paid(tx_id)
    row = transaction(tx_id)
    notify(row)
    return row


def settle_pending(tx_id):
    """The PG's late approval of a PAY_PENDING attempt: PAID, webhook (trigger ASYNC_PAY_APPROVED). None if
    the attempt is not pending or its paymentId was paid meanwhile."""
    t = now()
    if not _update(tx_id, {"status": "PAID", "status_changed_at": t, "paid_at": t, "updated_at": t},
                   only_status="PAY_PENDING", unless_paid=True):
        return None
    row = transaction(tx_id)
    notify(row, trigger="ASYNC_PAY_APPROVED")
    return row


def confirm(tx_id):
    """The merchant confirmed (POST /payments/{id}/confirm): READY -> PAID, webhook. False if it raced."""
    t = now()
    done = _update(tx_id, {"status": "PAID", "status_changed_at": t, "paid_at": t, "updated_at": t,
                           "pg_tx_id": _pg_tx_id(t), "payment_token": None}, only_status="READY", unless_paid=True)
    if done:
        notify(transaction(tx_id))
    return done


def fail(tx_id, reason, pg_code, pg_message):
    """The PG declined: FAILED with the failure; webhook Transaction.Failed."""
    t = now()
    _update(tx_id, {"status": "FAILED", "status_changed_at": t, "failed_at": t, "updated_at": t,
                    "failure": json.dumps({"reason": reason, "pgCode": pg_code, "pgMessage": pg_message},
                                          ensure_ascii=False)})
    row = transaction(tx_id)
    notify(row)
    return row


def deposit(tx_id):
    """Money arrived on an issued virtual account: PAID, webhook (trigger VIRTUAL_ACCOUNT_DEPOSIT). None if not
    depositable."""
    row, t = transaction(tx_id), now()
    if row is None:
        return None
    method = json.loads(row["method"] or "{}")
    method["remitterName"] = json.loads(row["customer"]).get("name") or "홍길동"
    if not _update(tx_id, {"status": "PAID", "status_changed_at": t, "paid_at": t, "updated_at": t,
                           "method": json.dumps(method, ensure_ascii=False)}, only_status="VIRTUAL_ACCOUNT_ISSUED",
                   unless_paid=True):
        return None
    row = transaction(tx_id)
    notify(row, trigger="VIRTUAL_ACCOUNT_DEPOSIT")
    return row


def _cancellable(conn, payment_id):
    """The attempt a cancel applies to: the payment's shown attempt, which must be paid and not all cancelled."""
    rows = conn.execute("SELECT * FROM portone_v2_transactions WHERE payment_id = ?"
                        " ORDER BY requested_at, rowid", (payment_id,)).fetchall()
    row = _current(rows)
    if row is None:
        raise Refused("PAYMENT_NOT_FOUND", "결제 건이 존재하지 않습니다.")
    if row["status"] == "CANCELLED":
        raise Refused("PAYMENT_ALREADY_CANCELLED", "결제가 이미 취소되었습니다.")
    if row["status"] not in PAID_LIKE:
        raise Refused("PAYMENT_NOT_PAID", "결제가 완료되지 않았습니다.")
    return row


def _cancel_amounts(row, body):
    """(amount, taxFree, vat) this cancel takes, checked against what is left to cancel and against each other."""
    left = row["total_amount"] - row["cancelled_amount"]
    left_tax_free = row["tax_free_amount"] - row["cancelled_tax_free"]
    left_vat = vat_of(row["total_amount"], row["tax_free_amount"], row["vat_amount"]) - row["cancelled_vat"]
    asked = body.get("amount", left)
    if "currentCancellableAmount" in body and body["currentCancellableAmount"] != left:
        raise Refused("CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
                      f"취소 가능 잔액 검증에 실패했습니다. (요청: {body['currentCancellableAmount']},"
                      f" 실제: {left})")
    if asked > left:
        raise Refused("CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT",
                      f"결제 취소 금액({asked})이 취소 가능 금액({left})을 초과합니다.")
    tax_free = body.get("taxFreeAmount", left_tax_free if asked == left else 0)
    if tax_free > left_tax_free:
        raise Refused("CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT",
                      "취소 면세 금액이 취소 가능한 면세 금액을 초과합니다.")
    vat = body.get("vatAmount", left_vat if asked == left else vat_of(asked, tax_free))
    if vat > left_vat:
        raise Refused("CANCEL_TAX_AMOUNT_EXCEEDS_CANCELLABLE_TAX_AMOUNT",
                      "취소 과세 금액이 취소 가능한 과세 금액을 초과합니다.")
    if tax_free + vat > asked:
        raise Refused("SUM_OF_PARTS_EXCEEDS_CANCEL_AMOUNT", "면세 금액 등 하위 항목들의 합이 전체 취소 금액을 초과합니다.")
    return asked, tax_free, vat


def _save_cancellation(conn, row, cancellation, t):
    """Add the cancellation to the attempt: its cancelled sums, its list, and CANCELLED once all is cancelled."""
    total = row["cancelled_amount"] + cancellation["totalAmount"]
    status = "CANCELLED" if total >= row["total_amount"] else "PARTIAL_CANCELLED"
    conn.execute("UPDATE portone_v2_transactions SET status = ?, cancelled_amount = ?,"
                 " cancelled_tax_free = ?, cancelled_vat = ?, cancellations = ?, cancelled_at = ?,"
                 " status_changed_at = ?, updated_at = ? WHERE tx_id = ?",
                 (status, total, row["cancelled_tax_free"] + cancellation["taxFreeAmount"],
                  row["cancelled_vat"] + cancellation["vatAmount"],
                  json.dumps(json.loads(row["cancellations"]) + [cancellation], ensure_ascii=False),
                  t, t, t, row["tx_id"]))


def cancel(payment_id, body, trigger="API"):
    """Cancel all or part of a paid payment. body: the validated request. Returns the cancellation; raises
    Refused(type, message)."""
    t = now()
    with db.transaction() as conn:
        row = _cancellable(conn, payment_id)
        asked, tax_free, vat = _cancel_amounts(row, body)
        if row["pay_method"] == "VIRTUAL_ACCOUNT" and not body.get("refundAccount"):
            raise Refused("INVALID_REQUEST", "가상계좌 결제 취소 시 환불 계좌 정보(refundAccount)가 필요합니다.")
        cancellation = {"status": "SUCCEEDED", "id": str(uuid.uuid4()),
                        "pgCancellationId": _pg_tx_id(t), "totalAmount": asked, "taxFreeAmount": tax_free,
                        "vatAmount": vat, "reason": body["reason"], "cancelledAt": rfc3339(t),
                        "requestedAt": rfc3339(t), "trigger": trigger}
        _save_cancellation(conn, row, cancellation, t)
    if not body.get("skipWebhook"):
        notify(transaction(row["tx_id"]), cancellation_id=cancellation["id"])
    return cancellation


# --- pre-registered amounts ----------------------------------------------------------------------

def preregistered(payment_id):
    return db.get_db().execute("SELECT * FROM portone_v2_preregs WHERE payment_id = ?", (payment_id,)).fetchone()


def preregister(payment_id, body):
    """Register (or replace) the amount a later requestPayment must ask for."""
    with db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO portone_v2_preregs (payment_id, store_id, total_amount,"
                     " tax_free_amount, currency, created_at) VALUES (?,?,?,?,?,?)",
                     (payment_id, body.get("storeId") or store_id(), body.get("totalAmount"),
                      body.get("taxFreeAmount"), body.get("currency"), now()))


# --- webhooks ------------------------------------------------------------------------------------

def _body(row, cancellation_id=None):
    """The webhook body in the configured version: 2024-04-25 (current) or 2024-01-01 (legacy)."""
    if current_app.config["EMULATOR_PORTONE_V2_WEBHOOK_VERSION"] == "2024-01-01":
        return {"payment_id": row["payment_id"], "tx_id": row["tx_id"], "status": LEGACY_STATUS[row["status"]]}
    data = {"storeId": row["store_id"], "paymentId": row["payment_id"], "transactionId": row["tx_id"]}
    if cancellation_id:
        data["cancellationId"] = cancellation_id
    return {"type": EVENTS[row["status"]], "timestamp": rfc3339(now()), "data": data}


def webhook_urls(row):
    urls = json.loads(row["notice_urls"])
    return urls or [u for u in [current_app.config["EMULATOR_PORTONE_V2_WEBHOOK_URL"]] if u]


def webhook_id(delivery):
    """A webhook's id (PaymentWebhook.id and the webhook-id header), from its delivery row: the same for every
    attempt and for a copy a duplicate fault makes; a resend is a new webhook."""
    seed = f"{delivery['payment_ref']}|{delivery['url']}|{delivery['created_at']!r}|{delivery['body']}"
    return "whk_" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _enqueue(row, url, event, body, trigger=None, resent_from=None):
    delivery_id = webhooks.enqueue("portone_v2", event, row["payment_id"], url, body, schedule=WEBHOOK_RETRIES)
    conn = db.get_db()
    webhook = webhook_id(conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone())
    with db.transaction() as conn:
        conn.execute("INSERT INTO portone_v2_webhooks (delivery_id, webhook_id, payment_id, tx_id, payment_status,"
                     " trigger, resent_from, created_at) VALUES (?,?,?,?,?,?,?,?)",
                     (delivery_id, webhook, row["payment_id"], row["tx_id"], row["status"], trigger,
                      resent_from, now()))
    return webhook


def notify(row, cancellation_id=None, trigger=None):
    """The webhook of this attempt's new status, to the request's noticeUrls or else the console URL."""
    body = _body(row, cancellation_id)
    for url in webhook_urls(row):
        _enqueue(row, url, body.get("type") or body["status"], body, trigger)


def send_confirm(row):
    """Confirm process: Transaction.Confirm (signed, like every webhook) to the request's confirmUrl."""
    body = {"type": "Transaction.Confirm", "timestamp": rfc3339(now()),
            "data": {"storeId": row["store_id"], "paymentId": row["payment_id"], "transactionId": row["tx_id"],
                     "totalAmount": row["total_amount"]}}
    _enqueue(row, row["confirm_url"], "Transaction.Confirm", body)


def resend(payment_id, wanted=None):
    """POST /payments/{id}/resend-webhook: repeat one webhook (default: the newest). Returns its new id."""
    conn = db.get_db()
    sql = "SELECT w.*, d.url, d.body, d.event FROM portone_v2_webhooks w JOIN deliveries d ON d.id = w.delivery_id" \
          " WHERE w.payment_id = ?"
    args = [payment_id]
    if wanted:
        sql += " AND w.webhook_id = ?"
        args.append(wanted)
    original = conn.execute(sql + " ORDER BY w.delivery_id DESC LIMIT 1", args).fetchone()
    if original is None:
        raise Refused("WEBHOOK_NOT_FOUND", "웹훅 내역이 존재하지 않습니다.")
    root = original["resent_from"] or original["webhook_id"]
    count = conn.execute("SELECT COUNT(*) FROM portone_v2_webhooks WHERE resent_from = ?", (root,)).fetchone()[0]
    if count >= MAX_MANUAL_RESENDS:
        raise Refused("MAX_WEBHOOK_RETRY_COUNT_REACHED", "동일한 웹훅에 대한 수동 재시도 횟수가 최대에 도달했습니다.")
    row = {"payment_id": payment_id, "tx_id": original["tx_id"], "status": original["payment_status"]}
    return _enqueue(row, original["url"], original["event"], json.loads(original["body"]), "MANUAL", root)


def webhook_log(payment_id):
    """Payment.webhooks: every webhook of the payment with its last request and answer."""
    conn = db.get_db()
    out = []
    for w in conn.execute("SELECT w.*, d.url, d.body, d.status AS delivery_status, d.attempts, d.created_at AS"
                          " queued_at FROM portone_v2_webhooks w JOIN deliveries d ON d.id = w.delivery_id"
                          " WHERE w.payment_id = ? ORDER BY w.delivery_id", (payment_id,)):
        item = {"id": w["webhook_id"], "url": w["url"], "paymentStatus": w["payment_status"],
                "isAsync": w["trigger"] in ("VIRTUAL_ACCOUNT_DEPOSIT", "ASYNC_PAY_APPROVED"),
                "currentExecutionCount": w["attempts"], "maxExecutionCount": len(WEBHOOK_RETRIES) + 1,
                "triggeredAt": rfc3339(w["queued_at"])}
        if w["trigger"]:
            item["trigger"] = w["trigger"]
        last = conn.execute("SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY id DESC LIMIT 1",
                            (w["delivery_id"],)).fetchone()
        if last is not None:
            item["request"] = {"body": w["body"], "requestedAt": rfc3339(last["at"])}
            if last["status_code"] is None:
                item["status"] = "FAILED_UNEXPECTED_ERROR"
            else:
                item["status"] = "SUCCEEDED" if 200 <= last["status_code"] < 300 else "FAILED_NOT_OK_RESPONSE"
                item["response"] = {"code": str(last["status_code"]), "header": "", "body": last["response"] or "",
                                    "respondedAt": rfc3339(last["at"])}
        out.append(item)
    return out


def sign(delivery, text, config):
    """Standard Webhooks headers for one attempt: the id is the webhook's, the timestamp the real time of
    sending (a receiver checks it against its own clock), one v1 signature per active secret."""
    msg_id = webhook_id(delivery)
    moment = datetime.fromtimestamp(int(time.time()), timezone.utc)
    signatures = []
    for secret in (config["EMULATOR_PORTONE_V2_WEBHOOK_SECRET"], config.get("EMULATOR_PORTONE_V2_WEBHOOK_SECRET_2")):
        try:
            signatures.append(Webhook(secret).sign(msg_id, moment, text))
        except (ValueError, EmptyWebhookSecretError):   # unset, or not whsec_<base64>: not an active secret
            pass
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": " ".join(signatures)}
