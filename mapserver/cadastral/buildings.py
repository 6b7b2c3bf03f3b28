"""The link from a building (a point) to the parcel it stands on.

An R-tree over the parcels' bounding boxes finds the few candidates for each
point; an exact point-in-polygon test picks the parcel.  A point on a
pavement just outside its lot may take the nearest parcel within a distance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import shapely
from rtree import index

METRES_PER_DEGREE = 111_320.0


class ParcelIndex:
    """Find which parcel contains a point (all coordinates lon/lat, EPSG:4326)."""

    def __init__(self, ids: Sequence, polygons: Sequence):
        self.ids = list(ids)
        self.polygons = list(polygons)
        for polygon in self.polygons:
            shapely.prepare(polygon)
        stream = ((i, polygon.bounds, None) for i, polygon in enumerate(self.polygons)
                  if polygon is not None and not polygon.is_empty)
        self._tree = index.Index(stream)

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, point, max_distance_m: float = 0.0):
        """Return the id of the parcel holding `point`, the nearest within reach, or None."""
        if point is None or point.is_empty:
            return None
        x, y = point.x, point.y
        for i in self._tree.intersection((x, y, x, y)):
            if self.polygons[i].contains(point):
                return self.ids[i]
        if max_distance_m <= 0:
            return None
        # Degrees of longitude shrink with latitude; use the larger reach so no
        # candidate is missed, then measure each one exactly.
        reach = max_distance_m / (METRES_PER_DEGREE * max(math.cos(math.radians(y)), 0.01))
        best, best_m = None, max_distance_m
        for i in self._tree.intersection((x - reach, y - reach, x + reach, y + reach)):
            nearest = shapely.shortest_line(point, self.polygons[i])
            (x1, y1), (x2, y2) = nearest.coords
            dx = (x2 - x1) * METRES_PER_DEGREE * math.cos(math.radians(y))
            dy = (y2 - y1) * METRES_PER_DEGREE
            metres = math.hypot(dx, dy)
            if metres <= best_m:
                best, best_m = self.ids[i], metres
        return best
