"""Removes secrets from anything the shop records or shows: headers, bodies, URLs, text.

A redacted value becomes the marker `[REDACTED:NAME]`; NAME is the config key (for
example TOSS_SECRET_KEY) or the kind of value (access_token, secret), so a page can put
a placeholder such as `$TOSS_SECRET_KEY` in its place.
"""
import base64
import functools
import re
import threading

# Body keys whose values are secrets wherever they appear.
SECRET_FIELDS = {
    "imp_key": "PORTONE_IMP_KEY", "imp_secret": "PORTONE_IMP_SECRET",
    "access_token": "access_token", "secret": "secret", "secretkey": "TOSS_SECRET_KEY",
    "password": "password", "card_number_full": "card_number",
    "billingkey": "billingKey",
}
SECRET_HEADERS = {"authorization", "x-imptokenheader", "cookie", "set-cookie", "x-csrf-token"}

_known = {}  # value -> name, for values learnt at run time (tokens the PG issued)
_lock = threading.Lock()


def marker(name):
    return f"[REDACTED:{name}]"


def remember(value, name):
    """Treat value as a secret from now on (e.g. an access token the PG just issued)."""
    if isinstance(value, str) and len(value) >= 8:
        with _lock:
            _known[value] = name
            if len(_known) > 10000:
                _known.pop(next(iter(_known)))


def _secrets():
    pairs = []
    try:
        from .config import secret_values
        pairs = secret_values()
    except RuntimeError:  # outside an app context
        pass
    with _lock:
        pairs += [(name, value) for value, name in _known.items()]
    return [(n, v) for n, v in pairs if v]


def text(s, pairs=None):
    """Replace every known secret (and its Basic-auth encoding) inside a string.

    pairs: the (name, value) list of _secrets(), when the caller already has it (body() reads it
    once per value instead of once per string)."""
    if not isinstance(s, str) or not s:
        return s
    for name, value in (_secrets() if pairs is None else pairs):
        if value in s:
            s = s.replace(value, marker(name))
        encoded = _basic(value)
        if encoded in s:
            s = s.replace(encoded, marker(f"{name}:base64"))
    return s


@functools.lru_cache(maxsize=256)
def _basic(value):
    return base64.b64encode(f"{value}:".encode()).decode()


def header_value(name, value):
    lower = name.lower()
    if lower not in SECRET_HEADERS:
        return text(value)
    if lower == "authorization":
        scheme, _, rest = value.partition(" ")
        if scheme.lower() == "basic" and rest:
            try:
                user = base64.b64decode(rest + "=" * (-len(rest) % 4)).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                return "Basic " + marker("credentials")
            named = dict((v, n) for n, v in _secrets())
            return "Basic " + marker(named.get(user, "credentials") + ":base64")
        if scheme.lower() == "bearer" and rest:
            return "Bearer " + marker("access_token")
    return marker("access_token" if lower in ("authorization", "x-imptokenheader") else lower)


def headers(h):
    return {k: header_value(k, v) for k, v in (h or {}).items()}


def body(obj, pairs=None):
    """A deep copy of a JSON-like value with secret fields and known secrets replaced."""
    if pairs is None and isinstance(obj, (dict, list, str)):
        pairs = _secrets()
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            name = SECRET_FIELDS.get(str(k).lower())
            out[k] = marker(name) if name and v not in (None, "") else body(v, pairs)
        return out
    if isinstance(obj, list):
        return [body(v, pairs) for v in obj]
    if isinstance(obj, str):
        return text(obj, pairs)
    return obj


_QS_SECRET = re.compile(r"((?:imp_key|imp_secret|access_token|secret|_token)=)[^&\s]+", re.I)


def url(u):
    return text(_QS_SECRET.sub(lambda m: m.group(1) + marker("secret"), u or ""))
