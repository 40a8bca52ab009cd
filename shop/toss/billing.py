"""What the shop does for Toss automatic payments (자동결제): exchange a registration's authKey for a billing key,
charge the registered card from the server, cancel a charge. Each is recorded in its flow; a charge settles
its order through shop.settle like any Toss payment (flow.settle_from)."""
from i18n import msg

from .. import billing, orders, settle
from ..http import PGError, PGRefused
from ..orders import Status
from ..settle import Check
from . import client, verify
from . import flow as toss


def register(flow, order, customer, sent_customer, auth_key):
    """successUrl?customerKey&authKey of a registration: check it, issue the billing key, keep it.
    Returns None when the card is registered, else the failed checks' summary or Toss's code (for the page)."""
    failed = flow.checks(_registration_checks(order, customer, sent_customer, auth_key), phase="verify")
    if failed:
        return failed[0].summary
    toss.record_auth(flow, order)
    try:
        with flow.at("approve"):
            card = client.issue_billing_key(auth_key, customer)
    except PGError as e:
        code = e.code or ""
        settle.move(flow, order, (Status.PENDING,), Status.FAILED, msg(
            "Toss did not issue a billing key (%(code)s): no card is registered.", code=code or "-"))
        return code or msg("no usable answer from Toss")
    ok = card.customer_key == customer
    if flow.checks([Check("check_billing_customer", ok, msg("The billing key was issued to this buyer") if ok
                          else msg("The billing key was issued to another customerKey: not kept"), customer,
                          card.customer_key)]):
        settle.move(flow, order, (Status.PENDING,), Status.FAILED, msg("Toss issued the billing key to another "
                                                                       "customer: it was not kept."))
        return msg("The billing key was issued to another customerKey: not kept")
    billing.save(customer, "toss", card.billing_key, card.card_company, card.card_number, order["id"])
    flow.record("store_billing_key", msg("Stored the billing key on the server for customer %(customer_key)s "
                                         "(card %(card)s); it is never sent to the browser",
                                         customer_key=customer, card=card.card_number), phase="settle",
                verdict="pass")
    settle.move(flow, order, (Status.PENDING,), Status.REGISTERED, msg(
        "The card %(card)s is registered for automatic payments.", card=card.card_number))
    return None


def _registration_checks(order, customer, sent_customer, auth_key):
    """The registration's successUrl against the stored order: still open, this buyer's customerKey, an authKey."""
    return [
        Check("check_registration_open", order["status"] == Status.PENDING,
              msg("The registration is still open") if order["status"] == Status.PENDING
              else msg("The registration is already %(status)s", status=order["status"]),
              Status.PENDING, order["status"]),
        Check("check_customer_key", sent_customer == customer,
              msg("customerKey in the return address is this buyer's") if sent_customer == customer
              else msg("customerKey in the return address is not this buyer's: not issuing a billing key"),
              customer, sent_customer or msg("(none)")),
        Check("check_auth_key", bool(auth_key), msg("authKey is present") if auth_key
              else msg("authKey is missing"), msg("an authKey"), auth_key or msg("(none)")),
    ]


def registration_failed(flow, order, code):
    """failUrl of a registration (the browser's word; no billing key exists without an authKey)."""
    settle.move(flow, order, (Status.PENDING,), Status.FAILED, verify.explain(code) if code in verify.EXPLAIN
                else msg("The card was not registered (%(code)s). Nothing was charged.", code=code or "-"))


def charge(flow, order, billing_key):
    """POST /v1/billing/{billingKey} for the order and settle it from Toss's answer. A refusal (a declined card)
    fails the order; no usable answer: the shop asks Toss by orderId and settles from that, or leaves it
    UNKNOWN for reconcile (the Idempotency-Key makes a retry charge once)."""
    toss.record_auth(flow, order)
    try:
        with flow.at("approve"):
            payment = client.charge_billing(billing_key, order["customer_key"], order["id"], order["amount"],
                                            order["order_name"])
    except PGRefused as e:
        flow.record("charge_refused", msg("Toss refused the charge: %(code)s (%(message)s)", code=e.code,
                                          message=e.message), phase="approve", verdict="fail")
        settle.move(flow, order, verify.UNSETTLED, Status.FAILED, verify.explain(e.code))
        return
    except PGError as e:
        try:
            asked = toss._ask_by_order(flow, order)
        except PGError:
            asked = None
        if asked is None:
            settle.move(flow, order, verify.UNSETTLED, Status.UNKNOWN, msg(
                "The shop asked Toss to charge the card but got no clear answer (%(trouble)s). Nothing is decided "
                "yet: reconcile asks Toss again.", trouble=toss._trouble(e)))
            return
        payment = asked
    toss.settle_from(flow, order, payment, payment.payment_key)


def cancel_charge(flow, order):
    """POST /v1/payments/{paymentKey}/cancel for a paid charge, then settle the order from Toss's answer."""
    toss.record_auth(flow, order)
    try:
        with flow.at("settle"):
            payment = toss._patiently(client.cancel, order["pg_payment_id"], "Cancelled from the subscription page",
                                      None, None, toss.secret_of(order))
    except PGError as e:
        flow.record("cancel_failed", msg("Toss did not cancel the charge (%(trouble)s): the order stays %(status)s",
                                         trouble=toss._trouble(e), status=order["status"]), phase="settle",
                    verdict="fail")
        return False
    toss.settle_from(flow, order, payment, order["pg_payment_id"])
    return orders.get(order["id"])["status"] == Status.CANCELLED
