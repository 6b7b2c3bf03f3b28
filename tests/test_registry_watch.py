"""A worker's copy of the registry: read once, reloaded at the commit of any change."""

from __future__ import annotations

import time

import psycopg2
import pytest

from mapserver.errors import NotFound
from mapserver.layers.registry_watch import RegistryWatch

LAYER = "watch-test"


@pytest.fixture
def watched_layer(database_url, demo_city):
    """Register LAYER (the parcels table under another id), published; remove it after."""
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute(
            "INSERT INTO mapserver.layers (id, version, table_name, manifest, geometry_type,"
            " feature_count, bbox, loaded_at, published)"
            " SELECT %s, version, table_name, jsonb_set(manifest, '{id}', to_jsonb(%s::text)),"
            " geometry_type, feature_count, bbox, now(), true"
            " FROM mapserver.layers WHERE id = 'parcels'", (LAYER, LAYER))
    yield LAYER
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("DELETE FROM mapserver.layers WHERE id = %s", (LAYER,))


def _sql(database_url, statement, *args):
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute(statement, args)


def _end_session(database_url, watch) -> None:
    """Terminate the watch's listening session, as a database restart would, and wait."""
    pid = watch._listener.get_backend_pid()
    _sql(database_url, "SELECT pg_terminate_backend(%s, 5000)", pid)


def test_lookups_read_the_registry_once_until_it_changes(database_url, watched_layer):
    watch = RegistryWatch(database_url)
    for _ in range(50):
        assert watch.public_layer(LAYER).table_name
    assert watch.reloads == 1
    with pytest.raises(NotFound):
        watch.public_layer("parcels-nowhere")
    assert watch.reloads == 1


def _soon(check, seconds: float = 2.0) -> bool:
    """Return whether check() holds within a moment (a notification takes microseconds
    to arrive, a few milliseconds on a loaded machine)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def _hidden(watch) -> bool:
    try:
        watch.public_layer(LAYER)
    except NotFound:
        return True
    return False


def test_a_change_committed_elsewhere_is_seen_by_the_next_lookups(database_url, watched_layer):
    watch = RegistryWatch(database_url, max_age=3600)   # no timed reload can help it
    version = watch.public_layer(LAYER).version
    # Plain SQL from another connection, as an operator or another worker would commit it.
    _sql(database_url, "UPDATE mapserver.layers SET published = false WHERE id = %s", LAYER)
    assert _soon(lambda: _hidden(watch))
    _sql(database_url, "UPDATE mapserver.layers SET published = true, version = version + 1"
         " WHERE id = %s", LAYER)
    assert _soon(lambda: not _hidden(watch))
    assert watch.public_layer(LAYER).version == version + 1
    assert watch.reloads == 3   # one read each time, not one per lookup


def test_a_broken_listener_is_replaced_and_nothing_missed(database_url, watched_layer):
    watch = RegistryWatch(database_url, max_age=3600)
    watch.public_layer(LAYER)
    # The database drops the listening connection (a restart, a failover)...
    _end_session(database_url, watch)
    # ...and a change is made while nobody listens.
    _sql(database_url, "UPDATE mapserver.layers SET published = false WHERE id = %s", LAYER)
    assert _soon(lambda: _hidden(watch))


def test_a_reload_on_a_session_that_ended_unnoticed_reconnects(database_url, watched_layer):
    watch = RegistryWatch(database_url, max_age=3600)
    watch.public_layer(LAYER)
    _end_session(database_url, watch)
    watch.invalidate()   # reload at once, without first looking at the socket
    assert watch.public_layer(LAYER).table_name
    assert watch.reloads == 2


def test_sql_unpublishing_hides_the_tiles_at_once(client, database_url, watched_layer):
    url = f"/tiles/{LAYER}/17/39690/48466.mvt"
    assert client.get(url).status_code in (200, 204)
    _sql(database_url, "UPDATE mapserver.layers SET published = false WHERE id = %s", LAYER)
    assert _soon(lambda: client.get(url).status_code == 404)
    assert client.get(f"/tiles/{LAYER}.json").status_code == 404


def test_the_copy_at_once_is_never_an_outdated_one(database_url, watched_layer):
    # The RSGI bridge answers cached tiles on its event loop from `records_at_once`,
    # which never reads PostGIS: after a change it must send the caller to a thread,
    # and the thread's lookup must reload (the notification is consumed by then).
    watch = RegistryWatch(database_url, max_age=3600)
    assert watch.records_at_once() is None   # nothing read yet
    watch.public_layer(LAYER)
    assert LAYER in watch.records_at_once()
    _sql(database_url, "UPDATE mapserver.layers SET published = false WHERE id = %s", LAYER)
    assert _soon(lambda: watch.records_at_once() is None)
    assert _hidden(watch)
    assert watch.records_at_once() is not None and _hidden(watch)
