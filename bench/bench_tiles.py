"""Vector tiles of parcels: mapserver (Granian) against TiPg (uvicorn), same database, same tiles.

Both serve the parcels of the same PostGIS with the same public fields, from the
stored Web Mercator column.  The tiles: ~200 seeded-random tiles covering
Cambridge at z12-z17.  Parcels start at z14 in its manifest, so the bench
registers `bench-parcels` (the same table, minzoom 12) so that both servers
render every tile.  Measured:

* uncached, 8 concurrent clients: tiles/s and p99 latency of each, and ratios;
* cached (our disk cache; TiPg has none): tiles/s ratio;
* our uncached time per tile, one client, against the bare ST_AsMVT SQL of the
  same tiles over one connection (the floor);
* our time per tile when parcels is grown 10x and 40x by shifted copies (bench-only
  tables and registry rows, removed afterwards): it should follow features per
  tile, not layer size.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import requests
from common import ROOT, database_url

from mapserver.cli.serve import server_command
from mapserver.layers import registry
from mapserver.layers.manifest import Manifest
from mapserver.tiles.render import render_tile

TIPG_VENV = ROOT / "var" / "bench-tipg"
N_TILES = 200
CLIENTS = 8
WORKERS = 2          # ours: `mapserver serve` default, one per core
TIPG_WORKERS = 4     # uvicorn workers; TiPg was no faster with 2
SEED = 20141
ROUNDS = 3
THREADS = 4   # per worker, as `mapserver serve` runs by default
SCALES = (10, 40)
BENCH_IDS = ["bench-parcels"] + [f"bench-parcels-x{k}" for k in SCALES]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _tipg_python() -> Path:
    python = TIPG_VENV / "bin" / "python"
    if not (python.exists() and subprocess.run([str(python), "-c", "import tipg, uvicorn"],
                                               capture_output=True).returncode == 0):
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "tipg", "uvicorn"],
                       check=True)
    return python


def _parcels(conn) -> dict:
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, manifest, bbox, version, feature_count"
                    " FROM mapserver.layers"
                    " WHERE id = 'parcels' AND version > 0")
        row = cur.fetchone()
    if row is None:
        raise RuntimeError("parcels is not loaded: run `make data` first")
    return {"table": row[0], "manifest": row[1], "bbox": row[2], "version": row[3],
            "count": row[4]}


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return int((lon + 180.0) / 360.0 * n), int(y)


def tile_range(bbox, z: int) -> tuple[int, int, int, int]:
    x0, y0 = _tile_xy(bbox[0], bbox[3], z)
    x1, y1 = _tile_xy(bbox[2], bbox[1], z)
    return x0, y0, x1, y1


def _random_tiles(bbox) -> list[tuple[int, int, int]]:
    rng = random.Random(SEED)
    tiles = []
    while len(tiles) < N_TILES:
        z = rng.randint(12, 17)
        x0, y0, x1, y1 = tile_range(bbox, z)
        tile = (z, rng.randint(x0, x1), rng.randint(y0, y1))
        if tile not in tiles:
            tiles.append(tile)
    return tiles


def _register(conn, layer_id: str, table: str, parcels: dict) -> None:
    manifest = dict(parcels["manifest"], id=layer_id, minzoom=12)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO mapserver.layers (id, version, table_name, manifest, geometry_type,"
            " feature_count, bbox, loaded_at, published)"
            " SELECT %s, 1, %s, %s, 'MultiPolygon', (SELECT count(*) FROM layers.{t}),"
            " ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)], now(), true"
            " FROM (SELECT ST_Extent(geom) AS e FROM layers.{t}) s".replace(
                "{t}", '"' + table.replace('"', '') + '"'),
            (layer_id, table, json.dumps(manifest)))
    conn.commit()


def _replicate(conn, parcels: dict, factor: int) -> str:
    """Make layers.bench_parcels_x<factor>: the parcels and factor-1 shifted copies."""
    table = f"bench_parcels_x{factor}"
    # Copies half a degree apart: no tile over Cambridge (z12 and up) reaches a copy, so
    # features per tile stay those of x1 and only the layer's size grows.
    width = height = 0.5
    columns = ["fid"] + [f["name"] for f in parcels["manifest"]["fields"]] + ["geom"]
    names = ", ".join(f'"{c}"' for c in columns)
    picks = ", ".join(
        "p.fid + k * 10000000" if c == "fid" else
        (f"ST_Translate(p.geom, (k % 8) * {width}, (k / 8) * {height})" if c == "geom"
         else f'p."{c}"') for c in columns)
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS layers.{table}")
        cur.execute(f'CREATE TABLE layers.{table} (LIKE layers."{parcels["table"]}" '
                    "INCLUDING DEFAULTS INCLUDING GENERATED)")
        # Copy after copy, as a region's file would hold town after town (an interleaved
        # heap would put each tile's rows on `factor` times more pages).
        cur.execute(f"INSERT INTO layers.{table} ({names}) SELECT {picks} FROM "
                    f"generate_series(0, {factor - 1}) k, "
                    f'layers."{parcels["table"]}" p ORDER BY k, p.fid')
        cur.execute(f"ALTER TABLE layers.{table} ADD PRIMARY KEY (fid)")
        cur.execute(f"CREATE INDEX ON layers.{table} USING gist (geom_3857)")
        cur.execute(f"CREATE INDEX ON layers.{table} USING gist (geom)")
        cur.execute(f"ANALYZE layers.{table}")
    conn.commit()
    return table


def _cleanup(conn) -> None:
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.layers WHERE id = ANY(%s)", (BENCH_IDS,))
        for k in SCALES:
            cur.execute(f"DROP TABLE IF EXISTS layers.bench_parcels_x{k}")
    conn.commit()


def _fetch_chunk(urls: list[str]) -> tuple[list[float], set[int]]:
    """Fetch URLs one after another on one kept-alive connection (reopened if closed)."""
    parts = urlsplit(urls[0])
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    latencies, codes = [], set()
    for url in urls:
        parts = urlsplit(url)
        started = time.perf_counter()
        connection.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
        response = connection.getresponse()
        response.read()
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
        latencies.append(time.perf_counter() - started)
        codes.add(response.status)
    connection.close()
    return latencies, codes


def _fetch_all(urls: list[str], clients: int) -> tuple[float, list[float], set[int]]:
    """Fetch every URL with `clients` parallel transfers; return (wall s, latencies, codes).

    The client is curl (C, --parallel): a Python client tops out near the rate of a
    cached tile server on two cores and would measure itself.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".curl", delete=False) as config:
        for url in urls:
            config.write(f'url = "{url}"\noutput = "/dev/null"\n')
    try:
        started = time.perf_counter()
        done = subprocess.run(
            ["curl", "-s", "--parallel", "--parallel-immediate", "--parallel-max",
             str(clients), "-K", config.name, "-w", "%{http_code} %{time_total}\n"],
            capture_output=True, text=True, timeout=1200)
        wall = time.perf_counter() - started
    finally:
        os.unlink(config.name)
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()]
    if len(rows) != len(urls):
        raise RuntimeError(f"curl answered {len(rows)} of {len(urls)}: {done.stderr[:200]}")
    return wall, [float(t) for _, t in rows], {int(c) for c, _ in rows}


