"""Toss Payments' REST API and wire formats: the only module that knows Toss URLs and field names.

Every call goes through shop.http.call (timeouts, one recorded step each in the bound flow), returns a
typed Payment and raises shop.http's errors: PGRefused / PGNotFound with Toss's `code`, PGUnknown for a
5xx or an answer the shop cannot read (the caller decides what an unknown outcome means).
"""
import base64
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import current_app

from i18n import msg

from .. import config, http, redact
from ..http import PGNotFound, PGRefused, PGUnknown

# Toss's bank codes (virtualAccount.bankCode) and the names people know them by.
BANKS = {
    "39": "경남은행", "34": "광주은행", "12": "지역농축협", "32": "부산은행", "45": "새마을금고",
    "64": "산림조합", "88": "신한은행", "48": "신협", "27": "씨티은행", "20": "우리은행",
    "71": "우체국", "50": "저축은행중앙회", "37": "전북은행", "35": "제주은행", "90": "카카오뱅크",
    "92": "토스뱅크", "81": "하나은행", "54": "HSBC", "03": "IBK기업은행", "06": "KB국민은행",
    "31": "DGB대구은행", "02": "KDB산업은행", "11": "NH농협은행", "23": "SC제일은행", "07": "Sh수협은행",
}

PAYMENT_KEY = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


@dataclass(frozen=True)
class Payment:
    """The fields of Toss's Payment object that the shop acts on (snake_case from here on)."""
    payment_key: str
    order_id: str
    status: str                 # READY IN_PROGRESS WAITING_FOR_DEPOSIT DONE CANCELED PARTIAL_CANCELED ...
    total_amount: int
    balance_amount: int | None
    method: str | None          # Korean: 카드, 가상계좌, 간편결제, ...
    order_name: str = ""
    approved_at: str | None = None
    virtual_account: dict | None = None   # {bank, number, holder, due} for 가상계좌
    failure: tuple | None = None          # (code, message) when ABORTED / EXPIRED
    checkout_url: str | None = None       # the hosted window of a server-created payment
    secret: str | None = field(default=None, repr=False)  # checks DEPOSIT_CALLBACK; never shown
    currency: str = "KRW"

    @property
    def refunded(self):
        """Won cancelled so far."""
        return self.total_amount - self.balance_amount if self.balance_amount is not None else 0


@dataclass(frozen=True)
class Redirect:
    """The query of Toss's successUrl / failUrl redirect: what the browser claims, not yet trusted."""
    order_id: str
    payment_key: str = ""
    amount: str = ""            # as sent: text, maybe not a number
    payment_type: str = ""
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Webhook:
    """A Toss webhook body: event, and who it is about. Only a read-back is trusted."""
    event: str                  # PAYMENT_STATUS_CHANGED | DEPOSIT_CALLBACK | another event type
    order_id: str
    payment_key: str = ""
    status: str = ""
    secret: str = field(default="", repr=False)


# Which secret key goes with which kind of payment (the order's `sdk`): Toss confirms a payment only with the
# secret key of the client key that opened it. Widget keys (gck/gsk): the payment widget, SDK v1 and v2;
# API individual keys (ck/sk): the v2 payment window and billing. Anything else: the widget secret.
API_SECRET_SDKS = ("v2-payment", "billing-auth", "billing")


def secret_key_name(sdk):
    """The config key of the secret key for payments opened with this SDK (orders.sdk)."""
    return "TOSS_API_SECRET_KEY" if sdk in API_SECRET_SDKS else "TOSS_SECRET_KEY"


@dataclass(frozen=True)
class Billing:
    """Toss's Billing object: a card registered for automatic payments. billing_key is a secret."""
    customer_key: str
    billing_key: str = field(repr=False)
    card_company: str = ""
    card_number: str = ""       # masked by Toss


def _authorization(secret):
    """Basic base64(secretKey + ":"): the secret key is the user name and the password is empty."""
    key = current_app.config[secret] or ""
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def _send(name, method, path, summary, body=None, idempotency_key=None, secret="TOSS_SECRET_KEY", shape=None):
    headers = {"Authorization": _authorization(secret), "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    resp = http.call(name, method, config.api_base("toss") + path, summary=summary, headers=headers,
                     json_body=body)
    try:
        data = resp.json()
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise PGUnknown(name, resp.status_code, "UNEXPECTED_RESPONSE", "The answer was not a JSON object.")
    if resp.status_code != 200:
        code, message = data.get("code"), data.get("message")
        code = code if isinstance(code, str) and code else "UNEXPECTED_RESPONSE"
        message = message if isinstance(message, str) else ""
        if resp.status_code >= 500 or code == "UNEXPECTED_RESPONSE":
            raise PGUnknown(name, resp.status_code, code, message)
        if resp.status_code == 404:
            raise PGNotFound(name, 404, code, message)
        raise PGRefused(name, resp.status_code, code, message)
    payment = (shape or payment_from)(data)
    if payment is None:
        raise PGUnknown(name, 200, "UNEXPECTED_RESPONSE", "A Payment object was expected.")
    return payment


