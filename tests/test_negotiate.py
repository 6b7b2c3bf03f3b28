"""HTML or JSON: the one rule (mapserver/web/negotiate.py) that the OGC API, the admin and
the feedback forms share, pinned case by case without a database."""

from __future__ import annotations

import pytest
from flask import Flask

from mapserver.errors import InvalidParameter
from mapserver.web.negotiate import wants_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
app = Flask(__name__)


def decide(path="/", *, formats=("json", "html"), **request):
    with app.test_request_context(path, **request):
        return wants_html(formats)


@pytest.mark.parametrize("accept, html", [
    (None, False),                                  # curl, scripts
    ("*/*", False),                                 # OWSLib
    ("application/json", False),                    # GDAL
    ("application/geo+json", False),
    ("application/geo+json, text/html;q=0.9", False),
    ("text/html;q=0.5, application/json", False),
    ("text/html, application/json", False),         # no preference: JSON
    ("text/html, */*", False),
    (BROWSER, True),                                # a browser
    ("text/html", True),
    ("text/html, application/json;q=0.5", True),
])
def test_the_accept_header_gives_html_only_to_a_client_that_prefers_it(accept, html):
    headers = {"Accept": accept} if accept else {}
    assert decide(headers=headers) is html


@pytest.mark.parametrize("query, accept, html", [
    ("f=html", "*/*", True), ("f=html", None, True), ("f=HTML", "*/*", True),
    ("f=json", BROWSER, False), ("f=json", "text/html", False),
])
def test_f_decides_before_accept(query, accept, html):
    headers = {"Accept": accept} if accept else {}
    assert decide(f"/?{query}", headers=headers) is html


def test_an_f_the_resource_lacks_is_a_400():
    with pytest.raises(InvalidParameter, match="f='xml'"):
        decide("/?f=xml")
    assert decide("/?f=geojson", formats=("json", "geojson", "html")) is False


@pytest.mark.parametrize("formats, query, accept, html", [
    (("html",), "", None, True), (("html",), "f=json", "application/json", True),
    (("json",), "", BROWSER, False), (("json",), "f=html", BROWSER, False),
])
def test_a_resource_with_one_format_answers_in_it(formats, query, accept, html):
    headers = {"Accept": accept} if accept else {}
    assert decide(f"/?{query}", formats=formats, headers=headers) is html


def test_a_json_body_is_answered_in_json():
    assert decide(method="POST", json={"score": 9}, headers={"Accept": BROWSER}) is False
    assert decide(method="POST", data={"score": "9"}, headers={"Accept": BROWSER}) is True
    assert decide(method="POST", data={"score": "9"}, headers={"Accept": "*/*"}) is False


def test_a_get_is_negotiated_by_accept_even_with_a_json_content_type():
    """A GET carries no body: its Content-Type does not change the OGC rule."""
    headers = {"Accept": BROWSER, "Content-Type": "application/json"}
    assert decide(headers=headers) is True
