"""The map's small JSON reads: features in a box, one feature for a popup, and search."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mapserver import params
from mapserver.errors import InvalidParameter
from mapserver.layers import registry
from mapserver.site import features
from mapserver.site import search as searching
from mapserver.web import i18n, public_database
from mapserver.web.lanes import costly

blueprint = Blueprint("map_api", __name__)


def _limit(text: str | None) -> int:
    """Return the row limit; above MAX_ROWS it is clamped."""
    if text is None:
        return features.MAX_ROWS
    return params.parse_int(text, "limit", minimum=1, maximum=features.MAX_ROWS, clamp=True,
                            fix=f"use limit=1..{features.MAX_ROWS}")


@blueprint.get("/map/features/<layer_id>.geojson")
@costly
def features_in_box(layer_id: str):
    """Return the features of a layer inside bbox (public label fields, row-limited)."""
    # One envelope: the map clamps its view to -180..180 and never sends a crossing box.
    [bbox] = params.parse_bbox(request.args.get("bbox"), crossing=False, required=True)
    limit = _limit(request.args.get("limit"))
    with public_database().connection(read_only=True) as conn:
        record = registry.public_layer(conn, layer_id)
        body = features.features_in_bbox(conn, record, bbox, limit=limit)
    return Response(body, mimetype="application/geo+json")


@blueprint.get("/map/features/<layer_id>/<fid>.json")
def feature(layer_id: str, fid: str):
    """Return one feature with all its public fields, for a popup."""
    number = features.parse_fid(fid)
    with public_database().connection(read_only=True) as conn:
        record = registry.public_layer(conn, layer_id)
        body = features.one_feature(conn, record, number)
    response = jsonify(body)
    response.mimetype = "application/geo+json"
    return response


@blueprint.get("/api/search")
@costly
def search():
    """Return the features whose id, address or name match `q`, best first."""
    try:
        text = searching.clean_query(request.args.get("q"))
    except InvalidParameter as exc:
        raise InvalidParameter(i18n.translate(exc.message, max=searching.MAX_QUERY,
                                              min=searching.MIN_QUERY)) from None
    lang = i18n.current()
    with public_database().connection(read_only=True) as conn:
        records = registry.public_layers(conn)
        results = searching.search(conn, records, text)
    titles = {r.id: i18n.localized(r.manifest["title"], lang) for r in records}
    for result in results:
        result["layer_title"] = titles[result["layer"]]
    return jsonify({"query": text, "results": results})