def _rate(urls: list[str], runs) -> tuple[float, float]:
    """Fetch the URLs with CLIENTS processes; return (tiles/s, p99 s), failing on errors."""
    wall, latencies, codes = _fetch_all(urls, CLIENTS)
    if not codes or max(codes) >= 400:
        raise RuntimeError(f"tile requests failed: {sorted(codes)}")
    return len(urls) / wall, _p99(latencies)


def _best(results: list[tuple[float, float]]) -> tuple[float, float]:
    """Return the (rate, p99) of the round with the highest rate."""
    return max(results)


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def _plain_sql(table: str, fields: list[str]) -> str:
    """Return the plain ST_AsMVT pattern of one tile of the table (no generalisation)."""
    columns = ", ".join(f'"{f}"' for f in fields)
    return (f"SELECT ST_AsMVT(q, 'parcels', 4096, 'geom', 'fid') FROM (SELECT fid, {columns},"
            " ST_AsMVTGeom(geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true)"
            f' AS geom FROM layers."{table}" WHERE geom_3857 && ST_TileEnvelope(%(z)s, %(x)s,'
            " %(y)s, margin => 64/4096.0)) q")


def _bare_sql_times(conn, table: str, fields: list[str], tiles) -> list[float]:
    """Time the plain ST_AsMVT pattern of the same tiles over one connection (the floor)."""
    statement, times = _plain_sql(table, fields), []
    with conn.cursor() as cur:
        for z, x, y in tiles:
            started = time.perf_counter()
            cur.execute(statement, {"z": z, "x": x, "y": y})
            cur.fetchone()
            times.append(time.perf_counter() - started)
    conn.rollback()
    return times


