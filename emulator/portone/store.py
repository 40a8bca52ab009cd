"""Writes and reads of the emulated PortOne's tables: tokens, payments, pre-registrations, billing keys, webhooks."""
import json
import secrets
import string
from datetime import datetime, timedelta, timezone

from flask import current_app

from .. import clock, db, links, webhooks

KST = timezone(timedelta(hours=9))
TOKEN_LIFETIME = 30 * 60
EXTEND_WHEN_UNDER = 60
EXTENSION = 5 * 60
WEBHOOK_RETRIES = [1, 1, 1, 1, 1]       # documented: up to 5 retries, 1 minute apart

STATUSES = ("ready", "paid", "failed", "cancelled")
# PortOne's parameter reference says merchant_uid <= 40 characters, but its own integration guide builds
# `payment-${crypto.randomUUID()}` (44). The emulator accepts what the guide uses, up to this length.
MERCHANT_UID_MAX = 80
SORTS = {
    "-started": "started_at DESC, rowid DESC", "started": "started_at ASC, rowid ASC",
    "-paid": "paid_at DESC, rowid DESC", "paid": "paid_at ASC, rowid ASC",
    "-updated": "updated_at DESC, rowid DESC", "updated": "updated_at ASC, rowid ASC",
}

# (code, name, BIN) of the cards the hosted window offers; PortOne's card codes.
CARDS = [
    ("366", "신한카드", "451842"), ("381", "KB국민카드", "944603"), ("365", "삼성카드", "536181"),
    ("367", "현대카드", "433470"), ("361", "BC카드", "940915"), ("368", "롯데카드", "467309"),
    ("371", "NH카드", "546252"), ("041", "우리카드", "515594"), ("044", "하나카드", "404825"),
]
BANKS = {"004": "KB국민은행", "088": "신한은행", "020": "우리은행", "011": "NH농협은행", "081": "하나은행"}
VBANK_CODE = "004"
TRANS_BANK_CODE = "088"

# pg_provider -> the test MID the real test channels use, and the pg_tid flavour.
PG_IDS = {"html5_inicis": "INIpayTest", "inicis": "INIpayTest", "kcp": "T0000", "nice": "nictest00m",
          "nice_v2": "nictest00m", "tosspayments": "tosstest", "kicc": "T5102001", "danal": "A010002002",
          "danal_tpay": "9810030929", "ksnet": "2999199999", "smartro_v2": "t_2309011m", "uplus": "tlgdacomxpay"}
INICIS_METHOD = {"card": "CARD", "samsung": "CARD", "trans": "DBNK", "vbank": "VBNK", "phone": "HPP"}

# The store's channels, as the console lists them (GET /users/pg; channelKey picks one). Every one is a
# test channel (sandbox). type: payment = the window (인증결제), api_payment = key-in/billing by API.
CHANNELS = [
    {"pg_provider": "html5_inicis", "pg_id": "INIpayTest", "sandbox": True, "type": "payment",
     "channel_name": "KG이니시스 테스트", "channel_key": "channel-key-3f0b5b3e-8a55-4c1e-9d1c-6e0d1a2b0001"},
    {"pg_provider": "kcp", "pg_id": "T0000", "sandbox": True, "type": "payment",
     "channel_name": "NHN KCP 테스트", "channel_key": "channel-key-3f0b5b3e-8a55-4c1e-9d1c-6e0d1a2b0002"},
    {"pg_provider": "nice", "pg_id": "nictest00m", "sandbox": True, "type": "payment",
     "channel_name": "나이스페이먼츠 테스트", "channel_key": "channel-key-3f0b5b3e-8a55-4c1e-9d1c-6e0d1a2b0003"},
    {"pg_provider": "tosspayments", "pg_id": "tosstest", "sandbox": True, "type": "payment",
     "channel_name": "토스페이먼츠 테스트", "channel_key": "channel-key-3f0b5b3e-8a55-4c1e-9d1c-6e0d1a2b0004"},
    {"pg_provider": "html5_inicis", "pg_id": "INIBillTst", "sandbox": True, "type": "api_payment",
     "channel_name": "KG이니시스 정기결제 테스트", "channel_key": "channel-key-3f0b5b3e-8a55-4c1e-9d1c-6e0d1a2b0005"},
]
BILLING_CHANNEL = CHANNELS[-1]
# The PGs whose test card payments the PG itself cancels before midnight (the others only simulate approval).
NIGHTLY_PGS = ("html5_inicis", "inicis", "nice", "nice_v2", "smartro", "smartro_v2", "settle", "danal_tpay",
               "mobilians")
