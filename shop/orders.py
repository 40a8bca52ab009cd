"""The orders table: creating an order and every change of its status (one transition each)."""
import json
import secrets
import time
from datetime import datetime
from enum import StrEnum

import i18n

from .db import get_db, transaction


class Status(StrEnum):
    PENDING = "pending"                    # stored, waiting for the buyer and the PG
    AWAITING_DEPOSIT = "awaiting_deposit"  # virtual account issued, money not in yet
    PAID = "paid"                          # verified with the PG: the money is ours
    FAILED = "failed"                      # declined, closed or expired: no money moved
    CANCELLED = "cancelled"                # paid, then refunded
    FORGED = "forged"                      # the PG's record did not match: cancelled at the PG
    UNKNOWN = "unknown"                    # the PG's answer was lost; reconcile asks again


OPEN = (Status.PENDING, Status.AWAITING_DEPOSIT, Status.UNKNOWN)
FINAL = (Status.PAID, Status.FAILED, Status.CANCELLED, Status.FORGED)


def new_id(now=None):
    """An order id valid for both PGs: 6-64 chars of [A-Za-z0-9_-], at most 40 (merchant_uid)."""
    stamp = datetime.fromtimestamp(now or time.time()).strftime("%Y%m%d-%H%M%S")
    return f"order-{stamp}-{secrets.token_hex(4)}"


def create(pg, quote, *, pay_method="", customer_key="", buyer_name="", buyer_email=""):
    """Store a new pending order for a priced Quote; redeem its single-use coupons. Returns the row.

    Raises sqlite3.IntegrityError when a single-use coupon was redeemed meanwhile.
    """
    from .catalog import COUPONS
    now = time.time()
    order_id = new_id(now)
    with transaction() as db:
        db.execute(
            "INSERT INTO orders (id, pg, product_id, quantity, order_name, subtotal, discount, amount,"
            " coupons, pay_method, customer_key, buyer_name, buyer_email, status, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (order_id, pg, quote.product_id, quote.quantity, quote.order_name, quote.subtotal,
             quote.discount, quote.amount, ",".join(quote.coupons), pay_method, customer_key,
             buyer_name, buyer_email, Status.PENDING, now, now))
        for code in quote.coupons:
            if COUPONS[code]["single_use"]:
                db.execute("INSERT INTO coupon_redemptions (code, customer_key, order_id) VALUES (?,?,?)",
                           (code, customer_key, order_id))
    return get(order_id)


def used_single_use(customer_key):
    rows = get_db().execute("SELECT code FROM coupon_redemptions WHERE customer_key = ?", (customer_key,))
    return {r["code"] for r in rows}


def get(order_id):
    """The order row, or None."""
    if not isinstance(order_id, str):
        return None
    return get_db().execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()


def by_payment(pg, payment_id):
    return get_db().execute("SELECT * FROM orders WHERE pg = ? AND pg_payment_id = ?",
                            (pg, payment_id)).fetchone()


def transition(order_id, from_statuses, to_status, reason="", **fields):
    """Move an order to to_status only if it is now in from_statuses. True if this call moved it.

    This one UPDATE is the single place a status changes, so concurrent callers (callback,
    webhook, refresh) get exactly one winner. reason: an i18n.msg(), so that every reader sees it
    in their own language (whoever settled the order: a webhook has no reader).
    """
    allowed = ["pg_payment_id", "pg_secret", "vbank", "paid_at"]
    sets, args = ["status = ?", "reason = ?", "updated_at = ?"], [to_status, i18n.stored(reason), time.time()]
    for key, value in fields.items():
        if key not in allowed:
            raise TypeError(f"transition() cannot set {key}")
        sets.append(f"{key} = ?")
        args.append(json.dumps(value, ensure_ascii=False) if key == "vbank" and value is not None else value)
    if to_status == Status.PAID and "paid_at" not in fields:
        sets.append("paid_at = ?")
        args.append(time.time())
    marks = ",".join("?" * len(from_statuses))
    with transaction() as db:
        cur = db.execute(f"UPDATE orders SET {', '.join(sets)} WHERE id = ? AND status IN ({marks})",
                         (*args, order_id, *from_statuses))
        moved = cur.rowcount == 1
        if moved and to_status in (Status.FAILED, Status.CANCELLED, Status.FORGED):
            db.execute("DELETE FROM coupon_redemptions WHERE order_id = ?", (order_id,))
    return moved


def attach_payment(order_id, payment_id):
    """Remember the PG's payment id on a still-open order (first one wins). True if stored."""
    with transaction() as db:
        cur = db.execute("UPDATE orders SET pg_payment_id = ?, updated_at = ? WHERE id = ?"
                         " AND (pg_payment_id IS NULL OR pg_payment_id = ?)",
                         (payment_id, time.time(), order_id, payment_id))
    return cur.rowcount == 1


def open_orders(pg=None, older_than=0.0, statuses=OPEN):
    """Orders whose outcome is not settled yet (for reconciliation); `statuses` picks others instead."""
    sql = f"SELECT * FROM orders WHERE status IN ({','.join('?' * len(statuses))}) AND updated_at <= ?"
    args = [*statuses, time.time() - older_than]
    if pg:
        sql += " AND pg = ?"
        args.append(pg)
    return get_db().execute(sql + " ORDER BY created_at", args).fetchall()
