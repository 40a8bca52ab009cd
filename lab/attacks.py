"""The attacks: each is what a malicious browser does to this site, and what must still be true afterwards.

An attack only sends what any visitor could send (the shop's public routes with the page's CSRF
token, forged PG webhooks, the PG's hosted-window endpoints). It is then judged on the money:
the shop's order statuses, read from the shop's public JSON, and each PG's own record, read from
the emulated PG's REST API. Besides the expectations of each attack, two rules always hold:
an order the shop marks paid is paid at the PG for exactly the stored amount, and money the PG
holds belongs to an order the shop marks paid for that amount (a forged payment is cancelled).
"""
import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import requests
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from standardwebhooks.webhooks import Webhook

from .browser import Browser, Listener, attr, with_query
from .records import PG_PAID

SETTLE_S = 5.0   # how long a verdict waits for webhooks the PG sends on its own to land (LAB_SETTLE_S)
# The emulator's two PortOne V2 channels, as public as their keys on its SDK test page.
V2_CHANNELS = {"test": "channel-key-test-00000000-0000-4000-8000-000000000000",
               "live": "channel-key-live-00000000-0000-4000-8000-000000000000"}


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
    "channel": _l("Another channel's payment"),
    "coupon": _l("Coupon abuse"),
    "keys": _l("Where the shop sends its keys"),
    "stranger": _l("A stranger acting on someone else's order"),
    "input": _l("Stored data and bad input"),
    "console": _l("The PG's console and webhooks"),
    "billing": _l("Automatic payments"),
}


def _won(amount):
    return f"{amount:,}" if isinstance(amount, int) else str(amount)


class LabError(Exception):
    """The site did not answer the way any browser would need to carry on (the attack could not run)."""


