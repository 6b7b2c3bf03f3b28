"""Is the data where the city is?  And if not, which CRS or axis order would put it there?

A file in the wrong CRS often still lands inside that CRS's area of use: a
Stereo70 CSV whose X column holds the northing (the Romanian convention) loads
440 km from Arad, still in Romania.  So after a load the data's extent is
compared with the city's, and when it lies far away the planner is told the
likely cause with the candidates that would put it inside the city: the
declared CRS with swapped axes, then the CRSs used around the city, nearest
first.  Only a sample of the source coordinates is reprojected, so the search
costs a fraction of a second, and only when something is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_crs_info
from pyproj.enums import PJType

FAR_KM = 50.0  # data whose extent keeps this far from the city's is "far away"
MAX_CANDIDATES = 5
MAX_CRS_TRIED = 400
SAMPLE_POINTS = 200
EARTH_KM = 6371.0088


@dataclass(frozen=True)
class Candidate:
    """A CRS (and axis order) under which the data's sample falls inside the city."""

    crs: str
    name: str
    swapped: bool
    distance_km: float  # from the sample's centre to the city's extent

    def describe(self) -> str:
        """Return the candidate as a planner reads it."""
        return f"{self.crs} ({self.name}{', x and y swapped' if self.swapped else ''})"


def distance_km(lon: float, lat: float, bbox) -> float:
    """Return the great-circle distance from a point to a lon/lat box (0 inside)."""
    west, south, east, north = bbox
    near_lon, near_lat = min(max(lon, west), east), min(max(lat, south), north)
    p1, p2 = np.radians([lat, near_lat])
    dlon = np.radians(near_lon - lon)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return float(2 * EARTH_KM * np.arcsin(np.sqrt(min(1.0, a))))


def box_distance_km(bounds, city) -> float:
    """Return how far a lon/lat extent keeps from the city's (0 when they touch)."""
    west, south, east, north = bounds
    if west <= city[2] and east >= city[0] and south <= city[3] and north >= city[1]:
        return 0.0
    corners = [(west, south), (west, north), (east, south), (east, north),
               ((west + east) / 2, (south + north) / 2)]
    return min(distance_km(lon, lat, city) for lon, lat in corners)


def sample(points: np.ndarray) -> np.ndarray:
    """Return at most SAMPLE_POINTS finite (x, y) rows, spread over the input."""
    finite = points[np.isfinite(points).all(axis=1)]
    step = max(1, len(finite) // SAMPLE_POINTS)
    return finite[::step][:SAMPLE_POINTS]


def _centre_in(crs: pyproj.CRS, points: np.ndarray, swapped: bool) -> tuple[float, float]:
    """Return the sample's median position in lon/lat, read in `crs` (axes maybe swapped).

    Only the projection is inverted, onto the CRS's own datum: a datum shift moves
    a point metres, nothing next to the kilometres judged here, and searching for
    the best datum transformation cost 70 ms per CRS.
    """
    x, y = (points[:, 1], points[:, 0]) if swapped else (points[:, 0], points[:, 1])
    if crs.is_projected:
        inverse = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        x, y = inverse.transform(x, y, errcheck=False)
    return float(np.nanmedian(x)), float(np.nanmedian(y))


def _crs_around(city) -> list[pyproj.CRS]:
    infos = query_crs_info(auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS,
                                                       PJType.GEOGRAPHIC_2D_CRS],
                           area_of_interest=AreaOfInterest(*city), contains=False)
    found = []
    for info in infos[:MAX_CRS_TRIED]:
        if info.deprecated:
            continue
        try:
            found.append(pyproj.CRS.from_authority(info.auth_name, info.code))
        except pyproj.exceptions.CRSError:
            continue
    return found


def candidates(points: np.ndarray, declared: pyproj.CRS | None, city) -> list[Candidate]:
    """Return the CRSs and axis orders that put the sample inside the city, nearest first."""
    points = sample(points)
    if not len(points):
        return []
    tries = [(declared, True)] if declared is not None else []
    tries += [(crs, swapped) for crs in _crs_around(city) for swapped in (False, True)]
    found: dict[tuple[str, bool], Candidate] = {}
    for crs, swapped in tries:
        try:
            lon, lat = _centre_in(crs, points, swapped)
        except (pyproj.exceptions.ProjError, ValueError):
            continue
        if not (np.isfinite(lon) and np.isfinite(lat)):
            continue
        distance = distance_km(lon, lat, city)
        if distance <= FAR_KM / 5:
            code = crs.to_string()
            found.setdefault((code, swapped), Candidate(code, crs.name, swapped,
                                                        round(distance, 1)))
    ranked = sorted(found.values(), key=lambda c: (c.distance_km, c.swapped, c.crs != (
        declared.to_string() if declared is not None else None)))
    return ranked[:MAX_CANDIDATES]


def far_from_city(source_name: str, bounds, points: np.ndarray, declared: pyproj.CRS,
                  city) -> str | None:
    """Return a warning when the loaded extent lies far from the city, else None."""
    away = box_distance_km(bounds, city)
    if away < FAR_KM:
        return None
    found = candidates(points, declared, city)
    where = f"the data lies about {away:,.0f} km from the city, read as {declared.to_string()}"
    if not found:
        return (f"{source_name}: {where}; no common CRS around the city puts it inside. "
                "Check that the file is of this city and which CRS its coordinates are in")
    swapped = [c for c in found if c.swapped and c.crs == declared.to_string()]
    cause = ("its x and y (or lon and lat) columns look swapped" if swapped
             else f"its coordinates are probably not in {declared.to_string()}")
    return (f"{source_name}: {where}; {cause}. Read as "
            f"{', or '.join(c.describe() for c in found)} it falls inside the city")
