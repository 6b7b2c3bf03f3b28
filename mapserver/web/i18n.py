"""Languages: which one a request gets, and the one message catalogue for pages and scripts.

Flask-Babel picks the locale (a `?lang=` switch remembered in a cookie, else the
browser's Accept-Language, else English) and formats numbers; the words come from
``mapserver/translations/messages.json``, one catalogue shared by the server's
templates and the map's JavaScript (served as ``/map/i18n/<lang>.json``), so a
string is translated once for both.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from flask import current_app, request
from flask_babel import Babel, get_locale

LANGUAGES = ("en", "ro", "hu")
DEFAULT = "en"
COOKIE = "lang"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Return every message by key, then by language (read once per process, on first use)."""
    text = (resources.files("mapserver") / "translations" / "messages.json").read_text("utf-8")
    return json.loads(text)


def messages_for(lang: str) -> dict[str, str]:
    """Return the catalogue in one language, English where a translation is missing."""
    return {key: texts.get(lang) or texts[DEFAULT] for key, texts in catalogue().items()}


def select_locale() -> str:
    """Return the language of this request: the switch, the cookie, the browser, English."""
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def current() -> str:
    """Return the language code of the current request."""
    try:
        return str(get_locale().language) if get_locale() else DEFAULT
    except RuntimeError:
        return DEFAULT


def translate(key: str, lang: str | None = None, **values) -> str:
    """Return a message in the request's language, `{name}` placeholders filled in."""
    texts = catalogue().get(key)
    if texts is None:
        current_app.logger.warning("message %r missing from the catalogue", key)
        return key
    text = texts.get(lang or current()) or texts[DEFAULT]
    if not values:
        return text
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)


def localized(translations: dict | None, lang: str | None = None) -> str:
    """Return a manifest's {en, ro, hu} text in the request's language, else English."""
    if not translations:
        return ""
    return translations.get(lang or current()) or translations.get(DEFAULT) or ""


def init_app(app) -> None:
    """Attach Flask-Babel and give templates `_()` and `lang`; remember a `?lang=` choice."""
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(_=translate, localized=localized, languages=LANGUAGES)

    @app.context_processor
    def _language():
        return {"lang": current()}

    @app.after_request
    def _remember(response):
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response
