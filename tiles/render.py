"""Render a tile of one or several layers in one statement, within a byte budget.

The one place that runs the tile SQL: the web views, `mapserver tiles seed` and
the PMTiles export all come through here, through the cache or not.
"""

from __future__ import annotations

import logging

from .sql import tile_query

MAX_TILE_BYTES = 1_000_000     # past this, simplify harder (phones on mobile data)
COARSER_STEPS = (4.0, 16.0)    # tolerance multipliers tried in turn

MAX_STATEMENTS = 2048           # composed statements kept per process

log = logging.getLogger(__name__)
_STATEMENTS: dict[tuple, str] = {}


def render_tile(conn, records, z: int, x: int, y: int) -> bytes:
    """Return the MVT bytes of tile z/x/y holding `records` (b'' when nothing is there)."""
    data = _run(conn, records, z, x, y, 1.0)
    for coarser in COARSER_STEPS:
        if len(data) <= MAX_TILE_BYTES:
            break
        log.info("tile %s/%s/%s of %s is %d bytes: simplifying x%s", z, x, y,
                 ",".join(r.id for r in records), len(data), coarser)
        data = _run(conn, records, z, x, y, coarser)
    return data


def _run(conn, records, z, x, y, coarser: float) -> bytes:
    statement = _statement(conn, records, z, coarser)
    if not statement:
        return b""
    with conn.cursor() as cur:
        cur.execute(statement, {"x": int(x), "y": int(y)})
        row = cur.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def _statement(conn, records, z: int, coarser: float) -> str:
    """Return the tile statement of these layer versions at zoom z ('' when none applies).

    Composing it costs about as much as running a small tile (~0.2 ms), and it
    depends only on the layers' versions (a manifest never changes within one),
    the zoom and the coarseness: it is composed once per process and reused.
    """
    key = (tuple((r.id, r.version) for r in records), int(z), coarser)
    text = _STATEMENTS.get(key)
    if text is None:
        query = tile_query(records, z, coarser=coarser)
        text = query.as_string(conn) if query is not None else ""
        if len(_STATEMENTS) >= MAX_STATEMENTS:
            _STATEMENTS.clear()
        _STATEMENTS[key] = text
    return text


def cache_key(records) -> tuple[str, str]:
    """Return the (layers, version) folder names of a tile of these layers in the cache."""
    return ",".join(r.id for r in records), "-".join(str(r.version) for r in records)
