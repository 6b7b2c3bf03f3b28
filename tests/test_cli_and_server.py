"""The commands a city IT person runs: db url, layers list, and the production server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import mapbox_vector_tile
import requests

from mapserver.devdb import _free_port
from tests.conftest import MAPSERVER
from tests.conftest import _free_port as any_free_port


def test_cluster_port_skips_a_taken_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert _free_port(port) != port


def test_db_url_without_a_database_says_how_to_get_one(tmp_path, cli_env):
    env = dict(cli_env, MAPSERVER_HOME=str(tmp_path))
    env.pop("DATABASE_URL")
    result = subprocess.run([*MAPSERVER, "db", "url"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "has not been set up" in result.stderr and "make run" in result.stderr


def test_db_url_prints_database_url_when_set(cli_env):
    result = subprocess.run([*MAPSERVER, "db", "url"], env=cli_env, capture_output=True,
                            text=True)
    assert result.returncode == 0 and result.stdout.strip() == cli_env["DATABASE_URL"]


def test_layers_list_shows_versions_and_counts(demo_city, cli_env):
    result = subprocess.run([*MAPSERVER, "layers", "list"], env=cli_env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    line = next(row for row in result.stdout.splitlines() if row.startswith("parcels "))
    assert "13115 features" in line and "published" in line and "Parcels" in line


def test_mapserver_serve_runs_the_production_server(demo_city, cli_env, tmp_path):
    port = any_free_port()
    pid_file = tmp_path / "server.pid"
    server = subprocess.Popen(
        [*MAPSERVER, "serve", "--port", str(port), "--workers", "2", "--threads", "4",
         "--pid-file", str(pid_file)], env=cli_env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        assert int(pid_file.read_text()) == server.pid   # what `make stop` kills
        # Both workers answer from the same database: no state of their own.
        versions = {tuple(sorted(requests.get(f"{base}/healthz",
                                              timeout=5).json()["versions"].items()))
                    for _ in range(6)}
        assert len(versions) == 1
        # A tile, and a whole layer streamed, arrive complete through the server.
        tile = requests.get(f"{base}/tiles/streets/15/9913/12119.mvt", timeout=30)
        assert tile.status_code == 200
        assert "streets" in mapbox_vector_tile.decode(tile.content)
        download = requests.get(f"{base}/ogc/collections/parcels/download.geojson", timeout=120)
        assert download.status_code == 200
        assert len(download.json()["features"]) == 13115
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_serve_refuses_a_bad_port(cli_env):
    result = subprocess.run([*MAPSERVER, "serve", "--port", "99999"], env=cli_env,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "99999" in result.stderr


def test_db_start_with_database_url_uses_it_and_starts_no_cluster(tmp_path, cli_env):
    env = dict(cli_env, MAPSERVER_HOME=str(tmp_path))
    result = subprocess.run([*MAPSERVER, "db", "start"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "DATABASE_URL is set" in result.stdout
    assert not (tmp_path / "var").exists()  # no private cluster was made
