"""Geometry checks for one batch: type, emptiness, validity, reprojection, area of use.

Everything is vectorised with shapely 2 and pyproj; only the rare invalid or
mixed geometries are handled one by one.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from shapely import GeometryType

from mapserver.errors import InvalidData

STORAGE_SRID = 4326
ACCEPTED = {
    "point": {GeometryType.POINT, GeometryType.MULTIPOINT},
    "line": {GeometryType.LINESTRING, GeometryType.MULTILINESTRING, GeometryType.LINEARRING},
    "polygon": {GeometryType.POLYGON, GeometryType.MULTIPOLYGON},
}
DIMENSION = {"point": 0, "line": 1, "polygon": 2}
# The part of a repaired geometry to keep, by declared kind.
PART_TYPES = {"point": (GeometryType.POINT,), "line": (GeometryType.LINESTRING,),
              "polygon": (GeometryType.POLYGON,)}
# Leeway around a CRS's published area of use, in degrees: data along a border
# legitimately spills a little past it.
AREA_MARGIN_DEG = 0.5


class Reprojector:
    """Reprojects from a source CRS to storage (EPSG:4326, lon/lat) and checks the area of use."""

    def __init__(self, source_crs: pyproj.CRS, source_name: str):
        self.source_name = source_name
        self.crs = source_crs
        target = pyproj.CRS.from_epsg(STORAGE_SRID)
        self.identity = source_crs.equals(target, ignore_axis_order=True)
        self.transformer = pyproj.Transformer.from_crs(source_crs, target, always_xy=True)
        area = source_crs.area_of_use
        self.area = ((area.west, area.south, area.east, area.north) if area
                     else (-180.0, -90.0, 180.0, 90.0))
        self.bounds: tuple[float, float, float, float] | None = None  # of all, in lon/lat
        self.samples: list[np.ndarray] = []  # a few source coordinates of each batch

    def placed(self) -> tuple[tuple | None, np.ndarray]:
        """Return the lon/lat extent seen so far and a sample of source coordinates."""
        points = np.vstack(self.samples) if self.samples else np.empty((0, 2))
        return self.bounds, points

    def _transform(self, coords: np.ndarray) -> np.ndarray:
        x, y = self.transformer.transform(coords[:, 0], coords[:, 1], errcheck=False)
        return np.column_stack([x, y])

    def to_storage(self, geometries: np.ndarray) -> np.ndarray:
        """Return the geometries in lon/lat, after checking they lie where the CRS is used."""
        flat = shapely.force_2d(geometries)
        out = flat if self.identity else shapely.transform(flat, self._transform)
        self.check_area(out)
        self._remember(flat, out)
        return out

    def _remember(self, flat: np.ndarray, out: np.ndarray) -> None:
        coords = shapely.get_coordinates(flat[::max(1, len(flat) // 20)])
        self.samples.append(coords[:: max(1, len(coords) // 20)][:20])
        present = out[~shapely.is_missing(out) & ~shapely.is_empty(out)]
        if len(present):
            box = shapely.total_bounds(present)
            if self.bounds is not None:
                box = (min(box[0], self.bounds[0]), min(box[1], self.bounds[1]),
                       max(box[2], self.bounds[2]), max(box[3], self.bounds[3]))
            self.bounds = tuple(float(v) for v in box)

    def check_area(self, geometries: np.ndarray) -> None:
        """Raise when coordinates fall outside the CRS's area of use (swapped axes, wrong CRS)."""
        present = geometries[~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)]
        if len(present) == 0:
            return
        bounds = shapely.bounds(present)
        west, south, east, north = self.area
        m = AREA_MARGIN_DEG
        finite = np.isfinite(bounds).all(axis=1)
        outside = ~finite | (bounds[:, 0] < west - m) | (bounds[:, 2] > east + m) | (
            bounds[:, 1] < south - m) | (bounds[:, 3] > north + m) | (
            bounds[:, 1] < -90) | (bounds[:, 3] > 90)
        if outside.any():
            count = int(outside.sum())
            example = bounds[outside][0]
            raise InvalidData(
                self.source_name,
                f"{count} feature(s) lie outside the area where {self.crs.name} "
                f"({self.crs.to_string()}) is used (lon {west:.2f}..{east:.2f}, lat "
                f"{south:.2f}..{north:.2f}); the first is at {example[0]:.4f}, {example[1]:.4f}",
                fix="check the coordinate reference system the file is said to be in, and "
                "whether its x and y (lon and lat) columns are swapped",
            )