class Run:
    """One run of one attack: the attacker's browser, what it expects to find, and the verdict."""

    def __init__(self, site_url, records, settle_s=SETTLE_S, webhook_secret=None):
        self.settle_s, self.webhook_secret = settle_s, webhook_secret
        self.steps = []
        self.browser = Browser(site_url, self.steps)
        self.records = records
        self.orders = {}      # order_id -> (role, allowed statuses)
        self.payments = {}    # (pg, payment id) -> (role, allowed statuses)
        self.facts = []       # (ok, text) learnt from the answers

    # --- acting like the checkout page and the PG's SDK ------------------------------------------

    def another_browser(self):
        """A second visitor (the buyer, when the attacker acts on someone else's order): its own session."""
        return Browser(self.browser.site, self.steps)

    def order(self, role, pg, product="shoes", quantity=1, coupons=(), browser=None, **extra):
        """POST /api/orders as the checkout page does (by `browser`, default the attacker's). Returns the order JSON."""
        resp = (browser or self.browser).post("/api/orders", _("Created order (%(role)s): %(quantity)s × %(product)s",
                                                  role=role, quantity=quantity, product=product),
                                 json={"pg": pg, "product_id": product, "quantity": quantity,
                                       "coupons": list(coupons), "buyer_name": "Mallory", **extra})
        if resp.status_code != 201:
            raise LabError(_("The shop refused to create the %(role)s order (HTTP %(status)s).", role=role,
                             status=resp.status_code))
        return resp.json()

    def portone_window(self, order, amount=None, outcome="approve", notice=True, browser=None, pay_method="card",
                       **extra):
        """What IMP.request_pay and a click in the window do, with an amount of the attacker's choice."""
        b = browser or self.browser
        params = {"pg": "html5_inicis", "pay_method": pay_method, "merchant_uid": order["order_id"],
                  "name": order["order_name"], "amount": order["amount"] if amount is None else amount,
                  "currency": "KRW", "buyer_name": "Mallory"}
        if notice:
            params["notice_url"] = b.setting("data-notice-url")
        params.update(extra)
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

    def complete(self, imp_uid, merchant_uid, what, browser=None, **kw):
        """The page's callback: POST /payments/complete {imp_uid, merchant_uid}."""
        return (browser or self.browser).post("/payments/complete", what,
                                              json={"imp_uid": imp_uid, "merchant_uid": merchant_uid}, **kw)

    def portone_v2_order(self, role, product="shoes", prepare=True):
        """POST /portone-v2/orders as the V2 panel does (prepare: pre-register the amount). Returns the order."""
        self.browser.open_checkout("/?portone=v2")
        resp = self.browser.post("/portone-v2/orders", _("Created order (%(role)s): 1 × %(product)s",
                                                         role=role, product=product),
                                 json={"product_id": product, "quantity": 1, "coupons": [], "buyer_name": "Mallory",
                                       "pay_method": "CARD", "prepare": prepare})
        if resp.status_code != 201:
            raise LabError(_("The shop refused to create the %(role)s order (HTTP %(status)s).", role=role,
                             status=resp.status_code))
        return resp.json()

    def portone_v2_window(self, order, amount=None, outcome="approve", channel=None, notice=True):
        """What PortOne.requestPayment and a click in the window do, with the attacker's amount and channel.
        Returns {txId, rsp}; txId None when the SDK refused before any window (rsp has its code)."""
        b = self.browser
        request = {"storeId": b.setting("data-store-id"), "channelKey": channel or b.setting("data-channel-key"),
                   "paymentId": order["order_id"], "orderName": order["order_name"],
                   "totalAmount": order["amount"] if amount is None else amount, "currency": "CURRENCY_KRW",
                   "payMethod": "CARD"}
        if notice:
            request["noticeUrls"] = [b.setting("data-notice-url")]
        opened = b.post(b.emulator + "/portone-v2/sdk/payments", _(
            "Called PortOne.requestPayment for %(order)s with totalAmount %(amount)s", order=order["order_id"],
            amount=request["totalAmount"]), csrf=False, json={"request": request, "pageUrl": b.site + "/"})
        if opened.status_code == 400:
            return {"txId": None, "rsp": b.json_of(opened)}
        if opened.status_code != 200:
            raise LabError(_("PortOne's window did not open (HTTP %(status)s).", status=opened.status_code))
        tx_id = opened.json()["txId"]
        if outcome is None:
            return {"txId": tx_id, "rsp": None}
        decided = b.post(f"{b.emulator}/portone-v2/window/{tx_id}/decide",
                         _("Clicked “%(outcome)s” in PortOne's window", outcome=outcome), csrf=False,
                         json={"outcome": outcome})
        if decided.status_code != 200:
            raise LabError(_("PortOne's window did not take the click (HTTP %(status)s).",
                             status=decided.status_code))
        return {"txId": tx_id, "rsp": decided.json()["rsp"]}

    def portone_v2_webhook(self, what, event, secret, age_s=0):
        """POST /webhooks/portone-v2 signed as Standard Webhooks with `secret`, timestamped age_s ago."""
        text = json.dumps(event)
        moment = datetime.fromtimestamp(int(time.time() - age_s), timezone.utc)
        msg_id = "whk_" + secrets.token_hex(16)
        return self.browser.post("/webhooks/portone-v2", what, data=text, csrf=False, headers={
            "Content-Type": "application/json", "webhook-id": msg_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, moment, text)})

    def toss_window(self, order, amount=None, method="카드", outcome="approve", browser=None, **sdk):
        """What the widget's requestPayment and a click in the window do (updateAmount / setAmount = another
        amount). sdk: what SDK v2 adds to the request (product: 'widget' for widgets())."""
        b = browser or self.browser
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


def run(attack, site_url, records, settle_s=SETTLE_S, webhook_secret=None):
    """Run one attack against the site at site_url. Returns the JSON-ready report."""
    r = Run(site_url, records, settle_s, webhook_secret)
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
    r.expect_order(dear, ["pending"], _("expensive order (89,000 won)"))
    r.expect_order(later, ["pending"], _("second expensive order"))
    r.expect_payment("toss", got["paymentKey"], ["DONE"], _("the cheap order's payment"))


# --- automatic payments --------------------------------------------------------------------------------

def _charged_order(r, resp):
    """The order id of a charge, from the subscription page's redirect (…/subscription#order-<id>)."""
    location = resp.headers.get("Location", "")
    if resp.status_code != 303 or "#order-" not in location:
        raise LabError(_("The shop did not charge the registered card (HTTP %(status)s).", status=resp.status_code))
    return {"order_id": location.split("#order-", 1)[1]}


def _victim_registers_card(r):
    """A second buyer (the victim) registers a card in Toss's window: (victim, registration, return address)."""
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
    return victim, reg, success


def toss_billing_key_reuse(r):
    victim, reg, success = _victim_registers_card(r)
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


# --- where keys go ------------------------------------------------------------------------------------

