"""Render a tile of one or several layers in one statement, within a byte budget.

The one place that runs the tile SQL: the web views, `mapserver tiles seed` and
the PMTiles export all come through here, through the cache or not.

A tile statement depends only on the layers' versions (a manifest never changes
within one), the zoom and the coarseness, so it is composed once per process
(composing cost about as much as running a small tile, ~0.2 ms).  On the web
path (autocommit connections) it is also PREPAREd once per database session, so
PostGIS skips parsing and planning for every further tile of that zoom (~0.15 ms,
an eighth of a z17 tile).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref

import psycopg2.errors

from mapserver.tiles.sql import tile_query

MAX_TILE_BYTES = 500_000       # past this, generalise harder (tippecanoe's default limit)
COARSER_STEPS = (4.0, 16.0)    # tolerance multipliers tried in turn
MAX_STATEMENTS = 2048          # composed statements kept per process
MAX_PREPARED = 256             # prepared statements kept per database session

log = logging.getLogger(__name__)
_STATEMENTS: dict[tuple, tuple[str, str]] = {}   # key -> (text, prepared name)
# The statements prepared in each pooled connection's session, by name.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PREPARED_LOCK = threading.Lock()


def render_tile(conn, records, z: int, x: int, y: int) -> bytes:
    """Return the MVT bytes of tile z/x/y holding `records` (b'' when nothing is there)."""
    data = _run(conn, records, z, x, y, 1.0)
    for coarser in COARSER_STEPS:
        if len(data) <= MAX_TILE_BYTES:
            break
        log.info("tile %s/%s/%s of %s is %d bytes: generalising x%s", z, x, y,
                 ",".join(r.id for r in records), len(data), coarser)
        data = _run(conn, records, z, x, y, coarser)
    return data


def _run(conn, records, z, x, y, coarser: float) -> bytes:
    statement, name = _statement(conn, records, z, coarser)
    if not statement:
        return b""
    with conn.cursor() as cur:
        if conn.autocommit:
            _execute_prepared(conn, cur, statement, name, int(x), int(y))
        else:
            # In a transaction a failed EXECUTE would abort it: run the text itself.
            cur.execute(statement, {"x": int(x), "y": int(y)})
        row = cur.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def _execute_prepared(conn, cur, statement: str, name: str, x: int, y: int) -> None:
    with _PREPARED_LOCK:
        prepared = _PREPARED.setdefault(conn, set())
    if name not in prepared:
        if len(prepared) >= MAX_PREPARED:
            cur.execute("DEALLOCATE ALL")
            prepared.clear()
        try:
            cur.execute(f"PREPARE {name} (integer, integer) AS " +
                        statement.replace("%(x)s", "$1").replace("%(y)s", "$2"))
        except psycopg2.errors.DuplicatePreparedStatement:
            pass   # prepared earlier in this session by a caller that forgot it
        prepared.add(name)
    try:
        cur.execute(f"EXECUTE {name} (%s, %s)", (x, y))
    except psycopg2.errors.InvalidSqlStatementName:
        # The session was replaced under us (a pooler, a reconnect): run it plainly.
        prepared.discard(name)
        cur.execute(statement, {"x": x, "y": y})


def _statement(conn, records, z: int, coarser: float) -> tuple[str, str]:
    """Return the tile statement of these layer versions at zoom z ('' when none applies)
    and the name it is prepared under (a digest of its text)."""
    key = (tuple((r.id, r.version) for r in records), int(z), coarser)
    found = _STATEMENTS.get(key)
    if found is None:
        query = tile_query(records, z, coarser=coarser)
        text = query.as_string(conn) if query is not None else ""
        found = (text, "tile_" + hashlib.blake2b(text.encode(), digest_size=10).hexdigest())
        if len(_STATEMENTS) >= MAX_STATEMENTS:
            _STATEMENTS.clear()
        _STATEMENTS[key] = found
    return found


def cache_key(records) -> tuple[str, str]:
    """Return the (layers, version) folder names of a tile of these layers in the cache."""
    return ",".join(r.id for r in records), "-".join(str(r.version) for r in records)
