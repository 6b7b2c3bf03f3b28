"""Coordinate reference systems by reference (OGC API - Features Part 2).

Layers are stored in EPSG:4326 with longitude first, which is CRS84: the
storage CRS.  Any other CRS a collection offers is made by PostGIS at request
time, in the axis order its authority defines (EPSG:4326 is latitude first;
most projected CRSs are easting, northing, a few are northing first).  A CRS
is offered only if both PostGIS (spatial_ref_sys) and PROJ (through pyproj)
know it, so an advertised CRS never fails inside a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app

from mapserver.errors import InvalidParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"
STORAGE_SRID = 4326
# Offered for every collection, whatever the city adds (MAPSERVER_OGC_CRS).
ALWAYS_OFFERED = (4326, 3857)
_EPSG_CODE = re.compile(r"^EPSG:([0-9]{4,6})$")


@dataclass(frozen=True)
class Crs:
    """One output or bbox CRS: its URI, the SRID PostGIS uses, and how its axes run."""

    uri: str
    srid: int
    northing_first: bool  # first axis points north (latitude or northing): swap x and y
    geographic: bool

    @property
    def is_storage(self) -> bool:
        """Whether coordinates are the stored ones as they are (CRS84: nothing to do)."""
        return self.srid == STORAGE_SRID and not self.northing_first

    @property
    def decimals(self) -> int:
        """Digits after the point: 9 for degrees (0.1 mm), 3 for metres or feet (1 mm)."""
        return 9 if self.geographic else 3


STORAGE = Crs(CRS84, STORAGE_SRID, northing_first=False, geographic=True)


def epsg_uri(code: int) -> str:
    """Return the OGC URI of an EPSG code."""
    return f"{EPSG_URI}{code}"


def source_codes(record) -> list[int]:
    """Return the EPSG codes of the layer's sources: declared in the manifest, or read
    from the files when the layer was loaded (the load report keeps what PROJ found)."""
    texts = [s.get("crs") for s in record.manifest.get("sources", [])]
    texts += [s.get("crs") for s in (record.load_report or {}).get("sources", [])]
    codes = []
    for text in texts:
        match = _EPSG_CODE.match(text or "")
        if match:
            codes.append(int(match[1]))
    return codes


def city_codes() -> tuple[int, ...]:
    """Return the city's own CRSs (MAPSERVER_OGC_CRS) from the running app's settings."""
    return current_app.extensions["mapserver.settings"].ogc_crs


@lru_cache(maxsize=256)
def _axes(code: int) -> tuple[bool, bool] | None:
    """Return (northing_first, geographic) of an EPSG code from PROJ, or None if unknown.

    pyproj is imported here, not at the top: starting the server or a CLI command
    does not pay for it; the first OGC request that lists a collection's CRSs does.
    """
    import pyproj

    try:
        definition = pyproj.CRS.from_epsg(code)
    except pyproj.exceptions.CRSError:
        return None
    axes = definition.axis_info
    if len(axes) < 2:
        return None
    return axes[0].direction.lower() in ("north", "south"), definition.is_geographic


_POSTGIS_KNOWS: dict[int, bool] = {}  # EPSG code -> in spatial_ref_sys; filled on demand


def _postgis_knows(conn, codes) -> dict[int, bool]:
    """Return which codes PostGIS can transform to (asked once per code and process)."""
    missing = [c for c in codes if c not in _POSTGIS_KNOWS]
    if missing:
        with conn.cursor() as cur:
            cur.execute("SELECT srid FROM spatial_ref_sys WHERE srid = ANY(%s) "
                        "AND auth_name = 'EPSG' AND auth_srid = srid", [missing])
            found = {row[0] for row in cur.fetchall()}
        _POSTGIS_KNOWS.update({c: c in found for c in missing})
    return {c: _POSTGIS_KNOWS[c] for c in codes}


def offered(conn, record, extra_codes=None) -> list[str]:
    """Return the CRS URIs a collection offers: CRS84 first, then EPSG:4326, EPSG:3857,
    its sources' CRSs and the city's, without repeats and without any PostGIS or PROJ
    does not know."""
    extra = city_codes() if extra_codes is None else extra_codes
    codes = list(dict.fromkeys([*ALWAYS_OFFERED, *source_codes(record), *extra]))
    known = _postgis_knows(conn, codes)
    return [CRS84, *(epsg_uri(c) for c in codes if known[c] and _axes(c) is not None)]


def offered_by_layer(conn, records) -> dict[str, list[str]]:
    """Return the CRS URIs each of these collections offers, by layer id."""
    return {r.id: offered(conn, r) for r in records}


def resolve(raw: str | None, offered_uris: list[str], parameter: str) -> Crs:
    """Return the CRS a `crs` or `bbox-crs` value names; CRS84 when absent.

    Only URIs the collection lists are accepted, so the code reaching SQL is one
    this module produced, never request text.
    """
    if raw is None:
        return STORAGE
    value = raw.strip()
    if value not in offered_uris:
        raise InvalidParameter(
            f"{parameter}={raw[:80]!r} is not a CRS this collection offers",
            fix=f"give {parameter} one of these URIs: " + ", ".join(offered_uris))
    if value == CRS84:
        return STORAGE
    code = int(value.removeprefix(EPSG_URI))
    northing_first, geographic = _axes(code)
    return Crs(value, code, northing_first, geographic)