NIGHTLY_AT = (23, 30)   # KST
ALREADY_CANCELLED = {"html5_inicis": "결제취소에 실패하였습니다. [500626|기 취소 거래]",
                     "inicis": "결제취소에 실패하였습니다. [500626|기 취소 거래]"}
# Amounts the emulated card company refuses when a payment is made over the API (billing):
# ends in 01 / 02 / 03 won.
API_DECLINES = {1: "[PG사 오류] 잔액이 부족합니다. (카드사 응답코드: 51)",
                2: "[PG사 오류] 카드사에서 승인을 거절하였습니다. (카드사 응답코드: 05)",
                3: "[PG사 오류] 유효하지 않은 카드입니다. (카드사 응답코드: 14)"}


def channel_by_key(key):
    return next((c for c in CHANNELS if c["channel_key"] == key), None)


class Refused(Exception):
    """A business refusal the real API answers with HTTP 200 and code 1; args[0] is its message."""


def now():
    return int(clock.now())


def _digits(n):
    return "".join(secrets.choice(string.digits) for _ in range(n))


def num(x):
    """A money value as the API shows it: 1000, not 1000.0."""
    return int(x) if float(x).is_integer() else x


def kst_text(ts):
    """UNIX s as Korean local time, as PG receipts print it."""
    return datetime.fromtimestamp(ts, KST).strftime("%Y-%m-%d %H:%M:%S")


def _kst_stamp(ts):
    return datetime.fromtimestamp(ts, KST).strftime("%Y%m%d%H%M%S")


# --- access tokens -------------------------------------------------------------------------

def issue_token(imp_key):
    """The V1 rules: the same token while valid, +5 min when under a minute is left, else a new one."""
    t = now()
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM portone_tokens WHERE imp_key = ? AND expired_at > ?"
                           " ORDER BY expired_at DESC LIMIT 1", (imp_key, t)).fetchone()
        if row is None:
            token, expired_at = secrets.token_hex(20), t + TOKEN_LIFETIME
            conn.execute("INSERT INTO portone_tokens (access_token, imp_key, issued_at, expired_at)"
                         " VALUES (?,?,?,?)", (token, imp_key, t, expired_at))
        else:
            token, expired_at = row["access_token"], row["expired_at"]
            if expired_at - t < EXTEND_WHEN_UNDER:
                expired_at += EXTENSION
                conn.execute("UPDATE portone_tokens SET expired_at = ? WHERE access_token = ?",
                             (expired_at, token))
    return {"access_token": token, "now": t, "expired_at": expired_at}


_expiry_seen = {}   # (database, access token) -> the latest expired_at this process read for it


def token_valid(token):
    """Valid until its expired_at on the emulator clock. A token's expiry only ever moves later, so a
    time already read is enough while it lies ahead; the table is read again only past it."""
    t = now()
    seen = (current_app.config["EMULATOR_DATABASE"], token)
    if _expiry_seen.get(seen, 0) > t:
        return True
    row = db.get_db().execute("SELECT expired_at FROM portone_tokens WHERE access_token = ?", (token,)).fetchone()
    if row is None:
        return False
    if len(_expiry_seen) > 1000:
        _expiry_seen.clear()
    _expiry_seen[seen] = row["expired_at"]
    return row["expired_at"] > t


# --- payments: reads -----------------------------------------------------------------------

def get(imp_uid):
    return db.get_db().execute("SELECT * FROM portone_payments WHERE imp_uid = ?", (imp_uid,)).fetchone()


def by_merchant_uid(merchant_uid, status=None, sorting="-started"):
    """Every payment with that merchant_uid (optionally in one status), in the given order."""
    sql, args = "SELECT * FROM portone_payments WHERE merchant_uid = ?", [merchant_uid]
    if status:
        sql += " AND status = ?"
        args.append(status)
    return db.get_db().execute(f"{sql} ORDER BY {SORTS.get(sorting, SORTS['-started'])}", args).fetchall()


