"""A change that cannot get its layer's lock in time is a clear 409, never a 503.

Regression: a swap waiting behind another change of the layer (a load holding the
registry row) or behind a long reader of the view layers."<id>" waited until the
statement timeout and answered 503 "the query took too long".  The lock wait is
now bounded below the statement timeout and ends as a conflict.
"""

from __future__ import annotations

import dataclasses

import psycopg2
import pytest
import requests

from mapserver import create_app
from mapserver.auth import sessions, users
from tests.conftest import layer_state, serving

LAYER = "zoning"


@pytest.fixture(scope="module")
def planner(database_url, demo_city):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.users WHERE username = 't-locks'")
        user = users.create(conn, "t-locks", "a long enough password", "planner")
        token = sessions.issue_token(conn, user, "tests")
    conn.close()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def server(settings, demo_city):
    """The app with a short statement timeout: a lock wait up to it would have been a 503."""
    app = create_app(dataclasses.replace(settings, statement_timeout_ms=1500))
    with serving(app) as base:
        yield base


def _holding(database_url, statement: str):
    """Open a transaction that runs `statement` and keeps its locks until closed."""
    conn = psycopg2.connect(database_url)
    with conn.cursor() as cur:
        cur.execute(statement, (LAYER,))
    return conn


def _describe(server, planner):
    return requests.patch(f"{server}/admin/api/layers/{LAYER}/metadata", headers=planner,
                          json={"keywords": ["zoning", "lock test"]}, timeout=30)


@pytest.mark.parametrize("holder", [
    # another load or edit of the layer holds its registry row
    "SELECT 1 FROM mapserver.layers WHERE id = %s FOR UPDATE",
    # a client of the database (QGIS...) reads the stable view in a long transaction
    "SELECT count(*) FROM layers.zoning WHERE %s IS NOT NULL",
])
def test_a_swap_behind_a_lock_answers_409_and_changes_nothing(server, planner, database_url,
                                                              holder):
    before = layer_state(database_url, LAYER)
    holding = _holding(database_url, holder)
    try:
        response = _describe(server, planner)
    finally:
        holding.rollback()
        holding.close()
    assert response.status_code == 409, response.text
    body = response.json()
    assert set(body) == {"code", "description"} and body["code"] == "Conflict"
    assert "the layer is being read or changed; try again" in body["description"]
    assert layer_state(database_url, LAYER) == before


def test_publishing_and_rollback_behind_a_load_answer_409(server, planner, database_url):
    holding = _holding(database_url, "SELECT 1 FROM mapserver.layers WHERE id = %s FOR UPDATE")
    try:
        hidden = requests.post(f"{server}/admin/api/layers/{LAYER}/unpublish", headers=planner,
                               timeout=30)
        back = requests.post(f"{server}/admin/api/layers/{LAYER}/rollback", headers=planner,
                             json={"version": 1}, timeout=30)
    finally:
        holding.rollback()
        holding.close()
    assert (hidden.status_code, back.status_code) == (409, 409), (hidden.text, back.text)


def test_once_the_lock_is_free_the_same_change_goes_through(server, planner, database_url):
    version = layer_state(database_url, LAYER)[0]
    response = _describe(server, planner)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == version + 1
