"""Tiles in the disk cache are served while PostGIS is down, from the worker's last registry.

Regression: a worker asked the database before every tile (its registry copy was
dropped with the lost listening session), so with PostGIS down even a tile already
on disk answered 503.  The last copy read still knows which layers are public,
so a layer unpublished before the outage stays hidden.
"""

from __future__ import annotations

import dataclasses
import os
import time

import psycopg2
import pytest
import requests

from mapserver import create_app
from mapserver.tiles.grid import lonlat_to_tile
from mapserver.tileserver.answer import tile_cache
from tests.conftest import production_server, serving
from tests.outage import Relay

HIDDEN = "outage-hidden"
TILE = "15/9913/12119"


@pytest.fixture
def relay(database_url):
    found = Relay(database_url)
    yield found
    found.close()


@pytest.fixture
def hidden_layer(database_url, demo_city):
    """Register HIDDEN (the streets table under another id), published; remove it after."""
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute(
            "INSERT INTO mapserver.layers (id, version, table_name, manifest, geometry_type,"
            " feature_count, bbox, loaded_at, published)"
            " SELECT %s, version, table_name, jsonb_set(manifest, '{id}', to_jsonb(%s::text)),"
            " geometry_type, feature_count, bbox, now(), true"
            " FROM mapserver.layers WHERE id = 'streets'", (HIDDEN, HIDDEN))
    yield HIDDEN
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("DELETE FROM mapserver.layers WHERE id = %s", (HIDDEN,))


def _through(settings, relay):
    """The settings with every database login going through the relay."""
    return dataclasses.replace(settings, database_url=relay.via(settings.database_url),
                               database_app_url=relay.via(settings.database_app_url),
                               database_public_url=relay.via(settings.database_public_url))


def _until(check, seconds: float = 10.0):
    """Return check()'s first true value within a bounded wait, else its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "description"} and body["code"] == code


def test_cached_tiles_are_served_while_postgis_is_down(settings, relay, hidden_layer,
                                                       database_url):
    app = create_app(_through(settings, relay))
    cache = tile_cache(app.extensions)
    with serving(app) as base:
        def get(path):
            return requests.get(base + path, timeout=30)

        for layer in ("streets", HIDDEN):
            assert get(f"/tiles/{layer}/{TILE}.mvt").status_code == 200
        cache.flush()
        cached = get(f"/tiles/streets/{TILE}.mvt")
        assert cached.headers["X-Tile-Cache"] == "hit"
        # A tile nobody asked for yet: not on disk.
        version = str(app.extensions["mapserver.registry"].public_layer("streets").version)
        z, x, y = 16, *lonlat_to_tile(-71.1097, 42.3736, 16)
        for suffix in (".mvt", ".empty"):
            cache.path("streets", version, z, x, y).with_suffix(suffix).unlink(missing_ok=True)
        # Unpublished before the outage (by SQL, so its cached tiles are still on disk).
        with psycopg2.connect(database_url) as c, c.cursor() as cur:
            cur.execute("UPDATE mapserver.layers SET published = false WHERE id = %s", (HIDDEN,))
        assert _until(lambda: get(f"/tiles/{HIDDEN}/{TILE}.mvt").status_code == 404)

        relay.cut()
        assert get("/healthz").status_code == 503   # PostGIS is down indeed
        for _ in range(20):
            during = get(f"/tiles/streets/{TILE}.mvt")
            assert during.status_code == 200 and during.headers["X-Tile-Cache"] == "hit"
            assert during.content == cached.content
        ogc = get("/ogc/collections/streets/tiles/WebMercatorQuad/15/12119/9913")
        assert ogc.status_code == 200 and ogc.content == cached.content
        revalidated = requests.get(base + f"/tiles/streets/{TILE}.mvt", timeout=30,
                                   headers={"If-None-Match": cached.headers["ETag"]})
        assert revalidated.status_code == 304
        _error_shape(get(f"/tiles/{HIDDEN}/{TILE}.mvt"), 404, "NotFound")
        _error_shape(get(f"/tiles/streets/{z}/{x}/{y}.mvt"), 503, "ServiceUnavailable")
        _error_shape(get("/ogc/collections/streets/items?limit=1"), 503, "ServiceUnavailable")

        relay.restore()
        assert _until(lambda: get("/healthz").status_code == 200)
        assert get(f"/tiles/streets/{z}/{x}/{y}.mvt").status_code in (200, 204)
        assert get(f"/tiles/{HIDDEN}/{TILE}.mvt").status_code == 404
    app.extensions["mapserver.db"].close()


def test_a_worker_that_never_read_the_registry_answers_503(settings, relay, demo_city):
    app = create_app(_through(settings, relay))
    relay.cut()
    with serving(app) as base:
        _error_shape(requests.get(f"{base}/tiles/streets/{TILE}.mvt", timeout=30), 503,
                     "ServiceUnavailable")


def test_the_production_server_serves_cached_tiles_through_an_outage(settings, relay,
                                                                     demo_city):
    # `mapserver serve` answers cached tiles on its event loop, from the same copy.
    through = _through(settings, relay)
    env = dict(os.environ, DATABASE_URL=through.database_url,
               DATABASE_APP_URL=through.database_app_url,
               DATABASE_PUBLIC_URL=through.database_public_url,
               MAPSERVER_HOME=str(settings.home))
    env.pop("PYTHONWARNINGS", None)
    with production_server(env, workers=1, threads=2) as base:
        url = f"{base}/tiles/streets/{TILE}.mvt"
        assert requests.get(url, timeout=30).status_code == 200
        cached = _until(lambda: (r := requests.get(url, timeout=30)).headers.get(
            "X-Tile-Cache") == "hit" and r)
        relay.cut()
        assert requests.get(f"{base}/healthz", timeout=30).status_code == 503
        for _ in range(10):
            during = requests.get(url, timeout=30)
            assert during.status_code == 200 and during.headers["X-Tile-Cache"] == "hit"
            assert during.content == cached.content
        _error_shape(requests.get(f"{base}/ogc/collections/streets/items?limit=1", timeout=30),
                     503, "ServiceUnavailable")
        relay.restore()
        assert _until(lambda: requests.get(f"{base}/healthz", timeout=30).status_code == 200)