def by_status(status, since, until, sorting, limit, offset):
    """(total, rows) of one status (or 'all') whose time of that status lies in [since, until]."""
    column = {"all": "started_at", "ready": "started_at", "paid": "paid_at", "failed": "failed_at",
              "cancelled": "cancelled_at"}[status]
    where, args = f"{column} BETWEEN ? AND ?", [since, until]
    if status != "all":
        where += " AND status = ?"
        args.append(status)
    conn = db.get_db()
    total = conn.execute(f"SELECT COUNT(*) FROM portone_payments WHERE {where}", args).fetchone()[0]
    rows = conn.execute(f"SELECT * FROM portone_payments WHERE {where} ORDER BY "
                        f"{SORTS.get(sorting, SORTS['-started'])} LIMIT ? OFFSET ?",
                        [*args, limit, offset]).fetchall()
    return total, rows


def recent(limit=50):
    return db.get_db().execute("SELECT * FROM portone_payments ORDER BY started_at DESC, rowid DESC LIMIT ?",
                               (limit,)).fetchall()


def merchant_uid_paid(merchant_uid):
    return db.get_db().execute("SELECT 1 FROM portone_payments WHERE merchant_uid = ? AND status = 'paid'",
                               (merchant_uid,)).fetchone() is not None


def receipt_url(imp_uid):
    """The card slip (매출전표) page; at the real PortOne it lives on the PG's own site."""
    return links.external("portone.slip", imp_uid=imp_uid)


def to_api(row):
    """The V1 Payment object (PaymentAnnotation): every documented field, 0 for what has not happened."""
    history = json.loads(row["cancel_history"])
    paid = row["paid_at"] != 0
    card = row["card_code"] is not None
    return {
        "imp_uid": row["imp_uid"], "merchant_uid": row["merchant_uid"], "pay_method": row["pay_method"],
        "channel": row["channel"], "pg_provider": row["pg_provider"], "emb_pg_provider": row["emb_pg_provider"],
        "pg_tid": row["pg_tid"], "pg_id": row["pg_id"], "escrow": bool(row["escrow"]),
        "apply_num": row["apply_num"], "bank_code": row["bank_code"], "bank_name": row["bank_name"],
        "card_code": row["card_code"], "card_name": row["card_name"],
        "card_issuer_code": row["card_code"] if card else None,
        "card_issuer_name": row["card_name"] if card else None,
        "card_publisher_code": row["card_code"] if card else None,
        "card_publisher_name": row["card_name"] if card else None,
        "card_quota": row["card_quota"], "card_number": row["card_number"], "card_type": row["card_type"],
        "vbank_code": row["vbank_code"], "vbank_name": row["vbank_name"], "vbank_num": row["vbank_num"],
        "vbank_holder": row["vbank_holder"], "vbank_date": row["vbank_date"],
        "vbank_issued_at": row["vbank_issued_at"],
        "name": row["name"], "amount": row["amount"], "cancel_amount": row["cancel_amount"],
        "currency": row["currency"], "buyer_name": row["buyer_name"], "buyer_email": row["buyer_email"],
        "buyer_tel": row["buyer_tel"], "buyer_addr": row["buyer_addr"], "buyer_postcode": row["buyer_postcode"],
        "custom_data": row["custom_data"], "user_agent": row["user_agent"], "status": row["status"],
        "started_at": row["started_at"], "paid_at": row["paid_at"], "failed_at": row["failed_at"],
        "cancelled_at": row["cancelled_at"], "fail_reason": row["fail_reason"],
        "cancel_reason": row["cancel_reason"],
        "receipt_url": receipt_url(row["imp_uid"]) if paid else None,
        "cancel_history": [{**c, "receipt_url": receipt_url(row["imp_uid"])} for c in history],
        "cancel_receipt_urls": [receipt_url(row["imp_uid"]) for _ in history],
        "cash_receipt_issued": row["cash_receipt"] is not None, "customer_uid": row["customer_uid"],
        "customer_uid_usage": row["customer_uid_usage"], "promotion": None,
        "sandbox": True,    # every emulated channel is a test channel
    }


# --- payments: writes ----------------------------------------------------------------------

