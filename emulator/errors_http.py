"""The emulator's answers to requests it cannot route or take (404/405/413/500 ...): the PG's own error
shape under /portone, /portone-v2 and /toss, a plain page elsewhere. Answers the PG views give themselves
are untouched."""
import json

from flask import abort, current_app, request
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.exceptions import HTTPException

SQLITE_INT = (-2 ** 63, 2 ** 63 - 1)   # an <int:...> id outside this range can name no stored row
TOSS_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 500: "FAILED_INTERNAL_SYSTEM_PROCESSING"}


def _answer(status, title):
    path = request.path
    browser = any(kind == "text/html" for kind, _q in request.accept_mimetypes)
    if browser:                         # a person (e.g. a window page that does not exist)
        body = None
    elif path.startswith("/portone-v2/"):  # PortOne V2's {type, message}
        body = {"type": "INVALID_REQUEST", "message": title}
    elif path.startswith("/portone/"):  # PortOne's envelope, as its REST API sends every error
        body = {"code": -1, "message": title, "response": None}
    elif path.startswith("/toss/"):     # Toss's {code, message}
        body = {"code": TOSS_CODES.get(status, "INVALID_REQUEST"), "message": title}
    else:
        body = None
    if body is not None or (request.is_json and not browser):
        body = body or {"error": status, "message": title}
        return current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                          content_type="application/json; charset=UTF-8")
    page = f"<!doctype html><meta charset=utf-8><title>{escape(title)}</title><h1>{escape(title)} ({status})</h1>"
    return current_app.response_class(page, status=status, content_type="text/html; charset=utf-8")


def _http_error(e):
    if e.code is None or e.code < 400:
        return e
    titles = {404: _("Not found"), 405: _("Method not allowed"), 413: _("Request too large"),
              400: _("Bad request")}
    resp = _answer(e.code, titles.get(e.code, _("Request not handled")))
    if getattr(e, "valid_methods", None):
        resp.headers["Allow"] = ", ".join(e.valid_methods)
    return resp


def _server_error(e):
    return _answer(500, _("The emulator could not answer this request."))


def _ids_that_can_exist(endpoint, values):
    """404 before the view runs for an <int:...> id SQLite cannot hold (it would raise OverflowError)."""
    for value in (values or {}).values():
        if isinstance(value, int) and not SQLITE_INT[0] <= value <= SQLITE_INT[1]:
            abort(404)


def init_app(app):
    app.url_value_preprocessor(_ids_that_can_exist)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
