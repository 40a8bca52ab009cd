"""PortOne V1 REST client: the only shop code that knows PortOne's URLs, headers and field names.

Every call goes through shop.http.call (timeouts, typed errors, a redacted step in the order's
flow). Answers come in PortOne's envelope {code, message, response}: code 0 is success, any
other code is a refusal even when the HTTP status is 200.
"""
import time
from urllib.parse import quote

from flask import current_app

from i18n import msg

from .. import config, redact, steps
from ..db import get_db
from ..http import PGError, call

PROVIDER = "portone"
REUSE_MARGIN_S = 60  # fetch a new token when less than this is left on the cached one


class PortOneError(PGError):
    """PortOne answered, but not with what was asked. http_status, code and message say why."""

    def __init__(self, what, http_status, code=None, message=None):
        super().__init__(f"{what}: HTTP {http_status}, code {code}, {message}")
        self.http_status, self.code, self.message = http_status, code, message


class NotFound(PortOneError):
    """404: PortOne has no such payment (or pre-registration)."""


class Refused(PortOneError):
    """HTTP 200 with code != 0: PortOne refused (e.g. nothing left to cancel, already prepared)."""


class Unauthorized(PortOneError):
    """401: wrong API key/secret, or the token was refused even after a fresh one."""


def _url(path):
    return config.api_base(PROVIDER) + path


def _seg(value):
    """A path segment from a value the shop did not choose itself (imp_uid, merchant_uid)."""
    return quote(str(value), safe="")


def _note(order_id, summary):
    if order_id is not None:
        steps.record(order_id, "server_auth", "portone.get_token", summary, kind="state", verdict="info")


def _response(resp, what):
    """The envelope's `response`, or a typed PortOneError."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PortOneError(what, resp.status_code, None, "the answer was not a JSON envelope")
    code, message = body.get("code"), body.get("message")
    if resp.status_code == 404:
        raise NotFound(what, 404, code, message)
    if resp.status_code == 401:
        raise Unauthorized(what, 401, code, message)
    if resp.status_code != 200:
        raise PortOneError(what, resp.status_code, code, message)
    if code != 0:
        raise Refused(what, 200, code, message)
    return body.get("response")


def get_token(order_id=None):
    """An access token shared by every worker process through the pg_tokens table.

    A cached token is reused while more than REUSE_MARGIN_S seconds are left; otherwise the shop
    asks POST /users/getToken once and stores the answer. Returns the token string.
    """
    row = get_db().execute("SELECT token, expires_at FROM pg_tokens WHERE provider = ?",
                           (PROVIDER,)).fetchone()
    now = time.time()
    if row is not None and row["expires_at"] - now > REUSE_MARGIN_S:
        redact.remember(row["token"], "access_token")
        _note(order_id, msg("Token reused: the shop's cached PortOne access token is good for another "
                            "%(seconds)s s, so no getToken call is needed", seconds=int(row["expires_at"] - now)))
        return row["token"]
    cfg = current_app.config
    resp = call(order_id, "server_auth", "portone.get_token", "POST", _url("/users/getToken"),
                provider=PROVIDER, summary=msg("Token fetched: the shop asked PortOne for an access token "
                                               "with its REST API key and secret"),
                json_body={"imp_key": cfg["PORTONE_IMP_KEY"], "imp_secret": cfg["PORTONE_IMP_SECRET"]})
    answer = _response(resp, "getToken")
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        raise PortOneError("getToken", resp.status_code, 0, "no access_token in the answer")
    token = answer["access_token"]
    redact.remember(token, "access_token")
    # PortOne's clock may differ from ours: keep its lifetime (expired_at - now), not its timestamp.
    lifetime = float(answer.get("expired_at", 0)) - float(answer.get("now", 0))
    get_db().execute("INSERT INTO pg_tokens (provider, token, expires_at) VALUES (?, ?, ?)"
                     " ON CONFLICT (provider) DO UPDATE SET token = excluded.token,"
                     " expires_at = excluded.expires_at", (PROVIDER, token, now + max(lifetime, 0)))
    return token


def _forget(token):
    get_db().execute("DELETE FROM pg_tokens WHERE provider = ? AND token = ?", (PROVIDER, token))


def _call(order_id, phase, name, method, path, summary, json_body=None):
    """One authorized call. A 401 (token expired at PortOne) is answered by one fresh token and one retry."""
    token = get_token(order_id)
    resp = call(order_id, phase, name, method, _url(path), provider=PROVIDER, summary=summary,
                headers={"Authorization": f"Bearer {token}"}, json_body=json_body)
    if resp.status_code == 401:
        _forget(token)
        token = get_token(order_id)
        resp = call(order_id, phase, name, method, _url(path), provider=PROVIDER,
                    summary=msg("%(what)s (again, with a new token)", what=summary),
                    headers={"Authorization": f"Bearer {token}"}, json_body=json_body)
    return resp


def _payment(answer, what):
    if not isinstance(answer, dict):
        raise PortOneError(what, 200, 0, "the answer held no payment")
    return answer


def get_payment(order_id, imp_uid):
    """GET /payments/{imp_uid}: PortOne's Payment dict. Raises NotFound when PortOne has no such payment."""
    resp = _call(order_id, "approve", "portone.get_payment", "GET", f"/payments/{_seg(imp_uid)}",
                 msg("The shop read payment %(imp_uid)s from PortOne", imp_uid=imp_uid))
    return _payment(_response(resp, "get payment"), "get payment")


def find_by_merchant_uid(order_id, merchant_uid):
    """GET /payments/find/{merchant_uid}: the latest payment for the order, or None if there is none."""
    resp = _call(order_id, "approve", "portone.find_payment", "GET", f"/payments/find/{_seg(merchant_uid)}",
                 msg("The shop asked PortOne for the latest payment of order %(merchant_uid)s",
                     merchant_uid=merchant_uid))
    try:
        return _payment(_response(resp, "find payment"), "find payment")
    except NotFound:
        return None


def cancel(order_id, imp_uid, reason, checksum):
    """POST /payments/cancel, in full. checksum: the amount the shop believes is still cancellable,
    so PortOne refuses a cancel based on stale numbers. Returns the Payment after the cancel;
    raises Refused when PortOne refuses (HTTP 200 with code != 0)."""
    resp = _call(order_id, "settle", "portone.cancel", "POST", "/payments/cancel",
                 msg("The shop asked PortOne to cancel payment %(imp_uid)s in full (%(amount_won)s)",
                     imp_uid=imp_uid, amount_won=checksum),
                 json_body={"imp_uid": imp_uid, "reason": reason, "checksum": checksum})
    return _payment(_response(resp, "cancel"), "cancel")


def prepare(order_id, merchant_uid, amount):
    """POST /payments/prepare: PortOne will refuse to open a window for merchant_uid with another
    amount. Returns {merchant_uid, amount, currency}; raises Refused if it was registered before."""
    resp = _call(order_id, "order", "portone.prepare", "POST", "/payments/prepare",
                 msg("The shop pre-registered %(amount_won)s for order %(merchant_uid)s at PortOne",
                     amount_won=amount, merchant_uid=merchant_uid),
                 json_body={"merchant_uid": merchant_uid, "amount": amount})
    return _response(resp, "prepare")
