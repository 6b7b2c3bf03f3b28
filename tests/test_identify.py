"""Who is asking (mapserver/auth/identify.py): shared by the OGC API and the admin."""

from __future__ import annotations

import ast
from contextlib import contextmanager

import psycopg2
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from mapserver.auth import identify, sessions, users
from tests.conftest import ROOT


class Pool:
    """Stands in for the app's pool: hands out one connection, counts how often."""

    def __init__(self, url):
        self.url, self.used = url, 0

    @contextmanager
    def connection(self):
        self.used += 1
        conn = psycopg2.connect(self.url)
        try:
            with conn:
                yield conn
        finally:
            conn.close()


@pytest.fixture(scope="module")
def staff(database_url):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.users WHERE username = 't-identify'")
        user = users.create(conn, "t-identify", "a long enough password", "staff")
        token = sessions.issue_token(conn, user, "tests")
        cookie, csrf = sessions.open_session(conn, user)
    conn.close()
    return {"user": user, "token": token, "cookie": cookie, "csrf": csrf}


def request(headers=None, cookie=None):
    builder = EnvironBuilder(headers=headers or {})
    if cookie is not None:
        builder.headers["Cookie"] = f"{identify.SESSION_COOKIE}={cookie}"
    return Request(builder.get_environ())


def test_nobody_costs_no_query(database_url):
    pool = Pool(database_url)
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        caller = identify.caller_of(request(headers), pool)
        assert caller is identify.ANONYMOUS and not caller.at_least("staff")
    assert pool.used == 0


def test_a_token_names_its_user_and_needs_no_csrf(database_url, staff):
    pool = Pool(database_url)
    asked = request({"Authorization": f"Bearer {staff['token']}"})
    caller = identify.caller_of(asked, pool)
    assert caller.user.username == "t-identify" and caller.via_token and caller.csrf is None
    assert caller.at_least("staff") and not caller.at_least("planner")
    assert identify.caller_of(asked, pool) is caller and pool.used == 1  # once per request


def test_a_session_cookie_names_its_user_with_the_csrf_token(database_url, staff):
    caller = identify.caller_of(request(cookie=staff["cookie"]), Pool(database_url))
    assert caller.user.username == "t-identify" and caller.csrf == staff["csrf"]
    assert not caller.via_token


@pytest.mark.parametrize("headers, cookie", [
    ({"Authorization": "Bearer ms_not-a-token"}, None),
    ({"Authorization": "Bearer "}, None),
    ({}, "not-a-session"),
])
def test_unknown_credentials_are_nobody(database_url, headers, cookie):
    caller = identify.caller_of(request(headers, cookie), Pool(database_url))
    assert caller.user is None and not caller.via_token and not caller.at_least("staff")


def test_a_token_wins_over_a_cookie(database_url, staff):
    wrong = request({"Authorization": "Bearer ms_not-a-token"}, cookie=staff["cookie"])
    assert identify.caller_of(wrong, Pool(database_url)).user is None


def test_the_ogc_api_does_not_import_the_admin():
    for path in (ROOT / "mapserver" / "ogc").glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names}
        assert not any(name and name.startswith("mapserver.admin") for name in imported), path
