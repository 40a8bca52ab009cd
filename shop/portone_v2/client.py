"""PortOne V2 REST client: the only shop code that knows api.portone.io's URLs, headers and field names.

Every call goes through shop.http.call (requests; timeouts, a redacted step with the raw request and
response in the bound flow), with `Authorization: PortOne <API secret>`: V2 needs no token exchange.
Errors are `{"type", "message"}` with an HTTP status per type, mapped to shop.http's hierarchy.

Why not PortOne's own `portone-server-sdk` here: its PaymentClient (0.21.0) builds its own httpx.Client
(timeout 60 s) in the constructor and takes neither a client nor a transport, so recording each exchange
in the step log would mean overwriting a private attribute (`_sync_client`) of it and of each of its
sub-clients, the shop's PG_TIMEOUT would not apply, and a non-JSON error body escapes as a bare
JSONDecodeError. The tests still run that SDK against the emulator (tests/test_emu_portone_v2_sdk_client.py).
"""
from dataclasses import dataclass
from urllib.parse import quote

from flask import current_app

from i18n import msg

from .. import config
from ..http import PGNotFound, PGRefused, PGUnknown, call

PROVIDER = "portone_v2"
PAID_LIKE = ("PAID", "PARTIAL_CANCELLED", "CANCELLED")
HOLDING = ("PAID", "PARTIAL_CANCELLED")   # PortOne holds money for the payment


@dataclass(frozen=True)
class Payment:
    """The fields of PortOne V2's Payment object that the shop acts on (as PortOne has them)."""
    id: str
    status: object            # READY | PAY_PENDING | VIRTUAL_ACCOUNT_ISSUED | PAID | FAILED | PARTIAL_CANCELLED
    total: object             # amount.total                                               | CANCELLED
    cancelled: object         # amount.cancelled
    currency: object
    channel_key: object       # channel.key: whose channel took the payment
    channel_type: object      # channel.type: TEST | LIVE
    method: str = ""          # method.type, e.g. PaymentMethodCard, PaymentMethodVirtualAccount
    paid_at: str = ""
    failure: str = ""         # failure.reason / pgMessage
    account: dict | None = None   # {bank, number, holder, due} of an issued virtual account

    @property
    def virtual_account(self):
        return self.method == "PaymentMethodVirtualAccount"

    @property
    def holds_money(self):
        """Paid (in part still): what a cancel would give back. An issued virtual account holds nothing yet."""
        return self.status in HOLDING

    @property
    def cancellable(self):
        """What PortOne still holds for a paid payment (currentCancellableAmount of a full cancel)."""
        if not (_is_number(self.total) and self.status in PAID_LIKE):
            return 0
        return self.total - (self.cancelled if _is_number(self.cancelled) else 0)


def _is_number(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value):
    return value if isinstance(value, str) else ""


def payment_from(data):
    """A Payment from PortOne's JSON, or raise PGUnknown when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise PGUnknown("payment", 200, None, "the answer held no payment")
    amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
    method = data.get("method") if isinstance(data.get("method"), dict) else {}
    failure = data.get("failure") if isinstance(data.get("failure"), dict) else {}
    account = None
    if method.get("type") == "PaymentMethodVirtualAccount" and method.get("accountNumber"):
        account = {"bank": _text(method.get("bank")), "number": _text(method.get("accountNumber")),
                   "holder": _text(method.get("remitteeName")), "due": _text(method.get("expiredAt"))}
    return Payment(id=data["id"], status=data.get("status"), total=amount.get("total"),
                   cancelled=amount.get("cancelled") or 0, currency=data.get("currency"),
                   channel_key=channel.get("key"), channel_type=channel.get("type"),
                   method=_text(method.get("type")), paid_at=_text(data.get("paidAt")),
                   failure=_text(failure.get("pgMessage")) or _text(failure.get("reason")), account=account)


def channel_key():
    """The shop's own channel: PORTONE_V2_CHANNEL_KEY; in emulator mode PORTONE_V2_EMULATOR_CHANNEL=live
    picks the emulator's channel that plays a LIVE one instead of its TEST channel."""
    cfg = current_app.config
    if config.mode(PROVIDER) == "emulator" and cfg.get("PORTONE_V2_EMULATOR_CHANNEL") == "live":
        from . import PROVIDER as RECORD
        return RECORD.extra["emulator_live_channel"]
    return cfg["PORTONE_V2_CHANNEL_KEY"]


def _url(path):
    return config.api_base(PROVIDER) + path


def _seg(value):
    return quote(str(value), safe="")


def _call(name, method, path, summary, json_body=None):
    headers = {"Authorization": "PortOne " + current_app.config["PORTONE_V2_API_SECRET"]}
    return call(name, method, _url(path), summary=summary, headers=headers, json_body=json_body)


def _answer(resp, what):
    """The JSON answer of a 200, or the error of shop.http's hierarchy (PortOne's `type` as the code)."""
    try:
        body = resp.json()
    except (ValueError, RecursionError):
        body = None
    if resp.status_code >= 500 or not isinstance(body, dict):
        kind = body.get("type") if isinstance(body, dict) else None
        raise PGUnknown(what, resp.status_code, kind, "the answer was not PortOne's JSON")
    if resp.status_code == 404:
        raise PGNotFound(what, 404, body.get("type"), body.get("message"))
    if resp.status_code != 200:
        raise PGRefused(what, resp.status_code, body.get("type"), body.get("message"))
    return body


def get_payment(payment_id):
    """GET /payments/{paymentId}: the Payment. Raises PGNotFound when PortOne has none with this id."""
    resp = _call("get_payment", "GET", f"/payments/{_seg(payment_id)}",
                 msg("The shop read payment %(payment_id)s from PortOne V2", payment_id=payment_id))
    return payment_from(_answer(resp, "get payment"))


def pre_register(payment_id, amount):
    """POST /payments/{paymentId}/pre-register: PortOne refuses a requestPayment for payment_id with any
    other amount (AmountNotEqualToPredefined). Raises PGRefused (ALREADY_PAID) once it is paid."""
    resp = _call("pre_register", "POST", f"/payments/{_seg(payment_id)}/pre-register",
                 msg("The shop pre-registered %(amount_won)s for payment %(payment_id)s at PortOne V2",
                     amount_won=amount, payment_id=payment_id),
                 json_body={"storeId": current_app.config["PORTONE_V2_STORE_ID"], "totalAmount": amount,
                            "currency": "KRW"})
    _answer(resp, "pre-register")


def cancel(payment_id, reason, cancellable):
    """POST /payments/{paymentId}/cancel, in full. cancellable: what the shop believes PortOne still holds
    (currentCancellableAmount), so PortOne refuses a cancel based on stale numbers. Returns the
    cancellation; raises PGRefused when PortOne refuses."""
    body = {"storeId": current_app.config["PORTONE_V2_STORE_ID"], "reason": reason}
    if cancellable:   # none when PortOne's amount was not a whole number: cancel whatever it holds
        body["currentCancellableAmount"] = cancellable
    resp = _call("cancel", "POST", f"/payments/{_seg(payment_id)}/cancel",
                 msg("The shop asked PortOne V2 to cancel payment %(payment_id)s in full (%(amount)s)",
                     payment_id=payment_id, amount=cancellable), json_body=body)
    return _answer(resp, "cancel").get("cancellation")
