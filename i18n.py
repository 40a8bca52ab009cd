"""Language choice shared by the shop and the emulator: Korean by default, English on request.

The choice lives in a plain `lang` cookie (not the session), so the shop's pages and the
emulator's hosted windows, which are two apps, always speak the same language.
"""
import os

from flask import g, request
from flask_babel import Babel, get_locale

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


def init_app(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = os.path.join(ROOT, "translations")
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember)

    @app.context_processor
    def _lang():
        return {"current_lang": str(get_locale() or DEFAULT), "languages": LANGUAGES}
