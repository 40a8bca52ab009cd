"""The attacks: each is what a malicious browser does to this site, and what must still be true afterwards.

An attack only sends what any visitor could send (the shop's public routes with the page's CSRF
token, forged PG webhooks, the PG's hosted-window endpoints). It is then judged on the money:
the shop's order statuses, read from the shop's public JSON, and each PG's own record, read from
the emulated PG's REST API. Besides the expectations of each attack, two rules always hold:
an order the shop marks paid is paid at the PG for exactly the stored amount, and money the PG
holds belongs to an order the shop marks paid for that amount (a forged payment is cancelled).
"""
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

import requests
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .browser import Browser, attr, with_query
from .records import PG_PAID

SETTLE_S = 5.0   # how long a verdict waits for webhooks the PG sends on its own to land (LAB_SETTLE_S)


@dataclass(frozen=True)
class Attack:
    id: str
    group: str
    title: object
    attack: object      # one line: what the attacker does
    defence: object     # one line: what keeps the money right
    run: Callable


GROUPS = {
    "amount": _l("Tampered amount"),
    "swap": _l("Order swap"),
    "replay": _l("Replay"),
    "race": _l("Double confirm race"),
    "webhook": _l("Forged webhooks"),
    "coupon": _l("Coupon abuse"),
    "billing": _l("Automatic payments"),
}


def _won(amount):
    return f"{amount:,}" if isinstance(amount, int) else str(amount)


class LabError(Exception):
    """The site did not answer the way any browser would need to carry on (the attack could not run)."""


