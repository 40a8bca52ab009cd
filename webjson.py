"""Safe JSON parsing for both apps: request bodies nested too deep, with non-finite or out-of-range numbers are a 400.

Installed by the shop's and the emulator's create_app() (`webjson.init_app(app)`): Flask's JSON provider
then parses every `request.get_json()` with these rules, so a route sees only plain, finite data:

  * nesting deeper than MAX_DEPTH arrays/objects (Python's parser would raise RecursionError: a 500);
  * NaN, Infinity, -Infinity (not JSON, but Python accepts them), and floats too large to be finite (1e400);
  * integers outside the signed 64-bit range (SQLite cannot store them: OverflowError, a 500).

A refused body is a ValueError to Flask: `get_json()` answers 400, `get_json(silent=True)` gives None.
`whole_number()` applies the same integer bound to text, e.g. a query string's id.
"""
import json
import math
import re
from itertools import accumulate

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 64
INT64 = (-2 ** 63, 2 ** 63 - 1)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class Refused(ValueError):
    """The body is JSON a route must never see."""


def _int(text):
    value = int(text)
    if not INT64[0] <= value <= INT64[1]:
        raise Refused("integer outside the 64-bit range")
    return value


def _float(text):
    value = float(text)
    if not math.isfinite(value):
        raise Refused("number too large")
    return value


def _constant(name):
    raise Refused(f"{name} is not a JSON number")


def depth(text):
    """How deep arrays and objects nest in JSON text (strings skipped)."""
    brackets = _BRACKETS.sub("", _STRINGS.sub('""', text))
    return max(accumulate(_STEP[c] for c in brackets), default=0)


def loads(data):
    """json.loads with the rules above; raises ValueError (Refused or JSONDecodeError)."""
    text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else data
    if depth(text) > MAX_DEPTH:
        raise Refused(f"nested deeper than {MAX_DEPTH}")
    try:
        return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:  # defensive: the depth check should have caught it
        raise Refused("nested too deep") from None


def whole_number(text, low=INT64[0], high=INT64[1]):
    """An int from text such as a query string value, or None when it is not one within [low, high]."""
    text = (text or "").strip()
    if not re.fullmatch(r"-?[0-9]{1,19}", text):
        return None
    value = int(text)
    return value if low <= value <= high else None


class Provider(DefaultJSONProvider):
    """Flask's JSON, parsing with loads() above."""

    def loads(self, s, **kwargs):
        return loads(s)


def init_app(app):
    app.json_provider_class = Provider
    app.json = Provider(app)