def host_header(r):
    b = r.browser
    with Listener() as stranger:
        forged = {"Host": stranger.netloc, "X-Forwarded-Host": stranger.netloc, "X-Forwarded-Proto": "http",
                  "Forwarded": f"host={stranger.netloc}"}
        unknown = b.get("/", _("Opened the checkout page with Host: evil.example"), headers={"Host": "evil.example"})
        r.fact(unknown.status_code == 400, _("The shop refused a Host it does not serve (HTTP %(status)s)",
                                             status=unknown.status_code))
        page = b.get("/", _("Opened the checkout page with Host and X-Forwarded-Host naming the stranger's server"),
                     headers=forged).text
        r.fact(stranger.netloc not in page, _("The page hands the PG only the shop's own addresses (SITE_URL), "
                                              "never the stranger's"))
        order = r.order(_("PortOne order"), "portone")
        paid = r.portone_window(order)
        r.not_5xx(r.complete(paid["imp_uid"], order["order_id"], _("Posted the payment with the stranger's Host "
                                                                    "headers"), headers=forged))
        toss = r.order(_("Toss order"), "toss")
        got = r.toss_window(toss)
        r.not_5xx(b.get(got["redirect_url"], _("Opened the success URL with the stranger's Host headers"),
                        headers=forged))
        r.fact(not stranger.hits, _("The stranger's server received %(n)s request(s): no key, no token, no "
                                    "payment lookup went there", n=len(stranger.hits)))
    r.expect_order(order, ["paid"], _("PortOne order, verified with the configured PG"))
    r.expect_payment("portone", paid["imp_uid"], ["paid"], _("its payment"))
    r.expect_order(toss, ["paid"], _("Toss order, confirmed with the configured PG"))
    r.expect_payment("toss", got["paymentKey"], ["DONE"], _("its payment"))


# --- a stranger's moves on someone else's order ----------------------------------------------------------

def portone_third_party_decline(r):
    buyer = r.another_browser()
    order = r.order(_("the buyer's order"), "portone", browser=buyer)
    declined = r.portone_window(order, outcome="decline_insufficient")
    r.not_5xx(r.complete(declined["imp_uid"], order["order_id"], _("Posted the declined payment to "
                                                                    "/payments/complete for the buyer's order")))
    paid = r.portone_window(order, browser=buyer)
    done = r.complete(paid["imp_uid"], order["order_id"], _("The buyer paid and the page posted the payment"),
                      browser=buyer)
    r.not_5xx(done)
    r.expect_order(order, ["paid"], _("the buyer's order"))
    r.expect_payment("portone", paid["imp_uid"], ["paid"], _("the buyer's payment"))
    r.expect_payment("portone", declined["imp_uid"], ["failed"], _("the stranger's declined payment"))


