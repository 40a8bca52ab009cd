"""Automatic payments (정기결제): the billing_keys table, the plans, and the /subscription page.

A billing key lets the server charge a card without the buyer: it is a secret kept here, looked up by the
session's customer key only, and never sent to a browser. Registering a card is a flow of its own (an order
row of 0 won, sdk 'billing-auth', that ends REGISTERED); each charge is an order (sdk 'billing') settled
through shop.settle like any payment. The PG's calls live in its package (shop/toss/billing.py).
"""
import time

import importlib

from flask import Blueprint, redirect, render_template, request, url_for

import i18n
from i18n import msg

from . import catalog, orders, privacy, settle, steps
from .db import get_db, transaction
from .orders import Status
from .views import customer_key

bp = Blueprint("billing", __name__)

# What the subscription page charges (won, decided here, never by the browser). In the emulator an amount
# ending in 01-05 won is declined by the card company, as Toss's test cards are.
PLANS = {
    "basic": {"name": catalog.N_("Monthly plan (basic)"), "price": 9900},
    "plus": {"name": catalog.N_("Monthly plan (plus)"), "price": 29900},
    "declined": {"name": catalog.N_("Test plan the card company refuses"), "price": 10001},
}


PGS = ("toss", "portone")   # the providers whose automatic payments the page offers (their routes do the calls)


def quote(plan_id):
    """A Quote for one month of a plan, or None for an unknown plan."""
    plan = PLANS.get(plan_id) if isinstance(plan_id, str) else None
    if plan is None:
        return None
    name = plan["name"]   # an N_() message id: the order name is stored in the buyer's language
    return catalog.Quote(product_id=plan_id, quantity=1, order_name=i18n.render(msg(name)),
                         subtotal=plan["price"], discount=0, amount=plan["price"], coupons=())


def start_registration(pg, customer):
    """The flow of one card registration: an order row of 0 won (sdk 'billing-auth'). Returns it."""
    q = catalog.Quote(product_id="card-registration", quantity=1,
                      order_name=i18n.render(msg("Card registration for automatic payments")), subtotal=0,
                      discount=0, amount=0, coupons=())
    order = orders.create(pg, q, customer_key=customer, pay_method="CARD", sdk="billing-auth")
    steps.Flow(order["id"], pg).record("start_registration", msg(
        "The buyer asked to register a card for automatic payments as customer %(customer_key)s",
        customer_key=customer), kind="http_in", frm="browser",
        exchange={"request": {"method": request.method, "url": request.path}})
    return order


def charge_order(pg, plan_id, customer):
    """Store the order of one charge of a plan (sdk 'billing'), priced here. Returns it, or None."""
    q = quote(plan_id)
    if q is None:
        return None
    order = orders.create(pg, q, customer_key=customer, pay_method="CARD", sdk="billing")
    steps.Flow(order["id"], pg).record("price_order", msg(
        "Server priced the charge of plan %(plan)s: %(amount_won)s; stored as %(order_id)s", plan=plan_id,
        amount_won=q.amount, order_id=order["id"]), verdict="pass", expected=q.amount)
    return order


def save(customer, pg, key, card_company, card_number, order_id):
    """Keep (or replace) the customer's card for pg: key is Toss's billingKey or PortOne's customer_uid."""
    with transaction() as db:
        db.execute("INSERT OR REPLACE INTO billing_keys (customer_key, pg, billing_key, card_company, card_number,"
                   " order_id, created_at) VALUES (?,?,?,?,?,?,?)",
                   (customer, pg, key, card_company, card_number, order_id, time.time()))


def key_of(customer, pg):
    """The billing key of the customer's card for pg (server use only), or None."""
    row = get_db().execute("SELECT billing_key FROM billing_keys WHERE customer_key = ? AND pg = ?",
                           (customer, pg)).fetchone()
    return row["billing_key"] if row else None


def card_of(customer, pg):
    """What a page may show of the customer's card (no billing key), or None."""
    row = get_db().execute("SELECT card_company, card_number, order_id, created_at FROM billing_keys"
                           " WHERE customer_key = ? AND pg = ?", (customer, pg)).fetchone()
    return dict(row) if row else None


