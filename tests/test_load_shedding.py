"""Heavy requests of one kind cannot take every thread: over their bound they are shed (503).

Regression: 16 slow anonymous feature queries held all 8 threads of `make run` and a
cached tile waited ~11 s behind them.  Runs the real server (`mapserver serve`, one
worker, 4 threads, the default bounds); queries are made slow by a test session
holding an ACCESS EXCLUSIVE lock on the layer's table, so they wait without using
the CPU and end when the test lets them.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg2
import pytest
import requests

from mapserver.auth import sessions, users
from mapserver.tiles.cache import TileCache
from mapserver.tiles.grid import lonlat_to_tile
from tests.conftest import production_server

CACHED_TILE = "/tiles/parks/15/9913/12119.mvt"


@pytest.fixture(scope="module")
def server(database_env, settings, demo_city):
    env = dict(os.environ, **database_env, MAPSERVER_HOME=str(settings.home))
    env.pop("PYTHONWARNINGS", None)
    for name in ("MAPSERVER_COSTLY_QUERIES", "MAPSERVER_TILE_RENDERS"):
        env.pop(name, None)   # the defaults: 2 and 2 per worker
    with production_server(env, workers=1, threads=4) as base:
        assert requests.get(base + CACHED_TILE, timeout=30).status_code in (200, 204)
        yield base


@pytest.fixture(scope="module")
def staff(database_url):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.users WHERE username = 't-shed'")
        token = sessions.issue_token(conn, users.create(conn, "t-shed", "a long enough "
                                                        "password", "staff"), "tests")
    conn.close()
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def locked(database_url: str, layer: str):
    """Hold an ACCESS EXCLUSIVE lock on a layer's served table: its queries wait."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM mapserver.layers WHERE id = %s", (layer,))
            cur.execute(f'LOCK TABLE layers."{cur.fetchone()[0]}" IN ACCESS EXCLUSIVE MODE')
        yield
    finally:
        conn.rollback()
        conn.close()


def _settled(futures, count: int, seconds: float = 60.0) -> list:
    """Wait (bounded) until `count` of the futures are done; return the done ones."""
    deadline = time.monotonic() + seconds
    while True:
        done = [f for f in futures if f.done()]
        if len(done) >= count or time.monotonic() > deadline:
            return done
        time.sleep(0.05)


def _shed(response) -> bool:
    if response.status_code != 503:
        return False
    body = response.json()
    assert set(body) == {"code", "description"} and body["code"] == "ServiceUnavailable"
    assert int(response.headers["Retry-After"]) >= 1
    return True


def test_slow_feature_queries_are_shed_and_cheap_requests_still_answer(server, database_url,
                                                                       staff):
    def get(path, **kwargs):
        return requests.get(server + path, timeout=120, **kwargs)

    slow = [f"/ogc/collections/parcels/items?limit=5&offset={i}" for i in range(8)]
    with ThreadPoolExecutor(len(slow)) as pool, locked(database_url, "parcels"):
        futures = [pool.submit(get, path) for path in slow]
        # Two run (and wait on the lock); the six others are answered at once.
        done = _settled(futures, len(slow) - 2)
        assert len(done) == len(slow) - 2 and all(_shed(f.result()) for f in done)
        # While the two wait, the lane is full: other costly reads are shed too, even
        # of layers nobody locked; a logged-in reader is not bounded.
        assert _shed(get("/map/features/parks.geojson?bbox=-71.2,42.3,-71.0,42.45"))
        assert _shed(get("/api/search?q=main"))
        assert get("/ogc/collections/parks/items?limit=2", headers=staff).status_code == 200
        # Cheap requests answer meanwhile: a cached tile, health, the pages.
        tile = get(CACHED_TILE)
        assert tile.status_code in (200, 204) and tile.headers["X-Tile-Cache"] == "hit"
        assert get("/healthz").json()["status"] == "ok"
        assert get("/layers").status_code == 200
        assert get("/ogc/collections/parks/items/1").status_code == 200   # one feature: cheap
        assert sum(not f.done() for f in futures) == 2   # all that while, still waiting
    assert [f.result().status_code for f in futures].count(200) == 2
    assert get("/map/features/parks.geojson?bbox=-71.2,42.3,-71.0,42.45").status_code == 200


def test_renders_over_their_bound_wait_their_turn_then_are_shed(server, database_url,
                                                                 settings):
    # Tiles of streets nobody asked for yet (removed from the disk cache if they were).
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT version FROM mapserver.layers WHERE id = 'streets'")
        version = str(cur.fetchone()[0])
    cache = TileCache(settings.tiles_cache)
    x0, y0 = lonlat_to_tile(-71.11, 42.37, 17)
    tiles = [(17, x0 + i, y0) for i in range(6)]
    for z, x, y in tiles:
        for suffix in (".mvt", ".empty"):
            cache.path("streets", version, z, x, y).with_suffix(suffix).unlink(missing_ok=True)
    with ThreadPoolExecutor(len(tiles)) as pool, locked(database_url, "streets"):
        futures = [pool.submit(requests.get, f"{server}/tiles/streets/{z}/{x}/{y}.mvt",
                               timeout=120) for z, x, y in tiles]
        done = _settled(futures, 1)   # the first ones shed after waiting for a turn
        assert done and all(_shed(f.result()) for f in done)
        tile = requests.get(server + CACHED_TILE, timeout=30)   # on disk: no turn needed
        assert tile.status_code in (200, 204) and tile.headers["X-Tile-Cache"] == "hit"
        assert any(not f.done() for f in futures)   # the renders that got a turn still wait
    statuses = [f.result().status_code for f in futures]
    assert set(statuses) <= {200, 204, 503} and {200, 204} & set(statuses)


def test_streams_give_their_slot_back_however_they_end(server, database_url):
    # A download streams while it queries PostGIS, so it keeps its slot until the server
    # closes the stream: whole, cut short by the client, or never sent (HEAD).
    for _ in range(3):
        whole = requests.get(f"{server}/ogc/collections/zoning/download.geojson", timeout=120)
        assert whole.status_code == 200 and whole.json()["features"]
    for _ in range(3):
        with requests.get(f"{server}/ogc/collections/parcels/download.geojson", stream=True,
                          timeout=120) as cut:
            assert cut.status_code == 200
            next(cut.iter_content(65536))   # a first part, then the client goes away
    for _ in range(3):
        assert requests.head(f"{server}/ogc/collections/zoning/download.csv",
                             timeout=60).status_code == 200

    def both_slots_free() -> bool:
        """Two slow reads at once are both let in (none shed): no slot was kept."""
        with ThreadPoolExecutor(2) as pool, locked(database_url, "parcels"):
            futures = [pool.submit(requests.get, f"{server}/ogc/collections/parcels/items"
                                   f"?limit=1&offset={i}", timeout=120) for i in range(2)]
            shed = _settled(futures, 1, seconds=1.0)   # a shed one answers at once
        return not shed and all(f.result().status_code == 200 for f in futures)

    # The server notices a cut stream when its next send fails: give it a moment.
    deadline = time.monotonic() + 20
    while not both_slots_free():
        assert time.monotonic() < deadline, "a stream kept its slot"
