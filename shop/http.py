"""The one door for the shop's calls to a PG: timeouts always, typed errors, each call a step."""
import json
import threading
import time

import requests
from flask import current_app

from . import redact, steps

_local = threading.local()


class PGError(Exception):
    """A call to the PG did not give a usable answer. Never shown to a browser as str(e)."""


class PGTimeout(PGError):
    """No answer in time: the PG may or may not have acted. Ask it again; never guess."""


class PGUnreachable(PGError):
    """The connection failed before the request was sent: the PG did not act."""


def _session():
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def _body_of(text, content_type):
    if "json" in (content_type or ""):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text[:20000] if text else text


def call(order_id, phase, name, method, url, *, provider, summary, headers=None, json_body=None,
         form=None, params=None, timeout=None):
    """Send one request to the PG and record it as a step of order_id's flow.

    Returns the requests.Response for any HTTP status (the caller reads the PG's error codes).
    Raises PGTimeout when the read timed out (outcome unknown) and PGUnreachable when the
    connection failed (nothing was sent).
    """
    timeout = timeout or (3.05, current_app.config["PG_TIMEOUT"])
    request_body = json_body if json_body is not None else form
    exchange = {"request": {"method": method, "url": redact.url(url), "params": redact.body(params),
                            "headers": redact.headers(headers),
                            "body": redact.body(request_body),
                            "encoding": "json" if json_body is not None else ("form" if form else None)}}
    started = time.time()
    try:
        resp = _session().request(method, url, headers=headers, json=json_body, data=form,
                                  params=params, timeout=timeout)
    except requests.Timeout as e:
        exchange["error"] = "timeout"
        _record(order_id, phase, name, provider, f"{summary}: no answer within {timeout[1]:g}s "
                "(outcome unknown)", exchange, started, "fault", "fail")
        raise PGTimeout(name) from e
    except requests.RequestException as e:
        exchange["error"] = "unreachable"
        _record(order_id, phase, name, provider, f"{summary}: could not reach the PG",
                exchange, started, "fault", "fail")
        raise PGUnreachable(name) from e
    ctype = resp.headers.get("Content-Type", "")
    exchange["response"] = {"status": resp.status_code, "headers": redact.headers(
        {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "location")}),
        "body": redact.body(_body_of(resp.text, ctype))}
    verdict = "info" if resp.status_code < 400 else "fail"
    kind = "fault" if resp.status_code >= 500 else "http_out"
    _record(order_id, phase, name, provider, f"{summary} → HTTP {resp.status_code}", exchange, started,
            kind, verdict)
    return resp


def _record(order_id, phase, name, provider, summary, exchange, started, kind, verdict):
    if order_id is None:
        return
    steps.record(order_id, phase, name, summary, kind=kind, actor_from="shop", actor_to=provider,
                 verdict=verdict, exchange=exchange, started_at=started,
                 duration_ms=round((time.time() - started) * 1000, 1))
