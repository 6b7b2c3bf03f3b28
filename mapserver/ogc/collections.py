"""The collections: the list, one collection's metadata, and its queryables."""

from __future__ import annotations

from flask import request

from mapserver.layers import registry
from mapserver.ogc import blueprint, counts, crs, describe
from mapserver.ogc.respond import JSON, SCHEMA, html_response, json_response, self_links
from mapserver.params import check_known
from mapserver.web import public_database
from mapserver.web.negotiate import wants_html

BASIC = {"f"}


@blueprint.get("/collections")
def collections():
    """List every public collection."""
    check_known(request.args, BASIC)
    with public_database().connection() as conn:
        layers = registry.public_layers(conn)
        offered = crs.offered_by_layer(conn, layers)
    doc = {"links": self_links("/collections", title="the collections"),
           "collections": [describe.collection(r, offered[r.id]) for r in layers]}
    if wants_html():
        return html_response("collections.html", doc=doc)
    return json_response(doc)


@blueprint.get("/collections/<collection_id>")
def collection(collection_id: str):
    """Describe one public collection, with its downloads and how often each was fetched."""
    check_known(request.args, BASIC)
    with public_database().connection() as conn:
        record = registry.public_layer(conn, collection_id)
        downloads = counts.for_layer(conn, record.id)
        offered = crs.offered(conn, record)
    doc = describe.collection(record, offered, full=True)
    doc["downloads"] = downloads
    doc["fields"] = [{"name": f.name, "type": f.type,
                      "title": describe.english(f.title) or f.name,
                      "description": describe.english(f.description)}
                     for f in record.spec.public_fields]
    if wants_html():
        return html_response("collection.html", doc=doc)
    return json_response(doc, JSON)


@blueprint.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    """Return the JSON Schema of what one may filter and sort on (public fields only)."""
    check_known(request.args, BASIC)
    with public_database().connection() as conn:
        record = registry.public_layer(conn, collection_id)
    doc = describe.queryables(record)
    if wants_html():
        return html_response("queryables.html", doc=doc)
    return json_response(doc, SCHEMA)