class Run:
    """One run of one attack: the attacker's browser, what it expects to find, and the verdict."""

    def __init__(self, site_url, records, settle_s=SETTLE_S):
        self.settle_s = settle_s
        self.steps = []
        self.browser = Browser(site_url, self.steps)
        self.records = records
        self.orders = {}      # order_id -> (role, allowed statuses)
        self.payments = {}    # (pg, payment id) -> (role, allowed statuses)
        self.facts = []       # (ok, text) learnt from the answers

    # --- acting like the checkout page and the PG's SDK ------------------------------------------

    def order(self, role, pg, product="shoes", quantity=1, coupons=(), **extra):
        """POST /api/orders as the checkout page does. Returns the order JSON."""
        resp = self.browser.post("/api/orders", _("Created order (%(role)s): %(quantity)s × %(product)s",
                                                  role=role, quantity=quantity, product=product),
                                 json={"pg": pg, "product_id": product, "quantity": quantity,
                                       "coupons": list(coupons), "buyer_name": "Mallory", **extra})
        if resp.status_code != 201:
            raise LabError(_("The shop refused to create the %(role)s order (HTTP %(status)s).", role=role,
                             status=resp.status_code))
        return resp.json()

    def portone_window(self, order, amount=None, outcome="approve", notice=True):
        """What IMP.request_pay and a click in the window do, with an amount of the attacker's choice."""
        b = self.browser
        params = {"pg": "html5_inicis", "pay_method": "card", "merchant_uid": order["order_id"],
                  "name": order["order_name"], "amount": order["amount"] if amount is None else amount,
                  "currency": "KRW", "buyer_name": "Mallory"}
        if notice:
            params["notice_url"] = b.setting("data-notice-url")
        what = (_("Opened PortOne's window for %(order)s with amount %(amount)s", order=order["order_id"],
                  amount=params["amount"]))
        opened = b.post(b.emulator + "/portone/sdk/payments", what, csrf=False, json={
            "user_code": b.setting("data-imp-code"), "params": params, "sdk": "1.3.0", "page_url": b.site + "/"})
        if opened.status_code != 200:
            raise LabError(_("PortOne's window did not open (HTTP %(status)s).", status=opened.status_code))
        imp_uid = opened.json()["imp_uid"]
        if outcome is None:
            return {"imp_uid": imp_uid, "rsp": None}
        decided = b.post(f"{b.emulator}/portone/window/{imp_uid}/decide",
                         _("Clicked “%(outcome)s” in PortOne's window", outcome=outcome), csrf=False,
                         json={"outcome": outcome})
        if decided.status_code != 200:
            raise LabError(_("PortOne's window did not take the click (HTTP %(status)s).",
                             status=decided.status_code))
        return {"imp_uid": imp_uid, "rsp": decided.json()["rsp"]}

    def complete(self, imp_uid, merchant_uid, what):
        """The page's callback: POST /payments/complete {imp_uid, merchant_uid}."""
        return self.browser.post("/payments/complete", what, json={"imp_uid": imp_uid, "merchant_uid": merchant_uid})

    def toss_window(self, order, amount=None, method="카드", outcome="approve", **sdk):
        """What the widget's requestPayment and a click in the window do (updateAmount / setAmount = another
        amount). sdk: what SDK v2 adds to the request (product: 'widget' for widgets())."""
        b = self.browser
        amount = order["amount"] if amount is None else amount
        opened = b.post(b.emulator + "/toss/sdk/payments",
                        _("Asked Toss's widget to pay %(amount)s for %(order)s", amount=amount,
                          order=order["order_id"]), csrf=False,
                        json={"clientKey": b.setting("data-client-key"), "customerKey": order["customer_key"],
                              "amount": amount, "orderId": order["order_id"], "orderName": order["order_name"],
                              "method": method, "successUrl": b.setting("data-success-url"),
                              "failUrl": b.setting("data-fail-url"), "customerName": "Mallory",
                              "page_url": b.site + "/", **sdk})
        if opened.status_code != 200:
            raise LabError(_("Toss's window did not open (HTTP %(status)s).", status=opened.status_code))
        key = opened.json()["paymentKey"]
        decided = b.post(f"{b.emulator}/toss/window/{key}/decide",
                         _("Clicked “%(outcome)s” in Toss's window", outcome=outcome), csrf=False,
                         json={"outcome": outcome})
        if decided.status_code != 200:
            raise LabError(_("Toss's window did not take the click (HTTP %(status)s).", status=decided.status_code))
        return {"paymentKey": key, "redirect_url": decided.json().get("redirect_url")}

    # --- what must hold ---------------------------------------------------------------------------

    def expect_order(self, order, allowed, role):
        self.orders[order["order_id"]] = (role, tuple(allowed))

    def expect_payment(self, pg, payment_id, allowed, role):
        self.payments[(pg, payment_id)] = (role, tuple(allowed))

    def fact(self, ok, text):
        """Something the attacker saw in an answer (a refusal, a status code) that the defence requires."""
        self.facts.append((bool(ok), str(text)))
        return ok

    def not_5xx(self, resp):
        return self.fact(resp.status_code < 500, _("The shop answered %(request)s with HTTP %(status)s, not a "
                                                    "server error", request=self.steps[-1]["request"],
                                                    status=resp.status_code))

    def count(self, order_id, name, actual=None):
        """How many steps of the order's flow have this name (and, if given, this `actual` value)."""
        return len([s for s in self.records.steps(order_id)
                    if s["name"] == name and (actual is None or s["actual"] == actual)])

    # --- the verdict ---------------------------------------------------------------------------------

    def observe(self):
        """Read every order and PG record involved and check them. Returns (held, observed)."""
        orders, payments, checks = [], [], []
        seen = dict(self.payments)
        for order_id, (role, allowed) in self.orders.items():
            o = self.records.order(order_id) or {}
            status = o.get("status")
            orders.append({"order_id": order_id, "role": role, "status": status, "amount": o.get("amount"),
                           "expected": list(allowed), "ok": status in allowed})
            if o.get("pg_payment_id"):
                seen.setdefault((o["pg"], o["pg_payment_id"]), (role, None))
            if status == "paid":
                pg = self.records.payment(o["pg"], o.get("pg_payment_id") or "")
                ok = bool(pg) and pg["status"] in PG_PAID[o["pg"]] and pg["amount"] == o["amount"]
                checks.append({"ok": ok, "text": _(
                    "Order %(order)s is paid in the shop, and the PG holds its %(amount)s won", order=order_id,
                    amount=f"{o['amount']:,}") if ok else _(
                    "Order %(order)s is paid in the shop, but the PG does not hold its amount", order=order_id)})
        for (pg, pid), (role, allowed) in seen.items():
            p = self.records.payment(pg, pid)
            status = p["status"] if p else None
            row = {"pg": pg, "id": pid, "role": role, "status": status, "amount": p["amount"] if p else None,
                   "order_id": p["order_id"] if p else None, "expected": list(allowed or ()),
                   "ok": allowed is None or status in allowed}
            payments.append(row)
            if p and status in PG_PAID[pg]:
                owner = self.records.order(p["order_id"]) or {}
                ok = owner.get("status") == "paid" and owner.get("amount") == p["amount"]
                checks.append({"ok": ok, "text": _(
                    "The PG holds %(amount)s won for order %(order)s, which the shop has as paid for that amount",
                    amount=_won(p["amount"]), order=p["order_id"]) if ok else _(
                    "The PG holds %(amount)s won for order %(order)s, but the shop has not accounted for it "
                    "(a forged payment must be cancelled)", amount=_won(p["amount"]), order=p["order_id"])})
        checks += [{"ok": ok, "text": text} for ok, text in self.facts]
        held = all(r["ok"] for r in orders + payments + checks)
        return held, {"orders": orders, "payments": payments, "checks": checks}

    def verdict(self):
        """Observe until every expectation holds or SETTLE_S passed (the PG's own webhooks land on
        their own time), then report (held, observed)."""
        deadline = time.monotonic() + self.settle_s
        held, observed = self.observe()
        while not held and time.monotonic() < deadline:
            time.sleep(0.1)
            held, observed = self.observe()
        return held, observed


