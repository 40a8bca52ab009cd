"""PortOne V1 REST client: the only shop code that knows PortOne's URLs, headers and field names.

Every call goes through shop.http.call (timeouts, a redacted step in the bound flow). Answers come in
PortOne's envelope {code, message, response}: code 0 is success, any other code is a refusal even when
the HTTP status is 200. Errors are shop.http's hierarchy; payments come back as a typed Payment.
"""
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from flask import current_app

from i18n import msg

from .. import config, redact, steps
from ..db import get_db
from ..http import PGNotFound, PGRefused, PGUnknown, call

PROVIDER = "portone"
REUSE_MARGIN_S = 60  # fetch a new token when less than this is left on the cached one
KST = timezone(timedelta(hours=9), "KST")


@dataclass(frozen=True)
class Payment:
    """The fields of PortOne's Payment object (PaymentAnnotation) that the shop acts on."""
    imp_uid: str
    merchant_uid: object          # as PortOne has it (a stranger may have put anything there)
    status: object                # ready | paid | failed | cancelled (anything else is unknown)
    amount: object                # a number, as PortOne has it (may be fractional)
    cancel_amount: object
    currency: object
    pay_method: object
    paid_at: int = 0
    fail_reason: str = ""
    cancel_reason: str = ""
    vbank: dict | None = None     # {bank, number, holder, due} once a virtual account is issued

    @property
    def vbank_issued(self):
        """status ready + pay_method vbank + an account number: the buyer still has to deposit."""
        return self.status == "ready" and self.pay_method == "vbank" and self.vbank is not None

    @property
    def cancellable(self):
        """What PortOne still holds, exactly as PortOne counts it: the checksum of a full cancel."""
        if not _is_number(self.amount):
            return 0
        return self.amount - (self.cancel_amount if _is_number(self.cancel_amount) else 0)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value):
    return value if isinstance(value, str) else ""


def payment_from(data):
    """A Payment from PortOne's JSON, or raise PGUnknown when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("imp_uid"), str):
        raise PGUnknown("payment", 200, 0, "the answer held no payment")
    vbank = None
    if data.get("vbank_num"):
        due = data.get("vbank_date") or 0
        vbank = {"bank": _text(data.get("vbank_name")) or _text(data.get("vbank_code")),
                 "number": _text(data.get("vbank_num")), "holder": _text(data.get("vbank_holder")),
                 "due": datetime.fromtimestamp(due, KST).strftime("%Y-%m-%d %H:%M KST")
                 if _is_number(due) and 0 < due < 2 ** 40 else ""}
    return Payment(imp_uid=data["imp_uid"], merchant_uid=data.get("merchant_uid"), status=data.get("status"),
                   amount=data.get("amount"), cancel_amount=data.get("cancel_amount") or 0,
                   currency=data.get("currency"), pay_method=data.get("pay_method"),
                   paid_at=data.get("paid_at") if _is_number(data.get("paid_at")) else 0,
                   fail_reason=_text(data.get("fail_reason")), cancel_reason=_text(data.get("cancel_reason")),
                   vbank=vbank)


def _url(path):
    return config.api_base(PROVIDER) + path


def _seg(value):
    """A path segment from a value the shop did not choose itself (imp_uid, merchant_uid)."""
    return quote(str(value), safe="")


def _response(resp, what):
    """The envelope's `response`, or the error of shop.http's hierarchy."""
    try:
        body = resp.json()
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise PGUnknown(what, resp.status_code, None, "the answer was not a JSON envelope")
    code, message = body.get("code"), body.get("message")
    if resp.status_code >= 500:
        raise PGUnknown(what, resp.status_code, code, message)
    if resp.status_code == 404:
        raise PGNotFound(what, 404, code, message)
    if resp.status_code != 200 or code != 0:
        raise PGRefused(what, resp.status_code, code, message)
    return body.get("response")


def get_token():
    """An access token shared by every worker process through the pg_tokens table.

    A cached token is reused while more than REUSE_MARGIN_S seconds are left; otherwise the shop
    asks POST /users/getToken once and stores the answer. Returns the token string.
    """
    row = get_db().execute("SELECT token, expires_at FROM pg_tokens WHERE provider = ?",
                           (PROVIDER,)).fetchone()
    now = time.time()
    flow = steps.current()
    if row is not None and row["expires_at"] - now > REUSE_MARGIN_S:
        redact.remember(row["token"], "access_token")
        if flow is not None:
            flow.record("get_token", msg("Token reused: the shop's cached PortOne access token is good for "
                                         "another %(seconds)s s, so no getToken call is needed",
                                         seconds=int(row["expires_at"] - now)), phase="server_auth")
        return row["token"]
    cfg = current_app.config
    with _phase("server_auth"):
        resp = call("get_token", "POST", _url("/users/getToken"),
                    summary=msg("Token fetched: the shop asked PortOne for an access token with its REST API key "
                                "and secret"),
                    json_body={"imp_key": cfg["PORTONE_IMP_KEY"], "imp_secret": cfg["PORTONE_IMP_SECRET"]})
    answer = _response(resp, "getToken")
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        raise PGUnknown("getToken", resp.status_code, 0, "no access_token in the answer")
    token = answer["access_token"]
    redact.remember(token, "access_token")
    # PortOne's clock may differ from ours: keep its lifetime (expired_at - now), not its timestamp.
    try:
        lifetime = float(answer.get("expired_at", 0)) - float(answer.get("now", 0))
    except (TypeError, ValueError):
        lifetime = 0
    get_db().execute("INSERT INTO pg_tokens (provider, token, expires_at) VALUES (?, ?, ?)"
                     " ON CONFLICT (provider) DO UPDATE SET token = excluded.token,"
                     " expires_at = excluded.expires_at", (PROVIDER, token, now + max(min(lifetime, 86400), 0)))
    return token


def _phase(phase):
    """The bound flow's phase for a call (nothing outside a flow)."""
    flow = steps.current()
    return flow.at(phase) if flow is not None else contextlib.nullcontext()


