"""After PostGIS ends every session of the app, the next reads succeed: no 503 while recovering.

Regression: psycopg2 notices a session ended by the server only when it next uses
it, so after `pg_terminate_backend` (a restart, a failover, an operator) the first
requests on each pooled connection answered 503 "the database connection was lost".
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import requests

from mapserver.db import Database

READS = ["/ogc/collections/parks/items?limit=5", "/layers", "/healthz",
         "/map/features/parks/1.json", "/api/search?q=main",
         "/ogc/collections/streets/items?limit=2&offset=7"]


def _sessions(database_url: str) -> list[int]:
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'mapserver-%'"
                    " AND pid <> pg_backend_pid()")
        return [row[0] for row in cur.fetchall()]


def _terminate_all(database_url: str) -> int:
    """End every session of the app (pool and registry listener); wait until they are gone."""
    pids = _sessions(database_url)
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
                    " FROM unnest(%s::int[]) AS pid", (pids,))
        ended = cur.fetchone()[0]
    for _ in range(200):   # bounded: the backends exit within milliseconds
        if not set(pids) & set(_sessions(database_url)):
            break
        time.sleep(0.05)
    return ended


def test_reads_after_every_session_was_terminated_all_succeed(live_server, database_url):
    # Open several pooled connections first: concurrent reads each borrow one.
    with ThreadPoolExecutor(6) as pool:
        warm = list(pool.map(lambda path: requests.get(live_server + path, timeout=30),
                             READS * 2))
    assert {r.status_code for r in warm} == {200}
    assert _terminate_all(database_url) >= 2   # at least a pooled session and the listener

    failures = []
    for path in READS * 5:   # 30 reads one after the other: each may meet a dead session
        response = requests.get(live_server + path, timeout=30)
        if response.status_code != 200:
            failures.append((path, response.status_code, response.text[:200]))
    with ThreadPoolExecutor(6) as pool:   # and at once, several connections checked out
        _terminate_all(database_url)
        for path, response in zip(READS * 3, pool.map(
                lambda path: requests.get(live_server + path, timeout=30), READS * 3),
                strict=True):
            if response.status_code != 200:
                failures.append((path, response.status_code, response.text[:200]))
    assert failures == []


def test_a_dead_pooled_connection_is_replaced_on_checkout(database_url):
    db = Database(database_url, pool_size=2)
    try:
        with db.connection(read_only=True) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            first = cur.fetchone()[0]
        with psycopg2.connect(database_url) as c, c.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (first,))
        for _ in range(200):
            if first not in _sessions(database_url):
                break
            time.sleep(0.05)
        with db.connection(read_only=True) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            assert cur.fetchone()[0] != first   # a new session, and no error on the way
    finally:
        db.close()
