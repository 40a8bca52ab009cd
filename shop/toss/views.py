"""Routes of the shop's Toss Payments flow: /success, /fail, /webhooks/toss, /toss/checkout and the
subscription page's /toss/billing/* (card registration, charges, cancels).

Each route parses the request, records what arrived, and calls flow.py, which confirms or reads the
payment back from Toss and settles the order.
"""
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import i18n
from i18n import msg

from .. import billing as shop_billing
from .. import catalog, config, orders, providers, settle, steps
from .. import views as shop_views
from ..http import PGError
from ..security import csrf_exempt
from . import billing, client, verify
from . import flow as toss

bp = Blueprint("toss", __name__)

# Why the shop refused a successUrl visit, per failed check (shown to the buyer).
REFUSALS = {
    "check_order": _l("This shop has no such order, so nothing was confirmed and nothing was "
                           "charged."),
    "check_amount": _l("The amount in the return address (%(actual)s) is not the order's amount "
                            "(%(expected)s). The payment was not confirmed, so nothing was charged."),
    "check_payment_key": _l("The return address names a payment that does not belong to this order. "
                                 "Nothing was confirmed and nothing was charged."),
    "check_not_settled": _l("This order is already settled; it was not confirmed again."),
}


@bp.app_template_global()
def toss_widget_script():
    """The payment widget v1 script: Toss's CDN in live mode, the emulator's stand-in otherwise."""
    return config.sdk_url("toss", "/toss/v1/payment-widget")


@bp.app_template_global()
def toss_client_key():
    """The widget's client key: public by design (the secret key never leaves the server)."""
    return current_app.config["TOSS_CLIENT_KEY"]


@bp.app_template_global()
def coupon_rules():
    """Which coupon combinations the shop allows, in the reader's language (catalog.quote's rules)."""
    return _("Up to %(count)s coupons per order, each once; their discounts add up (a percentage is taken from "
             "the subtotal). A coupon may need a least order, may expire or be single-use, and the total must "
             "stay at least %(min)s.", count=catalog.MAX_COUPONS, min=shop_views.money(catalog.MIN_AMOUNT))


@bp.app_template_global()
def toss_v2_script():
    """SDK v2 (widgets(), payment(), requestBillingAuth): Toss's CDN in live mode, the emulator's stand-in."""
    if config.mode("toss") == "live":
        return providers.get("toss").extra["live_sdk_v2"]
    return config.sdk_url("toss", "/toss/v2/standard")


@bp.app_template_global()
def toss_api_client_key():
    """The API individual client key (payment window and billing), or '' when live mode has none."""
    return current_app.config.get("TOSS_API_CLIENT_KEY") or ""


@bp.app_template_global()
def toss_sdk():
    """Which Toss SDK the checkout page uses: ?toss_sdk=v1|v2 chooses it, the session remembers it."""
    chosen = request.args.get("toss_sdk")
    if chosen in ("v1", "v2"):
        session["toss_sdk"] = chosen
    return session.get("toss_sdk", "v1")


@bp.app_template_global()
def toss_fixed_coupon():
    """(code, won off) of the fixed coupon the panel offers as a checkbox, as in the Toss widget docs."""
    return catalog.FIXED_COUPON, catalog.COUPONS[catalog.FIXED_COUPON]["value"]


# --- successUrl ------------------------------------------------------------------------------

@bp.get("/success")
def success():
    """Toss's successUrl: check the redirect against the stored order, confirm, check again, settle."""
    back = client.success_redirect(request.args)
    order = orders.get(back.order_id)
    if order is None or order["pg"] != "toss":
        current_app.logger.warning("toss /success for an unknown order %r", back.order_id)
        return _refused(None, [verify.before_confirm(None, back)[0]], 404)
    flow = toss.flow_of(order["id"])
    refresh = verify.is_refresh(order, back)
    with steps.batch():   # the return and the checks before confirming: stored before the confirm call
        if not refresh:
            flow.record("window", msg("Toss authenticated the buyer in its payment window and redirected the browser "
                                      "to successUrl; at Toss the payment now waits for the shop's confirm"),
                        phase="authenticate", frm="toss", to="browser")
        flow.record("success_redirect", msg("Toss sent the buyer back to /success with paymentKey %(payment_key)s and "
                                            "amount %(amount)s (carried by the browser: checked before use)",
                                            payment_key=back.payment_key or msg("(none)"),
                                            amount=back.amount or msg("(none)")),
                    phase="return", kind="http_in", frm="browser",
                    exchange={"request": {"method": "GET", "url": request.full_path}})
        if refresh:
            flow.record("show_settled", msg("The order is already %(status)s: shown again, not confirmed twice",
                                            status=order["status"]), phase="settle")
            return _result(order["id"])
        failed = flow.checks(verify.before_confirm(order, back))
        if failed:
            flow.record("not_confirmed", msg("Not confirming: %(why)s", why=failed[0].summary), phase="verify",
                        verdict="fail")
            return _refused(order, failed, 400)
        toss.record_auth(flow, order)
    with steps.bound(flow):
        verdict = toss.confirm(flow, order, back.payment_key)
    if verdict is not None and verdict.outcome == settle.Outcome.NOT_OURS:
        return _refused(order, [], 409, [REFUSALS["check_payment_key"]])
    return _result(order["id"])


