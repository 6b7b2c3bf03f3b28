"""Describe a file that has no manifest yet, so it can be loaded as a draft layer.

The file's schema (columns, types, geometry) is read without loading its
features, through the same GDAL binding that loads it, so the columns
described are the columns read.  Every column becomes a staff-only field:
nothing of an undescribed file is public until a planner says so.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio

from mapserver.errors import InvalidData
from mapserver.ingest.attributes import normalised_columns
from mapserver.ingest.gdal_lockdown import refused_fetches
from mapserver.ingest.reader import (
    CSV_OPTIONS,
    codec_name,
    no_fetch_attempted,
    resolve,
    unique_columns,
)

KINDS = {"Point": "point", "MultiPoint": "point", "LineString": "line",
         "MultiLineString": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}
DTYPES = {"int": "integer", "uint": "integer", "float": "float", "bool": "boolean",
          "datetime64[D]": "date", "datetime64": "datetime"}


def _field_type(dtype: str) -> str:
    for prefix, field_type in DTYPES.items():
        if dtype.startswith(prefix):
            return field_type
    return "text"


def describe_file(path: Path, layer_id: str, *, crs=None, encoding=None, layer=None,
                  geometry=None) -> dict:
    """Return a draft manifest (as raw data) that loads `path` as layer `layer_id`."""
    target, suffix, _ = resolve(path)
    if encoding:
        codec_name(path.name, encoding)
    options = CSV_OPTIONS if suffix == ".csv" else {}
    fetches = refused_fetches()
    try:
        info = pyogrio.read_info(target, layer=layer, encoding=encoding, **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidData(path.name, f"cannot be opened ({exc})",
                          fix="check the file and its type") from None
    no_fetch_attempted(path.name, fetches)
    kind = geometry or KINDS.get(str(info.get("geometry_type")).replace(" Z", ""))
    if kind is None:
        raise InvalidData(path.name, "its geometry kind cannot be told from the file "
                          f"(it says {info.get('geometry_type')})",
                          fix="say which with --geometry point|line|polygon, splitting the "
                          "file by kind if it mixes them")
    columns = unique_columns(path.name, info["fields"])
    dtypes = dict(zip(columns, (str(d) for d in info["dtypes"]), strict=True))
    fields = [{
        "name": name, "source": column, "type": _field_type(dtypes[column]),
        "description": {"en": f"{column} (not yet described)",
                        "ro": f"{column} (încă nedescris)"},
        "visibility": "staff",
    } for column, name in normalised_columns(columns).items()]
    if not fields:
        fields.append({"name": "name", "type": "text", "visibility": "staff",
                       "description": {"en": "Name (empty)", "ro": "Nume (gol)"}})
    source = {"path": str(path.resolve())}
    source.update({k: v for k, v in (("crs", crs), ("encoding", encoding), ("layer", layer))
                   if v})
    return {
        "id": layer_id,
        "title": {"en": layer_id, "ro": layer_id},
        "description": {"en": f"Loaded from {path.name}; not yet described.",
                        "ro": f"Încărcat din {path.name}; încă nedescris."},
        "category": "other",
        "licence": {"id": "unstated", "title": "Licence not yet stated",
                    "url": "urn:mapserver:licence:unstated"},
        "attribution": "not yet stated",
        "sources": [source],
        "geometry": kind,
        "fields": fields,
    }
