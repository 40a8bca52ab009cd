"""The orders table: creating an order and every change of its status (one transition each)."""
import json
import secrets
import time
from datetime import datetime, timedelta, timezone
from enum import StrEnum

import i18n

from .db import get_db, transaction

KST = timezone(timedelta(hours=9), "KST")


class Status(StrEnum):
    PENDING = "pending"                    # stored, waiting for the buyer and the PG
    AWAITING_DEPOSIT = "awaiting_deposit"  # virtual account issued, money not in yet
    PAID = "paid"                          # verified with the PG: the money is ours
    PARTIALLY_REFUNDED = "partially_refunded"  # paid, then part of it refunded at the PG
    CANCELLED = "cancelled"                # paid, then refunded in full
    FAILED = "failed"                      # the PG says the last attempt failed; the buyer may pay again
    FORGED = "forged"                      # a payment that did not match was refused (and cancelled); payable
    UNKNOWN = "unknown"                    # the PG's answer was lost; reconcile asks again
    EXPIRED = "expired"                    # given up: nobody paid in time; a later payment is refunded
    REGISTERED = "registered"              # a card registration (no payment): the billing key is stored


# May still be paid by a verified payment (the browser's word never makes an order terminal: a decline or a
# refused payment leaves it payable by its buyer).
PAYABLE = (Status.PENDING, Status.UNKNOWN, Status.FAILED, Status.FORGED, Status.AWAITING_DEPOSIT)
# Holds the one payment that settled it.
SETTLED = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.CANCELLED)
OPEN = (Status.PENDING, Status.AWAITING_DEPOSIT, Status.UNKNOWN)   # the outcome is not known yet
# Where one checkout attempt ends for the page that follows it (a failed or refused order may still be
# paid by another attempt).
FINAL = (*SETTLED, Status.FAILED, Status.FORGED, Status.EXPIRED, Status.REGISTERED)


def new_id(now=None):
    """An order id valid for both PGs: 6-64 chars of [A-Za-z0-9_-], at most 40 (merchant_uid)."""
    stamp = datetime.fromtimestamp(now or time.time(), KST).strftime("%Y%m%d-%H%M%S")
    return f"order-{stamp}-{secrets.token_hex(4)}"


def create(pg, quote, *, pay_method="", customer_key="", buyer_name="", buyer_email="", sdk=""):
    """Store a new pending order for a priced Quote; redeem its single-use coupons. Returns the row.

    Raises sqlite3.IntegrityError when a single-use coupon was redeemed meanwhile.
    """
    from .catalog import COUPONS
    now = time.time()
    order_id = new_id(now)
    with transaction() as db:
        db.execute(
            "INSERT INTO orders (id, pg, sdk, product_id, quantity, order_name, subtotal, discount, amount,"
            " coupons, pay_method, customer_key, buyer_name, buyer_email, status, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (order_id, pg, sdk, quote.product_id, quote.quantity, quote.order_name, quote.subtotal,
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
    allowed = ["pg_payment_id", "pg_secret", "vbank", "paid_at", "refunded"]
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
        if moved and to_status in (Status.EXPIRED, Status.CANCELLED):
            db.execute("DELETE FROM coupon_redemptions WHERE order_id = ?", (order_id,))
    return moved


def attach_payment(order_id, payment_id):
    """Remember the PG's payment id on a still-open order (first one wins). True if stored."""
    with transaction() as db:
        cur = db.execute("UPDATE orders SET pg_payment_id = ?, updated_at = ? WHERE id = ?"
                         " AND (pg_payment_id IS NULL OR pg_payment_id = ?)",
                         (payment_id, time.time(), order_id, payment_id))
    return cur.rowcount == 1


def open_orders(pg=None, older_than=0.0, statuses=OPEN, since=None):
    """Orders in `statuses` not updated for older_than seconds (and created after `since`), oldest first."""
    sql = f"SELECT * FROM orders WHERE status IN ({','.join('?' * len(statuses))}) AND updated_at <= ?"
    args = [*statuses, time.time() - older_than]
    if since is not None:
        sql += " AND created_at >= ?"
        args.append(since)
    if pg:
        sql += " AND pg = ?"
        args.append(pg)
    return get_db().execute(sql + " ORDER BY created_at", args).fetchall()


# ---- payments the shop must cancel at the PG (stray: not the one that settled their order) -----------

def cancel_needed(pg, payment_id, order_id, why):
    """Remember that payment_id must be cancelled at the PG (kept until done). True if newly added."""
    now = time.time()
    with transaction() as db:
        cur = db.execute("INSERT OR IGNORE INTO pg_cancels (pg, payment_id, order_id, why, state, created_at,"
                         " updated_at) VALUES (?,?,?,?,'pending',?,?)",
                         (pg, payment_id, order_id, i18n.stored(why), now, now))
    return cur.rowcount == 1


def cancel_state(pg, payment_id, state, trouble=None):
    """state: pending (try again) | done | refund_account (a person must get the buyer's account)."""
    with transaction() as db:
        db.execute("UPDATE pg_cancels SET state = ?, tries = tries + 1, trouble = ?, updated_at = ?"
                   " WHERE pg = ? AND payment_id = ?",
                   (state, i18n.stored(trouble) if trouble else None, time.time(), pg, payment_id))


def cancel_of(pg, payment_id):
    """The cancel the shop owes (or did) for one payment, or None."""
    return get_db().execute("SELECT * FROM pg_cancels WHERE pg = ? AND payment_id = ?", (pg, payment_id)).fetchone()


def cancels(order_id=None, states=None):
    """The cancels the shop owes (or has done), oldest first; of one order and/or in some states."""
    sql, args = "SELECT * FROM pg_cancels WHERE 1", []
    if order_id is not None:
        sql += " AND order_id = ?"
        args.append(order_id)
    if states:
        sql += f" AND state IN ({','.join('?' * len(states))})"
        args += list(states)
    return get_db().execute(sql + " ORDER BY created_at", args).fetchall()