def _forget(token):
    get_db().execute("DELETE FROM pg_tokens WHERE provider = ? AND token = ?", (PROVIDER, token))


def _call(name, method, path, summary, json_body=None):
    """One authorized call. A 401 (token expired at PortOne) is answered by one fresh token and one retry."""
    token = get_token()
    resp = call(name, method, _url(path), summary=summary, headers={"Authorization": f"Bearer {token}"},
                json_body=json_body)
    if resp.status_code == 401:
        _forget(token)
        token = get_token()
        resp = call(name, method, _url(path), summary=msg("%(what)s (again, with a new token)", what=summary),
                    headers={"Authorization": f"Bearer {token}"}, json_body=json_body)
    return resp


def get_payment(imp_uid):
    """GET /payments/{imp_uid}: the Payment. Raises PGNotFound when PortOne has no such payment."""
    resp = _call("get_payment", "GET", f"/payments/{_seg(imp_uid)}",
                 msg("The shop read payment %(imp_uid)s from PortOne", imp_uid=imp_uid))
    return payment_from(_response(resp, "get payment"))


def find_payment(merchant_uid):
    """GET /payments/find/{merchant_uid}: the latest payment for the order, or None if there is none."""
    resp = _call("find_payment", "GET", f"/payments/find/{_seg(merchant_uid)}",
                 msg("The shop asked PortOne for the latest payment of order %(merchant_uid)s",
                     merchant_uid=merchant_uid))
    try:
        return payment_from(_response(resp, "find payment"))
    except PGNotFound:
        return None


def payments_of(merchant_uid, limit=100):
    """GET /payments/findAll/{merchant_uid}: every payment PortOne has for the order (newest first)."""
    resp = _call("find_payments", "GET", f"/payments/findAll/{_seg(merchant_uid)}?limit={limit}",
                 msg("The shop asked PortOne for every payment of order %(merchant_uid)s", merchant_uid=merchant_uid))
    try:
        page = _response(resp, "find all payments")
    except PGNotFound:
        return []
    items = page.get("list") if isinstance(page, dict) else None
    if not isinstance(items, list):
        raise PGUnknown("find all payments", 200, 0, "the answer held no list")
    return [payment_from(p) for p in items]


def cancel(imp_uid, reason, checksum):
    """POST /payments/cancel, in full. checksum: the amount the shop believes is still cancellable, exactly
    as PortOne counts it (Payment.cancellable), so PortOne refuses a cancel based on stale numbers.
    Returns the Payment after the cancel; raises PGRefused when PortOne refuses."""
    resp = _call("cancel", "POST", "/payments/cancel",
                 msg("The shop asked PortOne to cancel payment %(imp_uid)s in full (%(amount)s)",
                     imp_uid=imp_uid, amount=checksum),
                 json_body={"imp_uid": imp_uid, "reason": reason, "checksum": checksum})
    return payment_from(_response(resp, "cancel"))


def revoke_vbank(imp_uid):
    """DELETE /vbanks/{imp_uid}: close a virtual account nobody has paid into yet. Returns the Payment."""
    resp = _call("revoke_vbank", "DELETE", f"/vbanks/{_seg(imp_uid)}",
                 msg("The shop asked PortOne to close the virtual account of payment %(imp_uid)s", imp_uid=imp_uid))
    return payment_from(_response(resp, "revoke virtual account"))


def prepare(merchant_uid, amount):
    """POST /payments/prepare: PortOne will refuse to open a window for merchant_uid with another
    amount. Returns {merchant_uid, amount, currency}; raises PGRefused if it was registered before."""
    resp = _call("prepare", "POST", "/payments/prepare",
                 msg("The shop pre-registered %(amount_won)s for order %(merchant_uid)s at PortOne",
                     amount_won=amount, merchant_uid=merchant_uid),
                 json_body={"merchant_uid": merchant_uid, "amount": amount})
    return _response(resp, "prepare")


def billing_key(customer_uid):
    """GET /subscribe/customers/{customer_uid}: the billing key PortOne keeps under customer_uid
    ({customer_uid, card_name, card_number, ...}). Raises PGNotFound when there is none."""
    resp = _call("get_billing_key", "GET", f"/subscribe/customers/{_seg(customer_uid)}",
                 msg("The shop asked PortOne for the billing key of customer_uid %(customer_uid)s",
                     customer_uid=customer_uid))
    key = _response(resp, "billing key")
    if not isinstance(key, dict) or key.get("customer_uid") != customer_uid:
        raise PGUnknown("billing key", 200, 0, "the answer held no billing key")
    return key


def pay_again(customer_uid, merchant_uid, amount, name):
    """POST /subscribe/payments/again: charge the card kept under customer_uid, from the server. Returns the
    Payment (a decline is code 0 with status failed, as PortOne answers a refused billing payment)."""
    resp = _call("pay_again", "POST", "/subscribe/payments/again",
                 msg("The shop charged the card of customer_uid %(customer_uid)s %(amount_won)s for order "
                     "%(merchant_uid)s", customer_uid=customer_uid, amount_won=amount, merchant_uid=merchant_uid),
                 json_body={"customer_uid": customer_uid, "merchant_uid": merchant_uid, "amount": amount,
                            "name": name})
    return payment_from(_response(resp, "pay again"))