def _result(order_id, status=200):
    return shop_views.result_page(orders.get(order_id), status)


def _refused(order, failed, status, reasons=None):
    reasons = list(reasons or [])
    for c in failed:
        text = REFUSALS.get(c.name)
        if text is not None:
            reasons.append(text % {"expected": _money(c.expected), "actual": _money(c.actual)})
    rows = [{"name": c.name, "summary": c.summary,
             "expected": _money(c.expected) if c.name == "check_amount" else i18n.render(c.expected),
             "actual": _money(c.actual) if c.name == "check_amount" else i18n.render(c.actual)} for c in failed]
    return render_template("toss/refused.html", order=order, reasons=reasons or [i18n.render(verify.GENERIC)],
                           failed=rows), status


def _money(value):
    amount = verify.parse_amount(str(value)) if value is not None else None
    return shop_views.money(amount) if amount is not None else i18n.render(str(value))


# --- failUrl -----------------------------------------------------------------------------------

@bp.get("/fail")
def fail():
    """Toss's failUrl: explain the code in plain words (the browser's word); the order follows only what Toss
    itself says about it."""
    back = client.fail_redirect(request.args)
    order = orders.get(back.order_id)
    if order is not None and order["pg"] == "toss":
        flow = toss.flow_of(order["id"])
        if order["status"] in verify.UNSETTLED:
            flow.record("window", msg("The payment did not go through in Toss's payment window; Toss redirected the "
                                      "browser to failUrl"), phase="authenticate", frm="toss", to="browser")
        flow.record("fail_redirect", msg("Toss sent the buyer to /fail with %(code)s: %(message)s (carried by the "
                                         "browser: asking Toss before believing it)",
                                         code=back.code or msg("(no code)"), message=back.message),
                    phase="return", kind="http_in", frm="browser",
                    exchange={"request": {"method": "GET", "url": request.full_path}})
        with steps.bound(flow):
            toss.failed(flow, order)
        order = orders.get(order["id"])
    return render_template("toss/fail.html", code=back.code, message=back.message,
                           explanation=verify.explain(back.code), order=order)


# --- webhooks ----------------------------------------------------------------------------------

@bp.post("/webhooks/toss")
@csrf_exempt
def webhook():
    """Toss's webhooks. The body is a hint: the shop acts only on what it reads back from Toss.

    Answers 200 when the event was handled or can never be (so Toss stops retrying), 4xx for a
    body that is not a Toss webhook or names no order of ours, 503 when Toss could not be asked
    (so Toss retries later).
    """
    data = request.get_json(silent=True)
    hook = client.webhook_from(data)
    if hook is None:
        current_app.logger.warning("toss webhook refused: not a Toss webhook body")
        return jsonify(error="BAD_WEBHOOK", message="Expected a Toss webhook JSON body."), 400
    order = orders.get(hook.order_id)
    if order is None or order["pg"] != "toss":
        current_app.logger.warning("toss webhook %s for an unknown order %r", hook.event, hook.order_id)
        return jsonify(error="UNKNOWN_ORDER", message="No Toss order with this orderId."), 404
    flow = toss.flow_of(order["id"])
    transmission = {k: v for k, v in request.headers.items() if k.lower().startswith("tosspayments-webhook")}
    flow.record("webhook", msg("Toss webhook %(event)s says the payment is %(status)s (not trusted: the shop reads it "
                               "back)", event=hook.event, status=hook.status or msg("(no status)")),
                phase="notify", kind="http_in", frm="toss",
                exchange={"request": {"method": "POST", "url": request.path, "headers": transmission, "body": data}})
    key, answer = _which_payment(flow, order, hook)
    if answer is not None:
        return answer
    with steps.bound(flow):
        try:
            payment = toss.read_for_webhook(flow, order, key)
        except PGError:
            flow.record("webhook_retry", msg("The payment could not be read back from Toss: answered 503, so Toss "
                                             "sends the webhook again later"), phase="notify")
            return jsonify(error="PG_UNAVAILABLE", message="Could not read the payment back; retry later."), 503
        if payment is None:
            flow.record("webhook_unverified", msg("Toss has no such payment: nothing changes"), phase="notify",
                        verdict="fail")
            return jsonify(error="UNKNOWN_PAYMENT", message="Toss has no such payment."), 400
        toss.settle_from(flow, order, payment, key or None)
    return jsonify(received=True, status=orders.get(order["id"])["status"])


