"""Vector tiles over HTTP: XYZ tiles, composite tiles, TileJSON and OGC API - Tiles.

Routes only gather the path, look the layers up in the worker's copy of the
registry (published ones only; see registry_watch) and call the `tiles` package.  Answers:

* a tile with features: 200, ``application/vnd.mapbox-vector-tile``;
* an empty tile (nothing there, or a zoom outside the layer's minzoom..maxzoom):
  always **204 No Content**, with the same ETag and Cache-Control as a full tile;
* ``ETag`` = layers, versions and z/x/y; ``If-None-Match`` → 304 without rendering;
* ``Cache-Control``: a year and immutable when the URL names the served version
  (``?v=<version>``, as the TileJSON template does), else ``TILE_MAX_AGE`` seconds;
* a malformed address → 400, an unknown or unpublished layer → 404 (JSON body).

The /ogc/collections/{id}/tiles routes live here, not in the OGC Features
blueprint, so the two parts can change independently.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, jsonify, request

from tiles import metadata
from tiles.cache import TileCache
from tiles.grid import parse_tile
from tiles.render import cache_key, render_tile

from ..errors import InvalidParameter, NotFound
from . import database, published

blueprint = Blueprint("tiles", __name__)

MAX_COMPOSITE = 10
TILE_MAX_AGE = 300
IMMUTABLE = "public, max-age=31536000, immutable"
_LAYER_ID = re.compile(r"[a-z][a-z0-9-]{1,47}")


def tile_cache() -> TileCache:
    """Return the app's tile cache (made on first use, one per worker process)."""
    ext = current_app.extensions
    if "mapserver.tiles" not in ext:
        ext["mapserver.tiles"] = TileCache(ext["mapserver.settings"].tiles_cache)
    return ext["mapserver.tiles"]


def _layer_ids(text: str) -> list[str]:
    """Split 'a,b,c' into layer ids, first occurrence kept, checked for shape and count."""
    ids: list[str] = []
    for part in text.split(","):
        if not part:
            raise InvalidParameter(f"layer list '{text[:100]}' has an empty name",
                                   fix="separate layer ids with single commas: a,b,c")
        if not _LAYER_ID.fullmatch(part):
            raise NotFound(f"no published layer '{part[:48]}'", fix="see /layers for the ids")
        if part not in ids:
            ids.append(part)
        if len(ids) > MAX_COMPOSITE:
            raise InvalidParameter(f"more than {MAX_COMPOSITE} layers in one tile",
                                   fix=f"ask for at most {MAX_COMPOSITE} layers, or several tiles")
    return ids


def _tile_response(ids: list[str], z, x, y) -> Response:
    z, x, y = parse_tile(z, x, y)
    records = [published().public_layer(layer_id) for layer_id in ids]
    key, version = cache_key(records)
    etag = f'"{key}@{version}/{z}/{x}/{y}"'
    wanted = request.args.get("v")
    cache_control = IMMUTABLE if wanted == version else f"public, max-age={TILE_MAX_AGE}"
    headers = {"ETag": etag, "Cache-Control": cache_control,
               "Access-Control-Allow-Origin": "*"}
    if etag in _if_none_match():
        return Response(status=304, headers=headers)

    def render() -> bytes:
        # Only a miss borrows a database connection; a hit is a file read.
        with database().connection(read_only=True) as conn:
            return render_tile(conn, records, z, x, y)

    data, cached = tile_cache().get_or_render(key, version, z, x, y, render,
                                             write_behind=True)
    headers["X-Tile-Cache"] = "hit" if cached else "miss"
    if not data:
        return Response(status=204, headers=headers, mimetype=metadata.MVT)
    return Response(data, status=200, headers=headers, mimetype=metadata.MVT)


def _if_none_match() -> set[str]:
    raw = request.headers.get("If-None-Match", "")
    return {part.strip().removeprefix("W/") for part in raw.split(",") if part.strip()}


@blueprint.get("/tiles/<layers>/<z>/<x>/<y>.mvt")
def tile(layers: str, z: str, x: str, y: str):
    """Return one vector tile of a layer, or of several comma-separated layers."""
    return _tile_response(_layer_ids(layers), z, x, y)


@blueprint.get("/tiles/<layer>.json")
def tilejson(layer: str):
    """Return the TileJSON 3.0.0 description of a layer's tiles."""
    record = published().public_layer(layer)
    template = (request.url_root.rstrip("/") +
                f"/tiles/{record.id}/{{z}}/{{x}}/{{y}}.mvt?v={record.version}")
    response = jsonify(metadata.tilejson(record, template))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={TILE_MAX_AGE}"
    return response


def _ogc_base(record) -> str:
    return request.url_root.rstrip("/") + f"/ogc/collections/{record.id}/tiles"


@blueprint.get("/ogc/collections/<collection>/tiles")
def ogc_tilesets(collection: str):
    """List the tilesets of a collection (one: vector tiles in WebMercatorQuad)."""
    record = published().public_layer(collection)
    base = _ogc_base(record)
    entry = {
        "title": record.manifest["title"]["en"],
        "dataType": "vector",
        "crs": metadata.CRS_3857,
        "tileMatrixSetURI": metadata.WEB_MERCATOR_QUAD,
        "links": [
            {"rel": "self", "type": "application/json", "href": base + "/WebMercatorQuad",
             "title": "Tileset metadata"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
             "type": "application/json", "href": metadata.WEB_MERCATOR_QUAD},
            {"rel": "item", "type": metadata.MVT, "templated": True,
             "href": base + "/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"},
        ],
    }
    return jsonify({"links": [{"rel": "self", "type": "application/json", "href": base}],
                    "tilesets": [entry]})


@blueprint.get("/ogc/collections/<collection>/tiles/WebMercatorQuad")
def ogc_tileset(collection: str):
    """Return the tileset metadata of a collection in WebMercatorQuad."""
    record = published().public_layer(collection)
    return jsonify(metadata.tileset(record, _ogc_base(record) + "/WebMercatorQuad"))


@blueprint.get("/ogc/collections/<collection>/tiles/<matrix_set>/<tile_matrix>/<tile_row>/"
               "<tile_col>")
def ogc_tile(collection: str, matrix_set: str, tile_matrix: str, tile_row: str, tile_col: str):
    """Return one vector tile (tileRow is XYZ's y, tileCol its x)."""
    if matrix_set != "WebMercatorQuad":
        raise NotFound(f"no tile matrix set '{matrix_set[:40]}'",
                       fix="the only one served is WebMercatorQuad")
    return _tile_response([collection], tile_matrix, tile_col, tile_row)
