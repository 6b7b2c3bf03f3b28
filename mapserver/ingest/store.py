"""Writing a layer to PostGIS: a staging table filled by COPY, then one atomic swap.

The staging table is created inside the load's transaction, so nobody sees it
and a failed load leaves nothing behind.  Each version keeps its own table
``layers."<id>__v<N>"``; the swap renames the staging table to it and moves the
registry pointer and the stable view ``layers."<id>"`` in the same commit.
"""

from __future__ import annotations

import io
import json
import secrets

import numpy as np
import pandas as pd
import psycopg2
import psycopg2.errors
import shapely
from psycopg2 import sql
from psycopg2.extras import Json

from ..errors import Conflict, InvalidData
from .geometry import STORAGE_SRID

VIEW_LOCK_TIMEOUT_S = 10
STORED_TYPES = {"point": "Point", "line": "MultiLineString", "polygon": "MultiPolygon"}


def create_staging(cur, manifest) -> str:
    """Create the hidden table a new version is loaded into; return its name."""
    name = f"_staging_{manifest.id.replace('-', '_')}_{secrets.token_hex(4)}"
    geometry_type = STORED_TYPES[manifest.geometry]
    columns = [sql.SQL("fid bigint PRIMARY KEY")]
    columns += [sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(f.pg_type))
                for f in manifest.fields]
    columns.append(sql.SQL("geom geometry({}, {}) NOT NULL").format(
        sql.SQL(geometry_type), sql.Literal(STORAGE_SRID)))
    # Tiles read this column: Web Mercator stored once, never transformed per request.
    columns.append(sql.SQL(
        "geom_3857 geometry({}, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED"
    ).format(sql.SQL(geometry_type)))
    cur.execute(sql.SQL("CREATE TABLE layers.{} ({})").format(
        sql.Identifier(name), sql.SQL(", ").join(columns)))
    return name


def copy_batch(cur, staging: str, manifest, fids: np.ndarray, frame: pd.DataFrame,
               geometries: np.ndarray, source_name: str) -> None:
    """Append one batch to the staging table through COPY (CSV, written by pandas in C).

    Text values are never empty strings here (ingest turns blanks into missing
    values), so CSV's unquoted empty field can stand for NULL.
    """
    names = [f.name for f in manifest.fields]
    wkb = shapely.to_wkb(shapely.set_srid(geometries, STORAGE_SRID), hex=True, include_srid=True)
    rows = frame[names].copy()
    rows.insert(0, "fid", fids)
    rows["geom"] = wkb
    buffer = io.StringIO()
    rows.to_csv(buffer, header=False, index=False, lineterminator="\n")
    buffer.seek(0)
    statement = sql.SQL("COPY layers.{} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(staging),
        sql.SQL(", ").join(sql.Identifier(n) for n in ["fid", *names, "geom"]))
    try:
        cur.copy_expert(statement, buffer)
    except psycopg2.DataError as exc:
        message = exc.diag.message_primary or "a value was refused"
        raise InvalidData(source_name, f"the database refused a feature: {message}",
                          fix="check the values of the fields named") from None


def _index_and_measure(cur, staging: str, manifest) -> tuple[int, list | None]:
    table = sql.Identifier(staging)
    cur.execute(sql.SQL("CREATE INDEX ON layers.{} USING gist (geom)").format(table))
    cur.execute(sql.SQL("CREATE INDEX ON layers.{} USING gist (geom_3857)").format(table))
    id_field = manifest.raw.get("id_field")
    if id_field:
        cur.execute(sql.SQL("CREATE INDEX ON layers.{} ({})").format(
            table, sql.Identifier(id_field)))
    cur.execute(sql.SQL("ANALYZE layers.{}").format(table))
    cur.execute(sql.SQL(
        "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
        " FROM (SELECT count(*) AS n, ST_Extent(geom) AS e FROM layers.{}) s").format(table))
    count, *bbox = cur.fetchone()
    return count, (bbox if count else None)


def _replace_view(cur, layer_id: str, table: str) -> None:
    view, target = sql.Identifier(layer_id), sql.Identifier(table)
    # A session reading the view inside a long transaction would hold the swap,
    # and every reader queued behind it: give up instead, the old version stays.
    cur.execute("SET LOCAL lock_timeout = %s", (f"{VIEW_LOCK_TIMEOUT_S}s",))
    cur.execute("SAVEPOINT replace_view")
    try:
        cur.execute(sql.SQL("CREATE OR REPLACE VIEW layers.{} AS SELECT * FROM layers.{}")
                    .format(view, target))
    except psycopg2.errors.LockNotAvailable:
        raise Conflict(f"layer '{layer_id}' is held by a long-running reader of the view "
                       f"layers.\"{layer_id}\"", fix="try the load again in a moment") from None
    except psycopg2.Error:
        # The columns changed: only a new view fits.  Readers of the app never use
        # the view (they follow the registry), so dropping it is safe.
        cur.execute("ROLLBACK TO SAVEPOINT replace_view")
        cur.execute(sql.SQL("DROP VIEW IF EXISTS layers.{}").format(view))
        cur.execute(sql.SQL("CREATE VIEW layers.{} AS SELECT * FROM layers.{}")
                    .format(view, target))
    cur.execute("RELEASE SAVEPOINT replace_view")
    cur.execute("SET LOCAL lock_timeout = 0")


def lock_layer(cur, layer_id: str, manifest_raw: dict, *, published: bool,
               expected_version: int | None) -> int:
    """Lock a layer's registry row (creating it if new) and return the next version number.

    Two changes of one layer queue here; with `expected_version` the later one
    fails with a conflict instead of silently replacing the first one's work.
    Version numbers only grow, also after a rollback to an older version.
    """
    cur.execute("INSERT INTO mapserver.layers (id, manifest, published) VALUES (%s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING", (layer_id, Json(manifest_raw), published))
    cur.execute("SELECT version FROM mapserver.layers WHERE id = %s FOR UPDATE", (layer_id,))
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
        " AND v.version = %s RETURNING v.table_name", (layer_id, version))
    (table,) = cur.fetchone()
    _replace_view(cur, layer_id, table)


def swap_in(cur, manifest, staging: str, report, *, published: bool,
            expected_version: int | None = None) -> int:
    """Make the staging table the served version of its layer; return the new version.

    Runs inside the load's transaction: nothing is visible until the caller commits.
    """
    count, bbox = _index_and_measure(cur, staging, manifest)
    report.loaded = count
    version = lock_layer(cur, manifest.id, manifest.raw, published=published,
                         expected_version=expected_version)
    table = f"{manifest.id}__v{version}"
    cur.execute(sql.SQL("ALTER TABLE layers.{} RENAME TO {}").format(
        sql.Identifier(staging), sql.Identifier(table)))
    report.version = version
    make_current(cur, manifest.id, version, table, manifest.raw, count, bbox, report.checksum,
                 report.to_dict())
    return version


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
        cur.execute("SET LOCAL lock_timeout = '1s'")
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