def _which_payment(flow, order, hook):
    """(paymentKey to read back, None), or (None, the answer) when the webhook is not acted on."""
    if hook.event == "DEPOSIT_CALLBACK":
        if not order["pg_secret"] and order["status"] in verify.UNSETTLED:
            # The confirm answer (with the secret) is not stored yet: let Toss retry later.
            flow.record("deposit_too_early", msg("No secret stored yet for this order: asking Toss to send it again "
                                                 "later"), phase="notify")
            return None, (jsonify(error="NOT_READY", message="Try again later."), 409)
        if not toss.deposit_checked(flow, order, hook.secret):
            # Toss resends only the same body, which can never pass: answer 200 so the retries stop;
            # the failed check stays in the log for a person to look at.
            return None, jsonify(received=True, applied=False, error="SECRET_MISMATCH")
        return order["pg_payment_id"], None
    if hook.event == "PAYMENT_STATUS_CHANGED":
        return hook.payment_key, None
    flow.record("webhook_ignored", msg("The shop does not act on %(event)s", event=hook.event), phase="notify")
    return None, jsonify(received=True, applied=False)


# --- server-created checkout -------------------------------------------------------------------

@bp.post("/toss/checkout")
def checkout():
    """The checkout created by the server (POST /v1/payments): the buyer goes to Toss's own page."""
    form = request.form
    quantity = form.get("quantity", "1")
    data = {"product_id": form.get("product_id", ""), "quantity": int(quantity) if quantity.isdigit() else quantity,
            "coupons": [c for c in form.getlist("coupons") if c.strip()], "pay_method": "CARD",
            "buyer_name": form.get("buyer_name", ""), "buyer_email": form.get("buyer_email", "")}
    order, refusal = shop_views.place_order("toss", data)
    if refusal is not None:
        response, status = refusal
        answer = response.get_json()
        return render_template("toss/fail.html", code=answer["error"], message="",
                               explanation=answer["message"], order=None), status
    site = config.site_url()
    flow = toss.flow_of(order["id"])
    with steps.bound(flow):
        url = toss.create_checkout(flow, order, site + "/success", site + "/fail")
    if url is not None:
        return redirect(url, 303)
    order = orders.get(order["id"])
    return render_template("toss/fail.html", code="", message="", explanation=order["reason"], order=order), 502


# --- automatic payments (the subscription page) -------------------------------------------------------

@bp.post("/toss/billing/registrations")
def billing_registration():
    """Open a card registration: its flow, and what requestBillingAuth needs (never a billing key)."""
    if not toss_api_client_key():
        return shop_views.refused("NOT_CONFIGURED", "Automatic payments need TOSS_API_CLIENT_KEY and "
                                  "TOSS_API_SECRET_KEY.", 409)
    customer = shop_views.customer_key()
    order = shop_billing.start_registration("toss", customer)
    success = url_for("toss.billing_success", reg=order["id"], _external=True)
    fail = url_for("toss.billing_fail", reg=order["id"], _external=True)
    return jsonify(order_id=order["id"], customer_key=customer, success_url=success, fail_url=fail), 201


@bp.get("/toss/billing/success")
def billing_success():
    """requestBillingAuth's successUrl?customerKey&authKey: issue and keep the billing key, then the page."""
    order = shop_billing.owned(request.args.get("reg"), "billing-auth")
    if order is None or order["pg"] != "toss":
        return shop_billing.page(i18n.render(msg("There is no such card registration for this buyer: nothing "
                                                 "was registered.")), 404)
    flow = toss.flow_of(order["id"])
    sent = client._text(request.args, "customerKey", 60)
    auth_key = client._text(request.args, "authKey", 300)
    flow.record("billing_redirect", msg("Toss sent the buyer back with customerKey %(customer_key)s and an authKey "
                                        "(carried by the browser: checked before use)",
                                        customer_key=sent or msg("(none)")),
                phase="return", kind="http_in", frm="browser",
                exchange={"request": {"method": "GET", "url": request.full_path}})
    with steps.bound(flow):
        problem = billing.register(flow, order, order["customer_key"], sent, auth_key)
    if problem is not None:
        return shop_billing.page(i18n.render(msg("The card was not registered: %(why)s", why=problem)), 400)
    return redirect(url_for("billing.page"), 303)


@bp.get("/toss/billing/fail")
def billing_fail():
    """requestBillingAuth's failUrl?code&message: the registration ends; nothing was registered."""
    back = client.fail_redirect(request.args)
    order = shop_billing.owned(request.args.get("reg"), "billing-auth")
    if order is not None and order["pg"] == "toss":
        flow = toss.flow_of(order["id"])
        flow.record("billing_fail", msg("Toss sent the buyer to the registration's failUrl with %(code)s: "
                                        "%(message)s", code=back.code or msg("(no code)"), message=back.message),
                    phase="return", kind="http_in", frm="browser",
                    exchange={"request": {"method": "GET", "url": request.full_path}})
        billing.registration_failed(flow, order, back.code)
    return shop_billing.page(i18n.render(msg("The card was not registered (%(code)s). Nothing was charged.",
                                             code=back.code or "-")), 200)


