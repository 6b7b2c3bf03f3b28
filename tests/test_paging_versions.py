"""Paging through OGC items never mixes two versions of a layer: next links pin the version.

Regression: `next` links carried only an offset, so a client paging through a layer
that was replaced meanwhile got the first pages from the old version and the rest
from the new one, silently (features missing or seen twice).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import psycopg2
import pytest
import requests

from mapserver.layers import edits

LAYER = "bus-shelters"


def _links(doc) -> dict:
    return {link["rel"]: link["href"] for link in doc["links"]}


def _replace(app_url) -> int:
    """Make a new version of LAYER (a description change), as a planner would."""
    conn = psycopg2.connect(app_url)
    try:
        return edits.describe(conn, LAYER, {"keywords": ["bus", "shelter", "paging test"]},
                              "tests")
    finally:
        conn.close()


def test_a_next_link_followed_after_a_replacement_is_410(live_server, app_url):
    first = requests.get(f"{live_server}/ogc/collections/{LAYER}/items?limit=10", timeout=30)
    assert first.status_code == 200
    version = int(parse_qs(urlsplit(_links(first.json())["next"]).query)["v"][0])
    second = requests.get(_links(first.json())["next"], timeout=30)
    assert second.status_code == 200
    links = _links(second.json())
    assert "v=" in links["next"] and "v=" in links["prev"]   # both ways pinned

    assert _replace(app_url) == version + 1
    for followed in (links["next"], links["prev"], _links(first.json())["next"]):
        gone = requests.get(followed, timeout=30)
        assert gone.status_code == 410, gone.text
        body = gone.json()
        assert set(body) == {"code", "description"} and body["code"] == "Gone"
        assert "first page" in body["description"]

    again = requests.get(f"{live_server}/ogc/collections/{LAYER}/items?limit=10", timeout=30)
    assert again.status_code == 200
    assert f"v={version + 1}" in _links(again.json())["next"]
    assert requests.get(_links(again.json())["next"], timeout=30).status_code == 200


def test_html_pages_link_on_the_same_version(live_server):
    page = requests.get(f"{live_server}/ogc/collections/{LAYER}/items?limit=10&f=html",
                        timeout=30)
    assert page.status_code == 200
    assert "v=" in page.text and "offset=10" in page.text


@pytest.mark.parametrize("value", ["x", "-1", "0", "1.5", "٣", "9" * 40])
def test_a_malformed_version_is_400(live_server, value):
    response = requests.get(f"{live_server}/ogc/collections/{LAYER}/items",
                            params={"v": value}, timeout=30)
    assert response.status_code == 400
    assert set(response.json()) == {"code", "description"}


def test_the_openapi_document_names_v_and_410(live_server):
    doc = requests.get(f"{live_server}/ogc/api", timeout=30).json()
    items = doc["paths"][f"/collections/{LAYER}/items"]["get"]
    assert "v" in {p["name"] for p in items["parameters"]}
    assert "410" in items["responses"]
