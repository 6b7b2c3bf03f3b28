"""Shared fixtures: a real, throwaway PostGIS cluster and two cities in it, each with its app.

Two layers of data, as tipg's tests have:

- the **small city** (tests/fixtures/small-city/, some 230 parcels around Cambridge City
  Hall cut from the demo data with every column): `small_city`, `small_settings`,
  `small_app`, `small_client`, `small_conn`, `small_live_server`.  It is loaded once into a
  template database; `small_city` is a copy of it shared by read-only tests, and
  `fresh_city` / `cities.copy()` make private copies (in well under a second) for tests that
  change data, so no test sees what another one left behind.
- the **demo city** (data/, all of Cambridge): `demo_city` loads it into `database_url`,
  which `settings`, `app`, `client`, `live_server` and `conn` serve.  It is for the tests
  whose point is the real data: its known counts, whole-city pages, bench-like checks.

The cluster runs from a temporary folder as an unprivileged user (PostgreSQL
refuses root) and is removed at the end of the session.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
from werkzeug.serving import make_server

from mapserver import create_app
from mapserver.db import connect
from mapserver.devdb import Cluster
from mapserver.ingest.pipeline import load_layer
from mapserver.layers import manifest as manifests
from mapserver.migrations import migrate
from mapserver.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ROOT / "layers"
SMALL_CITY = ROOT / "tests" / "fixtures" / "small-city"
SMALL_LAYERS = SMALL_CITY / "layers"
MAPSERVER = [sys.executable, "-m", "mapserver"]
DEMO_LAYERS = ["parcels", "public-buildings", "streets", "parks", "zoning", "neighbourhoods",
               "bus-shelters", "street-lights", "city-boundary"]


@pytest.fixture(scope="session")
def database_url():
    """Start a private PostGIS for this test session and return its URL."""
    folder = Path(tempfile.mkdtemp(prefix="mapserver-test-"))
    folder.chmod(0o755)
    cluster = Cluster(folder / "pg", durable=False)
    try:
        url = cluster.start()
        conn = connect(url)
        migrate(conn)
        conn.close()
        yield url
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_city(database_url):
    """Load every demo layer once; return the load reports by layer id."""
    return load_city(database_url, LAYERS)


def database_named(database_url: str, name: str) -> str:
    """Return the URL of another database of the same cluster."""
    return re.sub(r"/[^/?]+(\?|$)", lambda m: f"/{name}" + m.group(1), database_url, count=1)


def load_city(url: str, layers: Path) -> dict:
    """Load the nine demo layers from the manifests in `layers`; return the load reports."""
    conn = connect(url)
    try:
        return {layer_id: load_layer(conn, manifests.find(layers, layer_id))
                for layer_id in DEMO_LAYERS}
    finally:
        conn.close()


@dataclass
class City:
    """One database holding a city, with a home folder (tile cache, downloads) of its own."""

    url: str
    home: Path
    reports: dict = field(repr=False)
    layers: Path = SMALL_LAYERS

    def settings(self, **environ) -> Settings:
        """Return settings serving this city; `environ` adds MAPSERVER_... variables."""
        return Settings.from_env({"DATABASE_URL": self.url, "MAPSERVER_HOME": str(self.home),
                                  **environ})


class Cities:
    """Copies of the small city's template database: made in a moment, dropped after use."""

    def __init__(self, database_url: str, template: str, reports: dict, homes):
        self.database_url = database_url
        self.template = template
        self.reports = reports
        self._homes = homes
        self._numbers = itertools.count(1)

    def _admin(self, statement: str) -> None:
        admin = psycopg2.connect(database_named(self.database_url, "postgres"))
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute(statement)
        finally:
            admin.close()

    def copy(self) -> City:
        """Return a new database holding the small city as loaded, for one test or module."""
        name = f"small_city_{next(self._numbers)}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        home = self._homes.mktemp(name)
        (home / "layers").symlink_to(SMALL_LAYERS)
        return City(database_named(self.database_url, name), home, self.reports)

    def drop(self, city: City) -> None:
        """Drop a copy, ending the sessions an app still holds on it."""
        name = city.url.rsplit("/", 1)[1].split("?")[0]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def cities(database_url, tmp_path_factory):
    """Load the small city once into a template database; return the maker of its copies."""
    template = "small_city_template"
    admin = psycopg2.connect(database_named(database_url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{template}"')
    admin.close()
    url = database_named(database_url, template)
    conn = connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION postgis")
    conn.autocommit = False
    migrate(conn)
    conn.close()
    reports = load_city(url, SMALL_LAYERS)
    return Cities(database_url, template, reports, tmp_path_factory)


@pytest.fixture(scope="session")
def small_city(cities):
    """The small city, shared: tests may read it, and put back at once anything they change."""
    return cities.copy()


@pytest.fixture
def fresh_city(cities):
    """A private copy of the small city for one test that changes data; dropped after it."""
    city = cities.copy()
    yield city
    cities.drop(city)


@pytest.fixture(scope="session")
def small_settings(small_city):
    return small_city.settings()


@pytest.fixture(scope="session")
def small_app(small_settings):
    return create_app(small_settings)


@pytest.fixture
def small_client(small_app):
    return small_app.test_client()


@pytest.fixture
def small_conn(small_city):
    """A connection to the shared small city for one test, closed afterwards."""
    connection = connect(small_city.url)
    yield connection
    connection.rollback()
    connection.close()


@pytest.fixture(scope="session")
def small_live_server(small_app):
    """Serve the small city over real HTTP on a free loopback port; yield its base URL."""
    yield from _serve(small_app)


@pytest.fixture
def conn(database_url):
    """A connection for one test, closed afterwards."""
    connection = connect(database_url)
    yield connection
    connection.rollback()
    connection.close()


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    (home / "layers").symlink_to(LAYERS)
    return Settings.from_env({"DATABASE_URL": database_url, "MAPSERVER_HOME": str(home)})


@pytest.fixture(scope="session")
def app(settings, demo_city):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(app):
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the app over real HTTP on a free loopback port; yield its base URL."""
    yield from _serve(app)


@pytest.fixture
def cli_env(database_url, settings):
    """Environment for running the `mapserver` command against the test database."""
    env = dict(os.environ, DATABASE_URL=database_url, MAPSERVER_HOME=str(settings.home))
    env.pop("PYTHONWARNINGS", None)
    return env


def layer_state(database_url: str, layer_id: str) -> tuple[int, int] | None:
    """Return (version, rows in the served table) of a layer, read the way the app reads."""
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT version, table_name FROM mapserver.layers WHERE id = %s",
                    (layer_id,))
        row = cur.fetchone()
        if row is None:
            return None
        cur.execute(f'SELECT count(*) FROM layers."{row[1]}"')
        return row[0], cur.fetchone()[0]


@contextmanager
def planted_value(conn, layer_id: str, column: str, value):
    """Put `value` into one feature of a served layer for a test; yield its fid; restore it.

    Served tables never change in production (a change is a new version); tests that
    need a hostile value in real data plant it here and take it out again.
    """
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM mapserver.layers WHERE id = %s", (layer_id,))
        table = cur.fetchone()[0]
        cur.execute(f'SELECT fid, "{column}" FROM layers."{table}" ORDER BY fid LIMIT 1')
        fid, original = cur.fetchone()
        cur.execute(f'UPDATE layers."{table}" SET "{column}" = %s WHERE fid = %s', (value, fid))
    conn.commit()
    try:
        yield fid
    finally:
        with conn.cursor() as cur:
            cur.execute(f'UPDATE layers."{table}" SET "{column}" = %s WHERE fid = %s',
                        (original, fid))
        conn.commit()
