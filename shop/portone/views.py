"""Routes of the shop's PortOne (I'mport V1) flow: order + pre-registration, callback, redirect, webhook, and the
subscription page's /portone/billing/* (card registration in the window, charges, cancels).

Each route parses the request, records what arrived, and calls flow.py, which reads the payment back
from PortOne and settles the order.
"""
import re

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import i18n
from i18n import msg

from .. import billing as shop_billing
from .. import config, orders, settle, steps
from .. import views as shop_views
from ..catalog import N_
from ..security import csrf_exempt
from . import billing
from . import flow as portone

bp = Blueprint("portone", __name__)

PG_PROVIDERS = {"html5_inicis": _l("KG Inicis"), "kcp": _l("NHN KCP"), "nice": _l("NICE Payments"),
                "tosspayments": _l("Toss Payments (via PortOne)")}
PAY_METHODS = {"card": _l("Card"), "trans": _l("Bank transfer"), "vbank": _l("Virtual account"),
               "phone": _l("Mobile phone"), "samsung": _l("Samsung Pay")}
# imp_uid and merchant_uid become URL path segments at PortOne: accept only their documented shapes.
PAYMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@bp.app_template_global()
def portone_settings():
    """What the checkout page needs for IMP (none of it secret)."""
    site = config.site_url()
    legacy = request.args.get("portone_sdk") == "1.2.0" and config.mode("portone") == "emulator"
    sdk_url = config.sdk_url("portone", "/portone/js/iamport.payment-1.2.0.js" if legacy else "/portone/v1/iamport.js")
    default_pg = current_app.config["PORTONE_PG"]
    return {"imp_code": current_app.config["PORTONE_IMP_CODE"], "sdk_url": sdk_url,
            "sdk_version": "1.2.0" if legacy else "1.3.0", "notice_url": site + url_for("portone.webhook"),
            "redirect_url": site + url_for("portone.complete_redirect"), "pgs": PG_PROVIDERS,
            "default_pg": default_pg if default_pg in PG_PROVIDERS else "html5_inicis",
            "pay_methods": PAY_METHODS}


@bp.post("/portone/orders")
def create_order():
    """Store the order (priced here, like POST /api/orders) and, if asked, pre-register its amount
    at PortOne so that the payment window refuses any other amount."""
    data = shop_views.json_body()
    if data is None:
        return shop_views.refused("BAD_REQUEST", N_("Send a JSON object."))
    method = data.get("pay_method", "card")
    if not isinstance(method, str) or method not in PAY_METHODS:
        return shop_views.refused("BAD_PAY_METHOD", N_("Choose a payment method PortOne offers here."))
    order, refusal = shop_views.place_order("portone", dict(data, pay_method=method))
    if refusal is not None:
        return refusal
    answer = dict(shop_views.order_view(order), prepared=False)
    if data.get("prepare") is True:
        flow = portone.flow_of(order["id"])
        with steps.bound(flow):
            if not portone.prepare(flow, order):
                return jsonify(answer, error="PREPARE_FAILED", message=_(
                    "PortOne did not pre-register the amount, so the payment window was not opened. "
                    "Nothing was charged; try again.")), 502
        answer["prepared"] = True
    return jsonify(answer), 201


@bp.post("/payments/complete")
def complete():
    """The page's IMP.request_pay callback posts {imp_uid, merchant_uid[, error_code, error_msg]}."""
    data = shop_views.json_body()
    if data is None:
        return shop_views.refused("BAD_REQUEST", N_("Send a JSON object."))
    order = _portone_order(data.get("merchant_uid"))
    if order is None:
        return shop_views.refused("NOT_FOUND", N_("There is no such order."), 404)
    flow = portone.flow_of(order["id"])
    flow.record("complete", msg("The page posted the callback's result to the shop (the browser's word, to be "
                                "checked with PortOne)"), phase="return", kind="http_in", frm="browser",
                exchange={"request": {"method": "POST", "url": request.path, "body": data}})
    with steps.bound(flow):
        answer = _returned(flow, order, data.get("imp_uid"), data.get("error_code"), data.get("error_msg"))
    return shop_views.answer_json(answer)


@bp.get("/payments/complete")
def complete_redirect():
    """m_redirect_url: PortOne sends the buyer here with ?imp_uid&merchant_uid[&error_code&error_msg]."""
    args = request.args
    order = _portone_order(args.get("merchant_uid"))
    if order is None:
        abort(404)
    flow = portone.flow_of(order["id"])
    flow.record("redirect", msg("PortOne sent the buyer back to m_redirect_url (the query is the browser's word, to "
                                "be checked with PortOne)"), phase="return", kind="http_in", frm="browser",
                exchange={"request": {"method": "GET", "url": request.path, "params": args.to_dict()}})
    with steps.bound(flow):
        _returned(flow, order, args.get("imp_uid"), args.get("error_code"), args.get("error_msg"))
    return redirect(url_for("shop.order_result", order_id=order["id"]), 303)