def _one_by_one(urls: list[str], conn, record, fields: list[str], tiles) -> list[tuple]:
    """Time each tile three ways, back to back: our server (uncached), our statement run
    bare, the plain pattern; so the shared machine's load weighs on all three alike.
    The order alternates from tile to tile, so that none profits from going first."""
    parts = urlsplit(urls[0])
    server = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    plain = _plain_sql(record.table_name, fields)

    def served(url, cur, z, x, y):
        server.request("GET", urlsplit(url).path)
        response = server.getresponse()
        response.read()
        if response.status >= 400:
            raise RuntimeError(f"{url} answered {response.status}")

    def ours_bare(url, cur, z, x, y):
        render_tile(conn, [record], z, x, y)

    def plain_bare(url, cur, z, x, y):
        cur.execute(plain, {"z": z, "x": x, "y": y})
        cur.fetchone()

    ways, times = (served, ours_bare, plain_bare), []
    with conn.cursor() as cur:
        for i, (url, (z, x, y)) in enumerate(zip(urls, tiles, strict=True)):
            took = [0.0, 0.0, 0.0]
            for k in (range(3) if i % 2 == 0 else reversed(range(3))):
                started = time.perf_counter()
                ways[k](url, cur, z, x, y)
                took[k] = time.perf_counter() - started
            times.append(tuple(took))
    server.close()
    conn.rollback()
    return times


def _sequential(urls: list[str]) -> list[float]:
    latencies, codes = _fetch_chunk(urls)
    if max(codes) >= 400:
        raise RuntimeError(f"errors while timing tiles one by one: {codes}")
    return latencies


