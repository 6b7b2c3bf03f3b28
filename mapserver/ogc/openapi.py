"""The OpenAPI 3.0 document: self-contained, one explicit path per public collection.

The OGC test suite reads its test paths from here, so each collection gets its
own /items path (no templated {collectionId} alone), and `limit` declares
minimum, maximum and default (GDAL picks its page size from them).  Property
parameters name public fields only.
"""

from __future__ import annotations

from mapserver.ogc.crs import CRS84
from mapserver.ogc.describe import DOWNLOADS, JSON_TYPES, english
from mapserver.params import LIMIT_DEFAULT, LIMIT_MAXIMUM


def _param(name, description, schema, *, style=None, explode=None, required=False,
           where="query"):
    out = {"name": name, "in": where, "description": description, "required": required,
           "schema": schema}
    if style:
        out["style"] = style
    if explode is not None:
        out["explode"] = explode
    return out


COMMON = {
    "f": _param("f", "Format of the answer; JSON unless a browser asks for HTML.",
                {"type": "string", "enum": ["json", "html"]}),
    "limit": _param("limit", "Features per page; above the maximum it is clamped.",
                    {"type": "integer", "minimum": 1, "maximum": LIMIT_MAXIMUM,
                     "default": LIMIT_DEFAULT}, style="form", explode=False),
    "offset": _param("offset", "Matching features to skip (the next/prev links set it).",
                     {"type": "integer", "minimum": 0, "default": 0}),
    "bbox": _param("bbox", "minx,miny,maxx,maxy in CRS84 degrees, or in bbox-crs and its axis "
                   "order; minx > maxx crosses 180° (longitude/latitude only).",
                   {"type": "array", "minItems": 4, "maxItems": 6,
                    "items": {"type": "number"}}, style="form", explode=False),
    "datetime": _param("datetime", "RFC 3339 instant or interval (the layers carry no time).",
                       {"type": "string"}, style="form", explode=False),
    "filter": _param("filter", "CQL2 text filter over the queryables.", {"type": "string"}),
    "filter-lang": _param("filter-lang", "Filter language.",
                          {"type": "string", "enum": ["cql2-text"], "default": "cql2-text"}),
    "v": _param("v", "The layer version the next/prev links were made on; another version "
                "answers 410 (start again from the first page).",
                {"type": "integer", "minimum": 1}),
}


def _response(description, media_types):
    return {"description": description,
            "content": {m: {"schema": {"type": "object"}} for m in media_types}}


_EXCEPTION = {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}
ERRORS = {
    "400": {"description": "A parameter is malformed.", "content": _EXCEPTION},
    "404": {"description": "No such public collection or feature.", "content": _EXCEPTION},
    "429": {"description": "Too many requests from this address: wait Retry-After seconds.",
            "content": _EXCEPTION},
    "503": {"description": "Busy, or the database is unreachable: try again after "
                           "Retry-After seconds.", "content": _EXCEPTION},
}
GONE = {"description": "The collection was replaced while paging: start again from the first "
                       "page.", "content": _EXCEPTION}


def _op(operation_id, summary, parameters, ok, *, tags=("data",)):
    return {"get": {"operationId": operation_id, "summary": summary, "tags": list(tags),
                    "parameters": parameters, "responses": {"200": ok, **ERRORS}}}


def _crs_params(offered: list[str]) -> dict:
    """Return the Part 2 parameters `crs` and `bbox-crs`, listing the collection's CRSs."""
    schema = {"type": "string", "format": "uri", "enum": list(offered), "default": CRS84}
    return {
        "crs": _param("crs", "CRS of the answer's coordinates, in its axis order (EPSG:4326 is "
                      "latitude, longitude); the Content-Crs header repeats it.", dict(schema)),
        "bbox-crs": _param("bbox-crs", "CRS of the bbox numbers, in its axis order.",
                           dict(schema)),
    }