def run(attack, site_url, records, settle_s=SETTLE_S):
    """Run one attack against the site at site_url. Returns the JSON-ready report."""
    r = Run(site_url, records, settle_s)
    error = None
    try:
        attack.run(r)
    except LabError as e:
        error = str(e)
    except Exception as e:  # noqa: BLE001  (the site broke the attacker's script: report, never crash)
        error = _("The attack stopped: %(what)s", what=type(e).__name__)
    held, observed = r.verdict()
    if error:
        held = False
        observed["checks"].append({"ok": False, "text": error})
    flows = list(r.orders)
    return {
        "attack": attack.id, "title": str(attack.title), "explanation": str(attack.attack),
        "expected": str(attack.defence), "steps": r.steps, "flow_ids": flows,
        "flows": [{"order_id": oid, "role": r.orders[oid][0], "url": f"/flows/{oid}"} for oid in flows],
        "observed": observed, "verdict": "held" if held else "BROKEN",
    }


# --- tampered amount ----------------------------------------------------------------------------------

def portone_tampered_amount(r):
    order = r.order(_("the order"), "portone")
    paid = r.portone_window(order, amount=100)
    resp = r.complete(paid["imp_uid"], order["order_id"], _("Posted the 100 won payment as the order's callback"))
    r.not_5xx(resp)
    r.expect_order(order, ["forged"], _("15,000 won order paid with 100 won"))
    r.expect_payment("portone", paid["imp_uid"], ["cancelled"], _("the 100 won payment"))


def toss_update_amount(r):
    order = r.order(_("the order"), "toss")
    got = r.toss_window(order, amount=1000)
    r.fact(r.browser.get(got["redirect_url"], _("Followed Toss's success URL (amount=1000)")).status_code == 400,
           _("The shop refused the success URL whose amount is not the order's (HTTP 400)"))
    edited = with_query(got["redirect_url"], amount=order["amount"])
    r.not_5xx(r.browser.get(edited, _("Edited the success URL's amount to the order's %(amount)s and sent it",
                                      amount=order["amount"])))
    r.expect_order(order, ["pending", "failed"], _("15,000 won order, widget amount 1,000 won"))
    r.expect_payment("toss", got["paymentKey"], ["IN_PROGRESS"], _("the 1,000 won payment (never confirmed)"))


def toss_set_amount(r):
    order = r.order(_("the order"), "toss", sdk="v2")
    got = r.toss_window(order, amount=1000, product="widget")
    r.fact(r.browser.get(got["redirect_url"], _("Followed Toss's success URL (amount=1000)")).status_code == 400,
           _("The shop refused the success URL whose amount is not the order's (HTTP 400)"))
    edited = with_query(got["redirect_url"], amount=order["amount"])
    r.not_5xx(r.browser.get(edited, _("Edited the success URL's amount to the order's %(amount)s and sent it",
                                      amount=order["amount"])))
    r.expect_order(order, ["pending", "failed"], _("15,000 won order, widgets.setAmount 1,000 won"))
    r.expect_payment("toss", got["paymentKey"], ["IN_PROGRESS"], _("the 1,000 won payment (never confirmed)"))