def _keep_parts(geometry, kind: str):
    """Return the parts of a (repaired) geometry of the declared kind, or None."""
    parts = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in
             PART_TYPES[kind] and not p.is_empty]
    if not parts:
        return None
    return shapely.multipolygons(parts) if kind == "polygon" else (
        shapely.multilinestrings(parts) if kind == "line" else
        (parts[0] if len(parts) == 1 else shapely.multipoints(parts)))


def _to_stored_types(geometries: np.ndarray, kind: str) -> np.ndarray:
    """Return geometries in the one type stored per kind: MultiPolygon, MultiLineString, Point."""
    out = geometries.copy()
    type_ids = shapely.get_type_id(out)
    if kind == "point":
        multi = np.flatnonzero(type_ids == GeometryType.MULTIPOINT)
        for i in multi:
            parts = shapely.get_parts(out[i])
            out[i] = parts[0] if len(parts) == 1 else None
        return out
    single = {"polygon": GeometryType.POLYGON, "line": GeometryType.LINESTRING}[kind]
    build = shapely.multipolygons if kind == "polygon" else shapely.multilinestrings
    ring = np.flatnonzero(type_ids == GeometryType.LINEARRING)
    if len(ring):
        out[ring] = shapely.linestrings(shapely.get_coordinates(out[ring]),
                                        indices=np.repeat(np.arange(len(ring)),
                                                          shapely.get_num_coordinates(out[ring])))
        type_ids[ring] = GeometryType.LINESTRING
    lone = np.flatnonzero(type_ids == single)
    if len(lone):
        out[lone] = build(out[lone], indices=np.arange(len(lone)))
    return out


def clean(geometries: np.ndarray, kind: str, first_position: int, report,
          source_name: str) -> np.ndarray:
    """Return the batch's geometries checked, repaired and in the stored type.

    Rejected features become None (and are counted in the report).  A feature of
    another kind than declared stops the load: the layer would be a mix.
    """
    out = np.array(geometries, dtype=object)
    type_ids = shapely.get_type_id(out)
    missing = shapely.is_missing(out)
    empty = ~missing & shapely.is_empty(out)
    collections = type_ids == GeometryType.GEOMETRYCOLLECTION
    wrong = ~missing & ~empty & ~collections & ~np.isin(type_ids, [int(t) for t in ACCEPTED[kind]])
    if wrong.any():
        found = sorted({GeometryType(t).name.title() for t in type_ids[wrong]})
        positions = (np.flatnonzero(wrong)[:5] + first_position).tolist()
        raise InvalidData(source_name, f"{int(wrong.sum())} feature(s) are {', '.join(found)} "
                          f"but the layer is declared {kind} (features {positions}...)",
                          fix="split the file by geometry type, or declare the layer's "
                          "geometry as what the file holds")
    for i in np.flatnonzero(missing):
        report.reject(int(i) + first_position, "no geometry")
    for i in np.flatnonzero(empty):
        report.reject(int(i) + first_position, "empty geometry")
    out[missing | empty] = None
    present = ~missing & ~empty
    invalid = present & ~shapely.is_valid(out, where=present)
    for i in np.flatnonzero(invalid | (present & collections)):
        repaired = shapely.make_valid(out[i], method="structure", keep_collapsed=False)
        repaired = _keep_parts(repaired, kind)
        if repaired is None:
            report.reject(int(i) + first_position, f"invalid {kind} that collapses when repaired")
        else:
            report.repaired += 1
        out[i] = repaired
    kept = np.flatnonzero(~shapely.is_missing(out))
    stored = _to_stored_types(out[kept], kind)
    for i in kept[shapely.is_missing(stored)]:
        report.reject(int(i) + first_position, "multi-part point")
    out[kept] = stored
    return out
