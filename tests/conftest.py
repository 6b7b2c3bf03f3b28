"""Shared fixtures: a real, throwaway PostGIS cluster and two cities in it, each with its app.

Two layers of data, as tipg's tests have:

- the **small city** (tests/fixtures/small-city/, some 230 parcels around Cambridge City
  Hall cut from the demo data with every column): `small_city`, `small_settings`,
  `small_app`, `small_client`, `small_conn`, `small_live_server`.  It is loaded once into a
  template database; `small_city` is a copy of it shared by read-only tests, and
  `fresh_city` / `cities.copy()` make private copies (in about a second) for tests that
  change data, so no test sees what another one left behind.
- the **demo city** (data/, all of Cambridge): `demo_city` loads it into `database_url`,
  which `settings`, `app`, `client`, `live_server` and `conn` serve.  It is for the tests
  whose point is the real data: its known counts, whole-city pages, bench-like checks.

The cluster runs from a temporary folder as an unprivileged user (PostgreSQL
refuses root) and is removed at the end of the session.  Its roles are used as
in production: the superuser (`database_url`) runs the migrations and the tests'
own set-up, loads run as the application role (as the CLI does), and the app
gets both role URLs (`database_env`), serving the public on the public role.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
import requests
from werkzeug.serving import make_server

from mapserver import create_app
from mapserver.db import connect
from mapserver.db_roles import LOGIN_KINDS, enable_logins, url_as
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
# The suite's requests all come from one address, many at once: the apps it makes widen
# the costly lane and turn the read limit off; tests/test_load_shedding.py and
# tests/test_rate_limit.py test them with their own values.
SUITE_LIMITS = {"MAPSERVER_COSTLY_QUERIES": "32", "MAPSERVER_READ_RATE_LIMIT": "0"}
DEMO_LAYERS = ["parcels", "public-buildings", "streets", "parks", "zoning", "neighbourhoods",
               "bus-shelters", "street-lights", "city-boundary"]


@pytest.fixture(scope="session")
def cluster():
    """Start a private PostGIS for this test session, migrated, its roles able to log in."""
    folder = Path(tempfile.mkdtemp(prefix="mapserver-test-"))
    folder.chmod(0o755)
    cluster = Cluster(folder / "pg", durable=False)
    try:
        url = cluster.start()
        conn = connect(url)
        migrate(conn)
        conn.close()
        cluster.ensure_role_logins()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(cluster):
    """Return the superuser's URL: DATABASE_URL (the migrations) and the tests' own set-up."""
    return cluster.url


@pytest.fixture(scope="session")
def app_url(cluster):
    """Return the application role's URL (DATABASE_APP_URL): the admin and the CLI."""
    return cluster.role_url("app")


@pytest.fixture(scope="session")
def public_url(cluster):
    """Return the public read role's URL (DATABASE_PUBLIC_URL): the public endpoints."""
    return cluster.role_url("public")


@pytest.fixture(scope="session")
def database_env(database_url, app_url, public_url) -> dict:
    """The three database settings, as a production environment holds them."""
    return {"DATABASE_URL": database_url, "DATABASE_APP_URL": app_url,
            "DATABASE_PUBLIC_URL": public_url}


@pytest.fixture(scope="session")
def demo_city(app_url):
    """Load every demo layer once, as the CLI does (application role); return the reports."""
    return load_city(app_url, LAYERS)


def database_named(url: str, name: str) -> str:
    """Return the URL of another database of the same cluster (same login)."""
    return re.sub(r"/[^/?]+(\?|$)", lambda m: f"/{name}" + m.group(1), url, count=1)


def load_city(app_url: str, layers: Path) -> dict:
    """Load the nine demo layers from the manifests in `layers` as the application role."""
    conn = connect(app_url)
    try:
        return {layer_id: load_layer(conn, manifests.find(layers, layer_id))
                for layer_id in DEMO_LAYERS}
    finally:
        conn.close()


@dataclass
class City:
    """One database holding a city, with a home folder (tile cache, downloads) of its own.

    `url` is the superuser's (the tests' own set-up); the app gets all three URLs.
    """

    url: str
    app_url: str
    public_url: str
    home: Path
    reports: dict = field(repr=False)
    layers: Path = SMALL_LAYERS

    @property
    def env(self) -> dict:
        """The database settings of this city, as a production environment holds them."""
        return {"DATABASE_URL": self.url, "DATABASE_APP_URL": self.app_url,
                "DATABASE_PUBLIC_URL": self.public_url}

    def settings(self, **environ) -> Settings:
        """Return settings serving this city; `environ` adds MAPSERVER_... variables."""
        return Settings.from_env({**self.env, "MAPSERVER_HOME": str(self.home),
                                  **SUITE_LIMITS, **environ})


