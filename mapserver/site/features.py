"""Small GeoJSON reads for the residents' map: features in a box, and one feature in full.

The map draws dense layers from vector tiles; these reads serve the small point
layers, popups, the list view and the fallback when no tile server answers.
Only public fields ever leave: column names are checked against the layer's
public fields and passed as identifiers, values as parameters.
"""

from __future__ import annotations

import json

from psycopg2 import sql

from mapserver.errors import InvalidParameter, NotFound
from mapserver.layers.registry import LayerRecord
from mapserver.params import parse_int

MAX_ROWS = 3000  # a box answers at most this many features, flagged as truncated


def parse_fid(text: str) -> int:
    """Return a feature id from a path segment, or raise NotFound (ids are whole numbers)."""
    try:
        return parse_int(text, "feature id")
    except InvalidParameter:
        raise NotFound(f"there is no feature '{text[:40]}'",
                       fix="feature ids are whole numbers") from None


def label_field(record: LayerRecord) -> str | None:
    """Return the public field that names a feature to a person (the manifest's id_field)."""
    chosen = record.spec.id_field
    if chosen in record.public_field_names:
        return chosen
    texts = [f.name for f in record.spec.public_fields if f.type == "text"]
    return texts[0] if texts else None


def _table(record: LayerRecord) -> sql.Composable:
    return sql.SQL("layers.{}").format(sql.Identifier(record.table_name))


def features_in_bbox(conn, record: LayerRecord, bbox, *, limit: int = MAX_ROWS) -> str:
    """Return, as GeoJSON text, the features touching bbox with their fid, label and address.

    PostGIS writes each feature's JSON itself: parsing and re-serialising thousands
    of geometries in Python cost more than the query.
    """
    label = label_field(record)
    name = sql.Identifier(label) if label else sql.SQL("NULL")
    props = [sql.SQL("'fid', fid"), sql.SQL("'label', {}::text").format(name)]
    if "address" in record.public_field_names and label != "address":
        props.append(sql.SQL("'address', {}").format(sql.Identifier("address")))
    query = sql.SQL(
        "SELECT json_build_object('type', 'Feature', 'id', fid,"
        " 'geometry', ST_AsGeoJSON(geom, 6)::json, 'properties', json_build_object({props}))::text"
        " FROM {table} WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
        " ORDER BY fid LIMIT %s").format(props=sql.SQL(", ").join(props), table=_table(record))
    with conn.cursor() as cur:
        cur.execute(query, (*bbox, int(limit) + 1))
        rows = [row[0] for row in cur.fetchall()]
    truncated = len(rows) > limit
    head = json.dumps({"type": "FeatureCollection", "layer": record.id,
                       "version": record.version, "truncated": truncated})[:-1]
    return head + ', "features": [' + ",".join(rows[:limit]) + "]}"


def one_feature(conn, record: LayerRecord, fid: int) -> dict:
    """Return one feature with every public field, its geometry and its bbox."""
    names = record.public_field_names
    columns = [sql.Identifier(n) for n in names]
    query = sql.SQL(
        "SELECT {columns}, ST_AsGeoJSON(geom, 6), ST_XMin(geom), ST_YMin(geom), ST_XMax(geom),"
        " ST_YMax(geom) FROM {table} WHERE fid = %s").format(
            columns=sql.SQL(", ").join(columns), table=_table(record))
    with conn.cursor() as cur:
        cur.execute(query, (fid,))
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"layer '{record.id}' has no feature {fid}",
                       fix="search or browse the map for the feature")
    values = row[:len(names)]
    geometry, *bbox = row[len(names):]
    properties = {n: (v.isoformat() if hasattr(v, "isoformat") else v)
                  for n, v in zip(names, values, strict=True)}
    return {"type": "Feature", "id": fid, "layer": record.id, "bbox": bbox,
            "geometry": json.loads(geometry), "properties": properties}