def _returned(flow, order, imp_uid, error_code, error_msg):
    if imp_uid not in (None, "") and (not isinstance(imp_uid, str) or not PAYMENT_ID.match(imp_uid)):
        flow.record("refused", msg("The imp_uid is not a PortOne payment id: refused, nothing changes"),
                    phase="verify", kind="check", verdict="fail", actual=str(imp_uid)[:80])
        return settle.Answer(order, 400, "BAD_IMP_UID", msg("That is not a PortOne payment id. Nothing changed."))
    return portone.returned(flow, order, imp_uid, error_code, error_msg)


@bp.post("/webhooks/portone")
@csrf_exempt
def webhook():
    """PortOne's notification {imp_uid, merchant_uid, status}, JSON or form. It is not signed: only
    imp_uid is used, and the payment is read back from PortOne. 200 = handled or ignored;
    400 = malformed; 503 = PortOne could not be asked, so please send it again."""
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    imp_uid = data.get("imp_uid") if isinstance(data, dict) else None
    if not isinstance(imp_uid, str) or not PAYMENT_ID.match(imp_uid):
        return jsonify(result="malformed", message="Send imp_uid (JSON or form)."), 400
    # Which flow to log this in: the order that already has this imp_uid, else the one the body names.
    # Neither is trusted for the outcome: flow.webhook() goes by what PortOne says.
    named = orders.by_payment("portone", imp_uid) or _portone_order(data.get("merchant_uid"))
    if named is not None:
        portone.flow_of(named["id"]).record(
            "webhook", msg("PortOne's webhook says %(imp_uid)s is %(status)s (not signed: the shop reads the payment "
                           "back)", imp_uid=imp_uid, status=repr(str(data.get("status"))[:20])),
            phase="notify", kind="http_in", frm="portone",
            exchange={"request": {"method": "POST", "url": request.path, "body": data}})
    answer = portone.webhook(named, imp_uid)
    if answer.http_status >= 500:
        return jsonify(result="retry", message="PortOne could not be asked; send it again."), 503
    if answer.order is None:
        current_app.logger.info("PortOne webhook for %s: %s", imp_uid, answer.error or "no such order here")
        return jsonify(result="ignored", message="No order of this shop has this payment."), 200
    return jsonify(result="ignored" if answer.error else "handled", status=answer.order["status"]), 200


def _portone_order(merchant_uid):
    if not isinstance(merchant_uid, str) or not PAYMENT_ID.match(merchant_uid):
        return None
    order = orders.get(merchant_uid)
    # A card registration (sdk billing-auth) is settled only by its own callback, never as a payment.
    return order if order is not None and order["pg"] == "portone" and order["sdk"] != "billing-auth" else None


# --- automatic payments (the subscription page) -------------------------------------------------------

@bp.post("/portone/billing/registrations")
def billing_registration():
    """Open a card registration: its flow, and what IMP.request_pay needs (customer_uid chosen here)."""
    order = shop_billing.start_registration("portone", shop_views.customer_key())
    return jsonify(order_id=order["id"], merchant_uid=order["id"], customer_uid=billing.customer_uid_of(order),
                   name=order["order_name"], pg=billing.PG, amount=0), 201


@bp.post("/portone/billing/registered")
def billing_registered():
    """The registration window's callback {imp_uid, merchant_uid[, error_code, error_msg]} (the browser's word):
    the server asks PortOne for the billing key it chose for this registration."""
    data = shop_views.json_body()
    if data is None:
        return shop_views.refused("BAD_REQUEST", N_("Send a JSON object."))
    order = shop_billing.owned(data.get("merchant_uid"), "billing-auth")
    if order is None or order["pg"] != "portone":
        return shop_views.refused("NOT_FOUND", N_("There is no such card registration for this buyer: nothing was "
                                                  "registered."), 404)
    flow = portone.flow_of(order["id"])
    flow.record("billing_callback", msg("The page posted the registration window's result (the browser's word, to "
                                        "be checked with PortOne)"), phase="return", kind="http_in", frm="browser",
                exchange={"request": {"method": "POST", "url": request.path, "body": data}})
    if data.get("error_code"):
        billing.registration_failed(flow, order, str(data.get("error_code"))[:40], str(data.get("error_msg"))[:200])
        return jsonify(status=orders.get(order["id"])["status"], registered=False), 200
    imp_uid = data.get("imp_uid") if isinstance(data.get("imp_uid"), str) else ""
    with steps.bound(flow):
        problem = billing.register(flow, order, imp_uid[:64])
    now = orders.get(order["id"])
    if problem is not None:
        return jsonify(status=now["status"], registered=False, message=i18n.render(problem)), 409
    return jsonify(status=now["status"], registered=True), 200