class Cities:
    """Copies of the small city's template database: made in a moment, dropped after use.

    Migration 014 names the server's roles after the database (<db>_app, <db>_public),
    so a copy gets roles of its own: members of the template's (whose grants they
    hold), owners of what the template's owned, and the grantees of new versions.
    """

    def __init__(self, database_url: str, template: str, reports: dict, homes):
        self.database_url = database_url
        self.template = template
        self.reports = reports
        self._homes = homes
        self._numbers = itertools.count(1)

    def _admin(self, *statements) -> None:
        admin = psycopg2.connect(database_named(self.database_url, "postgres"))
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                for statement, *values in statements:
                    cur.execute(statement, values)
        finally:
            admin.close()

    def copy(self) -> City:
        """Return a new database holding the small city as loaded, for one test or module."""
        name = f"small_city_{next(self._numbers)}"
        passwords = {kind: secrets.token_urlsafe(16) for kind in LOGIN_KINDS}
        self._admin(
            (f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"',),
            (f'CREATE ROLE "{name}_owner" NOLOGIN IN ROLE "{self.template}_owner"',),
            *[(f'CREATE ROLE "{name}_{kind}" LOGIN PASSWORD %s IN ROLE '
               f'"{self.template}_{kind}"', passwords[kind]) for kind in LOGIN_KINDS],
            (f'ALTER ROLE "{name}_public" SET statement_timeout = \'10s\'',),
            (f'REVOKE TEMPORARY ON DATABASE "{name}" FROM PUBLIC',),
        )
        url = database_named(self.database_url, name)
        # What the template's roles own in the copy becomes the copy's roles' (a stable
        # view's owner must be able to read the versions the copy's app role makes).
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cur:
            for kind in ("owner", "app"):
                cur.execute(f'REASSIGN OWNED BY "{self.template}_{kind}" TO "{name}_{kind}"')
        conn.close()
        home = self._homes.mktemp(name)
        (home / "layers").symlink_to(SMALL_LAYERS)
        return City(url, url_as(url, f"{name}_app", passwords["app"]),
                    url_as(url, f"{name}_public", passwords["public"]), home, self.reports)

    def drop(self, city: City) -> None:
        """Drop a copy, ending the sessions an app still holds on it."""
        name = city.url.rsplit("/", 1)[1].split("?")[0]
        self._admin((f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',))


@pytest.fixture(scope="session")
def cities(database_url, tmp_path_factory):
    """Load the small city once into a template database; return the maker of its copies.

    The template is a second install on the cluster, made as test_kpi used to make its
    own: PostGIS, the migrations (roles small_city_template_app...), logins, the load.
    """
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
    passwords = {kind: secrets.token_urlsafe(16) for kind in LOGIN_KINDS}
    names = enable_logins(conn, passwords)
    conn.close()
    reports = load_city(url_as(url, names["app"], passwords["app"]), SMALL_LAYERS)
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
    """A connection to the shared small city as the application role, closed afterwards."""
    connection = connect(small_city.app_url)
    yield connection
    connection.rollback()
    connection.close()


@pytest.fixture(scope="session")
def small_live_server(small_app):
    """Serve the small city over real HTTP on a free loopback port; yield its base URL."""
    yield from _serve(small_app)


@pytest.fixture
def conn(app_url):
    """A connection for one test as the application role, closed afterwards."""
    connection = connect(app_url)
    yield connection
    connection.rollback()
    connection.close()


@pytest.fixture(scope="session")
def settings(database_env, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    (home / "layers").symlink_to(LAYERS)
    return Settings.from_env({**database_env, "MAPSERVER_HOME": str(home), **SUITE_LIMITS})


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


@contextmanager
def serving(app):
    """Serve `app` over real HTTP (werkzeug, a thread per request) on a free loopback port."""
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


def _serve(app):
    with serving(app) as base:
        yield base


@contextmanager
def production_server(env: dict, *, workers: int = 2, threads: int = 4):
    """Run `mapserver serve` (Granian, as `make run` does) on a free loopback port.

    Yields the base URL once /healthz answers; the server is stopped afterwards.
    """
    port = _free_port()
    server = subprocess.Popen(
        [*MAPSERVER, "serve", "--port", str(port), "--workers", str(workers),
         "--threads", str(threads)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the app over real HTTP on a free loopback port; yield its base URL."""
    yield from _serve(app)


@pytest.fixture
def cli_env(database_env, settings):
    """Environment for running the `mapserver` command against the test database."""
    env = dict(os.environ, **database_env, MAPSERVER_HOME=str(settings.home))
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
