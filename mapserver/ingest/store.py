"""Writing a layer to PostGIS: a staging table filled by COPY, then one atomic swap.

The staging table is created inside the load's transaction, so nobody sees it
and a failed load leaves nothing behind.  Each version keeps its own table
``layers."<id>__v<N>"``; the swap renames the staging table to it and moves the
registry pointer and the stable view ``layers."<id>"`` in the same commit.
"""

from __future__ import annotations

import io
import secrets

import numpy as np
import pandas as pd
import psycopg2
import psycopg2.errors
import shapely
from psycopg2 import sql

from mapserver.errors import InvalidData
from mapserver.ingest.geometry import STORAGE_SRID
from mapserver.ingest.swap import STORED_TYPES, lock_layer, make_current


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
    # The map's search box matches these fields by substring and trigram similarity.
    for field in manifest.searchable_fields:
        cur.execute(sql.SQL("CREATE INDEX ON layers.{} USING gin ({} gin_trgm_ops)").format(
            table, sql.Identifier(field.name)))
    cur.execute(sql.SQL("ANALYZE layers.{}").format(table))
    cur.execute(sql.SQL(
        "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
        " FROM (SELECT count(*) AS n, ST_Extent(geom) AS e FROM layers.{}) s").format(table))
    count, *bbox = cur.fetchone()
    return count, (bbox if count else None)


def _rename_indexes(cur, staging: str, table: str) -> None:
    """Give the version's indexes names that say whose they are (not the staging table's)."""
    cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'layers'"
                " AND tablename = %s", (table,))
    for (name,) in cur.fetchall():
        if name.startswith(staging):
            new = (table[:40] + name[len(staging):])[:63]
            cur.execute(sql.SQL("ALTER INDEX layers.{} RENAME TO {}").format(
                sql.Identifier(name), sql.Identifier(new)))


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
    _rename_indexes(cur, staging, table)
    report.version = version
    make_current(cur, manifest.id, version, table, manifest.raw, count, bbox, report.checksum,
                 report.to_dict())
    return version


