"""Which table serves a layer: version numbers, the registry pointer, the stable view,
and the public role's right to read the public columns of each version.

Light on purpose (psycopg2 and the manifest model only): loads, edits, descriptions
and rollbacks all move the pointer through here, and the web workers import it
without the ingest stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extras import Json

from mapserver.db_roles import role_name
from mapserver.errors import Conflict
from mapserver.layers.manifest import Manifest

VIEW_LOCK_TIMEOUT_S = 10
SWAP_LOCK_TIMEOUT_S = 5
BUSY = "the layer is being read or changed; try again"
STORED_TYPES = {"point": "Point", "line": "MultiLineString", "polygon": "MultiPolygon"}


def _public_columns(manifest: dict) -> sql.Composable:
    """Return the columns anybody may read: fid, the public fields, the geometries."""
    public = Manifest(raw=manifest).public_field_names
    return sql.SQL(", ").join(sql.Identifier(c) for c in ["fid", *public, "geom", "geom_3857"])


def grant_public_read(cur, table: str, manifest: dict) -> None:
    """Let the public role read a new version table's public columns, and nothing else.

    Column privileges hold below the application: a public request's query cannot
    read a staff-only field even if it were injected (migration 014).
    """
    cur.execute(sql.SQL("GRANT SELECT ({}) ON layers.{} TO {}").format(
        _public_columns(manifest), sql.Identifier(table),
        sql.Identifier(role_name(cur, "public"))))


def _replace_view(cur, layer_id: str, table: str, manifest: dict) -> None:
    """Point the stable view layers."<id>" at a version: its public columns only.

    The view is for the database's own clients (QGIS, ogr2ogr, other servers), so
    like every other output it never shows a staff-only field.
    """
    view, target = sql.Identifier(layer_id), sql.Identifier(table)
    select = sql.SQL("SELECT {} FROM layers.{}").format(_public_columns(manifest), target)
    # A session reading the view inside a long transaction would hold the swap,
    # and every reader queued behind it: give up instead, the old version stays.
    bound_lock_wait(cur, VIEW_LOCK_TIMEOUT_S)
    cur.execute("SAVEPOINT replace_view")
    try:
        cur.execute(sql.SQL("CREATE OR REPLACE VIEW layers.{} AS {}").format(view, select))
    except psycopg2.errors.LockNotAvailable:
        raise Conflict(f"{BUSY} (layer '{layer_id}': a long-running reader holds the view "
                       f"layers.\"{layer_id}\")", fix="try again in a moment") from None
    except psycopg2.Error:
        # The columns changed: only a new view fits.  Readers of the app never use
        # the view (they follow the registry), so dropping it is safe.
        cur.execute("ROLLBACK TO SAVEPOINT replace_view")
        cur.execute(sql.SQL("DROP VIEW IF EXISTS layers.{}").format(view))
        cur.execute(sql.SQL("CREATE VIEW layers.{} AS {}").format(view, select))
    cur.execute("RELEASE SAVEPOINT replace_view")
    cur.execute("SET LOCAL lock_timeout = 0")
    # A view made anew has no grants: the public role reads it like the public columns.
    cur.execute(sql.SQL("GRANT SELECT ON layers.{} TO {}").format(
        view, sql.Identifier(role_name(cur, "public"))))


def bound_lock_wait(cur, cap_s: float) -> None:
    """Wait at most `cap_s` for any lock in this transaction, and under half the statement timeout.

    A lock wait that outlived the statement timeout ended as "the query took too
    long" (503); bounded below it, it ends as LockNotAvailable, which the caller
    turns into a clear 409.  Without a statement timeout (the CLI) `cap_s` holds.
    """
    cur.execute("SELECT set_config('lock_timeout', least(%s * 1000, coalesce(nullif("
                "extract(epoch FROM current_setting('statement_timeout')::interval) * 500, 0),"
                " %s * 1000))::int::text, true)", (cap_s, cap_s))


@contextmanager
def registry_row_locked(cur, layer_id: str) -> Iterator[None]:
    """Run the statements that lock a layer's registry row; a lock not had in time is a 409.

    Loads, edits, rollbacks and publishing queue on that row; one that waited past
    the statement timeout used to end as a 503 ("the query took too long").
    """
    bound_lock_wait(cur, SWAP_LOCK_TIMEOUT_S)
    try:
        yield
    except psycopg2.errors.LockNotAvailable:
        raise Conflict(f"{BUSY} (layer '{layer_id}')", fix="try again in a moment") from None
    cur.execute("SET LOCAL lock_timeout = 0")


def lock_layer(cur, layer_id: str, manifest_raw: dict, *, published: bool,
               expected_version: int | None) -> int:
    """Lock a layer's registry row (creating it if new) and return the next version number.

    Two changes of one layer queue here; with `expected_version` the later one
    fails with a conflict instead of silently replacing the first one's work.
    A change that cannot get the lock in time (another load or edit of the layer
    is under way) is a conflict too, never a timeout.
    Version numbers only grow, also after a rollback to an older version.
    """
    with registry_row_locked(cur, layer_id):
        cur.execute("INSERT INTO mapserver.layers (id, manifest, published) VALUES (%s, %s, %s)"
                    " ON CONFLICT (id) DO NOTHING", (layer_id, Json(manifest_raw), published))
        cur.execute("SELECT version FROM mapserver.layers WHERE id = %s FOR UPDATE",
                    (layer_id,))
        current = cur.fetchone()[0]
    if expected_version is not None and current != expected_version:
        raise Conflict(f"layer '{layer_id}' was changed by someone else (now version "
                       f"{current}, you started from {expected_version})",
                       fix="reload the page, review the new version and try again")
    cur.execute("SELECT coalesce(max(version), 0) + 1 FROM mapserver.layer_versions"
                " WHERE layer_id = %s", (layer_id,))
    return cur.fetchone()[0]



def make_current(cur, layer_id: str, version: int, table: str, manifest_raw: dict,
                 count: int, bbox, checksum: str | None, report: dict) -> None:
    """Record a new version whose table is ready, and point the registry and view at it."""
    grant_public_read(cur, table, manifest_raw)
    report_json = Json(json.loads(json.dumps(report, default=str)))
    geometry_type = STORED_TYPES[manifest_raw["geometry"]]
    cur.execute(
        "INSERT INTO mapserver.layer_versions (layer_id, version, table_name, manifest,"
        " geometry_type, feature_count, bbox, source_checksum, load_report)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (layer_id, version, table, Json(manifest_raw), geometry_type, count, bbox,
         checksum or "", report_json))
    point_registry_at(cur, layer_id, version)



def point_registry_at(cur, layer_id: str, version: int) -> None:
    """Serve an existing version (a new one, or an older one on rollback)."""
    cur.execute(
        "UPDATE mapserver.layers l SET version = v.version, table_name = v.table_name,"
        " manifest = v.manifest, geometry_type = v.geometry_type,"
        " feature_count = v.feature_count, bbox = v.bbox, source_checksum = v.source_checksum,"
        " loaded_at = v.loaded_at, load_report = v.load_report"
        " FROM mapserver.layer_versions v WHERE l.id = %s AND v.layer_id = l.id"
        " AND v.version = %s RETURNING v.table_name, v.manifest", (layer_id, version))
    table, manifest = cur.fetchone()
    _replace_view(cur, layer_id, table, manifest)



def drop_old_versions(conn, layer_id: str, keep: int) -> list[str]:
    """Keep the served version and the newest others up to `keep` in all; drop the rest.

    Their history rows stay, so the registry still tells what each version was.
    """
    with conn.cursor() as cur:
        cur.execute(
            "SELECT v.table_name FROM mapserver.layer_versions v JOIN mapserver.layers l"
            " ON l.id = v.layer_id WHERE v.layer_id = %s AND NOT v.table_dropped"
            " AND v.version <> l.version ORDER BY v.version DESC OFFSET %s",
            (layer_id, max(keep - 1, 0)))
        tables = [row[0] for row in cur.fetchall()]
        # A reader still on an old version must not be blocked behind a DROP: drop
        # what can be dropped at once and leave the rest for the next load.
        bound_lock_wait(cur, 1)
        dropped = []
        for table in tables:
            cur.execute("SAVEPOINT drop_one")
            try:
                cur.execute(sql.SQL("DROP TABLE IF EXISTS layers.{}").format(
                    sql.Identifier(table)))
                dropped.append(table)
            except psycopg2.errors.LockNotAvailable:
                cur.execute("ROLLBACK TO SAVEPOINT drop_one")
        tables = dropped
        cur.execute("UPDATE mapserver.layer_versions SET table_dropped = true"
                    " WHERE layer_id = %s AND table_name = ANY(%s)", (layer_id, tables))
    conn.commit()
    return tables