def _start_ours(cache_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, MAPSERVER_HOME=str(ROOT), MAPSERVER_TILE_CACHE_DIR=str(cache_dir))
    process = subprocess.Popen(server_command("127.0.0.1", port, WORKERS, THREADS),
                               cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    _wait(base + "/healthz")
    return process, base


def _start_tipg(url: str) -> tuple[subprocess.Popen, str]:
    python = _tipg_python()
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, TIPG_DB_SCHEMAS='["layers"]',
               TIPG_MAX_FEATURES_PER_TILE="20000")
    process = subprocess.Popen(
        [str(python), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(TIPG_WORKERS), "--log-level", "warning"],
        cwd=tempfile.gettempdir(), env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    _wait(base + "/collections/layers.parcels", 180)
    return process, base


SNIPPET = ROOT / "docs" / "deploy" / "mapserver-locations.conf"
NGINX_CONF = """
daemon off; worker_processes 2; pid {tmp}/nginx.pid; error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{ listen 127.0.0.1:{port}; include {tmp}/mapserver.conf; }}
}}
"""


def _start_nginx(app_base: str, cache_dir: Path) -> tuple[subprocess.Popen, str] | None:
    """Put nginx in front of our server, serving cached tiles from disk (the deployment)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        return None
    tmp = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    port = _free_port()
    conf = tmp / "nginx.conf"
    # The documented front itself (docs/deploy), not a copy of it.
    (tmp / "mapserver.conf").write_text(SNIPPET.read_text().replace(
        "${TILE_CACHE}", str(cache_dir)).replace("${APP}", urlsplit(app_base).netloc))
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)],
                               start_new_session=True, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base + "/healthz")
    return process, base


def run() -> list[str]:
    """Run the tile benchmark and return the printed lines."""
    url = database_url()
    conn = psycopg2.connect(url)
    parcels = _parcels(conn)
    fields = list(Manifest(raw=parcels["manifest"]).public_field_names)
    tiles = _random_tiles(parcels["bbox"])
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-tiles-"))
    cache_dir.chmod(0o755)   # nginx's workers (user nobody) read it
    lines = [f"{len(tiles)} random tiles z12-z17 over Cambridge parcels "
             f"({sum(1 for t in tiles if t[0] < 14)} below z14); "
             f"servers: `mapserver serve` (Granian) {WORKERS} workers x {THREADS} threads vs "
             "uvicorn "
             f"{TIPG_WORKERS} workers, "
             f"{CLIENTS} concurrent clients"]
    ours = tipg = None
    try:
        _cleanup(conn)
        _register(conn, "bench-parcels", parcels["table"], parcels)
        _bare_sql_times(conn, parcels["table"], fields, tiles)          # warm the buffers
        ours, our_base = _start_ours(cache_dir)
        tipg, tipg_base = _start_tipg(url)
        props = ",".join(fields)
        our_urls = [f"{our_base}/tiles/bench-parcels/{z}/{x}/{y}.mvt" for z, x, y in tiles]
        tipg_urls = [f"{tipg_base}/collections/layers.parcels/tiles/WebMercatorQuad/{z}/{x}/{y}"
                     f"?geom-column=geom_3857&properties={props}" for z, x, y in tiles]
        # Warm both servers (connections, imports) on tiles outside the list.
        _fetch_all([f"{our_base}/tiles/bench-parcels/18/0/0.mvt"] * CLIENTS * 2, CLIENTS)
        _fetch_all([tipg_urls[0].replace(f"/{tiles[0][0]}/", "/18/", 1)] * CLIENTS * 2,
                   CLIENTS)

        # The machine is shared: every figure is the best of ROUNDS rounds, ours and
        # TiPg's measured alternately so that both see the same background load.
        front = _start_nginx(our_base, cache_dir)
        versioned = ([f"{front[1]}/tiles/bench-parcels/{z}/{x}/{y}.mvt?v=1"
                      for z, x, y in tiles] if front else [])
        runs: dict[str, list] = {"ours": [], "tipg": [], "cached": [], "nginx": [],
                                 "ours_high": [], "tipg_high": []}
        detailed = [i for i, t in enumerate(tiles) if t[0] >= 14]
        one_by_one = []
        record = registry.get(conn, "bench-parcels")
        conn.rollback()
        try:
            for _ in range(ROUNDS):
                shutil.rmtree(cache_dir / "bench-parcels", ignore_errors=True)
                runs["ours_high"].append(_rate([our_urls[i] for i in detailed], runs))
                runs["tipg_high"].append(_rate([tipg_urls[i] for i in detailed], runs))
                shutil.rmtree(cache_dir / "bench-parcels", ignore_errors=True)
                runs["ours"].append(_rate(our_urls, runs))
                runs["tipg"].append(_rate(tipg_urls, runs))
                runs["cached"].append(_rate(our_urls * 3, runs))
                if front:
                    runs["nginx"].append(_rate(versioned * 10, runs))
                shutil.rmtree(cache_dir / "bench-parcels", ignore_errors=True)
                one_by_one.append(_one_by_one(our_urls, conn, record, fields, tiles))
        finally:
            if front:
                _stop(front[0])
        (our_rate, our_p99), (tipg_rate, tipg_p99) = _best(runs["ours"]), _best(runs["tipg"])
        lines.append(f"uncached, {CLIENTS} clients: mapserver {our_rate:.1f} tiles/s "
                     f"(p99 {our_p99 * 1000:.0f} ms), TiPg {tipg_rate:.1f} tiles/s "
                     f"(p99 {tipg_p99 * 1000:.0f} ms); throughput ratio "
                     f"{our_rate / tipg_rate:.2f}x, p99 ratio {our_p99 / tipg_p99:.2f}x "
                     "(lower is better)")
        (high_rate, high_p99), (tipg_high, tipg_high_p99) = (_best(runs["ours_high"]),
                                                             _best(runs["tipg_high"]))
        lines.append(f"  z14-z17 only ({len(detailed)} tiles, the same features in both): "
                     f"mapserver {high_rate:.1f} tiles/s (p99 {high_p99 * 1000:.0f} ms), TiPg "
                     f"{tipg_high:.1f} tiles/s (p99 {tipg_high_p99 * 1000:.0f} ms); ratio "
                     f"{high_rate / tipg_high:.2f}x, p99 ratio {high_p99 / tipg_high_p99:.2f}x")
        cached_rate, cached_p99 = _best(runs["cached"])
        lines.append(f"cached, served by the app, {CLIENTS} clients: mapserver "
                     f"{cached_rate:.0f} tiles/s (p99 {cached_p99 * 1000:.1f} ms) vs TiPg "
                     f"(no cache) {tipg_rate:.1f} tiles/s; ratio {cached_rate / tipg_rate:.1f}x")
        if front:
            nginx_rate, nginx_p99 = _best(runs["nginx"])
            lines.append(f"cached, nginx serving var/tiles (the documented front), "
                         f"{CLIENTS} clients: {nginx_rate:.0f} tiles/s (p99 "
                         f"{nginx_p99 * 1000:.1f} ms) vs TiPg {tipg_rate:.1f} tiles/s; ratio "
                         f"{nginx_rate / tipg_rate:.1f}x")
        else:
            lines.append("cached behind nginx: skipped (nginx is not installed)")

        best = [tuple(min(run[i][k] for run in one_by_one) for k in range(3))
                for i in range(len(tiles))]
        ours_seq = [b[0] for b in best]
        high = [i for i, t in enumerate(tiles) if t[0] >= 14]
        for label, picked in ((f"all {len(tiles)} tiles", range(len(tiles))),
                              (f"z14-z17 ({len(high)} tiles, no generalisation)", high)):
            served, ours_sql, plain = (sum(best[i][k] for i in picked) for k in range(3))
            n = len(picked)
            lines.append(f"uncached, 1 client, {label}, best of {ROUNDS}: mapserver "
                         f"{served / n * 1000:.2f} ms/tile, its SQL run bare "
                         f"{ours_sql / n * 1000:.2f}, plain ST_AsMVT SQL "
                         f"{plain / n * 1000:.2f}; ratio to the plain floor "
                         f"{served / plain:.2f}x (server overhead over its own SQL "
                         f"{served / ours_sql:.2f}x)")

        base_time = statistics.mean(ours_seq)
        for factor in SCALES:
            table = _replicate(conn, parcels, factor)
            layer_id = f"bench-parcels-x{factor}"
            _register(conn, layer_id, table, parcels)
            _bare_sql_times(conn, table, fields, tiles)                     # warm
            grown_runs = []
            for _ in range(ROUNDS):
                shutil.rmtree(cache_dir / layer_id, ignore_errors=True)
                grown_runs.append(_sequential([u.replace("/bench-parcels/", f"/{layer_id}/")
                                               for u in our_urls]))
            grown = [min(t) for t in zip(*grown_runs, strict=True)]
            lines.append(f"parcels x{factor} ({parcels['count'] * factor:,} features): mapserver "
                         f"{statistics.mean(grown) * 1000:.2f} ms/tile uncached vs "
                         f"{base_time * 1000:.2f} at x1; ratio "
                         f"{statistics.mean(grown) / base_time:.2f}x")
    finally:
        for process in (ours, tipg):
            if process is not None:
                _stop(process)
        _cleanup(conn)
        conn.close()
        shutil.rmtree(cache_dir, ignore_errors=True)
    return lines


if __name__ == "__main__":
    for printed in run():
        print(printed)