def toss_url_amount(r):
    order = r.order(_("the order"), "toss")
    got = r.toss_window(order)
    resp = r.browser.get(with_query(got["redirect_url"], amount=100), _("Changed amount=15000 to amount=100 in "
                                                                          "the success URL"))
    r.fact(resp.status_code == 400, _("The shop refused the edited success URL (HTTP %(status)s)",
                                      status=resp.status_code))
    r.expect_order(order, ["pending"], _("the order"))
    r.expect_payment("toss", got["paymentKey"], ["IN_PROGRESS"], _("the payment (not confirmed)"))


# --- order swap ----------------------------------------------------------------------------------------

def portone_order_swap(r):
    cheap = r.order(_("cheap"), "portone", "socks")
    dear = r.order(_("expensive"), "portone", "jacket")
    paid = r.portone_window(cheap)
    swap = r.complete(paid["imp_uid"], dear["order_id"], _("Claimed the expensive order with the cheap order's "
                                                            "imp_uid"))
    r.fact(swap.status_code == 400 and r.browser.json_of(swap).get("error") == "PAYMENT_OF_ANOTHER_ORDER",
           _("The shop refused: that payment belongs to another order (HTTP %(status)s)", status=swap.status_code))
    back = r.browser.get(f"/payments/complete?imp_uid={paid['imp_uid']}&merchant_uid={dear['order_id']}",
                         _("Tried the same swap through m_redirect_url"), allow_redirects=False)
    r.not_5xx(back)
    r.complete(paid["imp_uid"], cheap["order_id"], _("Completed the cheap order honestly"))
    r.expect_order(cheap, ["paid"], _("cheap order (3,000 won)"))
    r.expect_order(dear, ["pending"], _("expensive order (89,000 won)"))
    r.expect_payment("portone", paid["imp_uid"], ["paid"], _("the cheap order's payment"))


def toss_order_swap(r):
    cheap = r.order(_("cheap"), "toss", "socks")
    dear = r.order(_("expensive"), "toss", "jacket")
    got = r.toss_window(cheap)
    swapped = with_query(got["redirect_url"], orderId=dear["order_id"], amount=dear["amount"])
    r.not_5xx(r.browser.get(swapped, _("Sent the cheap payment's success URL with the expensive orderId and "
                                       "amount")))
    r.browser.get(got["redirect_url"], _("Completed the cheap order honestly"))
    later = r.order(_("expensive, second try"), "toss", "jacket")
    again = r.browser.get(with_query(got["redirect_url"], orderId=later["order_id"], amount=later["amount"]),
                          _("Tried the swap again after the cheap payment was confirmed"))
    r.fact(again.status_code == 409, _("The shop refused: the paymentKey does not belong to that order (HTTP "
                                       "%(status)s)", status=again.status_code))
    r.expect_order(cheap, ["paid"], _("cheap order (3,000 won)"))
    r.expect_order(dear, ["pending", "failed"], _("expensive order (89,000 won)"))
    r.expect_order(later, ["pending"], _("second expensive order"))
    r.expect_payment("toss", got["paymentKey"], ["DONE"], _("the cheap order's payment"))


# --- automatic payments --------------------------------------------------------------------------------

def _charged_order(r, resp):
    """The order id of a charge, from the subscription page's redirect (…/subscription#order-<id>)."""
    location = resp.headers.get("Location", "")
    if resp.status_code != 303 or "#order-" not in location:
        raise LabError(_("The shop did not charge the registered card (HTTP %(status)s).", status=resp.status_code))
    return {"order_id": location.split("#order-", 1)[1]}


