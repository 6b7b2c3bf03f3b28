"""Descriptions of a layer's tiles: TileJSON 3.0.0 and the OGC API - Tiles tileset.

Built from the registry record only; fields listed are the public ones, each with
its English description, so a staff field is never even named.
"""

from __future__ import annotations

from mapserver.tiles.grid import MAX_ZOOM, tile_range
from mapserver.tiles.sql import CLUSTER_BELOW_ZOOM

WEB_MERCATOR_QUAD = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
MVT = "application/vnd.mapbox-vector-tile"
POINT_COUNT = "Number of points merged into this one at low zoom (points are clustered)"


def public_fields(record) -> dict[str, str]:
    """Return {field name: English description} of the fields a tile of the layer carries."""
    fields = {f.name: f.description["en"] for f in record.spec.public_fields}
    low, _ = record.spec.zooms
    if record.manifest["geometry"] == "point" and low < CLUSTER_BELOW_ZOOM:
        fields["point_count"] = POINT_COUNT
    return fields


def _bounds(record) -> list[float]:
    return [round(v, 6) for v in (record.bbox or [-180.0, -85.0511, 180.0, 85.0511])]


def tilejson(record, tiles_url: str) -> dict:
    """Return the TileJSON 3.0.0 document of a layer; `tiles_url` is the absolute template."""
    m = record.manifest
    low, high = record.spec.zooms
    minx, miny, maxx, maxy = _bounds(record)
    center_zoom = min(max(low, 13), high)   # about a city's whole extent
    return {
        "tilejson": "3.0.0",
        "name": m["title"]["en"],
        "description": m["description"]["en"],
        "version": f"{record.version}.0.0",
        "attribution": m["attribution"],
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": low,
        "maxzoom": high,
        "bounds": [minx, miny, maxx, maxy],
        "center": [round((minx + maxx) / 2, 6), round((miny + maxy) / 2, 6), center_zoom],
        "vector_layers": [{
            "id": record.id,
            "description": m["description"]["en"],
            "minzoom": low,
            "maxzoom": high,
            "fields": public_fields(record),
        }],
    }


def tileset(record, base: str) -> dict:
    """Return the OGC API - Tiles tileset metadata of a layer in WebMercatorQuad.

    `base` is the absolute URL of /ogc/collections/{id}/tiles/WebMercatorQuad.
    """
    low, high = record.spec.zooms
    bounds = _bounds(record)
    limits = []
    for z in range(low, min(high, MAX_ZOOM) + 1):
        x0, y0, x1, y1 = tile_range(bounds, z)
        limits.append({"tileMatrix": str(z), "minTileRow": y0, "maxTileRow": y1,
                       "minTileCol": x0, "maxTileCol": x1})
    geometry = {"point": 0, "line": 1, "polygon": 2}[record.manifest["geometry"]]
    return {
        "title": record.manifest["title"]["en"],
        "description": record.manifest["description"]["en"],
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": WEB_MERCATOR_QUAD,
        "tileMatrixSetLimits": limits,
        "boundingBox": {"lowerLeft": bounds[:2], "upperRight": bounds[2:],
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
        "layers": [{
            "id": record.id,
            "title": record.manifest["title"]["en"],
            "dataType": "vector",
            "geometryDimension": geometry,
            "minTileMatrix": str(low),
            "maxTileMatrix": str(high),
            "propertiesSchema": {
                "type": "object",
                "properties": {name: {"description": text}
                               for name, text in public_fields(record).items()},
            },
        }],
        "links": [
            {"rel": "self", "type": "application/json", "href": base,
             "title": "This tileset"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
             "type": "application/json", "href": WEB_MERCATOR_QUAD,
             "title": "WebMercatorQuad tile matrix set definition"},
            {"rel": "item", "type": MVT, "templated": True,
             "href": base + "/{tileMatrix}/{tileRow}/{tileCol}",
             "title": "Mapbox vector tiles; tileRow is y and tileCol is x of XYZ"},
        ],
    }
