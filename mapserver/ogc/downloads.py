"""Whole-layer downloads of a collection, with caching headers and download counting.

`/ogc/collections/<id>/download.<format>`: the ETag is the layer id, version
and format, so a new load changes it and a client's copy is reused until then
(304 on If-None-Match; a 304 is not counted as a download).
"""

from __future__ import annotations

from flask import Response, current_app, request, send_file

from mapserver.errors import NotFound
from mapserver.layers import registry
from mapserver.ogc import blueprint, counts, exporters
from mapserver.ogc.describe import DOWNLOADS
from mapserver.ogc.respond import json_response, url
from mapserver.params import check_known
from mapserver.web import public_database
from mapserver.web.lanes import costly


def _headers(record, fmt: str) -> dict:
    licence = record.manifest["licence"]
    name = f"{record.id}.{fmt}"
    return {
        "ETag": f'"{record.id}-v{record.version}-{fmt}"',
        "Cache-Control": "public, max-age=300, must-revalidate",
        "Link": f'<{licence["url"]}>; rel="license"',
        "X-Attribution": record.manifest["attribution"].encode("ascii", "replace").decode(),
        "Content-Disposition": f'attachment; filename="{name}"',
    }


def _not_modified(record, fmt: str) -> bool:
    etag = f'"{record.id}-v{record.version}-{fmt}"'
    sent = request.headers.get("If-None-Match", "")
    return sent.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in sent.split(",")]


@blueprint.get("/collections/<collection_id>/download.<path:fmt>")
@costly
def download(collection_id: str, fmt: str):
    """Send a whole public layer in one open format (GeoJSON, CSV, GPKG, SHP zip, KML)."""
    check_known(request.args, set())
    if fmt not in DOWNLOADS:
        raise NotFound(f"there is no download format {fmt[:32]!r}",
                       fix="use download." + ", download.".join(DOWNLOADS))
    db = public_database()
    with db.connection() as conn:
        record = registry.public_layer(conn, collection_id)
        headers = _headers(record, fmt)
        if _not_modified(record, fmt):
            response = Response(status=304, headers=headers)
            response.last_modified = record.loaded_at
            return response
        if fmt in ("geojson", "csv"):
            # Counted here: once the stream runs it holds a pooled connection, and
            # asking for a second one per download could exhaust the pool.
            counts.record(conn, record.id, fmt, record.manifest["category"])
    if fmt == "csv-metadata.json":
        doc = exporters.csvw_metadata(record, url(f"/collections/{record.id}/download.csv"))
        response = json_response(doc, DOWNLOADS[fmt][0])
    elif fmt in ("geojson", "csv"):
        writer = exporters.geojson_chunks if fmt == "geojson" else exporters.csv_chunks
        response = Response(_primed(_stream(db, record, writer)), mimetype=DOWNLOADS[fmt][0])
    else:
        folder = current_app.extensions["mapserver.settings"].var_dir / "downloads"
        with db.connection() as conn:
            path = exporters.cached_file(conn, record, fmt, folder)
            # Counted once the file exists: an export that fails is not a download.
            counts.record(conn, record.id, fmt, record.manifest["category"])
        response = send_file(path, mimetype=DOWNLOADS[fmt][0], conditional=False, etag=False)
    response.headers.update(headers)
    response.last_modified = record.loaded_at
    return response


def _stream(db, record, writer):
    """Hold one pooled connection for the whole stream; the first chunk runs the query."""
    with db.connection() as conn:
        yield from writer(conn, record)


def _primed(generator):
    """Run the generator to its first chunk now, so a failing query is still a 4xx/5xx status."""
    first = next(generator)

    def chunks():
        yield first
        yield from generator

    return chunks()
