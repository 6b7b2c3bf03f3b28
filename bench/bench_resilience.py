"""Graceful under load: what cheap requests cost while heavy or hostile ones run.

Serves with `mapserver serve` (2 workers x 4 threads, as `make run`) on loopback and
measures, each for a bounded time:

* a cached tile's and /healthz's latency while 16 clients ask for parcels items
  that wait on a lock (a test session holds ACCESS EXCLUSIVE on the table: slow
  queries that use no CPU), and what those clients got (200 / 503 shed / 429);
* /healthz's latency while 16 connections stall after a few bytes of a declared
  2 KB body;
* failed reads after every session of the server is ended (pg_terminate_backend).

Not in `make bench` (it locks a served table for a few seconds):
`python bench/run.py resilience`.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import threading
import time
from collections import Counter

import psycopg2
import requests
from common import ROOT, database_url

from mapserver.cli.serve import server_command

TILE = "/tiles/streets/15/9913/12119.mvt"
SLOW = "/ogc/collections/parcels/items?limit=10"
CLIENTS = 16
SECONDS = 8.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    # With the environment as it is (its role logins), as the other benchmarks run ours.
    # The read limit off: 16 clients from one address would meet it (429) within seconds.
    env = dict(os.environ, MAPSERVER_READ_RATE_LIMIT="0")
    env.setdefault("MAPSERVER_HOME", str(ROOT))
    process = subprocess.Popen(server_command("127.0.0.1", port, 2, 4), cwd=ROOT, env=env,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/healthz", timeout=5)
            return process, base
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.2)


def _latency(samples: list[float]) -> str:
    samples = sorted(samples)
    return (f"median {statistics.median(samples) * 1000:.0f} ms, "
            f"max {samples[-1] * 1000:.0f} ms ({len(samples)} probes)")


def _probe(base: str, paths: dict, stop: threading.Event) -> dict:
    found = {name: [] for name in paths}

    def loop(name: str) -> None:
        session = requests.Session()
        while not stop.is_set():
            started = time.perf_counter()
            session.get(base + paths[name], timeout=60)
            found[name].append(time.perf_counter() - started)
            time.sleep(0.1)

    threads = [threading.Thread(target=loop, args=(name,)) for name in paths]
    for thread in threads:
        thread.start()
    found["_threads"] = threads
    return found


def _slow_queries(url: str, base: str) -> list[str]:
    holder = psycopg2.connect(url)
    codes: Counter = Counter()
    stop = threading.Event()

    def heavy() -> None:
        session = requests.Session()
        while not stop.is_set():
            codes[session.get(base + SLOW, timeout=60).status_code] += 1

    with holder.cursor() as cur:
        cur.execute("SELECT table_name FROM mapserver.layers WHERE id = 'parcels'")
        cur.execute(f'LOCK TABLE layers."{cur.fetchone()[0]}" IN ACCESS EXCLUSIVE MODE')
    clients = [threading.Thread(target=heavy) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    time.sleep(0.5)
    probes = _probe(base, {"cached tile": TILE, "/healthz": "/healthz"}, stop)
    time.sleep(SECONDS)
    stop.set()
    holder.rollback()
    holder.close()
    for thread in clients + probes.pop("_threads"):
        thread.join()
    return [f"{CLIENTS} clients of slow parcels items (waiting on a lock): {name} "
            f"{_latency(samples)}" for name, samples in probes.items()] + [
        f"  the slow clients got: {dict(sorted(codes.items()))}"]


def _stalled_bodies(base: str) -> list[str]:
    port = int(base.rsplit(":", 1)[1])
    stalled = []
    for _ in range(CLIENTS):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /api/feedback/score HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 2048\r\n\r\nscore=1")
        stalled.append(sock)
    time.sleep(0.5)
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        requests.get(base + "/healthz", timeout=30)
        samples.append(time.perf_counter() - started)
    for sock in stalled:
        sock.close()
    return [f"{CLIENTS} stalled request bodies: /healthz {_latency(samples)}"]


def _terminated(url: str, base: str) -> list[str]:
    paths = ["/ogc/collections/parks/items?limit=5", "/layers", "/healthz",
             "/api/search?q=main"]
    for path in paths * 3:
        requests.get(base + path, timeout=30)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM"
                    " pg_stat_activity WHERE application_name LIKE 'mapserver-%'")
        ended = cur.fetchone()[0]
    time.sleep(0.5)
    codes = Counter(requests.get(base + path, timeout=30).status_code for path in paths * 10)
    return [f"after ending all {ended} sessions of the server: {len(paths) * 10} reads, "
            f"answers {dict(codes)}"]


def run() -> list[str]:
    """Run the measures and return the printed lines."""
    url = database_url()   # the superuser's: the lock and pg_terminate_backend
    process, base = _start()
    try:
        requests.get(base + TILE, timeout=30)
        return _slow_queries(url, base) + _stalled_bodies(base) + _terminated(url, base)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:   # a worker still stuck (the WSGI interface was)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
