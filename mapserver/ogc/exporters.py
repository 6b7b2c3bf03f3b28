"""Whole-layer files: GeoJSON and CSV streamed from a server-side cursor, the rest by fiona.

GeoJSON and CSV never hold the layer in memory: a named (server-side) cursor
hands rows over in batches and each batch is written out at once.  GeoPackage,
zipped Shapefile and KML are written by fiona (GDAL) into a cache file keyed by
the layer's version, so a layer is converted once per version, not per request.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from psycopg2 import sql

from mapserver.ogc import query
from mapserver.ogc.describe import english

BATCH = 2000
CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula starters


def licence_note(record) -> str:
    """Return the one-line licence and attribution statement every download carries."""
    m = record.manifest
    licence = m["licence"]
    return (f"{english(m['title'])} (version {record.version}). Licence: "
            f"{licence.get('title') or licence['id']} ({licence['id']}) <{licence['url']}>. "
            f"Attribution: {m['attribution']}.")


def _rows(conn, statement: sql.Composable, params=()):
    """Yield rows from a server-side cursor in batches (constant memory)."""
    with conn.cursor(name="mapserver_download") as cur:
        cur.itersize = BATCH
        cur.execute(statement, params)
        while True:
            batch = cur.fetchmany(BATCH)
            if not batch:
                return
            yield batch


def geojson_chunks(conn, record):
    """Yield the layer as one GeoJSON FeatureCollection, in pieces of about BATCH features."""
    columns = list(record.public_field_names)
    statement = sql.SQL("SELECT {} FROM {} AS t ORDER BY fid").format(
        query.feature_json(columns), query.table(record))
    licence = record.manifest["licence"]
    head = {"type": "FeatureCollection", "name": record.id,
            "license": licence["url"], "attribution": record.manifest["attribution"],
            "description": licence_note(record)}
    rows = _rows(conn, statement)
    first = next(rows, [])  # run the query before the first byte: errors are still a status
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n'
    yield ",\n".join(row[0] for row in first)
    for batch in rows:
        yield ",\n" + ",\n".join(row[0] for row in batch)
    yield "\n]}\n"


def _csv_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(CSV_DANGEROUS):
        # Neutralise spreadsheet formulas (CSV injection): a leading apostrophe shows as text.
        return "'" + value
    return value


def csv_chunks(conn, record):
    """Yield the layer as CSV: fid, every public field, and the geometry as WKT."""
    columns = list(record.public_field_names)
    statement = sql.SQL("SELECT fid, {}, ST_AsText(geom) FROM {} ORDER BY fid").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), query.table(record))
    rows = _rows(conn, statement)
    first = next(rows, [])  # run the query before the first byte: errors are still a status
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["fid", *columns, "wkt"])
    yield buffer.getvalue()
    for batch in itertools.chain([first], rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_text(v) for v in row] for row in batch)
        yield buffer.getvalue()


CSVW_TYPES = {"text": "string", "integer": "integer", "float": "double", "boolean": "boolean",
              "date": "date", "datetime": "datetime"}


def csvw_metadata(record, csv_url: str) -> dict:
    """Return the CSVW metadata describing every column of the CSV download."""
    m = record.manifest
    columns = [{"name": "fid", "titles": "fid", "datatype": "integer", "required": True,
                "dc:description": "Feature id (the OGC API featureId)"}]
    for f in record.spec.public_fields:
        columns.append({"name": f.name, "titles": english(f.title) or f.name,
                        "datatype": CSVW_TYPES[f.type],
                        "dc:description": english(f.description)})
    columns.append({"name": "wkt", "titles": "wkt", "datatype": "string",
                    "propertyUrl": "http://www.opengis.net/ont/geosparql#asWKT",
                    "dc:description": "Geometry as WKT, EPSG:4326 longitude/latitude"})
    return {
        "@context": "http://www.w3.org/ns/csvw",
        "url": csv_url,
        "dc:title": english(m["title"]),
        "dc:description": english(m["description"]),
        "dc:license": {"@id": m["licence"]["url"]},
        "dc:creator": m["attribution"],
        "dc:modified": record.loaded_at.isoformat() if record.loaded_at else None,
        "dcat:keyword": list(m.get("keywords", [])),
        "tableSchema": {"columns": columns, "primaryKey": "fid"},
    }


# ---- fiona formats --------------------------------------------------------------------
FIONA_TYPES = {"text": "str", "integer": "int", "float": "float", "boolean": "bool",
               "date": "date", "datetime": "datetime"}
DRIVERS = {"gpkg": "GPKG", "shp.zip": "ESRI Shapefile", "kml": "KML"}


def _schema(record, driver: str) -> dict:
    props = {}
    for f in record.spec.public_fields:
        kind = FIONA_TYPES[f.type]
        if driver != "GPKG" and kind in ("bool", "datetime"):
            kind = "int" if kind == "bool" else "str"  # Shapefile/KML lack these types
        props[f.name] = kind
    return {"geometry": record.geometry_type or "Unknown", "properties": props}


def _value(value, kind: str):
    if value is None:
        return None
    if kind == "int" and isinstance(value, bool):
        return int(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _write_fiona(conn, record, path: Path, driver: str) -> None:
    import fiona

    fiona.supported_drivers.setdefault("KML", "rw")  # GDAL has it; fiona lists it off
    schema = _schema(record, driver)
    names = list(schema["properties"])
    kinds = [schema["properties"][n] for n in names]
    statement = sql.SQL("SELECT ST_AsGeoJSON(geom, 9), {} FROM {} ORDER BY fid").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in names), query.table(record))
    options = {"ENCODING": "UTF-8"} if driver == "ESRI Shapefile" else {}
    with fiona.open(path, "w", driver=driver, schema=schema, crs="EPSG:4326",
                    layer=record.id.replace("-", "_") if driver != "ESRI Shapefile" else None,
                    **options) as out:
        if driver == "GPKG":
            out.update_tags({"LICENSE": licence_note(record),
                             "DESCRIPTION": english(record.manifest["description"])})
        for batch in _rows(conn, statement):
            out.writerecords(
                fiona.Feature.from_dict({
                    "geometry": json.loads(row[0]),
                    "properties": {n: _value(v, k) for n, v, k in zip(names, row[1:], kinds,
                                                                       strict=True)}})
                for row in batch)


def _add_kml_description(path: Path, record) -> None:
    text = path.read_text(encoding="utf-8")
    note = (f"<name>{escape(english(record.manifest['title']))}</name>"
            f"<description>{escape(licence_note(record))}</description>")
    marker = text.find(">", text.find("<Document"))
    if marker > 0:
        path.write_text(text[:marker + 1] + note + text[marker + 1:], encoding="utf-8")


def cached_file(conn, record, fmt: str, folder: Path) -> Path:
    """Return the file of a layer version in a fiona format, writing it on first request.

    Written into a temporary folder and renamed into place, so a concurrent
    request sees the whole file or none (and at worst writes it twice).
    """
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{record.id}-v{record.version}.{fmt}"
    if final.exists():
        return final
    driver = DRIVERS[fmt]
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        scratch = Path(scratch)
        if fmt == "shp.zip":
            shp = scratch / f"{record.id}.shp"
            _write_fiona(conn, record, shp, driver)
            built = scratch / "out.zip"
            with zipfile.ZipFile(built, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(scratch.glob(f"{record.id}.*")):
                    archive.write(part, part.name)
                archive.writestr("LICENSE.txt", licence_note(record) + "\n")
        else:
            built = scratch / f"out.{fmt}"
            _write_fiona(conn, record, built, driver)
            if fmt == "kml":
                _add_kml_description(built, record)
        os.replace(built, final)
    _drop_other_versions(folder, record, fmt, keep=final)
    return final


def _drop_other_versions(folder: Path, record, fmt: str, keep: Path) -> None:
    """Delete this layer's files of other versions: only the served version is downloaded."""
    own = re.compile(re.escape(record.id) + r"-v\d+\." + re.escape(fmt))
    for path in folder.iterdir():
        if path != keep and own.fullmatch(path.name):
            path.unlink(missing_ok=True)
