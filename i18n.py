"""Language choice shared by the shop and the emulator: Korean by default, English on request.

The choice lives in a plain `lang` cookie (not the session), so the shop's pages and the
emulator's hosted windows, which are two apps, always speak the same language.
"""
import os
import re
import threading

from babel.support import Translations
from flask import g, request
from flask_babel import Babel, get_locale, gettext

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


# ---- stored sentences ----------------------------------------------------------------------------
# Some sentences are written once and read later by someone else (an order's reason, written by
# whichever request settled it: a webhook has no reader). relocalize() shows such a sentence in
# the reader's language when it is a catalog message, in any of our languages.

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MONEY = re.compile(r"^(?:KRW ([0-9][0-9,]*)|([0-9][0-9,]*)원)$")
MIN_LITERAL = 8   # a pattern needs this much fixed text, so that "%(amount)s won" matches nothing by chance
_index = None
_index_lock = threading.Lock()


def _catalog_pairs():
    """(msgid, msgstr) of every translated message of every catalog language."""
    pairs = []
    for lang in LANGUAGES:
        if lang == "en":
            continue
        t = Translations.load(os.path.join(ROOT, "translations"), [lang])
        pairs += [(k, v) for k, v in getattr(t, "_catalog", {}).items() if isinstance(k, str) and k and v]
    return pairs


def _pattern(text):
    parts, names, pos = [], set(), 0
    for m in PLACEHOLDER.finditer(text):
        parts.append(re.escape(text[pos:m.start()]))
        name = m.group(1)
        parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
        names.add(name)
        pos = m.end()
    parts.append(re.escape(text[pos:]))
    return "".join(parts), len(PLACEHOLDER.sub("", text).strip())


def _build_index():
    exact, patterns = {}, []
    for msgid, msgstr in _catalog_pairs():
        for text in (msgid, msgstr):
            if not PLACEHOLDER.search(msgid):
                exact.setdefault(text.strip(), msgid)
                continue
            body, literal = _pattern(text.strip())
            if literal >= MIN_LITERAL:
                patterns.append((literal, re.compile("^" + body + "$", re.S),
                                 re.compile("^" + body + r"(?P<_rest>\s.*)$", re.S), msgid))
    patterns.sort(key=lambda p: -p[0])
    return exact, patterns


def _index_now():
    global _index
    with _index_lock:
        if _index is None:
            _index = _build_index()
        return _index


def _value(value):
    m = MONEY.match(value.strip())
    if m:
        amount = int((m.group(1) or m.group(2)).replace(",", ""))
        return f"KRW {amount:,}" if str(get_locale()) == "en" else f"{amount:,}원"
    return relocalize(value)


def relocalize(text, _depth=0):
    """A stored sentence in this request's language, if it is one of the catalog's messages (in any
    of our languages, values carried over); otherwise (PG data, free text) the text as it is."""
    if not isinstance(text, str) or not text.strip() or _depth > 3:
        return text
    exact, patterns = _index_now()
    stripped = text.strip()
    if stripped in exact:
        return gettext(exact[stripped])
    for _literal, full, _prefix, msgid in patterns:
        m = full.match(stripped)
        if m:
            return gettext(msgid, **{k: _value(v) for k, v in m.groupdict().items()})
    # Two sentences written one after the other: the first a catalog message, then the rest.
    for key in sorted(exact, key=len, reverse=True):
        if len(key) >= MIN_LITERAL and stripped.startswith(key) and stripped[len(key):][:1].isspace():
            return gettext(exact[key]) + " " + relocalize(stripped[len(key):].strip(), _depth + 1)
    for _literal, _full, prefix, msgid in patterns:
        m = prefix.match(stripped)
        if m:
            values = {k: _value(v) for k, v in m.groupdict().items() if k != "_rest"}
            rest = relocalize(m.group("_rest").strip(), _depth + 1)
            return gettext(msgid, **values).rstrip() + " " + rest
    return text


def init_app(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = os.path.join(ROOT, "translations")
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember)
    app.add_template_filter(relocalize, "relocalized")

    @app.context_processor
    def _lang():
        return {"current_lang": str(get_locale() or DEFAULT), "languages": LANGUAGES}
