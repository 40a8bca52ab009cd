"""Routes of the shop's PortOne V2 flow: order + pre-registration, the page's result (Promise or redirect),
and the signed webhook.

Each route parses the request, records what arrived, and calls flow.py, which reads the payment back
from PortOne and settles the order.
"""
import json

from flask import Blueprint, abort, current_app, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook, WebhookVerificationError

from i18n import msg

from .. import config, steps
from .. import views as shop_views
from ..catalog import N_
from ..security import csrf_exempt
from . import client
from . import flow as portone_v2

bp = Blueprint("portone_v2", __name__)

PAY_METHODS = {"CARD": _l("Card"), "VIRTUAL_ACCOUNT": _l("Virtual account"), "TRANSFER": _l("Bank transfer"),
               "MOBILE": _l("Mobile phone"), "EASY_PAY": _l("Easy pay")}
VERSIONS = ("v1", "v2")
WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


@bp.app_template_global()
def portone_version():
    """Which PortOne the checkout page offers: ?portone=v1|v2, remembered for this browser (default v1)."""
    asked = request.args.get("portone")
    if asked in VERSIONS:
        session["portone"] = asked
    return session.get("portone") if session.get("portone") in VERSIONS else "v1"


@bp.app_template_global()
def portone_v2_settings():
    """What the checkout page needs for PortOne.requestPayment (none of it secret)."""
    site = config.site_url()
    cfg = current_app.config
    return {"store_id": cfg["PORTONE_V2_STORE_ID"], "channel_key": client.channel_key(),
            "sdk_url": config.sdk_url("portone_v2", "/portone-v2/browser-sdk.js"),
            "notice_url": site + url_for("portone_v2.webhook"),
            "redirect_url": site + url_for("portone_v2.complete_redirect"), "pay_methods": PAY_METHODS}


@bp.post("/portone-v2/orders")
def create_order():
    """Store the order (priced here) and, if asked, pre-register its amount at PortOne, so that
    requestPayment for this paymentId is refused with any other amount."""
    data = shop_views.json_body()
    if data is None:
        return shop_views.refused("BAD_REQUEST", N_("Send a JSON object."))
    method = data.get("pay_method", "CARD")
    if not isinstance(method, str) or method not in PAY_METHODS:
        return shop_views.refused("BAD_PAY_METHOD", N_("Choose a payment method PortOne offers here."))
    order, refusal = shop_views.place_order("portone_v2", dict(data, pay_method=method))
    if refusal is not None:
        return refusal
    answer = dict(shop_views.order_view(order), prepared=False)
    if data.get("prepare") is True:
        flow = portone_v2.flow_of(order["id"])
        with steps.bound(flow):
            if not portone_v2.pre_register(flow, order):
                return jsonify(answer, error="PREPARE_FAILED", message=_(
                    "PortOne did not pre-register the amount, so the payment window was not opened. "
                    "Nothing was charged; try again.")), 502
        answer["prepared"] = True
    return jsonify(answer), 201


@bp.post("/portone-v2/complete")
def complete():
    """The page posts the paymentId PortOne.requestPayment resolved with (and its code and message on a
    failure); the shop reads the payment back."""
    data = shop_views.json_body()
    if data is None:
        return shop_views.refused("BAD_REQUEST", N_("Send a JSON object."))
    order = portone_v2.order_of(data.get("paymentId"))
    if order is None:
        return shop_views.refused("NOT_FOUND", N_("There is no such order."), 404)
    flow = portone_v2.flow_of(order["id"])
    flow.record("complete", msg("The page posted requestPayment's result to the shop (the browser's word, to be "
                                "checked with PortOne)"), phase="return", kind="http_in", frm="browser",
                exchange={"request": {"method": "POST", "url": request.path, "body": data}})
    with steps.bound(flow):
        answer = portone_v2.returned(flow, order, _short(data.get("code")), _short(data.get("message")))
    return shop_views.answer_json(answer)


