"""The shop's own pages and JSON: the checkout page, pricing, order creation, browser reports."""
import json
import re
import sqlite3
import secrets
from datetime import date

from flask import Blueprint, abort, jsonify, render_template, request, session, url_for
from flask_babel import lazy_gettext
from flask_babel import gettext as _

import i18n
from i18n import msg

from . import catalog, config, orders, privacy, providers, steps
from .db import get_db

bp = Blueprint("shop", __name__)

BROWSER_PHASES = ("checkout", "authenticate", "return")
EVENT_NAME = re.compile(r"^[a-z0-9_]{1,20}\.[a-z_.]{1,60}$")

# What a browser-reported step may say: the page sends a summary_key from this table and its values,
# never prose, so the summary is shown in each reader's language. The values are the browser's word:
# shown as data (text of at most 200 characters; an int for a `_won` value), never as a message.
BROWSER_SUMMARIES = {
    "portone.request_pay": catalog.N_("IMP.request_pay(%(pg)s, %(pay_method)s, %(amount)s)"),
    "portone.window_done": catalog.N_("The buyer finished in PortOne's payment window; what happened there "
                                      "reaches the shop only as PortOne's own record"),
    "portone.window_left": catalog.N_("The buyer left PortOne's payment window without paying (the callback "
                                      "brings error %(code)s); the shop still asks PortOne"),
    "portone.callback_paid": catalog.N_("IMP.request_pay callback: imp_uid %(imp_uid)s"),
    "portone.callback_error": catalog.N_("IMP.request_pay callback: error %(code)s “%(message)s”"),
    "portone_v2.request_payment": catalog.N_("PortOne.requestPayment(%(payMethod)s, %(amount_won)s) with the "
                                             "order id as paymentId"),
    "portone_v2.response_paid": catalog.N_("requestPayment resolved: paymentId %(paymentId)s"),
    "portone_v2.response_error": catalog.N_("requestPayment resolved with %(code)s: %(message)s"),
    "toss.request_payment": catalog.N_("widget.requestPayment for %(amount_won)s (amount set by "
                                       "renderPaymentMethods/updateAmount from the server's price)"),
    "toss.rejection": catalog.N_("requestPayment was rejected: %(code)s “%(message)s”"),
    "toss.request_payment_v2": catalog.N_("widgets.requestPayment for %(amount_won)s (amount set by "
                                          "widgets.setAmount from the server's price)"),
    "toss.payment_window": catalog.N_("payment().requestPayment with method %(method)s and amount "
                                      "%(amount_won)s (the payment window, API client key)"),
    "toss.billing_auth": catalog.N_("payment().requestBillingAuth for customer %(customer_key)s (card "
                                    "registration window, API client key)"),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def customer_key():
    """The buyer's id for this browser (Toss customerKey rules: 2-50 of [A-Za-z0-9-_=.@])."""
    if "customer_key" not in session:
        session["customer_key"] = "cust_" + secrets.token_hex(8)
    return session["customer_key"]


def refused(error, message, status=400, **params):
    """A JSON refusal: a stable `error` code and a translated message for people."""
    return jsonify(error=error, message=_(message, **params)), status


def json_body():
    """The request's JSON object, or None when the body is not a JSON object."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def _ask(data):
    """(product_id, quantity, coupons) from a pricing request, or raise OrderRefused."""
    product_id = data.get("product_id")
    quantity = data.get("quantity", 1)
    coupons = data.get("coupons", [])
    if not isinstance(product_id, str):
        raise catalog.OrderRefused("UNKNOWN_PRODUCT", "There is no such product.")
    if not isinstance(coupons, list) or len(coupons) > catalog.MAX_COUPONS or \
            not all(isinstance(c, str) and len(c) <= 40 for c in coupons):
        raise catalog.OrderRefused("BAD_COUPONS", "Coupons must be a list of at most three codes.")
    return product_id, quantity, coupons


def _quote(data):
    product_id, quantity, coupons = _ask(data)
    return catalog.quote(product_id, quantity, coupons, date.today(),
                         orders.used_single_use(customer_key()), translate=_)


@bp.app_template_global()
def money(amount):
    """Won as the PGs show it: 15,000원 in Korean, KRW 15,000 in English."""
    return i18n.money(amount)


STATUS_TITLES = {
    orders.Status.PENDING: lazy_gettext("Waiting for the payment"),
    orders.Status.AWAITING_DEPOSIT: lazy_gettext("Waiting for the deposit"),
    orders.Status.PAID: lazy_gettext("Paid and verified"),
    orders.Status.PARTIALLY_REFUNDED: lazy_gettext("Paid, partly refunded"),
    orders.Status.FAILED: lazy_gettext("Not paid: the attempt failed (it can be paid again)"),
    orders.Status.CANCELLED: lazy_gettext("Cancelled and refunded"),
    orders.Status.FORGED: lazy_gettext("A payment that did not match was refused (it can be paid again)"),
    orders.Status.UNKNOWN: lazy_gettext("Outcome unknown: asking the PG again"),
    orders.Status.EXPIRED: lazy_gettext("Closed: not paid in time"),
    orders.Status.REGISTERED: lazy_gettext("Card registered for automatic payments"),
}


@bp.app_template_global()
def provider_title(provider_id):
    """How pages name a provider ('PortOne V1'); the id itself when it is none of ours."""
    try:
        return providers.get(provider_id).title
    except KeyError:
        return provider_id


@bp.app_template_global()
def status_title(status):
    return STATUS_TITLES.get(status, status)


@bp.app_template_global()
def product_name(order):
    """The order's product in the reader's language (the stored order_name is in the buyer's)."""
    return catalog.order_name(order["product_id"], order["quantity"], _)


# What the page reported when the buyer left the PG's window without paying: the callback's error_code
# (PortOne V1), the pgCode of V2's answer, or the rejected promise's code (Toss). A closed window has its own words.
CLOSED_WINDOW = {"F400": "결제포기", "USER_CANCEL": "", "PAY_PROCESS_CANCELED": ""}


def browser_word(order):
    """For an open order with no reason yet: what the page last reported the buyer did in the PG's window
    (an i18n.msg()), or None. The browser's word: it explains, it never moves the order."""
    return browser_words([order]).get(order["id"])


def browser_words(order_rows, per_order=5):
    """browser_word() of many orders (a page of the flows list) in one bounded query: {order id: msg}."""
    ids = [o["id"] for o in order_rows if o["status"] == orders.Status.PENDING and not o["reason"]]
    if not ids:
        return {}
    rows = get_db().execute(
        "SELECT order_id, exchange FROM (SELECT order_id, exchange, ROW_NUMBER() OVER (PARTITION BY order_id"
        " ORDER BY id DESC) AS n FROM steps WHERE order_id IN (%s) AND reported = 1 AND phase IN"
        " ('authenticate', 'return')) WHERE n <= ? ORDER BY n LIMIT ?" % ",".join("?" * len(ids)),
        [*ids, per_order, per_order * len(ids)]).fetchall()
    words = {}
    for row in rows:        # newest first per order: the first readable report of each order says it
        if row["order_id"] not in words:
            word = _window_word((json.loads(row["exchange"]) if row["exchange"] else {}).get("browser"))
            if word:
                words[row["order_id"]] = word
    return words


def _window_word(data):
    """The words for one reported SDK answer (callback or rejected promise), or None when it reports no error."""
    if not isinstance(data, dict):
        return None
    code, text = data.get("error_code") or data.get("code"), data.get("error_msg") or data.get("message")
    if not isinstance(code, str) or not code:
        return None
    text = str(text or "")[:200]
    # PortOne V2 names the PG's own code beside its generic one (FAILURE_TYPE_PG, pgCode PAY_PROCESS_CANCELED).
    if any(c in CLOSED_WINDOW and CLOSED_WINDOW[c] in text for c in (code, data.get("pgCode"))):
        return msg("The buyer closed the payment window, so nothing was charged. The order can still be paid.")
    return msg("Nothing was charged: the payment window reported %(code)s (“%(message)s”). The order can "
               "still be paid.", code=code, message=text)


@bp.get("/")
def checkout():
    return render_template("checkout.html", products=catalog.PRODUCTS, fixed_coupon=catalog.FIXED_COUPON,
                           customer_key=customer_key(), modes=config.modes())


@bp.post("/api/quote")
def quote():
    """Price an order without storing it: the page shows this amount and hands it to the SDK."""
    data = json_body()
    if data is None:
        return refused("BAD_REQUEST", "Send a JSON object.")
    try:
        q = _quote(data)
    except catalog.OrderRefused as e:
        return refused(e.code, e.message, **e.params)
    return jsonify(subtotal=q.subtotal, discount=q.discount, amount=q.amount, coupons=list(q.coupons),
                   lines=[{"code": c, "discount": won} for c, won in q.lines], order_name=q.order_name)


@bp.post("/api/orders")
def create_order():
    """Store the order (amount computed here) before the browser calls the PG's SDK."""
    data = json_body()
    if data is None:
        return refused("BAD_REQUEST", "Send a JSON object.")
    pg = data.get("pg")
    if pg not in providers.ids():
        return refused("UNKNOWN_PG", "Choose PortOne or Toss.")
    order, refusal = place_order(pg, data)
    if refusal is not None:
        return refusal
    return jsonify(order_view(order)), 201


def place_order(pg, data, sdk=None):
    """Price and store an order for pg from the buyer's request (product, quantity, coupons, buyer, sdk).

    Shared by POST /api/orders and the PG packages' own order routes. sdk: which browser SDK the page uses,
    one of the provider's `sdks` (the first when not given); a server-side caller names its own. Returns
    (order, None), or (None, a JSON refusal response).
    """
    fields, refusal = _order_fields(pg, data, sdk)
    if refusal is not None:
        return None, refusal
    try:
        q = _quote(data)
        order = orders.create(pg, q, customer_key=customer_key(), **fields)
    except catalog.OrderRefused as e:
        return None, refused(e.code, e.message, **e.params)
    except sqlite3.IntegrityError:
        return None, refused("COUPON_ALREADY_USED", "Coupon %(code)s has already been used.", code="FIRSTBUY")
    coupons = ", ".join(c for c in data.get("coupons") or [] if isinstance(c, str))
    flow = steps.Flow(order["id"], pg)
    with steps.batch():
        label = catalog.PRODUCTS[q.product_id]["name"]
        product = msg(label)   # the product's name, shown in each reader's language
        flow.record("create_order", msg("Browser asked for %(quantity)s × %(product)s with coupons %(coupons)s",
                                        quantity=q.quantity, product=product, coupons=coupons) if coupons else
                    msg("Browser asked for %(quantity)s × %(product)s with no coupon", quantity=q.quantity,
                        product=product), kind="http_in", frm="browser",
                    exchange={"request": {"method": "POST", "url": request.path, "body": data}})
        flow.record("price_order", msg("Server priced the order: %(subtotal_won)s − %(discount_won)s = %(amount_won)s; "
                                       "stored as %(order_id)s", subtotal_won=q.subtotal, discount_won=q.discount,
                                       amount_won=q.amount, order_id=order["id"]), verdict="pass", expected=q.amount)
    return order, None


def _order_fields(pg, data, sdk):
    """The order's sdk and buyer fields from the request: (fields, None), or (None, a JSON refusal response)."""
    if sdk is None:
        sdks = providers.get(pg).extra.get("sdks", ("",))
        sdk = data.get("sdk") or sdks[0]
        if sdk not in sdks:
            return None, refused("BAD_FIELD", "%(field)s must be one of %(choices)s.", field="sdk",
                                 choices=", ".join(sdks))
    fields = {"sdk": sdk}
    for key, limit in (("pay_method", 20), ("buyer_name", 40), ("buyer_email", 64)):
        value = data.get(key, "")
        if not isinstance(value, str) or len(value) > limit:
            return None, refused("BAD_FIELD", "%(field)s must be text of at most %(limit)s characters.",
                                 field=key, limit=limit)
        fields[key] = value.strip()
    return fields, None


def answer_json(answer):
    """A flow's settle.Answer as the page's JSON; a browser that did not place the order learns its status only
    (the reason can name the buyer's virtual account)."""
    order = answer.order
    mine = privacy.owns(order)
    body = {"status": order["status"], "order_id": order["id"],
            "message": i18n.render(answer.message or order["reason"]) if mine else
            _("This order was placed in another browser, so only its status is shown here."),
            "result_url": url_for("shop.order_result", order_id=order["id"]),
            "flow_url": url_for("flows.flow", order_id=order["id"])}
    if answer.error:
        body["error"] = answer.error
    return jsonify(body), answer.http_status


def order_view(order):
    """What the browser may know of an order (no secrets)."""
    return {"order_id": order["id"], "pg": order["pg"], "amount": order["amount"],
            "order_name": order["order_name"], "subtotal": order["subtotal"], "discount": order["discount"],
            "coupons": [c for c in order["coupons"].split(",") if c], "status": order["status"],
            "pay_method": order["pay_method"], "buyer_name": order["buyer_name"],
            "buyer_email": order["buyer_email"], "customer_key": order["customer_key"], "sdk": order["sdk"],
            "reason": i18n.render(order["reason"])}


@bp.post("/api/flows/<order_id>/events")
def browser_event(order_id):
    """A step the page reports (SDK call, callback, rejection): stored as reported, never trusted. Only the
    page of the browser that placed the order reports into its flow (a stranger's words would reach the
    buyer's result page): anyone else is told there is no such order."""
    order = orders.get(order_id)
    if order is None or not privacy.owns(order):
        return refused("NOT_FOUND", "There is no such order.", 404)
    data = json_body() or {}
    phase, name, key = data.get("phase"), data.get("name"), data.get("summary_key")
    values = data.get("values") if isinstance(data.get("values"), dict) else {}
    if phase not in BROWSER_PHASES or not isinstance(name, str) or not EVENT_NAME.match(name) \
            or not name.startswith(order["pg"] + ".") or key not in BROWSER_SUMMARIES \
            or not key.startswith(order["pg"] + "."):
        steps.record(order_id, "checkout", f"{order['pg']}.bad_event", msg("The page sent a browser event the "
                     "shop could not read; it was ignored"), kind="browser", actor_from="browser",
                     verdict="fail", reported=True)
        return refused("BAD_EVENT", "A browser event needs a phase, a name like '%(pg)s.callback' and a "
                       "summary_key the shop knows.", pg=order["pg"])
    sid = steps.record(order_id, phase, name, browser_summary(key, values), kind="browser", actor_from="browser",
                       actor_to=data.get("to") if data.get("to") in steps.actors() else "browser",
                       verdict="info", reported=True, exchange={"browser": data.get("data")})
    return jsonify(step_id=sid), 201


def browser_summary(key, values):
    """The stored summary of a browser event: BROWSER_SUMMARIES[key] with the page's values as data."""
    msgid = BROWSER_SUMMARIES[key]
    shown = {}
    for name in PLACEHOLDER.findall(msgid):
        value = values.get(name)
        if name.endswith("_won") and isinstance(value, int) and not isinstance(value, bool):
            shown[name] = value
        else:
            shown[name] = "" if value is None else str(value)[:200]
    return msg(msgid, **shown)


@bp.get("/orders/<order_id>")
def order_result(order_id):
    """The result page: what happened to the order and why, in plain words. Only for the session that
    placed the order (it shows the buyer's name and virtual account); anyone else gets a 404 page."""
    order = orders.get(order_id)
    if order is None or not privacy.owns(order):
        abort(404)
    return result_page(order)


def result_page(order, status=200):
    """The result page of an order: its status and reason, the refund, the virtual account to pay into,
    and the payments the shop did not keep (and where their cancels stand). A browser that did not place
    the order (a PG redirect opened elsewhere) sees its status only."""
    if not privacy.owns(order):
        return render_template("result.html", order=order, owner=False, provider=providers.get(order["pg"])), status
    vbank = json.loads(order["vbank"]) if order["vbank"] else None
    return render_template("result.html", order=order, owner=True, view=order_view(order), vbank=vbank,
                           word=browser_word(order),
                           provider=providers.get(order["pg"]), refused=orders.cancels(order["id"])), status
