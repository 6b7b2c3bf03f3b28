"""The public description of a layer as an OGC collection, a schema and download list.

Everything here is built from the manifest's public fields only; a staff
field's name, title or description never enters these documents.
"""

from __future__ import annotations

from mapserver.layers.registry import LayerRecord
from mapserver.ogc.crs import CRS84
from mapserver.ogc.respond import GEOJSON, HTML, JSON, SCHEMA, link, url

JSON_TYPES = {"text": {"type": "string"}, "integer": {"type": "integer"},
              "float": {"type": "number"}, "boolean": {"type": "boolean"},
              "date": {"type": "string", "format": "date"},
              "datetime": {"type": "string", "format": "date-time"}}
GEOMETRY_FORMATS = {"point": "geometry-point", "line": "geometry-multilinestring",
                    "polygon": "geometry-multipolygon"}
# format key -> (media type, title); the download URL is download.<key>
DOWNLOADS = {
    "geojson": ("application/geo+json", "GeoJSON (whole layer, streamed)"),
    "csv": ("text/csv", "CSV with WKT geometry"),
    "csv-metadata.json": ("application/csvm+json", "CSVW metadata describing the CSV"),
    "gpkg": ("application/geopackage+sqlite3", "GeoPackage"),
    "shp.zip": ("application/zip", "Zipped Shapefile"),
    "kml": ("application/vnd.google-earth.kml+xml", "KML"),
}


def english(text) -> str:
    """Return the English text of a translated manifest value (or the text itself)."""
    if isinstance(text, dict):
        return text.get("en") or next(iter(text.values()), "")
    return text or ""


def download_links(record: LayerRecord) -> list[dict]:
    """Return one enclosure link per whole-layer download format."""
    base = f"/collections/{record.id}/download."
    return [link(url(base + key), "enclosure", media, f"{english(record.manifest['title'])}: "
                 f"{title}") for key, (media, title) in DOWNLOADS.items()]


def collection(record: LayerRecord, offered_crs: list[str], *, full: bool = False) -> dict:
    """Return the collection document (the same core members in the list and alone).

    `offered_crs` (crs.offered) are the CRSs items can be asked in; the stored
    geometry is CRS84 (`storageCrs`).
    """
    m = record.manifest
    path = f"/collections/{record.id}"
    licence = m["licence"]
    doc = {
        "id": record.id,
        "title": english(m["title"]),
        "description": english(m["description"]),
        "keywords": list(m.get("keywords", [])),
        "links": [
            link(url(path, f="json"), "self", JSON, "this collection"),
            link(url(path, f="html"), "alternate", HTML, "this collection as HTML"),
            link(url(path + "/items", f="json"), "items", GEOJSON, "the features"),
            link(url(path + "/items", f="html"), "items", HTML, "the features as HTML"),
            link(url(path + "/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                 SCHEMA, "the properties one can filter on"),
            link(licence["url"], "license", HTML, licence.get("title") or licence["id"]),
            *download_links(record),
        ],
        "extent": {"spatial": {"bbox": [list(record.bbox)] if record.bbox else [[-180, -90, 180,
                                                                               90]],
                               "crs": CRS84}},
        "itemType": "feature",
        "crs": list(offered_crs),
        "storageCrs": CRS84,
        "license": licence["id"],
        "attribution": m["attribution"],
        "category": m["category"],
        "geometry": m["geometry"],
        "featureCount": record.feature_count,
        "version": record.version,
        "updated": record.loaded_at.isoformat() if record.loaded_at else None,
    }
    return doc


def queryables(record: LayerRecord) -> dict:
    """Return the JSON Schema of the public properties (what filters and sortby may name)."""
    props = {"geometry": {"format": GEOMETRY_FORMATS.get(record.manifest["geometry"],
                                                         "geometry-any"),
                          "title": "geometry"}}
    for f in record.spec.public_fields:
        entry = dict(JSON_TYPES[f.type])
        entry["title"] = english(f.title) or f.name
        entry["description"] = english(f.description)
        props[f.name] = entry
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url(f"/collections/{record.id}/queryables"),
        "type": "object",
        "title": english(record.manifest["title"]),
        "properties": props,
        "additionalProperties": False,
    }