def toss_billing_key_reuse(r):
    victim = Browser(r.browser.site, r.steps)
    page = victim.get("/subscription", _("The victim opened the subscription page")).text
    reg = victim.post("/toss/billing/registrations", _("The victim started a card registration"), json={})
    if reg.status_code != 201:
        raise LabError(_("The shop did not open a card registration (HTTP %(status)s).", status=reg.status_code))
    reg = reg.json()
    opened = victim.post(victim.emulator + "/toss/sdk/billing-auths", _("The victim opened Toss's card window"),
                         csrf=False, json={"clientKey": attr(page, "data-api-client-key"),
                                           "customerKey": reg["customer_key"], "method": "CARD",
                                           "successUrl": reg["success_url"], "failUrl": reg["fail_url"],
                                           "page_url": victim.site + "/subscription"})
    if opened.status_code != 200:
        raise LabError(_("Toss's card window did not open (HTTP %(status)s).", status=opened.status_code))
    decided = victim.post(f"{victim.emulator}/toss/billing/window/{opened.json()['window_id']}/decide",
                          _("The victim registered the card in Toss's window"), csrf=False,
                          json={"outcome": "approve"})
    success = decided.json().get("redirect_url") if decided.status_code == 200 else None
    if not success:
        raise LabError(_("Toss's card window did not take the click (HTTP %(status)s).", status=decided.status_code))
    stolen = r.browser.get(success, _("Opened the victim's return address (customerKey and authKey) in my session"))
    r.fact(stolen.status_code == 404, _("The shop refused: that registration is not this buyer's (HTTP "
                                        "%(status)s)", status=stolen.status_code))
    victim.get(success, _("The victim came back from Toss's window"))
    charge = victim.post("/toss/billing/charge", _("The victim was charged for the basic plan"),
                         data={"plan": "basic"}, allow_redirects=False)
    charged = _charged_order(r, charge)
    theirs = r.browser.post("/toss/billing/charge", _("Asked the shop to charge the plan with the victim's "
                                                      "customerKey and a guessed billing key"),
                            data={"plan": "plus", "customer_key": reg["customer_key"], "customerKey":
                                  reg["customer_key"], "billingKey": secrets.token_urlsafe(32)},
                            allow_redirects=False)
    r.fact(theirs.status_code == 400, _("The shop refused: this buyer has no registered card (HTTP %(status)s)",
                                        status=theirs.status_code))
    cancel = r.browser.post(f"/toss/billing/charges/{charged['order_id']}/cancel",
                            _("Tried to cancel the victim's charge"), data={}, allow_redirects=False)
    r.fact(cancel.status_code == 404, _("The shop refused: that charge is not this buyer's (HTTP %(status)s)",
                                        status=cancel.status_code))
    r.expect_order({"order_id": reg["order_id"]}, ["registered"], _("the victim's card registration"))
    r.expect_order(charged, ["paid"], _("the victim's own charge (9,900 won)"))


# --- replay ----------------------------------------------------------------------------------------------

def portone_replay(r):
    order = r.order(_("the order"), "portone")
    paid = r.portone_window(order)
    answers = [r.complete(paid["imp_uid"], order["order_id"], _("Submitted the imp_uid (%(n)s)", n=n))
               for n in (1, 2)]
    redirect = f"/payments/complete?imp_uid={paid['imp_uid']}&merchant_uid={order['order_id']}"
    for n in (1, 2):
        r.not_5xx(r.browser.get(redirect, _("Opened the m_redirect_url return address (%(n)s)", n=n),
                                allow_redirects=False))
    r.fact(all(a.status_code == 200 and r.browser.json_of(a).get("status") == "paid" for a in answers),
           _("Both submissions were answered with the same paid order"))
    settled = r.count(order["order_id"], "portone.status")
    r.fact(settled == 1, _("The order was settled %(n)s time(s): exactly once", n=settled))
    r.expect_order(order, ["paid"], _("the order"))
    r.expect_payment("portone", paid["imp_uid"], ["paid"], _("its one payment"))


def toss_replay(r):
    order = r.order(_("the order"), "toss")
    got = r.toss_window(order)
    pages = [r.browser.get(got["redirect_url"], what) for what in (
        _("Opened the success URL"), _("Refreshed it"), _("Opened it again in another tab"))]
    r.fact(all(p.status_code == 200 for p in pages), _("Every visit showed the result page (HTTP 200)"))
    confirms = r.count(order["order_id"], "toss.confirm")
    r.fact(confirms == 1, _("Toss was asked to confirm %(n)s time(s): exactly once", n=confirms))
    paid = r.count(order["order_id"], "toss.status", actual="paid")
    r.fact(paid == 1, _("The order became paid %(n)s time(s): exactly once", n=paid))
    r.expect_order(order, ["paid"], _("the order"))
    r.expect_payment("toss", got["paymentKey"], ["DONE"], _("its one payment"))


# --- double confirm race --------------------------------------------------------------------------------

