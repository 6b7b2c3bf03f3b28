"""The SQL of a vector tile: ST_AsMVT over the stored Web Mercator geometry, one layer or several.

Every layer's query filters with ``geom_3857 && ST_TileEnvelope(z, x, y, margin)``
so the GiST index on the stored 3857 column does the work, and no row is
transformed per request.  z, x, y and SRIDs go in as integers (a text CRS made
one peer's tiles 7 s instead of 1 ms); identifiers only through sql.Identifier,
taken from the layer's public fields, so a staff field can never be named.

Generalisation per zoom, so that low-zoom tiles stay small:

* below the layer's ``minzoom`` (or above its ``maxzoom``) the layer is left out;
* lines and polygons are simplified by a few units of the 4096 grid below
  ``SIMPLIFY_BELOW_ZOOM``, and those that would draw smaller than a screen pixel
  (area, or length for lines) are left out; ST_AsMVTGeom then snaps to the grid
  and drops what collapsed;
* points are clustered below ``CLUSTER_BELOW_ZOOM`` by snapping to a grid of
  ``CLUSTER_CELL_PX`` pixels: one feature per cell with a ``point_count`` property
  (its id is the lowest fid of the cell, the point itself when it is alone);
* at most ``MAX_FEATURES`` features per layer per tile (the largest first below
  ``SIMPLIFY_BELOW_ZOOM``), and a byte budget the renderer enforces by asking
  again ``coarser``: simplified more, and with a larger smallest size.
"""

from __future__ import annotations

from psycopg2 import sql

from mapserver.tiles.grid import BUFFER, EXTENT, pixel_size, tile_width

SIMPLIFY_BELOW_ZOOM = 14
SIMPLIFY_UNITS = 2.0          # tolerance, in units of the 4096 grid
CLUSTER_BELOW_ZOOM = 14
CLUSTER_CELL_PX = 16          # of a 256-pixel tile
MAX_FEATURES = 20_000
MARGIN = BUFFER / EXTENT      # ST_TileEnvelope's margin: 64/4096 of a tile
# Values MVT cannot hold natively are sent as their text form.
_AS_TEXT = {"date", "datetime"}


def in_zoom(record, z: int) -> bool:
    """Return whether the layer has tiles at zoom z."""
    low, high = record.spec.zooms
    return low <= z <= high


def clustered(record, z: int) -> bool:
    """Return whether a point layer is clustered at zoom z."""
    return record.manifest["geometry"] == "point" and z < CLUSTER_BELOW_ZOOM


def _public_columns(record) -> list[sql.Composable]:
    columns = []
    for f in record.spec.public_fields:
        ident = sql.SQL("t.{}").format(sql.Identifier(f.name))
        if f.type in _AS_TEXT:
            ident = sql.SQL("{}::text AS {}").format(ident, sql.Identifier(f.name))
        columns.append(ident)
    return columns


def _envelope(z: int, *, margin: bool = False) -> sql.Composable:
    """Return the tile's envelope; x and y stay placeholders, so a statement serves a zoom."""
    if margin:
        return sql.SQL("ST_TileEnvelope({}, %(x)s, %(y)s, margin => {})").format(
            sql.Literal(int(z)), sql.Literal(float(MARGIN)))
    return sql.SQL("ST_TileEnvelope({}, %(x)s, %(y)s)").format(sql.Literal(int(z)))


def _features(record, z: int, coarser: float) -> sql.Composable:
    """Return the SELECT of one layer's rows in a tile, geometry in tile coordinates."""
    table = sql.SQL("layers.{}").format(sql.Identifier(record.table_name))
    env, env_margin = _envelope(z), _envelope(z, margin=True)
    if clustered(record, z):
        cell = sql.Literal(tile_width(z) * CLUSTER_CELL_PX / 256.0)
        return sql.SQL(
            "SELECT min(t.fid) AS fid, count(*)::integer AS point_count,"
            " ST_AsMVTGeom(ST_Centroid(ST_Collect(t.geom_3857)), {env}, {extent}, {buffer}, true)"
            " AS geom FROM {table} t WHERE t.geom_3857 && {env_margin}"
            " GROUP BY ST_SnapToGrid(t.geom_3857, {cell}) LIMIT {limit}").format(
            env=env, extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER), table=table,
            env_margin=env_margin, cell=cell, limit=sql.Literal(MAX_FEATURES))
    geom = sql.SQL("t.geom_3857")
    order = tiny = sql.SQL("")
    kind = record.manifest["geometry"]
    if kind != "point" and (z < SIMPLIFY_BELOW_ZOOM or coarser > 1):
        tolerance = pixel_size(z) * SIMPLIFY_UNITS * coarser
        geom = sql.SQL("ST_Simplify(t.geom_3857, {})").format(sql.Literal(tolerance))
        # What would draw smaller than a pixel is left out, as tippecanoe does by default.
        screen_pixel = tile_width(z) / 256.0 * coarser
        tiny = (sql.SQL(" AND ST_Area(t.geom_3857) >= {}").format(sql.Literal(screen_pixel ** 2))
                if kind == "polygon" else
                sql.SQL(" AND ST_Length(t.geom_3857) >= {}").format(sql.Literal(screen_pixel)))
        # Under the feature budget the largest features are kept first.
        size = "ST_Area" if kind == "polygon" else "ST_Length"
        order = sql.SQL(" ORDER BY {}(t.geom_3857) DESC").format(sql.SQL(size))
    columns = sql.SQL(", ").join([sql.SQL("t.fid"), *_public_columns(record)])
    return sql.SQL(
        "SELECT {columns}, ST_AsMVTGeom({geom}, {env}, {extent}, {buffer}, true) AS geom"
        " FROM {table} t WHERE t.geom_3857 && {env_margin}{tiny}{order} LIMIT {limit}").format(
        columns=columns, geom=geom, env=env, extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER), table=table, env_margin=env_margin, tiny=tiny, order=order,
        limit=sql.Literal(MAX_FEATURES))


def layer_mvt(record, z: int, *, coarser: float = 1.0) -> sql.Composable:
    """Return an expression giving one layer's MVT bytes in a tile of zoom z (empty: '')."""
    return sql.SQL(
        "(SELECT COALESCE(ST_AsMVT(q, {name}, {extent}, 'geom', 'fid'), ''::bytea)"
        " FROM ({features}) q WHERE q.geom IS NOT NULL)").format(
        name=sql.Literal(record.id), extent=sql.Literal(EXTENT),
        features=_features(record, z, coarser))


def tile_query(records, z: int, *, coarser: float = 1.0) -> sql.Composable | None:
    """Return the one statement that builds a tile of zoom z, or None if no layer applies.

    The tile's column and row are left as the parameters ``%(x)s`` and ``%(y)s``: the
    statement depends only on the layers' versions and the zoom, so it is composed
    once and reused for every tile of that zoom.
    The layers' tiles are concatenated (``a || b``): an MVT is a list of layers,
    so the concatenation of valid tiles is a valid tile.
    """
    parts = [layer_mvt(r, z, coarser=coarser) for r in records if in_zoom(r, z)]
    if not parts:
        return None
    return sql.SQL("SELECT {}").format(sql.SQL(" || ").join(parts))
