"""The attacker's browser: its own cookies, the CSRF token read from the page, every request it sends logged.

It knows only what any visitor can see: the checkout page (its CSRF token and the PG settings in
its data-* attributes), the shop's public routes, and the PG's hosted-window endpoints the SDK
scripts call.
"""
import html
import re
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from flask_babel import gettext as _
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

TIMEOUT = 30


def attr(page, name):
    found = re.search(rf'{name}="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def with_query(url, **changes):
    """url with some query parameters replaced (the attacker editing the address bar)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in changes.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


class Browser:
    """One visitor. `log` receives one dict per request: what the attacker did and what came back."""

    def __init__(self, site_url, log):
        self.site = site_url.rstrip("/")
        self.http = requests.Session()
        self.log = log
        self._lock = threading.Lock()
        self.page = None

    # --- what the page tells every visitor ---------------------------------------------------

    def open_checkout(self, path="/"):
        """GET / (or /?portone=v2) as a browser does; keeps the page for its token and PG settings."""
        resp = self.get(path, _("Opened the checkout page (to read its CSRF token and PG settings)"))
        self.page = resp.text
        return self.page

    def setting(self, name):
        if self.page is None:
            self.open_checkout()
        return attr(self.page, name)

    @property
    def csrf(self):
        token = re.search(r'name="csrf-token" content="([^"]+)"', self.page or self.open_checkout())
        return token.group(1) if token else ""

    @property
    def emulator(self):
        """The PG base the page's SDK script comes from (…/emulator)."""
        if self.page is None:
            self.open_checkout()
        src = re.search(r'<script src="([^"]+)/portone/(?:v1/iamport\.js|js/iamport[^"]*)"', self.page)
        return html.unescape(src.group(1)) if src else self.site + "/emulator"

    # --- requests -------------------------------------------------------------------------------

    def _url(self, path):
        return path if path.startswith(("http://", "https://")) else self.site + path

    def _note(self, what, method, url, resp):
        shown = url[len(self.site):] if url.startswith(self.site) else url
        with self._lock:
            self.log.append({"action": str(what), "request": f"{method} {shown}"[:300],
                             "status": resp.status_code if resp is not None else None})

    def get(self, path, what, session=None, **kw):
        kw.setdefault("timeout", TIMEOUT)
        url = self._url(path)
        resp = (session or self.http).get(url, **kw)
        self._note(what, "GET", url, resp)
        return resp

    def post(self, path, what, json=None, data=None, csrf=True, headers=None, **kw):
        """POST like the page's scripts do (with the page's CSRF token) or like a forger (csrf=False)."""
        headers = dict(headers or {})
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        kw.setdefault("timeout", TIMEOUT)
        url = self._url(path)
        resp = self.http.post(url, json=json, data=data, headers=headers, **kw)
        self._note(what, "POST", url, resp)
        return resp

    def json_of(self, resp):
        try:
            body = resp.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}


class Listener:
    """A server of the stranger's (or an internal service) on 127.0.0.1: keeps every request it gets, so an
    attack can tell whether the site sent it anything (a key, a token, a webhook). `with Listener() as l:`"""

    def __init__(self):
        self.hits = []
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.netloc = f"127.0.0.1:{self.server.server_port}"
        self.url = "http://" + self.netloc

    @Request.application
    def _wsgi(self, request):
        self.hits.append(f"{request.method} {request.path}")
        return Response("ok")

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
