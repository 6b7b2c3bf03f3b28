"""Features of a collection: pages of items with filters, and one feature by id.

Paging is by offset, so a page is only consistent with the pages before it if
the layer was not replaced in between: next and prev links carry the version
they were made on (``v=``), and a page asked for on another version answers
410 Gone, telling the client to start again from the first page.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import psycopg2
from flask import Response, request

from mapserver import params
from mapserver.auth.identify import caller_of
from mapserver.errors import Gone, InvalidParameter, NotFound
from mapserver.layers import registry
from mapserver.ogc import blueprint, cql, crs, query
from mapserver.ogc.crs import CRS84
from mapserver.ogc.respond import (
    GEOJSON,
    HTML,
    JSON,
    html_response,
    link,
    request_url_with,
    url,
)
from mapserver.web import database, public_database
from mapserver.web.lanes import costly
from mapserver.web.negotiate import wants_html


def _filters(record, args, staff: bool,
             offered: list[str]) -> tuple[query.Where, list[str], list]:
    """Parse every filtering parameter into a WHERE clause; return it, columns, sort keys."""
    types = query.visible_types(record, staff)
    public = list(types)
    params.check_known(args, params.ITEMS_PARAMS, public)
    where = query.Where()
    bbox_crs = crs.resolve(args.get("bbox-crs"), offered, "bbox-crs")
    query.bbox_clause(where, params.parse_bbox_in(args.get("bbox"), bbox_crs), bbox_crs.srid)
    params.parse_datetime(args.get("datetime"))
    for name in public:
        if name in args:
            query.equals_clause(where, name, params.parse_value(args[name], types[name], name))
    lang = args.get("filter-lang", "cql2-text")
    if lang != "cql2-text":
        raise InvalidParameter(f"filter-lang={lang[:32]!r} is not supported",
                               fix="use filter-lang=cql2-text (or leave it out)")
    filter_crs = args.get("filter-crs", CRS84)
    if filter_crs != CRS84:
        raise InvalidParameter("filter-crs must be CRS84", fix=f"use filter-crs={CRS84}")
    if args.get("filter"):
        clause, values = cql.translate(args["filter"], types)
        where.add(clause, values)
    columns = params.parse_properties(args.get("properties"), public)
    keys = params.parse_sortby(args.get("sortby"), public)
    return where, columns, keys


def _run(action):
    """Run a query built from client input; a value PostGIS rejects is the client's 400."""
    try:
        return action()
    except (psycopg2.DataError, psycopg2.errors.InternalError_) as exc:
        raise InvalidParameter("the filter cannot be evaluated on this data (a value is out of "
                               "range, a geometry is invalid, or a bbox or geometry lies "
                               "where the CRS asked for is not defined)",
                               fix="check the filter's values and geometries, bbox and "
                                   "bbox-crs") from exc


def _pool(staff: bool):
    """Return the pool to read with: staff-only fields are readable only by the app role."""
    return database() if staff else public_database()


def _output_crs(args, offered: list[str], html: bool) -> crs.Crs:
    """Return the CRS of the answer's coordinates: `crs` for JSON; the HTML map is CRS84."""
    asked = crs.resolve(args.get("crs"), offered, "crs")  # checked in HTML too
    return crs.STORAGE if html else asked


