"""Behind a TLS front server: forwarded headers are believed only when the operator says so."""

from __future__ import annotations

import dataclasses

from mapserver import create_app

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "maps.city.example",
             "X-Forwarded-For": "203.0.113.7"}


def test_links_follow_a_trusted_proxy(small_settings):
    app = create_app(dataclasses.replace(small_settings, trusted_proxies=1))
    tilejson = app.test_client().get("/tiles/parcels.json", headers=FORWARDED).json
    assert tilejson["tiles"][0].startswith("https://maps.city.example/tiles/parcels/")
    landing = app.test_client().get("/ogc?f=json", headers=FORWARDED).json
    assert all(link["href"].startswith("https://maps.city.example/")
               for link in landing["links"])


def test_forwarded_headers_are_ignored_by_default(small_client):
    tilejson = small_client.get("/tiles/parcels.json", headers=FORWARDED).json
    assert tilejson["tiles"][0].startswith("http://localhost/tiles/parcels/")
