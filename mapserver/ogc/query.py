"""SQL for reading features: GeoJSON is made by PostGIS, public columns only, values bound.

The page's features come back from the database as one JSON text, so Python
never builds a dict per feature: that is where the speed comes from.  Every
identifier is an ``sql.Identifier`` of a public field the caller has already
checked; every value is a bound parameter; every query carries a LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg2 import sql

from mapserver.layers.registry import LayerRecord
from mapserver.ogc.crs import STORAGE, STORAGE_SRID, Crs


def table(record: LayerRecord) -> sql.Composable:
    """Return the served version's table (the registry's name, never request text)."""
    return sql.SQL("layers.{}").format(sql.Identifier(record.table_name))


def public_types(record: LayerRecord) -> dict[str, str]:
    """Return public field name -> manifest type, in manifest order."""
    return {f.name: f.type for f in record.spec.public_fields}


def visible_types(record: LayerRecord, staff: bool) -> dict[str, str]:
    """Return the fields a reader may see: staff see every field, everyone else public ones."""
    if not staff:
        return public_types(record)
    return {f.name: f.type for f in record.spec.fields}


def geometry_json(crs: Crs = STORAGE) -> tuple[sql.Composable, list]:
    """Return the GeoJSON text expression of `t.geom` in `crs`, and its bound values.

    CRS84 is the stored geometry as it is.  Any other CRS is ST_Transform with
    the SRID bound as an integer, then ST_FlipCoordinates when the CRS's first
    axis is latitude or northing (EPSG:4326 among them).  Option 0 keeps
    PostGIS from adding the obsolete GeoJSON `crs` member.
    """
    if crs.is_storage:
        return sql.SQL("ST_AsGeoJSON(t.geom, 9)"), []
    geometry, values = sql.SQL("t.geom"), []
    if crs.srid != STORAGE_SRID:
        geometry, values = sql.SQL("ST_Transform({}, %s)").format(geometry), [int(crs.srid)]
    if crs.northing_first:
        geometry = sql.SQL("ST_FlipCoordinates({})").format(geometry)
    return sql.SQL("ST_AsGeoJSON({}, {}, 0)").format(geometry, sql.Literal(crs.decimals)), values


def feature_json(columns: list[str], geometry: sql.Composable | None = None) -> sql.Composable:
    """Return the SQL text expression of one GeoJSON Feature with the given columns.

    Built by concatenating text, not with json_build_object: casting each
    ST_AsGeoJSON result to json would make PostgreSQL parse every geometry
    again, which measured about half the cost of a 10,000-feature page.
    `geometry` is a geometry_json expression (CRS84 when not given).
    """
    if columns:
        names = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in columns)
        properties = sql.SQL("row_to_json((SELECT r FROM (SELECT {}) AS r))::text").format(names)
    else:
        properties = sql.SQL("'{}'")
    if geometry is None:
        geometry = geometry_json()[0]
    return sql.SQL("""'{{"type": "Feature", "id": ' || t.fid || ', "geometry": ' || """
                   """{} || ', "properties": ' || {} || '}}'""").format(geometry, properties)


def select_list(columns: list[str]) -> sql.Composable:
    """Return `fid, geom, <columns>`: never a staff column, not even inside a subquery."""
    return sql.SQL(", ").join([sql.Identifier("fid"), sql.Identifier("geom"),
                               *[sql.Identifier(c) for c in columns]])


@dataclass
class Where:
    """A WHERE clause under construction: conditions and their bound values, in order."""

    parts: list = field(default_factory=list)
    params: list = field(default_factory=list)

    def add(self, clause: sql.Composable, params=()) -> None:
        self.parts.append(clause)
        self.params.extend(params)

    def sql(self) -> sql.Composable:
        if not self.parts:
            return sql.SQL("")
        return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(self.parts)


def bbox_clause(where: Where, envelopes, srid: int = STORAGE_SRID) -> None:
    """Add `geom && box` (index-backed) for one box or the two halves of one crossing 180°.

    A box in another CRS (bbox-crs) is densified, then transformed to EPSG:4326:
    its edges bend there, and && compares with the bounds of the bent outline.
    """
    if not envelopes:
        return
    if srid == STORAGE_SRID:
        boxes = [sql.SQL("geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)") for _ in envelopes]
        values = [v for env in envelopes for v in env]
    else:
        box = sql.SQL("geom && ST_Transform(ST_Segmentize("
                      "ST_MakeEnvelope(%s, %s, %s, %s, %s), %s::float8), 4326)")
        boxes, values = [box for _ in envelopes], []
        for minx, miny, maxx, maxy in envelopes:
            step = max(maxx / 16 - minx / 16, maxy / 16 - miny / 16) or 1.0  # no overflow
            values += [minx, miny, maxx, maxy, int(srid), step]
    where.add(sql.SQL("({})").format(sql.SQL(" OR ").join(boxes)), values)


def equals_clause(where: Where, name: str, value) -> None:
    """Add `field = value` for a property filter (name already checked as public)."""
    where.add(sql.SQL("{} = %s").format(sql.Identifier(name)), [value])


def order_by(keys: list[tuple[str, bool]]) -> sql.Composable:
    """Return ORDER BY the keys then fid, so pages are stable and never overlap."""
    parts = [sql.SQL("{} {} NULLS LAST").format(sql.Identifier(n), sql.SQL("DESC" if d else "ASC"))
             for n, d in keys]
    parts.append(sql.SQL("fid"))
    return sql.SQL(" ORDER BY ") + sql.SQL(", ").join(parts)


def page(cur, record, where: Where, columns, keys, limit: int, offset: int,
         crs: Crs = STORAGE) -> tuple[str, int]:
    """Return (features as a JSON array text, how many features match) for one page."""
    # A sorted subquery feeds json_agg in its order (PostgreSQL documents this pattern).
    geometry, geometry_values = geometry_json(crs)
    query = sql.SQL(
        "SELECT '[' || coalesce(string_agg({feature}, ','), '') || ']', count(*) FROM ("
        "SELECT {select} FROM {table}{where}{order} LIMIT %s OFFSET %s) AS t"
    ).format(feature=feature_json(columns, geometry), select=select_list(columns),
             table=table(record), where=where.sql(), order=order_by(keys))
    cur.execute(query, [*geometry_values, *where.params, int(limit), int(offset)])
    features, returned = cur.fetchone()
    if 0 < returned < limit or (returned == 0 and offset == 0):
        return features, offset + returned  # the last page: no need to count
    cur.execute(sql.SQL("SELECT count(*) FROM {}{}").format(table(record), where.sql()),
                where.params)
    return features, cur.fetchone()[0]


def one(cur, record, fid: int, columns, crs: Crs = STORAGE) -> str | None:
    """Return one feature as JSON text, or None."""
    geometry, geometry_values = geometry_json(crs)
    cur.execute(sql.SQL("SELECT {} FROM {} AS t WHERE fid = %s").format(
        feature_json(columns, geometry), table(record)), [*geometry_values, int(fid)])
    row = cur.fetchone()
    return row[0] if row else None
