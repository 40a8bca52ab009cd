"""The site's answers to HTTP errors (400/403/404/405/413/500 and the rest): JSON for JSON clients,
a plain translated page for people. Never the exception's text."""
from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from werkzeug.exceptions import HTTPException

# code -> (stable error code, title, plain explanation)
ERRORS = {
    400: ("BAD_REQUEST", _l("Bad request"), _l("The request could not be understood: check what was sent.")),
    403: ("FORBIDDEN", _l("Not allowed"), _l("This request is not allowed.")),
    404: ("NOT_FOUND", _l("Not found"), _l("There is nothing at this address.")),
    405: ("METHOD_NOT_ALLOWED", _l("Method not allowed"), _l("This address does not take this kind of request.")),
    413: ("TOO_LARGE", _l("Request too large"),
          _l("The request is larger than this site accepts (%(limit)s KiB). Nothing was stored.")),
    500: ("SERVER_ERROR", _l("Something went wrong"),
          _l("The site could not answer this request. Try again in a moment.")),
}
OTHER = ("HTTP_ERROR", _l("Request not handled"), _l("The site could not handle this request."))

def wants_json():
    """JSON for the shop's JSON routes and for clients that send or ask for JSON; a page otherwise."""
    if request.is_json or request.path.startswith(("/api/", "/webhooks/", "/lab/run/")):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def answer(status, description=None, headers=None):
    """The error answer; description: words the shop passed to abort() (already translated), if any."""
    error, title, text = ERRORS.get(status, OTHER)
    message = str(description or text)
    if status == 413:
        message = message % {"limit": (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024}
    if wants_json():
        resp = jsonify(error=error, message=message)
    else:
        try:
            resp = current_app.make_response(render_template("error.html", status=status, title=title,
                                                             message=message))
        except Exception:  # noqa: BLE001  (the page itself failed: answer in plain words anyway)
            current_app.logger.exception("error page could not be rendered")
            resp = current_app.make_response(f"<!doctype html><title>{escape(title)}</title>"
                                             f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")
    resp.status_code = status
    resp.headers.update(headers or {})
    return resp


def _http_error(e):
    if e.code is None or e.code < 400:
        return e
    headers = {"Allow": ", ".join(e.valid_methods)} if getattr(e, "valid_methods", None) else {}
    # Werkzeug's own descriptions are English only: the shop's words replace them. A description the
    # shop passed to abort() itself is for people (translated where it was raised).
    own = e.description if e.description != type(e).description else None
    return answer(e.code, own, headers)


def _server_error(e):
    # Flask has already logged the original exception; the answer never includes its text.
    return answer(500)


def init_app(app):
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
