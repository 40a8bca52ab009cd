"""CSRF protection for the shop's forms and JSON posts, and the security headers of every page."""
import hmac
import secrets

from flask import abort, current_app, jsonify, request, session
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError

from . import config, providers

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def csrf_exempt(view):
    """For routes a PG calls (webhooks): they act only on what they read back from the PG."""
    view.csrf_exempt = True
    return view


def csrf_token():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf():
    if request.method not in UNSAFE or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "csrf_exempt", False):
        return None
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if expected and sent and hmac.compare_digest(sent, expected):
        return None
    message = _("This form has expired or did not come from this site. Reload the page and try again.")
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(error="CSRF_FAILED", message=message), 403
    abort(403, description=message)


def content_security_policy():
    """Only this site (and the emulator, and in live mode the PG's hosts) may serve scripts."""
    extra = []
    emu = config.origin(config.emulator_url())
    if any(config.mode(p.id) == "emulator" for p in providers.all()) and emu != _own_origin():
        extra.append(emu)     # the page is browsed under an ALLOWED_HOSTS name, or the emulator runs apart
    live = [p for p in providers.all() if config.mode(p.id) == "live"]
    for p in live:
        extra += p.live_hosts
    hosts = " ".join(["'self'", *extra])
    style = "'self' 'unsafe-inline'" if live else "'self'"
    return "; ".join([
        "default-src 'self'", f"script-src {hosts}", f"connect-src {hosts}", f"frame-src {hosts}",
        f"img-src 'self' data: {' '.join(extra)}".strip(), f"style-src {style}", f"form-action {hosts}",
        "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'"])


def _own_origin():
    """The page's origin; None for a request whose Host is not trusted (its answer is a 400)."""
    try:
        return config.origin(request.host_url)
    except SecurityError:
        return None


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app):
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["site_url"] = config.site_url