def flows_of(customer, sdk, limit=20):
    """The customer's registration ('billing-auth') or charge ('billing') orders, newest first."""
    return get_db().execute("SELECT * FROM orders WHERE customer_key = ? AND sdk = ? ORDER BY created_at DESC"
                            " LIMIT ?", (customer, sdk, limit)).fetchall()


def owned(order_id, sdk):
    """The session customer's order of this kind, or None (another customer's order is never found)."""
    order = orders.get(order_id)
    if order is None or order["sdk"] != sdk or not privacy.owns(order):
        return None
    return order


def reconcile_registration(flow, order, abandon_after):
    """Reconcile of a card registration: it holds no payment, so only an unfinished one ends (EXPIRED) once it
    is older than abandon_after seconds. Returns None, or 'waiting' while it may still be finished."""
    if order["status"] != orders.Status.PENDING:
        return None
    if time.time() - order["created_at"] < abandon_after:
        return "waiting"
    settle.move(flow, order, (orders.Status.PENDING,), orders.Status.EXPIRED, msg(
        "The card registration was not finished in time: no card is registered."))
    return None


def _log(order):
    rows = steps.for_order(order["id"]) if order is not None else []
    for s in rows:
        s["summary"] = i18n.render(s["summary"])
    return rows


@bp.get("/subscription")
def page(message=None, status=200):
    """The subscription page: register a card, charge it from the server, cancel a charge, see both logs."""
    customer = customer_key()
    registrations = flows_of(customer, "billing-auth")
    charges = flows_of(customer, "billing")
    return render_template("subscription.html", customer_key=customer,
                           cards={pg: card_of(customer, pg) for pg in PGS},
                           plans=PLANS, registrations=registrations, charges=charges,
                           registration_log=_log(registrations[0] if registrations else None),
                           charge_log=_log(charges[0] if charges else None), message=message), status


def _calls(pg):
    """(the provider's flow module, its billing module): the PG's calls for a charge and its cancel."""
    return importlib.import_module(f"shop.{pg}.flow"), importlib.import_module(f"shop.{pg}.billing")


@bp.post(f"/<any({', '.join(PGS)}):pg>/billing/charge")
def charge(pg):
    """Charge the buyer's registered card for a plan, from the server (the browser sends only the plan)."""
    customer = customer_key()
    key = key_of(customer, pg)
    if key is None:
        return page(i18n.render(msg("No card is registered for automatic payments: register one first. Nothing was "
                                    "charged.")), 400)
    order = charge_order(pg, request.form.get("plan"), customer)
    if order is None:
        return page(i18n.render(msg("There is no such plan. Nothing was charged.")), 400)
    flow_module, billing = _calls(pg)
    flow = flow_module.flow_of(order["id"])
    with steps.bound(flow):
        billing.charge(flow, order, key)
    return redirect(url_for("billing.page", _anchor="order-" + order["id"]), 303)


@bp.post(f"/<any({', '.join(PGS)}):pg>/billing/charges/<order_id>/cancel")
def cancel(pg, order_id):
    """Cancel one of the buyer's paid charges at the PG (another buyer's charge is never found)."""
    order = owned(order_id, "billing")
    if order is None or order["pg"] != pg:
        return page(i18n.render(msg("There is no such charge for this buyer: nothing was cancelled.")), 404)
    if order["status"] != Status.PAID:
        return page(i18n.render(msg("Only a paid charge can be cancelled; this one is %(status)s.",
                                    status=order["status"])), 409)
    flow_module, billing = _calls(pg)
    flow = flow_module.flow_of(order["id"])
    flow.record("cancel_request", msg("The buyer asked to cancel charge %(order_id)s", order_id=order["id"]),
                phase="settle", kind="http_in", frm="browser",
                exchange={"request": {"method": "POST", "url": request.path}})
    with steps.bound(flow):
        billing.cancel_charge(flow, order)
    return redirect(url_for("billing.page", _anchor="order-" + order["id"]), 303)