def create(fields):
    """Insert a payment in status ready (the window is opening). Returns the row."""
    t = now()
    pg = fields.pop("pg", None) or "html5_inicis"
    provider, _, mid = pg.partition(".")
    row = dict({"pg_provider": provider, "pg_id": mid or PG_IDS.get(provider, "emulator")}, **fields,
               status="ready", started_at=t, updated_at=t)
    with db.transaction() as conn:
        while True:
            row["imp_uid"] = "imp_" + _digits(12)
            taken = conn.execute("SELECT 1 FROM portone_payments WHERE imp_uid = ?", (row["imp_uid"],)).fetchone()
            if taken is None:
                break
        cols = ", ".join(row)
        conn.execute(f"INSERT INTO portone_payments ({cols}) VALUES ({', '.join('?' * len(row))})",
                     list(row.values()))
    return get(row["imp_uid"])


def _pg_tid(row, t):
    if row["pg_provider"] in ("html5_inicis", "inicis"):
        return f"Stdpay{INICIS_METHOD.get(row['pay_method'], 'CARD')}{row['pg_id']}{_kst_stamp(t)}{_digits(6)}"
    if row["pg_provider"] == "kcp":
        return _digits(14)
    return f"{row['pg_id']}{_kst_stamp(t)}{_digits(6)}"


def _vbank_date(due, issued_at):
    """vbank_due (YYYY-MM-DD, YYYYMMDD, with or without HH:mm:ss, KST) as UNIX s; else issued + 3 days."""
    if due:
        digits = "".join(ch for ch in str(due) if ch.isdigit())
        for fmt, size in (("%Y%m%d%H%M%S", 14), ("%Y%m%d", 8)):
            if len(digits) == size:
                moment = datetime.strptime(digits, fmt).replace(tzinfo=KST)
                if size == 8:
                    moment += timedelta(hours=23, minutes=59, seconds=59)
                return int(moment.timestamp())
    return issued_at + 3 * 86400


def claim_window(imp_uid):
    """The window's one decision: True for the first caller while the payment is ready."""
    with db.transaction() as conn:
        cur = conn.execute("UPDATE portone_payments SET window_state = 'decided' WHERE imp_uid = ?"
                           " AND window_state = 'open' AND status = 'ready'", (imp_uid,))
    return cur.rowcount == 1


def approve(imp_uid, card_code=None):
    """The buyer approved: paid (card, trans, phone, samsung) or a virtual account issued (vbank, ready)."""
    row, t = get(imp_uid), now()
    changes = {"pg_tid": _pg_tid(row, t), "updated_at": t}
    method = row["pay_method"]
    if method == "vbank":
        changes.update(vbank_code=VBANK_CODE, vbank_name=BANKS[VBANK_CODE], vbank_num="T" + _digits(13),
                       vbank_holder=current_app.config["EMULATOR_PORTONE_MERCHANT_NAME"],
                       vbank_issued_at=t, vbank_date=_vbank_date(row["vbank_due"], t))
    else:
        changes.update(status="paid", paid_at=t)
        if method in ("card", "samsung"):
            code, name, bin6 = next((c for c in CARDS if c[0] == card_code), CARDS[0])
            changes.update(card_code=code, card_name=name, card_number=f"{bin6}******{_digits(3)}*",
                           card_quota=0, card_type=0, apply_num=_digits(8))
        elif method == "trans":
            changes.update(bank_code=TRANS_BANK_CODE, bank_name=BANKS[TRANS_BANK_CODE])
    _update(imp_uid, changes)
    row = get(imp_uid)
    if row["customer_uid"]:
        save_customer(row["customer_uid"], row, {"customer_name": row["buyer_name"], "customer_tel": row["buyer_tel"],
                                                 "customer_email": row["buyer_email"],
                                                 "customer_addr": row["buyer_addr"],
                                                 "customer_postcode": row["buyer_postcode"]})
    notify(row, "vbank_issued" if method == "vbank" else "paid")
    return row


def fail(imp_uid, reason):
    """The PG declined: failed with the reason. The real V1 sends no webhook for this."""
    t = now()
    _update(imp_uid, {"status": "failed", "failed_at": t, "fail_reason": reason, "updated_at": t})
    return get(imp_uid)


