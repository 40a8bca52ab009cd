"""The one door for the shop's calls to a PG: timeouts always, one error hierarchy, each call a step.

Every client raises the same errors (as stripe-python does), so a flow catches by meaning:

    PGError             the call did not give a usable answer (never shown to a browser as str(e))
    ├── PGUnreachable   the connection failed before anything was sent: the PG did not act
    ├── PGUnknown       sent, but no usable answer (timeout, closed connection, 5xx, unreadable):
    │   └── PGTimeout   the PG may or may not have acted; ask it again, never guess
    └── PGRefused       the PG answered "no", with its own code and message
        └── PGNotFound  the PG has no such payment
"""
import threading
import time

import requests
from flask import current_app
from urllib3.exceptions import ProtocolError

from i18n import msg

import webjson

from . import config, redact, steps

_local = threading.local()


class PGError(Exception):
    """A call to a PG did not give a usable answer. status, code, message: what the PG said, if anything."""

    def __init__(self, what, status=None, code=None, message=None):
        super().__init__(f"{what}: HTTP {status}, code {code}, {message}")
        self.what, self.status, self.code, self.message = what, status, code, message


class PGUnreachable(PGError):
    """The connection failed before the request was sent: the PG did not act."""


class PGUnknown(PGError):
    """The request was sent but no usable answer came back (5xx, unreadable): the outcome is unknown."""


class PGTimeout(PGUnknown):
    """No answer in time, or the connection closed without one: the PG may or may not have acted."""


class PGRefused(PGError):
    """The PG refused (a 4xx, or PortOne's envelope with code != 0): `code` and `message` are its own."""


class PGNotFound(PGRefused):
    """The PG has no such payment (or pre-registration)."""


def trouble(error, pg):
    """What went wrong with a call, in a few words for the step log (an i18n.msg())."""
    if isinstance(error, PGTimeout):
        return msg("no answer: %(pg)s may or may not have acted", pg=pg)
    if isinstance(error, PGUnreachable):
        return msg("%(pg)s could not be reached", pg=pg)
    if isinstance(error, PGRefused) and error.message and isinstance(error.message, str):   # the PG's own words
        return msg("%(pg)s refused: HTTP %(status)s, code %(code)s, “%(message)s”", pg=pg, status=error.status,
                   code=error.code, message=error.message[:200])
    if error.status and error.code not in (None, ""):
        return msg("%(pg)s answered HTTP %(status)s, code %(code)s", pg=pg, status=error.status, code=error.code)
    if error.status:
        return msg("%(pg)s answered HTTP %(status)s", pg=pg, status=error.status)
    return msg("no usable answer from %(pg)s", pg=pg)


class ForeignOrigin(PGUnreachable):
    """The URL is not on a configured PG origin: refused before anything (a key, a token) was sent."""


def _sent(error):
    """True when a requests error happened after the request went out (the PG may have acted)."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.Timeout):
        return True
    return bool(error.args) and isinstance(error.args[0], ProtocolError)   # closed without an answer


def _session(url):
    """This thread's session for url: kept connections. The emulator is reached directly (no proxy or .netrc
    from the environment, and none of their lookups on each call); a real PG as the environment says."""
    direct = config.origin(url) == config.origin(config.emulator_url())
    key = "direct" if direct else "session"
    if not hasattr(_local, key):
        session = requests.Session()
        session.trust_env = not direct
        setattr(_local, key, session)
    return getattr(_local, key)


def _body_of(text, content_type):
    if "json" in (content_type or ""):
        try:
            return webjson.loads(text)
        except ValueError:
            pass
    return text[:20000] if text else text


def call(name, method, url, *, summary, headers=None, json_body=None, form=None, params=None, timeout=None):
    """Send one request to the PG and record it as a step of the flow bound now (steps.bound), in its phase.

    name: the step name without the provider prefix ('get_token'). summary: an i18n.msg() saying what
    the call is for; the step adds how it ended. Returns the requests.Response for any HTTP status (the
    client reads the PG's error codes; a 5xx is recorded as a 'fault' step). Raises PGTimeout when the
    request was sent but no answer came, PGUnreachable when nothing was sent.
    """
    timeout = timeout or (3.05, current_app.config["PG_TIMEOUT"])
    request_body = json_body if json_body is not None else form
    exchange = {"request": {"method": method, "url": redact.url(url), "params": redact.body(params),
                            "headers": redact.headers(headers),
                            "body": redact.body(request_body),
                            "encoding": "json" if json_body is not None else ("form" if form else None)}}
    started = time.time()
    if config.origin(url) not in config.pg_origins():
        exchange["error"] = "refused"
        _record(name, msg("%(what)s: refused, %(origin)s is not a configured PG (nothing was sent)", what=summary,
                          origin=config.origin(url)), exchange, started, "fault", "fail")
        raise ForeignOrigin(name)
    try:
        # No redirects: a 307 would send the same body (imp_secret) to wherever it points.
        resp = _session(url).request(method, url, headers=headers, json=json_body, data=form,
                                  params=params, timeout=timeout, allow_redirects=False)
    except requests.RequestException as e:
        _lost(e, name, summary, exchange, started, timeout)
    ctype = resp.headers.get("Content-Type", "")
    exchange["response"] = {"status": resp.status_code, "headers": redact.headers(
        {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "location")}),
        "body": redact.body(_body_of(resp.text, ctype))}
    verdict = "info" if resp.status_code < 400 else "fail"
    kind = "fault" if resp.status_code >= 500 else "http_out"
    _record(name, msg("%(what)s → HTTP %(status)s", what=summary, status=resp.status_code), exchange, started,
            kind, verdict)
    return resp


def _lost(error, name, summary, exchange, started, timeout):
    """Record a call that got no answer and raise what it means: PGTimeout (sent: the outcome is unknown) or
    PGUnreachable (nothing was sent)."""
    if _sent(error):
        exchange["error"] = "timeout"
        lost = (msg("%(what)s: no answer within %(seconds)ss (outcome unknown)", what=summary,
                    seconds=f"{timeout[1]:g}") if isinstance(error, requests.Timeout)
                else msg("%(what)s: the connection closed without an answer (outcome unknown)", what=summary))
        _record(name, lost, exchange, started, "fault", "fail")
        raise PGTimeout(name) from error
    exchange["error"] = "unreachable"
    _record(name, msg("%(what)s: could not reach the PG (nothing was sent)", what=summary), exchange, started,
            "fault", "fail")
    raise PGUnreachable(name) from error


def _record(name, summary, exchange, started, kind, verdict):
    flow = steps.current()
    if flow is not None:
        flow.record(name, summary, kind=kind, to=flow.provider, verdict=verdict, exchange=exchange,
                    started_at=started, duration_ms=round((time.time() - started) * 1000, 1))
