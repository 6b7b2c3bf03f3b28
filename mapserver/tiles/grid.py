"""Tile maths of the WebMercatorQuad grid (XYZ, y down) and the checks of a tile address.

PostGIS's ST_TileEnvelope raises for z outside 0..31 or x/y >= 2^z, and a
client's typo must be a 400, not a database error: every address is checked
here first, as text, before anything reaches SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from mapserver.errors import InvalidParameter
from mapserver.params import parse_int

MAX_ZOOM = 22
# Half the width of the Web Mercator square, in metres (EPSG:3857).
ORIGIN_SHIFT = 20037508.342789244
MAX_LATITUDE = 85.0511287798066
EXTENT = 4096      # tile coordinate space of ST_AsMVT
BUFFER = 64        # pixels of geometry kept beyond the tile edge (no seams at borders)
_DIGITS = re.compile(r"[0-9]{1,10}")


def _integer(value, name: str) -> int:
    """Return a path segment as a non-negative integer, or raise InvalidParameter."""
    return parse_int(value, f"tile {name}", fix=f"give {name} as digits, e.g. 15/9913/12119")


def parse_tile(z, x, y, *, minzoom: int = 0, maxzoom: int = MAX_ZOOM) -> tuple[int, int, int]:
    """Check a tile address and return it as integers.

    z must lie in minzoom..maxzoom (at most 0..22) and x, y in 0..2^z-1.
    """
    z, x, y = _integer(z, "zoom"), _integer(x, "x (column)"), _integer(y, "y (row)")
    if z > MAX_ZOOM:
        raise InvalidParameter(f"zoom {z} is beyond the largest zoom {MAX_ZOOM}",
                               fix=f"use a zoom from 0 to {MAX_ZOOM}")
    if not minzoom <= z <= maxzoom:
        raise InvalidParameter(f"zoom {z} is outside this layer's zooms {minzoom}..{maxzoom}",
                               fix=f"use a zoom from {minzoom} to {maxzoom}")
    size = 1 << z
    for value, name in ((x, "x (column)"), (y, "y (row)")):
        if value >= size:
            raise InvalidParameter(f"tile {name} {value} does not exist at zoom {z}",
                                   fix=f"use {name} from 0 to {size - 1} at zoom {z}")
    return z, x, y


def tile_width(z: int) -> float:
    """Return the width of a tile at zoom z, in Web Mercator metres."""
    return 2 * ORIGIN_SHIFT / (1 << z)


def pixel_size(z: int) -> float:
    """Return the size of one unit of the tile's 4096 grid at zoom z, in metres."""
    return tile_width(z) / EXTENT


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Return the (x, y) of the tile holding a longitude/latitude at zoom z."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds_lonlat(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (minlon, minlat, maxlon, maxlat) of a tile."""
    n = 1 << z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def tile_range(bbox, z: int) -> tuple[int, int, int, int]:
    """Return (minx, miny, maxx, maxy) of the tiles covering a lon/lat bbox at zoom z."""
    minlon, minlat, maxlon, maxlat = bbox
    x0, y0 = lonlat_to_tile(minlon, maxlat, z)
    x1, y1 = lonlat_to_tile(maxlon, minlat, z)
    return x0, y0, x1, y1


def tiles_in_bbox(bbox, zooms) -> Iterator[tuple[int, int, int]]:
    """Yield every (z, x, y) covering a lon/lat bbox at the given zooms."""
    for z in zooms:
        x0, y0, x1, y1 = tile_range(bbox, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y


def count_tiles(bbox, zooms) -> int:
    """Return how many tiles tiles_in_bbox would yield."""
    total = 0
    for z in zooms:
        x0, y0, x1, y1 = tile_range(bbox, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def parse_zoom_range(text: str) -> range:
    """Parse '12-16' or '14' into a range of zooms, checked against 0..22."""
    parts = str(text).split("-")
    if len(parts) not in (1, 2) or not all(_DIGITS.fullmatch(p) for p in parts):
        raise InvalidParameter(f"zoom range '{text}' is not like 12-16",
                               fix="give one zoom (14) or a range (12-16)")
    low, high = int(parts[0]), int(parts[-1])
    if low > high or high > MAX_ZOOM:
        raise InvalidParameter(f"zoom range '{text}' is not within 0..{MAX_ZOOM}, low to high",
                               fix="e.g. --zoom 12-16")
    return range(low, high + 1)
