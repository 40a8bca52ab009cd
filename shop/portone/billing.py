"""What the shop does for PortOne V1 automatic payments (정기결제): check a card registered in the window under the
customer_uid the server chose, charge it from the server (POST /subscribe/payments/again), cancel a charge.
A charge settles its order through flow.settle_from like any PortOne payment."""
from i18n import msg

from .. import billing, orders, settle
from ..http import PGError, PGNotFound
from ..orders import Status
from ..settle import Check
from . import client
from . import flow as portone

PG = "html5_inicis"   # a PG whose test channel issues billing keys in the window


def customer_uid_of(order):
    """The customer_uid the server gives a registration: chosen here, never by the browser."""
    return "cuid-" + order["id"]


def register(flow, order, imp_uid):
    """The registration window's callback: PortOne must hold a billing key under this registration's
    customer_uid. Returns None when the card is registered, else what went wrong (for the page)."""
    uid = customer_uid_of(order)
    opened = order["status"] == Status.PENDING
    if flow.checks([Check("check_registration_open", opened, msg("The registration is still open") if opened
                          else msg("The registration is already %(status)s", status=order["status"]),
                          Status.PENDING, order["status"])]):
        return msg("The registration is already %(status)s", status=order["status"])
    try:
        with flow.at("approve"):
            key = client.billing_key(uid)
    except PGNotFound:
        flow.checks([Check("check_billing_key", False, msg("PortOne has no billing key under %(customer_uid)s: "
                                                           "no card is registered", customer_uid=uid),
                           uid, "404 Not Found")])
        settle.move(flow, order, (Status.PENDING,), Status.FAILED, msg(
            "PortOne has no billing key for this registration: no card is registered."))
        return msg("PortOne has no billing key for this registration: no card is registered.")
    except PGError as e:
        flow.record("registration_unknown", msg("No usable answer from PortOne (%(trouble)s): the registration "
                                                "stays open", trouble=portone._trouble(e)), phase="approve",
                    verdict="fail")
        return msg("PortOne did not answer; try again in a moment.")
    flow.checks([Check("check_billing_key", True, msg("PortOne keeps a billing key under %(customer_uid)s",
                                                      customer_uid=uid), uid, key["customer_uid"])])
    billing.save(order["customer_key"], "portone", uid, str(key.get("card_name") or ""),
                 str(key.get("card_number") or ""), order["id"])
    flow.record("store_billing_key", msg("Stored customer_uid %(customer_uid)s for this buyer on the server "
                                         "(imp_uid %(imp_uid)s issued it); charges use it from the server only",
                                         customer_uid=uid, imp_uid=imp_uid or "-"), phase="settle", verdict="pass")
    settle.move(flow, order, (Status.PENDING,), Status.REGISTERED, msg(
        "The card %(card)s is registered for automatic payments.", card=key.get("card_number") or "-"))
    return None


def registration_failed(flow, order, code, message):
    """The window's callback with an error: no billing key was issued."""
    settle.move(flow, order, (Status.PENDING,), Status.FAILED, msg(
        "The card was not registered (%(code)s). Nothing was charged.", code=code or "-"))


def charge(flow, order, customer_uid):
    """POST /subscribe/payments/again for the order, then settle it from PortOne's answer."""
    try:
        with flow.at("approve"):
            payment = client.pay_again(customer_uid, order["id"], order["amount"], order["order_name"])
    except PGError as e:
        portone._unknown(flow, order, e)
        return
    portone.settle_from(flow, order, payment)


def cancel_charge(flow, order):
    """POST /payments/cancel for a paid charge, then settle the order from PortOne's answer."""
    try:
        with flow.at("settle"):
            paid = client.get_payment(order["pg_payment_id"])
            after = client.cancel(paid.imp_uid, "Cancelled from the subscription page", paid.cancellable)
    except PGError as e:
        flow.record("cancel_failed", msg("PortOne did not cancel the charge (%(trouble)s): the order stays "
                                         "%(status)s", trouble=portone._trouble(e), status=order["status"]),
                    phase="settle", verdict="fail")
        return False
    portone.settle_from(flow, order, after)
    return orders.get(order["id"])["status"] == Status.CANCELLED