def toss_double_confirm(r):
    order = r.order(_("the order"), "toss")
    got = r.toss_window(order)
    answers, start = [None, None], threading.Barrier(2)

    def visit(i):
        start.wait()
        answers[i] = r.browser.get(got["redirect_url"], _("Sent /success (request %(n)s of 2, at the same moment)",
                                                          n=i + 1), session=requests.Session())
    threads = [threading.Thread(target=visit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    r.fact(all(a is not None and a.status_code == 200 for a in answers),
           _("Both requests got the result page (HTTP 200)"))
    paid = r.count(order["order_id"], "toss.status", actual="paid")
    r.fact(paid == 1, _("The order became paid %(n)s time(s): exactly once", n=paid))
    r.expect_order(order, ["paid"], _("the order"))
    r.expect_payment("toss", got["paymentKey"], ["DONE"], _("its one payment"))


# --- forged webhooks -------------------------------------------------------------------------------------

def portone_webhook_unknown(r):
    order = r.order(_("the order"), "portone")
    fake = "imp_" + secrets.token_hex(6)
    resp = r.browser.post("/webhooks/portone", _("Sent PortOne's webhook: %(imp_uid)s is paid for this order",
                                                  imp_uid=fake), csrf=False,
                          json={"imp_uid": fake, "merchant_uid": order["order_id"], "status": "paid"})
    r.not_5xx(resp)
    r.fact(r.records.portone(fake) is None, _("PortOne has no payment %(imp_uid)s", imp_uid=fake))
    r.expect_order(order, ["pending"], _("the order"))


def portone_webhook_other_order(r):
    cheap = r.order(_("cheap"), "portone", "socks")
    dear = r.order(_("expensive"), "portone", "jacket")
    paid = r.portone_window(cheap, notice=False)
    resp = r.browser.post("/webhooks/portone", _("Sent PortOne's webhook: the cheap order's imp_uid is paid for the "
                                                  "expensive order"), csrf=False,
                          json={"imp_uid": paid["imp_uid"], "merchant_uid": dear["order_id"], "status": "paid"})
    r.not_5xx(resp)
    r.expect_order(cheap, ["paid"], _("cheap order: its own payment is real"))
    r.expect_order(dear, ["pending"], _("expensive order"))
    r.expect_payment("portone", paid["imp_uid"], ["paid"], _("the cheap order's payment"))


def toss_deposit_wrong_secret(r):
    order = r.order(_("the order"), "toss")
    got = r.toss_window(order, method="가상계좌")
    r.browser.get(got["redirect_url"], _("Returned from Toss: a virtual account was issued"))
    resp = r.browser.post("/webhooks/toss", _("Sent a DEPOSIT_CALLBACK “DONE” with a made-up secret"), csrf=False,
                          json={"createdAt": "2026-01-01T12:00:00.000000", "secret": "ps_" + secrets.token_hex(14),
                                "status": "DONE", "transactionKey": "txrd_" + secrets.token_hex(8),
                                "orderId": order["order_id"]})
    r.not_5xx(resp)
    r.expect_order(order, ["awaiting_deposit"], _("virtual account order, nothing deposited"))
    r.expect_payment("toss", got["paymentKey"], ["WAITING_FOR_DEPOSIT"], _("the virtual account"))


def portone_webhook_not_paid(r):
    order = r.order(_("the order"), "portone")
    opened = r.portone_window(order, outcome=None, notice=False)
    resp = r.browser.post("/webhooks/portone", _("Sent PortOne's webhook: the unpaid %(imp_uid)s is paid",
                                                  imp_uid=opened["imp_uid"]), csrf=False,
                          json={"imp_uid": opened["imp_uid"], "merchant_uid": order["order_id"], "status": "paid"})
    r.not_5xx(resp)
    r.expect_order(order, ["pending"], _("the order"))
    r.expect_payment("portone", opened["imp_uid"], ["ready"], _("the payment, window still open"))


def toss_webhook_not_paid(r):
    order = r.order(_("the order"), "toss")
    got = r.toss_window(order)
    resp = r.browser.post("/webhooks/toss", _("Sent Toss's PAYMENT_STATUS_CHANGED “DONE” for the unconfirmed "
                                               "payment"), csrf=False, json={
        "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
        "data": {"paymentKey": got["paymentKey"], "orderId": order["order_id"], "status": "DONE",
                 "totalAmount": order["amount"]}})
    r.not_5xx(resp)
    r.expect_order(order, ["pending"], _("the order"))
    r.expect_payment("toss", got["paymentKey"], ["IN_PROGRESS"], _("the payment (approved, never confirmed)"))


# --- coupon abuse -----------------------------------------------------------------------------------------

def _ask_order(r, what, **body):
    return r.browser.post("/api/orders", what, json={"pg": "toss", "product_id": "shoes", **body})


def coupon_not_granted(r):
    made = _ask_order(r, _("Asked for an order with the made-up coupon FREE100"), coupons=["FREE100"])
    r.fact(made.status_code == 400 and r.browser.json_of(made).get("error") == "UNKNOWN_COUPON",
           _("The shop refused the coupon it never issued (HTTP %(status)s)", status=made.status_code))
    sneaky = _ask_order(r, _("Asked for an order sending its own amount=100 and discount=14900"),
                        amount=100, discount=14900, subtotal=100)
    body = r.browser.json_of(sneaky)
    r.fact(sneaky.status_code == 201 and body.get("amount") == 15000,
           _("The shop priced the order itself: %(amount)s won", amount=body.get("amount")))
    if sneaky.status_code == 201:
        r.expect_order(body, ["pending"], _("order priced by the server"))


def coupon_single_use_twice(r):
    r.browser.open_checkout()
    answers, start = [None, None], threading.Barrier(2)

    def ask(i):
        start.wait()
        answers[i] = _ask_order(r, _("Asked for an order with FIRSTBUY (request %(n)s of 2, at the same moment)",
                                     n=i + 1), coupons=["FIRSTBUY"])
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    answers.append(_ask_order(r, _("Asked once more with FIRSTBUY"), coupons=["FIRSTBUY"]))
    made = [a for a in answers if a is not None and a.status_code == 201]
    refused = [a for a in answers if a is not None and a.status_code == 400
               and r.browser.json_of(a).get("error") == "COUPON_ALREADY_USED"]
    r.fact(len(made) == 1 and len(refused) == 2, _("One order got the single-use coupon; %(n)s request(s) were "
                                                   "refused as already used", n=len(refused)))
    for a in made:
        r.expect_order(a.json(), ["pending"], _("the one order with FIRSTBUY (12,000 won)"))


def coupon_below_zero(r):
    tries = [
        (_("Asked for 3,000 won socks with the 5,000 won coupon"), {"product_id": "socks", "coupons": ["TOSS5000"]},
         "AMOUNT_TOO_LOW"),
        (_("Asked for the same coupon twice in one order"), {"coupons": ["TOSS5000", "toss5000"]}, "DUPLICATE_COUPON"),
        (_("Asked for a quantity of −1"), {"quantity": -1}, "BAD_QUANTITY"),
    ]
    for what, body, code in tries:
        resp = _ask_order(r, what, **body)
        answer = r.browser.json_of(resp)
        r.fact(resp.status_code == 400 and answer.get("error") == code and "order_id" not in answer,
               _("Refused with %(code)s; no order was stored (HTTP %(status)s)", code=answer.get("error"),
                 status=resp.status_code))


ATTACKS = {a.id: a for a in [
    Attack("portone-tampered-amount", "amount", _l("PortOne: pay less than the order"),
           _l("The browser passes amount: 100 to IMP.request_pay for a 15,000 won order and pays it."),
           _l("The shop reads the payment from PortOne, sees 100 ≠ 15,000, cancels it at PortOne and marks the "
              "order forged."), portone_tampered_amount),
    Attack("toss-update-amount", "amount", _l("Toss: updateAmount to a lower amount"),
           _l("The browser calls the widget with 1,000 won for a 15,000 won order, then edits the success URL "
              "back to 15,000."),
           _l("The shop refuses an amount that is not the order's, and confirms only the stored amount, which "
              "Toss refuses: nothing is charged."), toss_update_amount),
    Attack("toss-set-amount", "amount", _l("Toss SDK v2: widgets.setAmount to a lower amount"),
           _l("The browser calls setAmount with 1,000 won for a 15,000 won v2 order, pays, then edits the success "
              "URL back to 15,000."),
           _l("As with updateAmount: the shop refuses an amount that is not the order's, and confirms only the "
              "stored amount, which Toss refuses: nothing is charged."), toss_set_amount),
    Attack("toss-url-amount", "amount", _l("Toss: tampered amount in the success URL"),
           _l("The buyer pays 15,000 won in the window, then changes amount= in the success URL to 100."),
           _l("The shop compares the URL's amount with the stored one before confirming, and does not confirm."),
           toss_url_amount),
    Attack("portone-order-swap", "swap", _l("PortOne: claim an expensive order with a cheap payment"),
           _l("Pay a 3,000 won order, then post its imp_uid with the merchant_uid of an 89,000 won order."),
           _l("The payment PortOne returns names the cheap order: the expensive one is refused and stays unpaid."),
           portone_order_swap),
    Attack("toss-order-swap", "swap", _l("Toss: claim an expensive order with a cheap paymentKey"),
           _l("Pay a 3,000 won order, then open /success with the expensive orderId and the cheap paymentKey."),
           _l("Toss confirms a paymentKey only for its own orderId; the shop checks the record's orderId too."),
           toss_order_swap),
    Attack("portone-replay", "replay", _l("PortOne: submit the same imp_uid twice"),
           _l("Post the callback twice and open the m_redirect_url return address twice."),
           _l("One status change wins (a single conditional UPDATE); the others see the order already paid."),
           portone_replay),
    Attack("toss-replay", "replay", _l("Toss: open the success URL again, refresh it"),
           _l("Open the same success URL three times."),
           _l("A settled order with the same paymentKey is shown again, never confirmed twice."), toss_replay),
    Attack("toss-double-confirm", "race", _l("Toss: two /success requests at the same moment"),
           _l("Two tabs send the same success URL at once."),
           _l("Both confirms carry one Idempotency-Key, and one status change wins: paid once."),
           toss_double_confirm),
    Attack("portone-webhook-unknown", "webhook", _l("PortOne webhook with an unknown imp_uid"),
           _l("Post a webhook saying a made-up imp_uid is paid for a real order."),
           _l("Webhooks are not signed: the shop asks PortOne, which has no such payment. Nothing changes."),
           portone_webhook_unknown),
    Attack("portone-webhook-other-order", "webhook", _l("PortOne webhook with another order's imp_uid"),
           _l("Post a webhook naming the expensive order with the cheap order's paid imp_uid."),
           _l("The shop settles the payment for the order PortOne names (the cheap one); the expensive one stays "
              "unpaid."), portone_webhook_other_order),
    Attack("toss-deposit-wrong-secret", "webhook", _l("Toss DEPOSIT_CALLBACK with a wrong secret"),
           _l("Post a deposit callback “DONE” for a virtual account nobody paid into, with a guessed secret."),
           _l("The secret must equal the one Toss returned at confirm (compared in constant time): ignored."),
           toss_deposit_wrong_secret),
    Attack("portone-webhook-not-paid", "webhook", _l("PortOne webhook for a payment that is not paid"),
           _l("Open the window, do not pay, and post a webhook saying the payment is paid."),
           _l("The shop reads the payment back: PortOne says ready, so the order stays unpaid."),
           portone_webhook_not_paid),
    Attack("toss-webhook-not-paid", "webhook", _l("Toss webhook for a payment that is not paid"),
           _l("Approve in the window but skip the confirm, then post PAYMENT_STATUS_CHANGED “DONE”."),
           _l("The shop reads the payment back: Toss says IN_PROGRESS, so the order stays unpaid."),
           toss_webhook_not_paid),
    Attack("toss-billing-key-reuse", "billing", _l("Toss: charge someone else's registered card"),
           _l("Another buyer registers a card; the attacker replays their return address (customerKey, authKey), "
              "asks for a charge with their customerKey and a guessed billing key, and tries to cancel their charge."),
           _l("The billing key never leaves the server and is found only by the session's own customer: every "
              "attempt is refused and nothing is charged to the victim but their own order."),
           toss_billing_key_reuse),
    Attack("coupon-not-granted", "coupon", _l("A coupon the server does not grant"),
           _l("Ask for an order with a made-up coupon, or send your own amount and discount."),
           _l("The server prices every order from its own products and coupons; the browser's numbers are "
              "ignored."), coupon_not_granted),
    Attack("coupon-single-use-twice", "coupon", _l("A single-use coupon twice"),
           _l("Ask for two orders with FIRSTBUY at the same moment, then once more."),
           _l("A redemption row per customer and coupon (a primary key): only one order gets it."),
           coupon_single_use_twice),
    Attack("coupon-below-zero", "coupon", _l("A coupon that makes the amount zero or negative"),
           _l("Use a 5,000 won coupon on 3,000 won socks, the same coupon twice, or a negative quantity."),
           _l("The server refuses an amount below 100 won, repeated coupons and quantities outside 1–10."),
           coupon_below_zero),
]}
