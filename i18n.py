"""Language choice shared by the shop and the emulator (Korean by default, English on request), and
stored messages (msg(), render()) shown in the reader's language.

The choice lives in a plain `lang` cookie (not the session), so the shop's pages and the
emulator's hosted windows, which are two apps, always speak the same language.
"""
import functools
import json
import os
import re

from babel.messages.pofile import read_po
from flask import g, request
from flask_babel import Babel, get_locale, gettext
from markupsafe import Markup, escape

LANGUAGES = ("ko", "en")
DEFAULT = "ko"
COOKIE = "lang"
ROOT = os.path.dirname(os.path.abspath(__file__))


def select_locale():
    """?lang= wins (and is remembered), then the `lang` cookie, then the browser's language."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.remember_lang = asked
        return asked
    if request.cookies.get(COOKIE) in LANGUAGES:
        return request.cookies[COOKIE]
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def _remember(response):
    lang = g.get("remember_lang")
    if lang:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="Lax", path="/")
    return response


# ---- stored messages -----------------------------------------------------------------------------
# Some text is written once and read later by someone else, in either language: a step's summary,
# an order's reason (written by whichever request settled it: a webhook has no reader). Such text
# is stored as a catalog message id plus its values, and rendered in the reader's language when it
# is shown:
#
#     msg("Order %(before)s → %(after)s: %(reason)s", before="pending", after="paid", reason=msg(...))
#     -> '{"m":"Order %(before)s → %(after)s: %(reason)s","v":{"before":"pending",...}}'
#
# Values are plain data (PG data, ids, numbers), shown as they are, except:
#   * a value that is itself a msg() is a nested message, rendered in the reader's language too;
#   * a list is rendered item by item, joined with "; ";
#   * an int under a key ending in `_won` is money: 15,000원 in Korean, KRW 15,000 in English.
# `msg` is an extraction keyword (Makefile BABEL_KEYWORDS), so every msgid lands in the catalog.
# Plain text (the PG's own words, rows written before messages were stored) renders as it is.
#
# Stored text is data, never code: a stored message is rendered only when its msgid is one the code
# defines (a msgid of the extracted catalog, CATALOG); anything else, e.g. a paymentKey that looks like
# {"m": "%(a)99999999s", "v": {...}}, is shown as the plain text it is, never used as a format string.
CATALOG = os.path.join(ROOT, "translations", "ko", "LC_MESSAGES", "messages.po")


@functools.cache
def known_msgids():
    """Every msgid the code defines: the extracted catalog (make translations-update keeps it whole)."""
    with open(CATALOG, "rb") as f:
        return frozenset(m.id for m in read_po(f) if isinstance(m.id, str) and m.id)


def _known(data):
    return isinstance(data, dict) and isinstance(data.get("m"), str) and data["m"] in known_msgids()

class Msg(str):
    """A catalog message and its values, as the JSON text stored in a TEXT column (see msg())."""
    __slots__ = ()


def msg(msgid, **values):
    """A message to store now and render later in the reader's language."""
    return Msg(_dumps({"m": msgid, "v": {k: _plain(v) for k, v in values.items()}}))


def _dumps(data):
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _plain(value):
    if isinstance(value, Msg):
        return json.loads(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)   # anything else (a dict from a PG answer, an enum) is data, never a message


def stored(value, clean=None):
    """The text to write into a TEXT column for a message or a plain text.

    clean(str) -> str is applied to every text value (e.g. redaction), never to a msgid. Plain
    text that could be read as a stored message (it starts with "{") is wrapped as {"t": text},
    so text from outside (a browser, a PG) never becomes a message."""
    clean = clean or (lambda s: s)
    if isinstance(value, Msg):
        return _dumps(_cleaned(json.loads(value), clean))
    text = clean("" if value is None else str(value))
    return _dumps({"t": text}) if text.startswith("{") else text


def _cleaned(node, clean):
    if isinstance(node, dict):   # a message: {"m": msgid, "v": {...}}
        return {"m": node["m"], "v": {k: _cleaned(v, clean) for k, v in node.get("v", {}).items()}}
    if isinstance(node, list):
        return [_cleaned(v, clean) for v in node]
    return clean(node) if isinstance(node, str) else node


def _loaded(text):
    if not isinstance(text, str) or not text.startswith('{"'):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def parse(text):
    """The stored message {"m", "v"} in text (its msgid one the code defines), or None for plain text."""
    data = _loaded(text)
    return data if _known(data) else None


def render(text):
    """Stored text in this request's language: a stored message of the catalog rendered, any other
    text as it is."""
    data = _loaded(text)
    if data is None:
        return text
    if _known(data):
        return _render(data)
    return data["t"] if isinstance(data.get("t"), str) and len(data) == 1 else text


def _render(data):
    values = data.get("v") if isinstance(data.get("v"), dict) else {}
    msgid, values = data["m"], {k: _value(k, v) for k, v in values.items()}
    try:
        return gettext(msgid, **values)
    except (KeyError, TypeError, ValueError):   # a row written by another version of the message
        return msgid


def _value(key, value):
    if _known(value):
        return _render(value)
    if isinstance(value, dict):
        return _dumps(value)     # not a message the code defines: data
    if isinstance(value, list):
        return "; ".join(str(_value(key, v)) for v in value)
    if key.endswith("_won") and isinstance(value, int) and not isinstance(value, bool):
        return money(value)
    return value


QUOTED = re.compile(r"“([^“”<>]{1,200})”")


def valued(text):
    """Stored text rendered (see render()) and escaped, each “quoted” PG value shown as a value (monospace),
    so a PG's own word (“카드”) stands apart from the sentence around it."""
    escaped = str(escape(render(text) or ""))
    return Markup(QUOTED.sub(lambda m: f'“<code class="pg-value">{m.group(1)}</code>”', escaped))


def money(amount):
    """Won as the PGs show it: 15,000원 in Korean, KRW 15,000 in English."""
    if amount is None:
        return ""
    return f"KRW {amount:,}" if str(get_locale()) == "en" else f"{amount:,}원"


def init_app(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = os.path.join(ROOT, "translations")
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember)
    app.add_template_filter(render, "rendered")
    app.add_template_filter(valued, "valued")

    @app.context_processor
    def _lang():
        return {"current_lang": str(get_locale() or DEFAULT), "languages": LANGUAGES}
