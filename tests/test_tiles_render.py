"""The tile statement: prepared once per database session on the web path, same bytes."""

from __future__ import annotations

import mapbox_vector_tile
import pytest

from mapserver.db import connect
from mapserver.layers import registry
from mapserver.tiles.grid import lonlat_to_tile
from mapserver.tiles.render import render_tile

CENTRAL = (-71.1037, 42.3656)


@pytest.fixture
def sessions(database_url, demo_city):
    """Two connections: autocommit (as the web path lends them) and transactional."""
    web, batch = connect(database_url), connect(database_url)
    web.autocommit = True
    yield web, batch
    web.close()
    batch.close()


def _prepared_names(conn) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cur.fetchall()}


@pytest.mark.parametrize("z", [12, 15, 17])
def test_prepared_and_plain_statements_give_the_same_tile(sessions, z):
    web, batch = sessions
    x, y = lonlat_to_tile(*CENTRAL, z)
    records = [registry.get(web, "parcels"), registry.get(web, "streets")]
    plain = render_tile(batch, records, z, x, y)
    assert not _prepared_names(batch)
    first, again = render_tile(web, records, z, x, y), render_tile(web, records, z, x, y)
    assert first == again == plain
    assert len(_prepared_names(web)) == 1   # one statement for the zoom, reused
    layers = mapbox_vector_tile.decode(first)
    assert set(layers) <= {"parcels", "streets"} and layers


def test_a_session_that_lost_its_statements_still_renders(sessions):
    web, _ = sessions
    x, y = lonlat_to_tile(*CENTRAL, 16)
    records = [registry.get(web, "parcels")]
    expected = render_tile(web, records, 16, x, y)
    with web.cursor() as cur:
        cur.execute("DEALLOCATE ALL")   # as a pooler handing over another session would
    assert render_tile(web, records, 16, x, y) == expected
    assert render_tile(web, records, 16, x + 1, y) != expected