def payment_from(data):
    """A Payment from Toss's JSON Payment object, or None if the fields the shop needs are missing."""
    if not isinstance(data, dict):
        return None
    key, order_id, status, total = (data.get(k) for k in ("paymentKey", "orderId", "status", "totalAmount"))
    if not (isinstance(key, str) and isinstance(order_id, str) and isinstance(status, str)
            and isinstance(total, int) and not isinstance(total, bool)):
        return None
    balance = data.get("balanceAmount")
    failure = data.get("failure") if isinstance(data.get("failure"), dict) else None
    checkout = data.get("checkout") if isinstance(data.get("checkout"), dict) else None
    return Payment(
        payment_key=key, order_id=order_id, status=status, total_amount=total,
        balance_amount=balance if isinstance(balance, int) else None,
        method=data.get("method") if isinstance(data.get("method"), str) else None,
        order_name=data.get("orderName") or "", approved_at=data.get("approvedAt"),
        virtual_account=_virtual_account(data.get("virtualAccount")),
        failure=(failure.get("code"), failure.get("message")) if failure else None,
        checkout_url=checkout.get("url") if checkout else None,
        secret=data.get("secret") if isinstance(data.get("secret"), str) else None,
        currency=data.get("currency") if isinstance(data.get("currency"), str) else "KRW")


def _virtual_account(va):
    if not isinstance(va, dict):
        return None
    code = va.get("bankCode") or ""
    due = va.get("dueDate") or ""
    return {"bank": BANKS.get(code, code), "number": va.get("accountNumber") or "",
            "holder": va.get("customerName") or "", "due": due[:16].replace("T", " ")}


def confirm(payment_key, order_id, amount, idempotency_key, secret="TOSS_SECRET_KEY"):
    """POST /v1/payments/confirm: the call that moves the money. Returns the Payment."""
    return _send("confirm", "POST", "/v1/payments/confirm",
                 msg("Confirm payment %(payment_key)s of order %(order_id)s for %(amount_won)s",
                     payment_key=payment_key, order_id=order_id, amount_won=amount),
                 body={"paymentKey": payment_key, "orderId": order_id, "amount": amount},
                 idempotency_key=idempotency_key, secret=secret)


def get_payment(payment_key, secret="TOSS_SECRET_KEY"):
    """GET /v1/payments/{paymentKey}: read the PG's own record."""
    return _send("get_payment", "GET", "/v1/payments/" + quote(payment_key, safe=""),
                 msg("Read payment %(payment_key)s back from Toss", payment_key=payment_key), secret=secret)


def find_payment(order_id, secret="TOSS_SECRET_KEY"):
    """GET /v1/payments/orders/{orderId}: the PG's record for our order (when the paymentKey is unsure).
    Raises PGNotFound when Toss has no payment for it."""
    return _send("find_payment", "GET", "/v1/payments/orders/" + quote(order_id, safe=""),
                 msg("Ask Toss what it knows about order %(order_id)s", order_id=order_id), secret=secret)


def cancel(payment_key, reason, amount=None, refund_account=None, secret="TOSS_SECRET_KEY"):
    """POST /v1/payments/{paymentKey}/cancel; amount None cancels all of it.

    refund_account {bank, number, holder} is needed only for a virtual account already paid into.
    """
    body = {"cancelReason": reason[:200]}
    if amount is not None:
        body["cancelAmount"] = amount
    if refund_account:
        body["refundReceiveAccount"] = {"bank": refund_account["bank"],
                                        "accountNumber": refund_account["number"],
                                        "holderName": refund_account["holder"]}
    # The cancelReason goes to Toss as it is (its own words, in the request body), not into the summary.
    summary = (msg("Cancel payment %(payment_key)s (all of it)", payment_key=payment_key) if amount is None
               else msg("Cancel payment %(payment_key)s (%(amount_won)s)", payment_key=payment_key,
                        amount_won=amount))
    return _send("cancel", "POST", f"/v1/payments/{quote(payment_key, safe='')}/cancel", summary, body=body,
                 idempotency_key=f"cancel-{payment_key}-{'all' if amount is None else amount}", secret=secret)


