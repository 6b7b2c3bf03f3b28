"""Vector tiles over HTTP: XYZ tiles, composite tiles, TileJSON and OGC API - Tiles.

Routes only gather the request's parts and call `tile_answer`, which looks the
layers up in the worker's copy of the registry (published ones only; see
registry_watch) and answers from the tile cache; its docstring lists the answers.
Most tile GETs never reach these routes: `tile_fastpath` answers them before
Flask, with the same function, and hands anything ending in an error to Flask.

The /ogc/collections/{id}/tiles routes live here, not in the OGC Features
blueprint, so the two parts can change independently.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from mapserver.errors import NotFound
from mapserver.tiles import metadata
from mapserver.tiles.cache import TileCache
from mapserver.tileserver import answer
from mapserver.tileserver.fastpath import TILE_ERROR
from mapserver.web import published
from mapserver.web.links import site_root

blueprint = Blueprint("tiles", __name__)


def tile_cache() -> TileCache:
    """Return the app's tile cache (made on first use, one per worker process)."""
    return answer.tile_cache(current_app.extensions)


def _tile_response(ids: list[str], z, x, y) -> Response:
    failed = request.environ.pop(TILE_ERROR, None)
    if failed is not None:   # the fast path met it already: do not do the work again
        raise failed
    found = answer.answer(current_app.extensions, ids, z, x, y,
                               wanted_version=request.args.get("v"),
                               if_none_match=request.headers.get("If-None-Match", ""))
    return Response(found.body or None, status=found.status, headers=found.headers)


@blueprint.get("/tiles/<layers>/<z>/<x>/<y>.mvt")
def tile(layers: str, z: str, x: str, y: str):
    """Return one vector tile of a layer, or of several comma-separated layers."""
    return _tile_response(answer.layer_ids(layers), z, x, y)


@blueprint.get("/tiles/<layer>.json")
def tilejson(layer: str):
    """Return the TileJSON 3.0.0 description of a layer's tiles."""
    record = published().public_layer(layer)
    template = (site_root() +
                f"/tiles/{record.id}/{{z}}/{{x}}/{{y}}.mvt?v={record.version}")
    response = jsonify(metadata.tilejson(record, template))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={answer.TILE_MAX_AGE}"
    return response


def _ogc_base(record) -> str:
    return site_root() + f"/ogc/collections/{record.id}/tiles"


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