def deposit(imp_uid):
    """Money arrived on an issued virtual account: ready -> paid, webhook. None if not depositable."""
    t = now()
    with db.transaction() as conn:
        cur = conn.execute("UPDATE portone_payments SET status = 'paid', paid_at = ?, updated_at = ?"
                           " WHERE imp_uid = ? AND status = 'ready' AND pay_method = 'vbank'"
                           " AND vbank_issued_at > 0", (t, t, imp_uid))
    if cur.rowcount != 1:
        return None
    row = get(imp_uid)
    notify(row, "deposit")
    return row


def _cancellable(conn, imp_uid, merchant_uid):
    """The payment a cancel applies to (by imp_uid, else the merchant_uid's paid one): paid, not cancelled before."""
    if imp_uid:
        row = conn.execute("SELECT * FROM portone_payments WHERE imp_uid = ?", (imp_uid,)).fetchone()
    else:
        row = conn.execute("SELECT * FROM portone_payments WHERE merchant_uid = ? AND status IN"
                           " ('paid', 'cancelled') ORDER BY status = 'paid' DESC, started_at DESC,"
                           " rowid DESC LIMIT 1", (merchant_uid,)).fetchone()
    if row is None or row["status"] in ("ready", "failed"):
        raise Refused("취소할 결제건이 존재하지 않습니다.")
    if row["status"] == "cancelled":
        raise Refused("이미 전액취소된 주문입니다.")
    if row["pg_cancelled_at"]:
        raise Refused(ALREADY_CANCELLED.get(row["pg_provider"], "결제취소에 실패하였습니다. [기 취소 거래]"))
    return row


def _cancel_amount(row, amount, checksum):
    """The amount this cancel takes (all that is left when none is given), checked against what is left."""
    left = row["amount"] - row["cancel_amount"]
    if checksum is not None and checksum != left:
        raise Refused(f"[checksum] 요청하신 취소가능잔액({num(checksum)})이 실제 취소가능잔액({num(left)})과 "
                      f"일치하지 않습니다.")
    asked = amount or left
    if asked < 0 or asked > left:
        raise Refused(f"취소요청금액({num(asked)})이 취소가능잔액({num(left)})보다 큽니다.")
    return asked


def cancel(imp_uid=None, merchant_uid=None, amount=None, checksum=None, reason=None, refund=None,
           event="cancel"):
    """Cancel all or part of a paid payment. Returns (row, cancellation_id); raises Refused."""
    with db.transaction() as conn:
        row = _cancellable(conn, imp_uid, merchant_uid)
        asked = _cancel_amount(row, amount, checksum)
        if row["pay_method"] == "vbank" and not all((refund or {}).get(k) for k in
                                                    ("refund_holder", "refund_bank", "refund_account")):
            raise Refused("가상계좌 환불시에는 환불계좌정보(refund_holder, refund_bank, refund_account)가 "
                          "필요합니다.")
        t = now()
        cancellation_id = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(20))
        history = json.loads(row["cancel_history"]) + [{
            "pg_tid": row["pg_tid"], "amount": asked, "cancelled_at": t, "reason": reason or "",
            "cancellation_id": cancellation_id}]
        total = row["cancel_amount"] + asked
        conn.execute("UPDATE portone_payments SET cancel_amount = ?, status = ?, cancelled_at = ?,"
                     " cancel_reason = ?, cancel_history = ?, updated_at = ? WHERE imp_uid = ?",
                     (total, "cancelled" if total >= row["amount"] else "paid", t, reason,
                      json.dumps(history, ensure_ascii=False), t, row["imp_uid"]))
    row = get(row["imp_uid"])
    notify(row, event, cancellation_id=cancellation_id)
    return row, cancellation_id


def _update(imp_uid, changes):
    sets = ", ".join(f"{k} = ?" for k in changes)
    with db.transaction() as conn:
        conn.execute(f"UPDATE portone_payments SET {sets} WHERE imp_uid = ?", [*changes.values(), imp_uid])


# --- pre-registered amounts ----------------------------------------------------------------

def prepared(merchant_uid):
    return db.get_db().execute("SELECT * FROM portone_prepares WHERE merchant_uid = ?",
                               (merchant_uid,)).fetchone()


def prepare(merchant_uid, amount, currency):
    """Register an amount; False if the merchant_uid was registered before."""
    t = now()
    with db.transaction() as conn:
        cur = conn.execute("INSERT OR IGNORE INTO portone_prepares (merchant_uid, amount, currency,"
                           " created_at, updated_at) VALUES (?,?,?,?,?)", (merchant_uid, amount, currency, t, t))
    return cur.rowcount == 1