def create_payment(order_id, amount, order_name, success_url, fail_url, customer_name="",
                   customer_email=""):
    """POST /v1/payments: a card payment created by the server; the buyer goes to its checkout_url."""
    body = {"method": "CARD", "amount": amount, "orderId": order_id, "orderName": order_name,
            "successUrl": success_url, "failUrl": fail_url, "flowMode": "DEFAULT"}
    if customer_name:
        body["customerName"] = customer_name
    if customer_email:
        body["customerEmail"] = customer_email
    return _send("create_payment", "POST", "/v1/payments",
                 msg("Create a payment of %(amount_won)s for order %(order_id)s on Toss's own page",
                     amount_won=amount, order_id=order_id),
                 body=body, idempotency_key=f"create-{order_id}")


def issue_billing_key(auth_key, customer_key):
    """POST /v1/billing/authorizations/issue: exchange the registration's authKey for a billing key
    (API secret key). Returns a Billing; its key is redacted from every step from now on."""
    return _send("issue_billing_key", "POST", "/v1/billing/authorizations/issue",
                 msg("Exchange authKey %(auth_key)s of customer %(customer_key)s for a billing key",
                     auth_key=auth_key, customer_key=customer_key),
                 body={"authKey": auth_key, "customerKey": customer_key}, secret="TOSS_API_SECRET_KEY",
                 shape=billing_from)


def billing_from(data):
    """A Billing from Toss's JSON Billing object (remembered as a secret), or None."""
    key, customer = data.get("billingKey"), data.get("customerKey")
    if not (isinstance(key, str) and key and isinstance(customer, str)):
        return None
    remember_billing_key(key)
    card = data.get("card") if isinstance(data.get("card"), dict) else {}
    number = data.get("cardNumber") or card.get("number") or ""
    return Billing(customer_key=customer, billing_key=key, card_company=str(data.get("cardCompany") or ""),
                   card_number=str(number))


def remember_billing_key(key):
    """Redact a billing key from now on, as it is and as it appears in a URL path."""
    redact.remember(key, "billingKey")
    redact.remember(quote(key, safe=""), "billingKey")


def charge_billing(billing_key, customer_key, order_id, amount, order_name):
    """POST /v1/billing/{billingKey}: charge a registered card from the server (API secret key). Returns the
    DONE Payment; a decline is PGRefused with Toss's code. The Idempotency-Key makes a retry charge once."""
    remember_billing_key(billing_key)
    return _send("charge_billing", "POST", "/v1/billing/" + quote(billing_key, safe=""),
                 msg("Charge the registered card of customer %(customer_key)s %(amount_won)s for order "
                     "%(order_id)s", customer_key=customer_key, amount_won=amount, order_id=order_id),
                 body={"customerKey": customer_key, "amount": amount, "orderId": order_id, "orderName": order_name},
                 idempotency_key=f"charge-{order_id}", secret="TOSS_API_SECRET_KEY")


def _text(args, key, limit):
    value = args.get(key, "")
    return value[:limit] if isinstance(value, str) else ""


def success_redirect(args):
    """successUrl?paymentType&orderId&paymentKey&amount, as text (extra parameters ignored)."""
    return Redirect(order_id=_text(args, "orderId", 64), payment_key=_text(args, "paymentKey", 200),
                    amount=_text(args, "amount", 20), payment_type=_text(args, "paymentType", 20))


def fail_redirect(args):
    """failUrl?code&message&orderId (orderId may be missing; message is already URL-decoded)."""
    return Redirect(order_id=_text(args, "orderId", 64), code=_text(args, "code", 80),
                    message=_text(args, "message", 510))


def webhook_from(data):
    """A Webhook from a Toss webhook body, or None when it is not one.

    PAYMENT_STATUS_CHANGED is {eventType, createdAt, data: Payment}; DEPOSIT_CALLBACK is flat
    {createdAt, secret, status, transactionKey, orderId} (a `data` wrapper is accepted too).
    """
    if not isinstance(data, dict):
        return None
    event = data.get("eventType")
    inner = data.get("data") if isinstance(data.get("data"), dict) else None
    if event is None or event == "DEPOSIT_CALLBACK":
        flat = inner if event == "DEPOSIT_CALLBACK" and inner else data
        order_id, secret, status = flat.get("orderId"), flat.get("secret"), flat.get("status")
        if all(isinstance(v, str) and v for v in (order_id, secret, status)):
            return Webhook("DEPOSIT_CALLBACK", order_id, status=status, secret=secret)
        return None
    if not isinstance(event, str) or inner is None:
        return None
    order_id = inner.get("orderId")
    key = inner.get("paymentKey")
    if not isinstance(order_id, str) or not order_id:
        return None
    return Webhook(event, order_id, payment_key=key if isinstance(key, str) else "",
                   status=inner.get("status") if isinstance(inner.get("status"), str) else "")
