"""The one door for the shop's calls to a PG: timeouts always, typed errors, each call a step."""
import threading
import time

import requests
from flask import current_app
from urllib3.exceptions import ProtocolError

from i18n import msg

from . import config, redact, safejson, steps

_local = threading.local()


class PGError(Exception):
    """A call to the PG did not give a usable answer. Never shown to a browser as str(e)."""


class PGTimeout(PGError):
    """No answer after the request was sent (a read timeout, or the connection closed without an
    answer): the PG may or may not have acted. Ask it again; never guess."""


class PGUnreachable(PGError):
    """The connection failed before the request was sent: the PG did not act."""


class ForeignOrigin(PGUnreachable):
    """The URL is not on a configured PG origin: refused before anything (a key, a token) was sent."""


def _sent(error):
    """True when a requests error happened after the request went out (the PG may have acted)."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.Timeout):
        return True
    return bool(error.args) and isinstance(error.args[0], ProtocolError)   # closed without an answer


def _session():
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def _body_of(text, content_type):
    if "json" in (content_type or ""):
        try:
            return safejson.loads(text)
        except ValueError:
            pass
    return text[:20000] if text else text


def call(order_id, phase, name, method, url, *, provider, summary, headers=None, json_body=None,
         form=None, params=None, timeout=None):
    """Send one request to the PG and record it as a step of order_id's flow.

    summary: an i18n.msg() saying what the call is for; the step adds how it ended.
    Returns the requests.Response for any HTTP status (the caller reads the PG's error codes;
    a 5xx is recorded as a 'fault' step). Raises PGTimeout when the request was sent but no answer
    came (read timeout or connection closed: outcome unknown) and PGUnreachable when the
    connection failed before anything was sent.
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
        _record(order_id, phase, name, provider,
                msg("%(what)s: refused, %(origin)s is not a configured PG (nothing was sent)", what=summary,
                    origin=config.origin(url)), exchange, started, "fault", "fail")
        raise ForeignOrigin(name)
    try:
        # No redirects: a 307 would send the same body (imp_secret) to wherever it points.
        resp = _session().request(method, url, headers=headers, json=json_body, data=form,
                                  params=params, timeout=timeout, allow_redirects=False)
    except requests.RequestException as e:
        if _sent(e):
            exchange["error"] = "timeout"
            lost = (msg("%(what)s: no answer within %(seconds)ss (outcome unknown)", what=summary,
                        seconds=f"{timeout[1]:g}") if isinstance(e, requests.Timeout)
                    else msg("%(what)s: the connection closed without an answer (outcome unknown)",
                             what=summary))
            _record(order_id, phase, name, provider, lost, exchange, started, "fault", "fail")
            raise PGTimeout(name) from e
        exchange["error"] = "unreachable"
        _record(order_id, phase, name, provider,
                msg("%(what)s: could not reach the PG (nothing was sent)", what=summary),
                exchange, started, "fault", "fail")
        raise PGUnreachable(name) from e
    ctype = resp.headers.get("Content-Type", "")
    exchange["response"] = {"status": resp.status_code, "headers": redact.headers(
        {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "location")}),
        "body": redact.body(_body_of(resp.text, ctype))}
    verdict = "info" if resp.status_code < 400 else "fail"
    kind = "fault" if resp.status_code >= 500 else "http_out"
    _record(order_id, phase, name, provider, msg("%(what)s → HTTP %(status)s", what=summary,
                                                 status=resp.status_code), exchange, started, kind, verdict)
    return resp


def _record(order_id, phase, name, provider, summary, exchange, started, kind, verdict):
    if order_id is None:
        return
    steps.record(order_id, phase, name, summary, kind=kind, actor_from="shop", actor_to=provider,
                 verdict=verdict, exchange=exchange, started_at=started,
                 duration_ms=round((time.time() - started) * 1000, 1))
