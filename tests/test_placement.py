"""Data loaded far from the city gets a warning naming the likely cause and the fix."""

from __future__ import annotations

import io

import numpy as np
import psycopg2
import pyproj
import pytest

from mapserver.auth import sessions, users
from mapserver.ingest import placement

CAMBRIDGE = (-71.161, 42.352, -71.064, 42.404)
ARAD = (21.22, 46.14, 21.38, 46.22)


def projected(crs: int, lons, lats) -> np.ndarray:
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lons, lats)
    return np.column_stack([x, y])


def extent(crs: int, points: np.ndarray):
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(
        points[:, 0], points[:, 1])
    return min(lon), min(lat), max(lon), max(lat)


def test_data_inside_the_city_gets_no_warning():
    points = projected(2249, [-71.11, -71.10], [42.37, 42.38])
    assert placement.far_from_city("a.csv", extent(2249, points), points,
                                   pyproj.CRS(2249), CAMBRIDGE) is None


def test_stereo70_with_northing_in_x_is_named_as_swapped_axes():
    # The Romanian convention: X is the northing. Read as easting, Arad lands 430 km away.
    points = projected(3844, [21.31, 21.32, 21.33], [46.18, 46.19, 46.20])[:, ::-1]
    warning = placement.far_from_city("arad.csv", extent(3844, points), points,
                                      pyproj.CRS(3844), ARAD)
    assert "km from the city" in warning and "look swapped" in warning
    assert "EPSG:3844 (Pulkovo 1942(58) / Stereo70, x and y swapped)" in warning


def test_metres_declared_as_feet_names_the_metre_grids():
    points = projected(26986, [-71.11, -71.10], [42.37, 42.38])
    warning = placement.far_from_city("m.csv", extent(2249, points), points,
                                      pyproj.CRS(2249), CAMBRIDGE)
    assert "probably not in EPSG:2249" in warning and "EPSG:26986" in warning


def test_data_of_another_place_says_so():
    points = projected(3844, [24.0], [45.0])  # central Romania, far from Cambridge
    warning = placement.far_from_city("x.csv", extent(3844, points), points,
                                      pyproj.CRS(3844), CAMBRIDGE)
    assert "no common CRS around the city puts it inside" in warning


@pytest.mark.parametrize(("point", "nearest"), [
    ((-71.1, 43.404), (-71.1, 42.404)), ((21.3, 46.2), (-71.064, 42.404)),
    ((-72.0, 42.0), (-71.161, 42.352))])
def test_distance_to_the_city_matches_the_ellipsoid_within_a_percent(point, nearest):
    geodesic_km = pyproj.Geod(ellps="WGS84").inv(*point, *nearest)[2] / 1000
    assert placement.distance_km(*point, CAMBRIDGE) == pytest.approx(geodesic_km, rel=0.01)
    assert placement.distance_km(-71.1, 42.37, CAMBRIDGE) == 0.0


def test_an_upload_with_swapped_lon_lat_is_loaded_with_a_warning(client, database_url,
                                                                 demo_city):
    with psycopg2.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 't-placement'")
        user = users.create(conn, "t-placement", "a long enough password", "planner")
        token = sessions.issue_token(conn, user, "placement")
    csv = b"lon,lat,name\n42.370,-71.110,a\n42.375,-71.100,b\n"  # columns swapped
    response = client.post("/admin/api/layers/t-swapped/upload",
                           headers={"Authorization": f"Bearer {token}"},
                           data={"file": (io.BytesIO(csv), "swapped.csv"), "crs": "EPSG:4326"})
    assert response.status_code == 201, response.json
    warnings = " ".join(response.json["warnings"])
    assert "look swapped" in warnings and "EPSG:4326" in warnings


def test_the_city_extent_comes_from_the_setting_first(settings):
    from mapserver.errors import SetupError
    from mapserver.layers import registry
    from mapserver.settings import Settings

    configured = Settings.from_env({"MAPSERVER_HOME": str(settings.home),
                                    "MAPSERVER_CITY_BBOX": "21.22,46.14,21.38,46.22"})
    assert configured.city_bbox == ARAD
    assert registry.city_extent(None, configured.city_bbox) == ARAD
    for wrong in ("21.38,46.14,21.22,46.22", "a,b,c,d", "1,2,3"):
        with pytest.raises(SetupError, match="MAPSERVER_CITY_BBOX"):
            Settings.from_env({"MAPSERVER_HOME": str(settings.home),
                               "MAPSERVER_CITY_BBOX": wrong})
