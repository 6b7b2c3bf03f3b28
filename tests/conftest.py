"""Shared fixtures: a real, throwaway PostGIS cluster, the demo city loaded once, the app.

The cluster runs from a temporary folder as an unprivileged user (PostgreSQL
refuses root) and is removed at the end of the session.  Its roles are used as
in production: the superuser (`database_url`) runs the migrations and the tests'
own set-up, loads run as the application role (as the CLI does), and the app
gets both role URLs (`database_env`), serving the public on the public role.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
import requests
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
MAPSERVER = [sys.executable, "-m", "mapserver"]
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
    conn = connect(app_url)
    reports = {}
    try:
        chosen = [manifests.find(LAYERS, layer_id) for layer_id in DEMO_LAYERS]
        for manifest in chosen:
            reports[manifest.id] = load_layer(conn, manifest)
    finally:
        conn.close()
    return reports


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
    # The suite's requests all come from one address, many at once: the costly lane is
    # widened and the read limit off here; tests/test_load_shedding.py and
    # tests/test_rate_limit.py test them.
    return Settings.from_env({**database_env, "MAPSERVER_HOME": str(home),
                              "MAPSERVER_COSTLY_QUERIES": "32",
                              "MAPSERVER_READ_RATE_LIMIT": "0"})


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


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the app over real HTTP on a free loopback port; yield its base URL."""
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