def _collection_paths(record, offered: list[str]) -> dict:
    cid = record.id
    crs_params = _crs_params(offered)
    title = english(record.manifest["title"])
    fields = record.spec.public_fields
    names = [f.name for f in fields]
    props = [_param(f.name, english(f.description) or f.name,
                    dict(JSON_TYPES[f.type])) for f in fields]
    listing = {"type": "string", "pattern": r"^[+-]?[a-z_0-9]+(,[+-]?[a-z_0-9]+)*$",
               "description": "comma-separated; one of " + ", ".join(names)}
    items_params = [COMMON["f"], COMMON["limit"], COMMON["offset"], COMMON["bbox"],
                    crs_params["bbox-crs"], crs_params["crs"], COMMON["datetime"],
                    COMMON["filter"], COMMON["filter-lang"],
                    _param("properties", "Public properties to include.",
                           {"type": "array", "items": {"type": "string", "enum": names}},
                           style="form", explode=False),
                    _param("sortby", "Sort keys, + ascending, - descending.", listing),
                    COMMON["v"], *props]
    base = f"/collections/{cid}"
    paths = {
        base: _op(f"describe-{cid}", f"Describe {title}", [COMMON["f"]],
                  _response("The collection", ["application/json", "text/html"])),
        base + "/items": _op(f"items-{cid}", f"Features of {title}", items_params,
                             _response("A page of features",
                                       ["application/geo+json", "text/html"])),
        base + "/items/{featureId}": _op(
            f"item-{cid}", f"One feature of {title}",
            [_param("featureId", "Feature id.", {"type": "integer"}, required=True,
                    where="path"), COMMON["f"], crs_params["crs"]],
            _response("A feature", ["application/geo+json", "text/html"])),
        base + "/queryables": _op(f"queryables-{cid}", f"Queryables of {title}",
                                  [COMMON["f"]],
                                  _response("JSON Schema", ["application/schema+json"])),
    }
    paths[base + "/items"]["get"]["responses"]["410"] = GONE
    for key, (media, what) in DOWNLOADS.items():
        paths[f"{base}/download.{key}"] = _op(
            f"download-{cid}-{key.replace('.', '-')}", f"{title}: {what}", [],
            {"description": what, "content": {media: {"schema": {"type": "string",
                                                                 "format": "binary"}}}},
            tags=("downloads",))
    return paths


def document(layers, server_url: str, offered_crs: dict[str, list[str]]) -> dict:
    """Return the whole OpenAPI 3.0 document for the given public layers.

    `offered_crs` maps each layer id to the CRS URIs it offers (crs.offered).
    """
    paths = {
        "/": _op("landing", "Landing page", [COMMON["f"]],
                 _response("Landing page", ["application/json", "text/html"]),
                 tags=("capabilities",)),
        "/conformance": _op("conformance", "Conformance classes", [COMMON["f"]],
                            _response("Conformance", ["application/json", "text/html"]),
                            tags=("capabilities",)),
        "/api": _op("api", "This document", [COMMON["f"]],
                    _response("OpenAPI", ["application/vnd.oai.openapi+json;version=3.0"]),
                    tags=("capabilities",)),
        "/collections": _op("collections", "The collections", [COMMON["f"]],
                            _response("Collections", ["application/json", "text/html"]),
                            tags=("capabilities",)),
    }
    for record in layers:
        paths.update(_collection_paths(record, offered_crs[record.id]))
    return {
        "openapi": "3.0.3",
        "info": {"title": "City map server: open data", "version": "1.0.0",
                 "description": "OGC API - Features for every public thematic layer.",
                 "license": {"name": "Per dataset: see each collection's licence link"}},
        "servers": [{"url": server_url}],
        "tags": [{"name": "capabilities"}, {"name": "data"}, {"name": "downloads"}],
        "paths": paths,
        "components": {"schemas": {"exception": {
            "type": "object", "required": ["code"],
            "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}}},
    }
