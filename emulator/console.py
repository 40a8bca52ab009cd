"""The emulator's console guard and helpers: CSRF token, optional password, KST times, flash with a flow link.

CSRF. Every unsafe request (POST, PUT, PATCH, DELETE) must carry the token of the emulator's own session
(form field `csrf_token` or header `X-CSRF-Token`) when either holds:
  * it comes from a browser page, of another site or this one (`Origin` or `Sec-Fetch-Site` present;
    browsers send them on every POST, and a cross-site page can never read the token);
  * it is a form body (urlencoded, multipart, text/plain: what an HTML form can send) and not a PG API call
    (one with an `Authorization` header, or PortOne's `POST /users/getToken`).
Exempt as they are: the SDK stand-ins' endpoints (`/<pg>/sdk/...`) and the hosted windows'
`/<pg>/window/<id>/decide` (and Toss's `/billing/window/<id>/decide`), which pages of any origin call. Everything else a server or a test sends
(the PG REST APIs with their Authorization headers, JSON control calls to /faults and /clock, a bare POST
without a browser's headers) passes: no browser page can send it without those headers.

Password. When EMULATOR_CONSOLE_PASSWORD is set, the console (the dashboard, deliveries, clock, faults,
and PG routes marked @console_route such as "Deposit now") asks for it with HTTP Basic (any user name).
"""
import base64
import binascii
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app, flash, jsonify, request, session
from flask_babel import gettext as _
from markupsafe import Markup, escape

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
SDK_PATHS = re.compile(r"/[^/]+/(sdk/.*|(billing/)?window/[^/]+/decide)")
TOKEN_PATHS = ("/portone/users/getToken",)
CONSOLE_BLUEPRINTS = {"dashboard", "clock", "faults"}
KST = timezone(timedelta(hours=9), "KST")


def console_route(view):
    """Mark a PG blueprint's view as part of the console (password-guarded), e.g. "Deposit now"."""
    view.console_route = True
    return view


def csrf_token():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_field():
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">')


def needs_token():
    """See the module's docstring. A browser names the page's site in Origin / Sec-Fetch-Site on every POST,
    so a request from any page (a foreign one included) must carry the token."""
    if request.method not in UNSAFE or SDK_PATHS.fullmatch(request.path):
        return False
    if request.headers.get("Origin") or request.headers.get("Sec-Fetch-Site"):
        return True
    pg_api_call = "Authorization" in request.headers or request.path in TOKEN_PATHS
    return request.mimetype in FORM_TYPES and not pg_api_call


def _refuse(status, message, **headers):
    if request.is_json or request.accept_mimetypes.best == "application/json":
        resp = jsonify(error="FORBIDDEN" if status == 403 else "UNAUTHORIZED", message=message)
    else:
        resp = current_app.response_class(
            f"<!doctype html><meta charset=utf-8><title>{escape(message)}</title><h1>{escape(message)}</h1>",
            content_type="text/html; charset=utf-8")
    resp.status_code = status
    resp.headers.update(headers)
    return resp


def is_console():
    view = current_app.view_functions.get(request.endpoint or "")
    return request.blueprint in CONSOLE_BLUEPRINTS or getattr(view, "console_route", False)


def _password_ok():
    password = current_app.config.get("EMULATOR_CONSOLE_PASSWORD") or ""
    if not password or not is_console():
        return True
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        _user, _sep, given = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return hmac.compare_digest(given.encode(), password.encode())


def guard():
    """before_request: the password, then the CSRF token. Returns a refusal, or None."""
    if not _password_ok():
        return _refuse(401, _("The emulator's console needs its password (EMULATOR_CONSOLE_PASSWORD)."),
                       **{"WWW-Authenticate": 'Basic realm="PG emulator console", charset="UTF-8"'})
    if needs_token():
        sent = request.headers.get("X-CSRF-Token") or (
            request.form.get("csrf_token", "") if request.mimetype in FORM_TYPES else "")
        expected = session.get("csrf", "")
        if not (expected and sent and hmac.compare_digest(sent, expected)):
            return _refuse(403, _("This console form has expired or did not come from the emulator's own "
                                  "page. Reload the page and try again."))
    return None


# ---- what the console shows ---------------------------------------------------------------------------

def kst(ts):
    """UNIX seconds -> '2025-01-01 12:00:00 KST' (every time the console shows)."""
    if ts is None or ts == "":
        return ""
    return datetime.fromtimestamp(float(ts), KST).strftime("%Y-%m-%d %H:%M:%S KST")


def shop_url():
    """The shop's address: EMULATOR_SHOP_URL, else when mounted in the site (/emulator) the site's root."""
    configured = (current_app.config.get("EMULATOR_SHOP_URL") or "").rstrip("/")
    if configured:
        return configured
    return request.host_url.rstrip("/") if request.script_root else ""


def flow_url(order_id):
    """The shop's page of the flow an order id belongs to ('' when the shop is not known)."""
    from urllib.parse import quote
    shop = shop_url()
    return f"{shop}/flows/{quote(str(order_id), safe='')}" if shop and order_id else ""


def done(text, order_id=None):
    """Flash what a console action did, with a link to the flow it changed."""
    flash({"text": str(text), "order": order_id or "", "url": flow_url(order_id)}, "done")


def init_app(app):
    app.before_request(guard)
    app.jinja_env.globals.update(csrf_token=csrf_token, csrf_field=csrf_field, shop_url=shop_url,
                                 flow_url=flow_url)
    app.jinja_env.filters["kst"] = kst