@bp.get("/portone-v2/complete")
def complete_redirect():
    """redirectUrl: PortOne sends the buyer here with ?paymentId&transactionType&txId[&code&message]."""
    args = request.args
    order = portone_v2.order_of(args.get("paymentId"))
    if order is None:
        abort(404)
    flow = portone_v2.flow_of(order["id"])
    flow.record("redirect", msg("PortOne sent the buyer back to the redirectUrl (the query is the browser's word, "
                                "to be checked with PortOne)"), phase="return", kind="http_in", frm="browser",
                exchange={"request": {"method": "GET", "url": request.path, "params": args.to_dict()}})
    with steps.bound(flow):
        portone_v2.returned(flow, order, _short(args.get("code")), _short(args.get("message")))
    return redirect(url_for("shop.order_result", order_id=order["id"]), 303)


def _short(value):
    return value[:200] if isinstance(value, str) else None


@bp.post("/webhooks/portone-v2")
@csrf_exempt
def webhook():
    """PortOne V2's webhook, signed as Standard Webhooks: the signature over the raw body is checked with
    each configured secret, and its timestamp must be within 5 minutes. Only the paymentId is used: the
    payment is read back. 200 = handled or ignored; 400 = malformed; 401 = forged or stale (nothing
    changes); 503 = PortOne could not be asked, so please send it again."""
    raw = request.get_data()
    headers = {k: request.headers.get(k, "") for k in WEBHOOK_HEADERS}
    refusal = _verify(raw, headers)
    body = _json_of(raw)
    payment_id = _payment_id(body)
    order = portone_v2.order_of(payment_id)
    exchange = {"request": {"method": "POST", "url": request.path, "headers": headers, "body": body or raw[:2000]
                            .decode("utf-8", "replace")}}
    if refusal is not None:
        if order is not None:
            portone_v2.flow_of(order["id"]).record(
                "webhook_refused", refusal[1], phase="notify", kind="http_in", frm="portone_v2", verdict="fail",
                exchange=exchange)
        current_app.logger.info("PortOne V2 webhook refused: %s", refusal[0])
        return jsonify(result="refused", reason=refusal[0]), 401
    if not isinstance(body, dict):
        return jsonify(result="malformed", message="Send a JSON object."), 400
    kind = body.get("type") if "type" in body else body.get("status")
    if not (isinstance(kind, str) and kind.startswith("Transaction.")) and "payment_id" not in body:
        return jsonify(result="ignored", message="Not a payment event."), 200
    if order is None:
        return jsonify(result="ignored", message="No order of this shop has this payment."), 200
    flow = portone_v2.flow_of(order["id"])
    flow.record("webhook", msg("PortOne's signed webhook %(type)s about %(payment_id)s (signature checked; the shop "
                               "reads the payment back)", type=str(kind)[:40], payment_id=payment_id),
                phase="notify", kind="http_in", frm="portone_v2", verdict="pass", exchange=exchange)
    answer = portone_v2.webhook(order, payment_id)
    if answer.http_status >= 500:
        return jsonify(result="retry", message="PortOne could not be asked; send it again."), 503
    return jsonify(result="ignored" if answer.error else "handled", status=answer.order["status"]), 200


def _verify(raw, headers):
    """None when a configured secret signed this body within the tolerance; else (code, step summary)."""
    cfg = current_app.config
    secrets = [s for s in (cfg.get("PORTONE_V2_WEBHOOK_SECRET"), cfg.get("PORTONE_V2_WEBHOOK_SECRET_2")) if s]
    why = "no secret"
    for secret in secrets:
        try:
            Webhook(secret).verify(raw, headers, json_parse=False)
            return None
        except (WebhookVerificationError, ValueError, EmptyWebhookSecretError) as e:
            why = str(e)
    if "too old" in why or "too new" in why:
        return "stale", msg("A webhook whose timestamp is more than 5 minutes from the shop's clock (a replay, or "
                            "a stale copy) was refused: 401, nothing changes")
    return "bad_signature", msg("A webhook whose signature does not match any of the shop's webhook secrets was "
                                "refused: 401, nothing changes (a forgery, or a secret that is not configured)")


def _json_of(raw):
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _payment_id(body):
    """The paymentId a webhook body names: data.paymentId (2024-04-25) or payment_id (2024-01-01)."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    value = data.get("paymentId") if isinstance(data, dict) else body.get("payment_id")
    return value if isinstance(value, str) and len(value) <= 200 else None