def update_prepared(merchant_uid, amount, currency):
    """Change a registered amount; False if there is none."""
    with db.transaction() as conn:
        cur = conn.execute("UPDATE portone_prepares SET amount = ?, currency = ?, updated_at = ?"
                           " WHERE merchant_uid = ?", (amount, currency, now(), merchant_uid))
    return cur.rowcount == 1


# --- webhooks ------------------------------------------------------------------------------

def notify(row, event, cancellation_id=None):
    """V1 webhook {imp_uid, merchant_uid, status} to the request's notice_url(s), else the console URL."""
    urls = json.loads(row["notice_urls"]) or [u for u in [current_app.config.get("EMULATOR_PORTONE_WEBHOOK_URL")]
                                              if u]
    payload = {"imp_uid": row["imp_uid"], "merchant_uid": row["merchant_uid"], "status": row["status"]}
    if cancellation_id:
        payload["cancellation_id"] = cancellation_id
    fmt = "form" if current_app.config.get("EMULATOR_PORTONE_WEBHOOK_FORMAT") == "form" else "json"
    for url in urls:
        webhooks.enqueue("portone", event, row["imp_uid"], url, payload, content_type=fmt,
                         schedule=WEBHOOK_RETRIES)


# --- payments made by the API (billing keys, key-in) -----------------------------------------

def card_for(number):
    """(code, name, masked number) of a test card number: the issuer is picked from its digits."""
    digits = "".join(ch for ch in number if ch.isdigit())
    code, name, _bin = CARDS[int(digits[-4:]) % len(CARDS)]
    return code, name, f"{digits[:6]}******{digits[-4:-1]}*"


def pay_by_api(fields, card, customer_uid=None, usage=None):
    """A billing or key-in payment (channel api): paid, or failed with a reason (amount ending 01-03).

    card = (code, name, masked number). Returns the row; PortOne answers either one with code 0.
    """
    row = create(dict(fields, channel="api", sdk="api", customer_uid=customer_uid, customer_uid_usage=usage))
    t = now()
    decline = API_DECLINES.get(int(row["amount"]) % 100) if float(row["amount"]).is_integer() else None
    changes = {"pg_tid": _pg_tid(row, t), "updated_at": t, "window_state": "decided", "card_code": card[0],
               "card_name": card[1], "card_number": card[2], "card_quota": 0, "card_type": 0}
    if decline:
        changes.update(status="failed", failed_at=t, fail_reason=decline)
    else:
        changes.update(status="paid", paid_at=t, apply_num=_digits(8))
    _update(row["imp_uid"], changes)
    row = get(row["imp_uid"])
    if row["status"] == "paid":
        notify(row, "paid")       # no webhook for a plain failure, as with the window
    return row


# --- billing keys (customer_uid) -----------------------------------------------------------

def customer(customer_uid):
    return db.get_db().execute("SELECT * FROM portone_customers WHERE customer_uid = ?",
                               (customer_uid,)).fetchone()


def save_customer(customer_uid, card_row, extra):
    """Issue (or replace) a billing key. card_row: pg_provider, pg_id, card_code/_name/_number."""
    t = now()
    values = {"customer_uid": customer_uid, "pg_provider": card_row["pg_provider"], "pg_id": card_row["pg_id"],
              "card_code": card_row["card_code"], "card_name": card_row["card_name"],
              "card_number": card_row["card_number"], **extra, "inserted": t, "updated": t}
    cols = ", ".join(values)
    with db.transaction() as conn:
        conn.execute(f"INSERT INTO portone_customers ({cols}) VALUES ({', '.join('?' * len(values))})"
                     " ON CONFLICT (customer_uid) DO UPDATE SET "
                     + ", ".join(f"{k} = excluded.{k}" for k in values if k not in ("customer_uid", "inserted")),
                     list(values.values()))
    return customer(customer_uid)


def delete_customer(customer_uid):
    row = customer(customer_uid)
    if row is not None:
        with db.transaction() as conn:
            conn.execute("DELETE FROM portone_customers WHERE customer_uid = ?", (customer_uid,))
    return row


