"""The API's entry points: landing page, conformance declaration, OpenAPI document."""

from __future__ import annotations

from flask import request

from mapserver.layers import registry
from mapserver.ogc import blueprint, crs, openapi
from mapserver.ogc.respond import (
    HTML,
    JSON,
    OPENAPI,
    html_response,
    json_response,
    link,
    self_links,
    url,
)
from mapserver.params import check_known
from mapserver.web import public_database
from mapserver.web.links import absolute
from mapserver.web.negotiate import wants_html

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
]
BASIC = {"f"}


@blueprint.get("")
@blueprint.get("/")
def landing():
    """Return the landing page: what this service is and where everything is."""
    check_known(request.args, BASIC)
    doc = {
        "title": "City map server: open data",
        "description": "Every public thematic layer of the city as OGC API - Features, "
                       "with whole-layer downloads and a DCAT-AP catalogue.",
        "links": [
            *self_links("", title="this landing page"),
            link(url("/api"), "service-desc", OPENAPI, "the API definition (OpenAPI 3.0)"),
            link(url("/api", f="html"), "service-doc", HTML, "the API documentation"),
            link(url("/conformance"), "conformance", JSON, "conformance classes"),
            link(url("/collections"), "data", JSON, "the collections"),
            link(absolute("/catalog.jsonld"),
                 "describedby", "application/ld+json", "DCAT-AP catalogue"),
            link(absolute("/catalog"), "describedby", HTML,
                 "the catalogue for people"),
        ],
    }
    if wants_html():
        return html_response("landing.html", doc=doc)
    return json_response(doc)


@blueprint.get("/conformance")
def conformance():
    """Return the conformance classes this API implements."""
    check_known(request.args, BASIC)
    doc = {"conformsTo": CONFORMANCE}
    if wants_html():
        return html_response("conformance.html", doc=doc)
    return json_response(doc)


@blueprint.get("/api")
def api():
    """Return the OpenAPI 3.0 document, one explicit path per public collection."""
    check_known(request.args, BASIC)
    with public_database().connection() as conn:
        layers = registry.public_layers(conn)
        offered = crs.offered_by_layer(conn, layers)
    doc = openapi.document(layers, url(""), offered)
    if wants_html():
        return html_response("api.html", doc=doc)
    return json_response(doc, OPENAPI)
