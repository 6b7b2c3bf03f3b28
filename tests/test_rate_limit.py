"""Anonymous public reads are limited per address, across workers: 429 with Retry-After."""

from __future__ import annotations

import dataclasses
import time

import psycopg2
import pytest
import requests

from mapserver import create_app
from mapserver.auth import sessions, users
from tests.conftest import serving

LIMIT = 5


@pytest.fixture
def fresh_window(database_url, demo_city):
    """Empty the counts and make sure the test starts well inside a one-minute window."""
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT 60 - extract(epoch FROM now())::numeric % 60")
        left = float(cur.fetchone()[0])
        if left < 15:   # bounded: at most 15 s, so that all counts fall in one window
            time.sleep(left + 0.5)
        cur.execute("DELETE FROM mapserver.read_rate")


@pytest.fixture
def two_workers(settings, fresh_window):
    """Two apps (as two worker processes would be) on one database, limited to LIMIT."""
    apps = [create_app(dataclasses.replace(settings, read_rate_limit=LIMIT)) for _ in "ab"]
    with serving(apps[0]) as first, serving(apps[1]) as second:
        yield first, second


def _limited(response) -> bool:
    if response.status_code != 429:
        return False
    body = response.json()
    assert set(body) == {"code", "description"} and body["code"] == "TooManyRequests"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    return True


def test_the_limit_holds_across_workers(two_workers, database_url):
    first, second = two_workers
    paths = ["/ogc/collections", "/layers", "/ogc/collections/parks/items?limit=1",
             "/catalog.jsonld", "/api/search?q=main", "/ogc", "/map/features/parks/1.json"]
    answers = [requests.get((first, second)[i % 2] + path, timeout=30)
               for i, path in enumerate(paths)]
    assert [r.status_code for r in answers[:LIMIT]] == [200] * LIMIT
    assert all(_limited(r) for r in answers[LIMIT:])
    # Not counted: tiles (a map asks for dozens), health checks, static files.
    for _ in range(3 * LIMIT):
        assert requests.get(first + "/tiles/parks/15/9913/12119.mvt",
                            timeout=30).status_code in (200, 204)
    assert requests.get(second + "/healthz", timeout=30).status_code == 200
    assert requests.get(first + "/static/css/map.css", timeout=30).status_code == 200
    # No address is stored, only its salted hash.
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT client_hash, hits FROM mapserver.read_rate")
        rows = cur.fetchall()
    assert len(rows) == 1 and "127.0.0.1" not in rows[0][0] and rows[0][1] == len(paths)


def test_people_logged_in_are_not_limited(two_workers, database_url):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.users WHERE username = 't-rate'")
        token = sessions.issue_token(conn, users.create(conn, "t-rate", "a long enough "
                                                        "password", "staff"), "tests")
    conn.close()
    first, _ = two_workers
    for _ in range(2 * LIMIT):
        assert requests.get(first + "/ogc/collections", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # A made-up token is nobody: counted like anyone else.
    fake = [requests.get(first + "/ogc/collections", timeout=30,
                         headers={"Authorization": "Bearer made-up"}) for _ in range(LIMIT + 1)]
    assert _limited(fake[-1])


def test_behind_a_trusted_proxy_each_client_is_counted_apart(settings, fresh_window):
    app = create_app(dataclasses.replace(settings, read_rate_limit=LIMIT, trusted_proxies=1))
    with serving(app) as base:
        def get(client):
            return requests.get(base + "/ogc/collections", timeout=30,
                                headers={"X-Forwarded-For": client})

        answers = [get("203.0.113.5") for _ in range(LIMIT + 1)]
        assert _limited(answers[-1]) and not any(_limited(r) for r in answers[:-1])
        assert get("203.0.113.6").status_code == 200


def test_a_forwarded_address_is_not_believed_without_trusted_proxies(two_workers):
    first, _ = two_workers
    answers = [requests.get(first + "/ogc/collections", timeout=30,
                            headers={"X-Forwarded-For": f"198.51.100.{i}"})
               for i in range(LIMIT + 1)]
    assert _limited(answers[-1])   # a made-up header does not make a new client


def test_a_limit_that_cannot_count_lets_reads_through(two_workers, database_url):
    # E.g. a database where migration 020's grant is missing: reads are served, not 500.
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT mapserver.db_role('public')")
        role = cur.fetchone()[0]
        cur.execute(f'REVOKE ALL ON mapserver.read_rate FROM "{role}"')
    try:
        first, _ = two_workers
        answers = [requests.get(first + "/ogc/collections", timeout=30)
                   for _ in range(LIMIT + 2)]
        assert {r.status_code for r in answers} == {200}
    finally:
        with psycopg2.connect(database_url) as c, c.cursor() as cur:
            cur.execute("GRANT SELECT, INSERT, UPDATE (hits), DELETE ON mapserver.read_rate"
                        f' TO "{role}"')