def to_customer(row):
    """The CustomerAnnotation of a billing key."""
    card = {"card_code": row["card_code"], "card_name": row["card_name"], "card_number": row["card_number"]}
    return {"customer_uid": row["customer_uid"], "pg_provider": row["pg_provider"], "pg_id": row["pg_id"],
            "sandbox": True, **card, "card_type": 0,
            "card_issuer_code": row["card_code"], "card_issuer_name": row["card_name"],
            "card_publisher_code": row["card_code"], "card_publisher_name": row["card_name"],
            "customer_id": row["customer_id"], "customer_name": row["customer_name"],
            "customer_tel": row["customer_tel"], "customer_email": row["customer_email"],
            "customer_addr": row["customer_addr"], "customer_postcode": row["customer_postcode"],
            "inserted": row["inserted"], "updated": row["updated"]}


# --- virtual accounts and cash receipts ----------------------------------------------------

def revoke_vbank(imp_uid):
    """Revoke an issued, unpaid virtual account (DELETE /vbanks): the payment is cancelled. False if not one."""
    t = now()
    with db.transaction() as conn:
        cur = conn.execute("UPDATE portone_payments SET status = 'cancelled', cancelled_at = ?, updated_at = ?,"
                           " cancel_reason = '가상계좌 발급취소' WHERE imp_uid = ? AND status = 'ready'"
                           " AND pay_method = 'vbank' AND vbank_issued_at > 0", (t, t, imp_uid))
    return cur.rowcount == 1


def issue_cash_receipt(row, kind):
    """A cash receipt (현금영수증) for the cash payment's remaining amount. Returns the ReceiptAnnotation."""
    amount = int(row["amount"] - row["cancel_amount"])
    receipt = {"imp_uid": row["imp_uid"], "receipt_tid": _digits(14), "apply_num": _digits(9), "type": kind,
               "amount": amount, "vat": amount // 11, "receipt_url": receipt_url(row["imp_uid"]),
               "applied_at": now(), "cancelled_at": 0}
    _update(row["imp_uid"], {"cash_receipt": json.dumps(receipt), "updated_at": now()})
    return receipt


def revoke_cash_receipt(row):
    receipt = dict(json.loads(row["cash_receipt"]), cancelled_at=now())
    _update(row["imp_uid"], {"cash_receipt": json.dumps(receipt), "updated_at": now()})
    return receipt


# --- settings and the PG's test-mode nightly cancel --------------------------------------------

def setting(name, default=""):
    row = db.get_db().execute("SELECT value FROM portone_settings WHERE name = ?", (name,)).fetchone()
    return default if row is None else row["value"]


def set_setting(name, value):
    with db.transaction() as conn:
        conn.execute("INSERT INTO portone_settings (name, value) VALUES (?, ?)"
                     " ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))


def nightly_due_at(paid_at):
    """The first 23:30 KST at or after paid_at: when the PG cancels that day's test card payments."""
    moment = datetime.fromtimestamp(paid_at, KST)
    cutoff = moment.replace(hour=NIGHTLY_AT[0], minute=NIGHTLY_AT[1], second=0, microsecond=0)
    if cutoff < moment:
        cutoff += timedelta(days=1)
    return int(cutoff.timestamp())


def nightly_sweep():
    """With the switch on: the PG cancels test credit-card payments at 23:30 KST of their day.

    PortOne is not told (its record stays paid, no webhook); the PG's slip shows the cancel, and a
    later cancel through PortOne is refused as already cancelled ("기 취소 거래").
    """
    if setting("nightly_cancel") != "1":
        return
    t = now()
    marks = ",".join("?" * len(NIGHTLY_PGS))
    rows = db.get_db().execute(
        f"SELECT imp_uid, paid_at FROM portone_payments WHERE status = 'paid' AND pay_method = 'card'"
        f" AND card_type = 0 AND pg_cancelled_at = 0 AND paid_at > 0 AND pg_provider IN ({marks})",
        NIGHTLY_PGS).fetchall()
    for r in rows:
        due = nightly_due_at(r["paid_at"])
        if due <= t:
            with db.transaction() as conn:
                conn.execute("UPDATE portone_payments SET pg_cancelled_at = ? WHERE imp_uid = ?"
                             " AND pg_cancelled_at = 0", (due, r["imp_uid"]))