def toss_fail_race(r):
    buyer = r.another_browser()
    order = r.order(_("the buyer's order"), "toss", browser=buyer)
    got = r.toss_window(order, browser=buyer)
    fail = with_query(r.browser.setting("data-fail-url"), code="PAY_PROCESS_CANCELED", orderId=order["order_id"],
                      message="사용자에 의해 결제가 취소되었습니다.")
    r.not_5xx(r.browser.get(fail, _("A stranger opened /fail?orderId=… for the buyer's order")))
    answers, start = [None, None], threading.Barrier(2)

    def visit(i):
        start.wait()
        answers[i] = (buyer.get(got["redirect_url"], _("The buyer's browser came back to /success")) if i == 0 else
                      r.browser.get(fail, _("The stranger sent /fail again at the same moment"),
                                    session=requests.Session()))
    threads = [threading.Thread(target=visit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    r.fact(answers[0] is not None and answers[0].status_code == 200,
           _("The buyer's /success showed the result page (HTTP %(status)s)",
             status=answers[0].status_code if answers[0] is not None else None))
    r.expect_order(order, ["paid"], _("the buyer's order"))
    r.expect_payment("toss", got["paymentKey"], ["DONE"], _("the buyer's payment"))


def late_payment(r):
    order = r.order(_("the order"), "portone")
    opened = r.portone_window(order, outcome=None)
    r.not_5xx(r.browser.post("/flows/reconcile", _("Pressed “Reconcile open orders” while the window was still "
                                                    "open"), data={}, allow_redirects=False))
    after = (r.records.order(order["order_id"]) or {}).get("status")
    r.fact(True, _("After reconciling, the shop has the order as %(status)s", status=after))
    b = r.browser
    b.post(f"{b.emulator}/portone/window/{opened['imp_uid']}/decide", _("Approved the payment in the window that "
                                                                       "was left open"), csrf=False,
           json={"outcome": "approve"})
    r.not_5xx(r.complete(opened["imp_uid"], order["order_id"], _("Posted the late payment to /payments/complete")))
    r.expect_order(order, ["paid", "expired"], _("the order (paid, or given up with the late payment cancelled)"))
    r.expect_payment("portone", opened["imp_uid"], ["paid", "cancelled"], _("the late payment"))


def peek_order(r):
    buyer = r.another_browser()
    order = r.order(_("the buyer's order"), "portone", browser=buyer, buyer_name="Kim Minsu",
                    buyer_email="minsu.kim@example.com", pay_method="vbank")
    issued = r.portone_window(order, browser=buyer, pay_method="vbank", buyer_name="Kim Minsu")
    r.complete(issued["imp_uid"], order["order_id"], _("The buyer's page posted the virtual account"), browser=buyer)
    account = (r.records.portone(issued["imp_uid"]) or {}).get("account") or "?"
    page = r.browser.get(f"/orders/{order['order_id']}", _("Opened the buyer's order page with its id"))
    r.fact(page.status_code == 404 and account not in page.text,
           _("The order page answered HTTP %(status)s: only the buyer's session sees it", status=page.status_code))
    for path in (f"/flows/{order['order_id']}", f"/api/flows/{order['order_id']}", "/api/flows"):
        seen = r.browser.get(path, _("Read %(path)s", path=path)).text
        r.fact(not any(v in seen for v in ("Kim Minsu", "minsu.kim@example.com", account)),
               _("%(path)s shows the buyer's name, email and account number masked", path=path))
    r.expect_order(order, ["awaiting_deposit"], _("the buyer's virtual account order"))
    r.expect_payment("portone", issued["imp_uid"], ["ready"], _("the virtual account, nothing deposited"))


# --- stored data and bad input --------------------------------------------------------------------------

MESSAGE_SHAPED = '{"m":"%(a)99999999s","v":{"a":"x"}}'


def message_shaped_key(r):
    b = r.browser
    toss = r.order(_("Toss order"), "toss")
    success = with_query(b.setting("data-success-url"), paymentKey=MESSAGE_SHAPED, orderId=toss["order_id"],
                         amount=toss["amount"], paymentType="NORMAL")
    r.not_5xx(b.get(success, _("Opened /success with a paymentKey shaped like a stored message")))
    portone = r.order(_("PortOne order"), "portone")
    r.not_5xx(r.complete(MESSAGE_SHAPED, portone["order_id"], _("Posted an imp_uid shaped like a stored message")))
    for oid in (toss["order_id"], portone["order_id"]):
        for path in (f"/flows/{oid}", f"/api/flows/{oid}", f"/orders/{oid}"):
            resp = b.get(path, _("Opened %(path)s", path=path))
            r.fact(resp.status_code == 200 and len(resp.content) < 2_000_000,
                   _("%(path)s answered HTTP %(status)s with %(kb)s KB: the key is shown as text", path=path,
                     status=resp.status_code, kb=len(resp.content) // 1024))
    got = r.toss_window(toss)
    b.get(got["redirect_url"], _("Then paid the Toss order honestly"))
    r.expect_order(toss, ["paid"], _("Toss order, paid afterwards"))
    r.expect_payment("toss", got["paymentKey"], ["DONE"], _("its payment"))
    r.expect_order(portone, ["pending"], _("PortOne order"))


def deep_json(r):
    order = r.order(_("the order"), "portone")
    deep = "[" * 30000 + "]" * 30000
    for path, csrf in (("/api/orders", True), ("/payments/complete", True), ("/webhooks/toss", False),
                       ("/webhooks/portone", False)):
        resp = r.browser.post(path, _("Posted JSON nested 30,000 deep to %(path)s", path=path), data=deep, csrf=csrf,
                              headers={"Content-Type": "application/json"})
        r.fact(400 <= resp.status_code < 500, _("The shop answered %(path)s with HTTP %(status)s: bad input, not a "
                                                "server error", path=path, status=resp.status_code))
    r.expect_order(order, ["pending"], _("the order, unchanged"))


FLOOD = 150


def webhook_flood(r):
    order = r.order(_("the order"), "toss")
    body = {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
            "data": {"paymentKey": "tgen_" + secrets.token_hex(8), "orderId": order["order_id"], "status": "DONE",
                     "pad": "x" * 60000}}
    first = r.browser.post("/webhooks/toss", _("Posted a 60 KB webhook naming the order (1 of %(n)s)", n=FLOOD),
                           json=body, csrf=False)
    answers = [first.status_code] + [r.browser.http.post(r.browser.site + "/webhooks/toss", json=body,
                                                         timeout=30).status_code for _i in range(FLOOD - 1)]
    r.fact(all(a < 500 for a in answers), _("%(n)s webhooks posted, none answered with a server error", n=FLOOD))
    stored = len(r.records.steps(order["order_id"]))
    page = r.browser.get(f"/flows/{order['order_id']}", _("Opened the flow's page"))
    r.fact(stored <= 1000 and len(page.content) < 3_000_000,
           _("The flow kept %(n)s steps and its page is %(kb)s KB: the log is capped", n=stored,
             kb=len(page.content) // 1024))
    got = r.toss_window(order)
    r.browser.get(got["redirect_url"], _("Then paid the order honestly"))
    r.expect_order(order, ["paid"], _("the order, paid afterwards"))
    r.expect_payment("toss", got["paymentKey"], ["DONE"], _("its payment"))


# --- the PG's own console and webhooks -------------------------------------------------------------------

def console_cross_site(r):
    b = r.browser
    order = r.order(_("virtual account order"), "portone", pay_method="vbank")
    issued = r.portone_window(order, pay_method="vbank")
    r.complete(issued["imp_uid"], order["order_id"], _("The page posted the issued virtual account"))
    evil = {"Origin": "http://evil.example", "Referer": "http://evil.example/"}
    deposit = b.post(f"{b.emulator}/portone/payments/{issued['imp_uid']}/deposit",
                     _("From another site's page: a form post to the console's “Deposit now”"), data={"x": "1"},
                     csrf=False, headers=evil, allow_redirects=False)
    r.fact(deposit.status_code == 403, _("The console refused the cross-site deposit (HTTP %(status)s)",
                                         status=deposit.status_code))
    fault = b.post(f"{b.emulator}/faults", _("From another site's page: a form post arming a fault"), csrf=False,
                   data={"target": "portone:get_payment", "kind": "error_5xx", "count": "1"}, headers=evil,
                   allow_redirects=False)
    r.fact(fault.status_code == 403, _("The console refused the cross-site fault (HTTP %(status)s)",
                                       status=fault.status_code))
    if fault.status_code < 400:      # it went through: take it away so the next run is not disturbed
        b.post(f"{b.emulator}/faults/clear", _("Cleared the fault the cross-site post armed"), csrf=False,
               headers=evil, allow_redirects=False)
    r.expect_order(order, ["awaiting_deposit"], _("virtual account order, nothing deposited"))
    r.expect_payment("portone", issued["imp_uid"], ["ready"], _("the virtual account"))


def notice_url_internal(r):
    with Listener() as internal:
        order = r.order(_("the order"), "portone")
        b = r.browser
        target = internal.url + "/internal/admin"
        params = {"pg": "html5_inicis", "pay_method": "card", "merchant_uid": order["order_id"],
                  "name": order["order_name"], "amount": order["amount"], "currency": "KRW", "notice_url": target}
        opened = b.post(b.emulator + "/portone/sdk/payments", _("Opened PortOne's window with notice_url %(url)s",
                                                                 url=target), csrf=False,
                        json={"user_code": b.setting("data-imp-code"), "params": params, "sdk": "1.3.0",
                              "page_url": b.site + "/"})
        imp_uid = opened.json().get("imp_uid") if opened.status_code == 200 else None
        if imp_uid:
            b.post(f"{b.emulator}/portone/window/{imp_uid}/decide", _("Approved the payment"), csrf=False,
                   json={"outcome": "approve"})
            r.complete(imp_uid, order["order_id"], _("Posted the payment to /payments/complete"))
            r.expect_payment("portone", imp_uid, ["paid"], _("the payment"))
        deadline = time.monotonic() + 2.0      # the PG sends its webhook a moment after the payment
        while imp_uid and not internal.hits and time.monotonic() < deadline:
            time.sleep(0.1)
        r.fact(not internal.hits, _("The internal address received %(n)s request(s) from the PG",
                                    n=len(internal.hits)))
    r.expect_order(order, ["paid", "pending"], _("the order"))
# --- PortOne V2: pre-registered amount, signed webhooks, the shop's own channel ------------------------------

def _paid_event(r, order, tx_id):
    return {"type": "Transaction.Paid", "timestamp": datetime.now(timezone.utc).isoformat(),
            "data": {"storeId": r.browser.setting("data-store-id"), "paymentId": order["order_id"],
                     "transactionId": tx_id or "tx"}}


def portone_v2_amount_not_preregistered(r):
    order = r.portone_v2_order(_("the order"))
    got = r.portone_v2_window(order, amount=100)
    r.fact(got["txId"] is None and got["rsp"].get("code") == "AmountNotEqualToPredefined",
           _("PortOne refused to open the window: %(code)s", code=got["rsp"].get("code")))
    resp = r.browser.post("/portone-v2/complete", _("Posted the paymentId as if it were paid"),
                          json={"paymentId": order["order_id"]})
    r.not_5xx(resp)
    r.expect_order(order, ["pending"], _("15,000 won order, requestPayment for 100 won"))


def portone_v2_webhook_forged(r):
    order = r.portone_v2_order(_("the order"))
    opened = r.portone_v2_window(order, outcome=None, notice=False)
    forged = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    resp = r.portone_v2_webhook(_("Sent Transaction.Paid for the unpaid order, signed with a made-up secret"),
                                _paid_event(r, order, opened["txId"]), forged)
    r.fact(resp.status_code == 401, _("The shop refused the webhook's signature (HTTP %(status)s)",
                                      status=resp.status_code))
    r.expect_order(order, ["pending"], _("the order"))
    r.expect_payment("portone_v2", order["order_id"], ["READY"], _("the payment, window still open"))


def portone_v2_webhook_replayed(r):
    order = r.portone_v2_order(_("the order"))
    opened = r.portone_v2_window(order, outcome=None, notice=False)
    resp = r.portone_v2_webhook(_("Replayed a Transaction.Paid webhook PortOne signed 6 minutes ago (a copy "
                                  "taken off the wire)"), _paid_event(r, order, opened["txId"]),
                                r.webhook_secret, age_s=6 * 60)
    r.fact(resp.status_code == 401 and r.browser.json_of(resp).get("reason") == "stale",
           _("The shop refused the webhook as older than 5 minutes (HTTP %(status)s)", status=resp.status_code))
    r.expect_order(order, ["pending"], _("the order"))
    r.expect_payment("portone_v2", order["order_id"], ["READY"], _("the payment, window still open"))


def portone_v2_other_channel(r):
    order = r.portone_v2_order(_("the order"))
    shops = r.browser.setting("data-channel-key")
    other = V2_CHANNELS["test"] if shops != V2_CHANNELS["test"] else V2_CHANNELS["live"]
    r.portone_v2_window(order, channel=other)
    resp = r.browser.post("/portone-v2/complete", _("Posted the payment made on the other channel"),
                          json={"paymentId": order["order_id"]})
    r.fact(r.browser.json_of(resp).get("error") == "PAYMENT_REFUSED",
           _("The shop refused the payment (%(error)s)", error=r.browser.json_of(resp).get("error")))
    r.expect_order(order, ["forged"], _("the order, paid on a channel that is not the shop's"))
    r.expect_payment("portone_v2", order["order_id"], ["CANCELLED"], _("the other channel's payment"))


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
    Attack("host-header", "keys", _l("A forged Host header"),
           _l("Send the shop's routes a Host, X-Forwarded-Host and Forwarded header naming a server of the "
              "attacker's, hoping the shop calls the PG there with its keys, or hands the PG callback URLs there."),
           _l("The PG's address and every callback URL come from configuration (SITE_URL, EMULATOR_URL); an unknown "
              "Host gets a 400; shop/http.py sends nothing to an origin that is not a configured PG."), host_header),
    Attack("portone-third-party-decline", "stranger", _l("PortOne: a stranger declines the buyer's order"),
           _l("A stranger opens PortOne's window with the buyer's merchant_uid, declines it and posts the declined "
              "payment to /payments/complete; then the buyer pays."),
           _l("A declined payment is the stranger's, not the order's outcome: the order stays open, and the buyer's "
              "payment settles it."), portone_third_party_decline),
    Attack("toss-fail-race", "stranger", _l("Toss: a stranger's /fail races the buyer's /success"),
           _l("A stranger opens /fail?orderId=… for the buyer's order, and again at the moment the buyer comes back "
              "to /success."),
           _l("/fail is only the browser's word: it never makes an order terminal, so the buyer's confirm settles "
              "it."), toss_fail_race),
    Attack("late-payment", "stranger", _l("A late payment for an abandoned order"),
           _l("Open PortOne's window, let reconciliation give the order up, then approve the window and post the "
              "payment."),
           _l("A payment for an order the shop gave up on is cancelled at the PG (or the order is still open and "
              "settles): nothing is held for an order shown failed."), late_payment),
    Attack("peek-order", "stranger", _l("Read someone else's order"),
           _l("With the id of a buyer's order (the flow list shows every id), open its result page and its flow."),
           _l("The result page answers only the session that placed the order; the log pages mask the buyer's name, "
              "email and account number."), peek_order),
    Attack("message-shaped-key", "input", _l("A paymentKey shaped like a stored message"),
           _l("Send a paymentKey and an imp_uid shaped like a stored message ({\"m\": …, \"v\": …}) whose text asks "
              "for a 99,999,999-character field, hoping the shop reads them back as a message and formats a 100 MB "
              "string on every page of the flow."),
           _l("Stored data is never code: only messages the code defines are rendered, and what came from outside "
              "is stored and shown as text."), message_shaped_key),
    Attack("deep-json", "input", _l("JSON nested 30,000 deep"),
           _l("Post a JSON body of 30,000 nested arrays to the shop's JSON routes and webhooks."),
           _l("The shop parses JSON with a nesting limit: too deep is a 400, like any bad body."), deep_json),
    Attack("webhook-flood", "input", _l("A webhook flood"),
           _l("Post 150 unsigned 60 KB webhooks naming one order, to grow the shop's database and that flow's page."),
           _l("What one exchange and one flow may store is capped (marked “truncated”); flask prune deletes old "
              "flows."), webhook_flood),
    Attack("console-cross-site", "console", _l("A cross-site post to the PG's console"),
           _l("Another site's page posts a form to the emulator's console: “Deposit now” on a virtual account, and "
              "a fault."),
           _l("The console takes only posts from its own pages (a CSRF token and an Origin check)."),
           console_cross_site),
    Attack("notice-url-internal", "console", _l("notice_url pointing inside"),
           _l("Open PortOne's window with a notice_url on an internal address, so the PG posts its webhook there."),
           _l("The PG sends webhooks only to allowed origins (EMULATOR_WEBHOOK_ALLOWED_ORIGINS)."), notice_url_internal),
    Attack("portone-v2-amount-not-preregistered", "amount",
           _l("PortOne V2: an amount other than the pre-registered one"),
           _l("Call PortOne.requestPayment with totalAmount 100 for a 15,000 won order, then post its paymentId."),
           _l("The shop pre-registered 15,000 for this paymentId, so PortOne opens no window; the shop reads "
              "the payment back and finds nothing paid."), portone_v2_amount_not_preregistered),
    Attack("portone-v2-webhook-forged", "webhook", _l("PortOne V2: a webhook with a forged signature"),
           _l("Post Transaction.Paid for an unpaid order, signed with a secret the attacker made up."),
           _l("The signature over the raw body must match the shop's webhook secret: refused with 401, nothing "
              "changes."), portone_v2_webhook_forged),
    Attack("portone-v2-webhook-replayed", "replay", _l("PortOne V2: a signed webhook replayed later"),
           _l("Replay a webhook PortOne really signed, 6 minutes after it was sent."),
           _l("Standard Webhooks signs the timestamp too, and the shop accepts 5 minutes at most: refused with "
              "401, nothing changes."), portone_v2_webhook_replayed),
    Attack("portone-v2-other-channel", "channel", _l("PortOne V2: a payment on a channel that is not the shop's"),
           _l("Pay the order's paymentId through another channel of the store (a TEST channel when the shop's is "
              "LIVE) and post it."),
           _l("The shop checks channel.key of the payment it reads back: not its own, so it is refused and "
              "cancelled."), portone_v2_other_channel),
]}