@blueprint.get("/collections/<collection_id>/items")
@costly
def items(collection_id: str):
    """Return one page of a collection's features as GeoJSON (or HTML)."""
    args = request.args
    html = wants_html(("json", "geojson", "html"))
    limit = params.parse_limit(args.get("limit"))
    offset = params.parse_offset(args.get("offset"))
    pinned = params.parse_int(args["v"], "v", minimum=1) if "v" in args else None
    staff = caller_of(request, database()).at_least("staff")
    with _pool(staff).connection(read_only=True) as conn:
        record = registry.public_layer(conn, collection_id)
        _check_pinned(record, pinned)
        offered = crs.offered(conn, record)
        where, columns, keys = _filters(record, args, staff, offered)
        output = _output_crs(args, offered, html)
        with conn.cursor() as cur:
            features, matched = _run(lambda: query.page(cur, record, where, columns, keys,
                                                        limit, offset, output))
    returned = max(0, min(limit, matched - offset))
    fmt = "html" if html else "json"
    links = [
        link(request_url_with(f=fmt), "self", HTML if html else GEOJSON, "this page"),
        link(request_url_with(f="html" if not html else "json"), "alternate",
             GEOJSON if html else HTML, "this page in the other format"),
        link(url(f"/collections/{record.id}"), "collection", JSON, "the collection"),
    ]
    # Page links name the version they were made on: following one after a replacement
    # is a 410, never a page of the new version spliced onto pages of the old one.
    if offset + returned < matched:
        links.append(link(request_url_with(offset=offset + limit, v=record.version), "next",
                          HTML if html else GEOJSON, "next page"))
    if offset > 0:
        links.append(link(request_url_with(offset=max(0, offset - limit), v=record.version),
                          "prev", HTML if html else GEOJSON, "previous page"))
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    head = {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": returned,
            "timeStamp": stamp, "links": links}
    if html:
        return _for(staff, html_response("items.html", doc=head, features=json.loads(features),
                                         columns=columns, record=record), output)
    # The features are already JSON text from PostGIS: splice, do not parse and re-dump.
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + features + "}"
    return _for(staff, Response(body, mimetype=GEOJSON), output)


def _check_pinned(record, pinned: int | None) -> None:
    """Refuse a page asked for on a version that is no longer served (410 Gone)."""
    if pinned is not None and pinned != record.version:
        raise Gone(f"collection {record.id!r} was replaced while you were paging (the link "
                   f"was made on version {pinned}, version {record.version} is served now); "
                   "pages of two versions would mix features",
                   fix="start again from the first page (the link without offset and v)")


@blueprint.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    """Return one feature by its id."""
    args = request.args
    params.check_known(args, params.ITEM_PARAMS)
    html = wants_html(("json", "geojson", "html"))
    staff = caller_of(request, database()).at_least("staff")
    with _pool(staff).connection(read_only=True) as conn:
        record = registry.public_layer(conn, collection_id)
        visible = list(query.visible_types(record, staff))
        columns = params.parse_properties(args.get("properties"), visible)
        output = _output_crs(args, crs.offered(conn, record), html)
        try:
            fid = params.parse_int(feature_id, "feature id")
        except InvalidParameter:
            raise NotFound(f"collection {record.id!r} has no feature {feature_id[:32]!r}",
                           fix="feature ids are whole numbers; take them from the items") from None
        with conn.cursor() as cur:
            text = _run(lambda: query.one(cur, record, fid, columns, output))
    if text is None:
        raise NotFound(f"collection {record.id!r} has no feature {feature_id}",
                       fix="take feature ids from the items")
    feature = json.loads(text)
    path = f"/collections/{record.id}/items/{feature_id}"
    feature["links"] = [
        link(url(path, f="html" if html else "json"), "self", HTML if html else GEOJSON,
             "this feature"),
        link(url(path, f="json" if html else "html"), "alternate", GEOJSON if html else HTML,
             "this feature in the other format"),
        link(url(f"/collections/{record.id}"), "collection", JSON, "the collection"),
    ]
    if html:
        return _for(staff, html_response("item.html", doc=feature, record=record,
                                         columns=columns), output)
    return _for(staff, Response(json.dumps(feature, ensure_ascii=False), mimetype=GEOJSON),
                output)


def _for(staff: bool, response, output: crs.Crs):
    """Mark who a response was made for (staff-only data never enters a shared cache)
    and, as Part 2 requires, which CRS its coordinates are in."""
    response.headers["Vary"] = "Accept, Cookie, Authorization"
    response.headers["Content-Crs"] = f"<{output.uri}>"
    if staff:
        response.headers["Cache-Control"] = "private, no-store"
    return response
