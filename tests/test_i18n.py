"""Which language a request gets, and the one message catalogue (web/i18n.py).

A bare Flask app with only the i18n part: no database, no other blueprint.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from mapserver.web import i18n


@pytest.fixture(scope="module")
def app():
    app = Flask("i18n-test")
    i18n.init_app(app)

    @app.get("/")
    def page():
        return i18n.current()

    return app


def language(app, query="", accept=None, cookie=None) -> str:
    headers = {"Accept-Language": accept} if accept is not None else {}
    environ = {"HTTP_COOKIE": f"{i18n.COOKIE}={cookie}"} if cookie is not None else {}
    with app.test_request_context("/?" + query, headers=headers, environ_base=environ):
        chosen = i18n.select_locale()
        assert i18n.current() == chosen   # Flask-Babel asks the same selector
        return chosen


@pytest.mark.parametrize("query, accept, cookie, expected", [
    ("", None, None, "en"),
    ("", "ro-RO,ro;q=0.9", None, "ro"),
    ("", "RO", None, "ro"),
    ("", "hu;q=0.1, en;q=0.5", None, "en"),          # quality decides, not order
    ("", "de-DE, hu;q=0.3", None, "hu"),             # the first language we have
    ("", "de", None, "en"),
    ("", "*", None, "en"),
    ("", "", None, "en"),
    ("lang=ro", "en", None, "ro"),                   # the switch beats the browser
    ("lang=hu", "ro", "ro", "hu"),                   # and the remembered choice
    ("", "ro", "hu", "hu"),                          # the remembered choice beats the browser
    ("", "ro", "de", "ro"),                          # an unknown cookie is ignored
    ("lang=RO", "hu", None, "hu"),                   # codes are lower case
    ("lang=%00", "ro", None, "ro"),
    ("lang=" + "x" * 5000, "hu", None, "hu"),
    ("", "x" * 5000, None, "en"),
    ("", "en-US;q=abc, ro", None, "ro"),
    ("", "\u202eru, hu", None, "hu"),
])
def test_the_language_of_a_request(app, query, accept, cookie, expected):
    assert language(app, query, accept, cookie) == expected


@pytest.mark.xfail(strict=True, reason="an unknown ?lang= value wins over a valid remembered "
                   "cookie (`args.get('lang') or cookies.get('lang')`), so ?lang=xx with the "
                   "cookie hu gives the browser's language instead of hu")
def test_an_unknown_switch_falls_back_to_the_remembered_choice(app):
    assert language(app, "lang=xx", "en", "hu") == "hu"


def test_a_switch_is_remembered_in_a_cookie_for_a_year(app):
    client = app.test_client()
    response = client.get("/?lang=ro")
    assert response.get_data(as_text=True) == "ro"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ro;") and "Max-Age=31536000" in cookie
    assert "SameSite=Lax" in cookie
    assert client.get("/").get_data(as_text=True) == "ro"              # the cookie is sent back
    assert "Set-Cookie" not in client.get("/?lang=ro").headers         # already remembered
    assert "Set-Cookie" not in client.get("/?lang=xx").headers         # nothing to remember


def test_every_message_exists_in_every_language_with_the_same_placeholders():
    catalogue = i18n.catalogue()
    assert len(catalogue) > 50
    for key, texts in catalogue.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert all(texts[lang].strip() for lang in i18n.LANGUAGES), key
        names = {lang: set(re.findall(r"\{(\w+)\}", texts[lang])) for lang in i18n.LANGUAGES}
        assert names["ro"] == names["en"] == names["hu"], key


def test_messages_for_one_language_fall_back_to_english():
    assert i18n.messages_for("ro")["search_button"] == "Caută"
    assert i18n.messages_for("en")["search_button"] != "Caută"
    assert i18n.messages_for("xx") == i18n.messages_for("en")
    assert set(i18n.messages_for("hu")) == set(i18n.catalogue())


@pytest.mark.parametrize("key, lang, values, expected", [
    ("search_results", "en", {"n": 3}, "3 suggestions"),
    ("search_results", "ro", {"n": 3}, "3 sugestii"),
    ("visible_from_zoom", "hu", {"zoom": 14}, "14. nagyítástól látható"),
    ("visible_from_zoom", "en", {}, "visible from zoom {zoom}"),          # nothing to fill
    ("visible_from_zoom", "en", {"other": 1}, "visible from zoom {zoom}"),  # unknown: kept
    ("search_no_results", "en", {"q": "{zoom} <b>"}, "Nothing found for “{zoom} <b>”"),
    ("search_button", "xx", {}, i18n.catalogue()["search_button"]["en"]),
])
def test_translate_fills_placeholders_once_and_only_known_ones(app, key, lang, values,
                                                               expected):
    with app.test_request_context("/"):
        assert i18n.translate(key, lang, **values) == expected


def test_a_missing_message_shows_its_key_and_is_logged(app, caplog):
    with app.test_request_context("/"):
        assert i18n.translate("no_such_message", "ro") == "no_such_message"
    assert "no_such_message" in caplog.text


@pytest.mark.parametrize("texts, lang, expected", [
    ({"en": "Parcels", "ro": "Parcele"}, "ro", "Parcele"),
    ({"en": "Parcels", "ro": "Parcele"}, "hu", "Parcels"),
    ({"en": "Parcels", "ro": ""}, "ro", "Parcels"),
    ({"ro": "Parcele"}, "hu", ""),
    (None, "ro", ""),
    ({}, "en", ""),
])
def test_localized_manifest_text(texts, lang, expected):
    assert i18n.localized(texts, lang) == expected
