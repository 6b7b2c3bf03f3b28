"""Tile maths of the WebMercatorQuad grid and the checks of a tile address (tiles/grid.py)."""

from __future__ import annotations

import math

import pytest

from mapserver.errors import InvalidParameter
from mapserver.tiles import grid

CITY_HALL = (-71.1057, 42.36712)
SMALL_CITY_BOX = (-71.1072, 42.3632, -71.1033, 42.3678)   # the cut's main box


@pytest.mark.parametrize("lon, lat, z, expected", [
    (0.0, 0.0, 0, (0, 0)),
    (0.0, 0.0, 1, (1, 1)),                  # the origin is the corner of four tiles
    (-0.000001, 0.000001, 1, (0, 0)),
    (-180.0, 85.0511287798066, 1, (0, 0)),
    (180.0, -85.0511287798066, 2, (3, 3)),  # the east and south edges belong to the last tile
    (-71.1037, 42.3656, 16, (19823, 24238)),    # Central Square
    (-71.105, 42.373, 16, (19823, 24236)),
    (-71.1057, 42.36712, 22, (1268710, 1551224)),   # pyproj to EPSG:3857 agrees
])
def test_lonlat_to_tile_known_answers(lon, lat, z, expected):
    assert grid.lonlat_to_tile(lon, lat, z) == expected


@pytest.mark.parametrize("lon, lat", [(0.0, 89.9), (0.0, -90.0), (-200.0, 0.0), (400.0, 0.0)])
def test_points_off_the_square_are_clamped_to_its_edge_tiles(lon, lat):
    for z in (0, 3, 16):
        x, y = grid.lonlat_to_tile(lon, lat, z)
        assert 0 <= x < 2 ** z and 0 <= y < 2 ** z


@pytest.mark.parametrize("z", [0, 1, 5, 12, 16, 22])
def test_a_tile_holds_the_point_it_was_found_for(z):
    x, y = grid.lonlat_to_tile(*CITY_HALL, z)
    minlon, minlat, maxlon, maxlat = grid.tile_bounds_lonlat(z, x, y)
    assert minlon <= CITY_HALL[0] < maxlon and minlat < CITY_HALL[1] <= maxlat


def test_tile_bounds_known_answers_and_shared_edges():
    assert grid.tile_bounds_lonlat(0, 0, 0) == pytest.approx(
        (-180.0, -grid.MAX_LATITUDE, 180.0, grid.MAX_LATITUDE))
    assert grid.tile_bounds_lonlat(1, 1, 0) == pytest.approx((0.0, 0.0, 180.0, grid.MAX_LATITUDE))
    left, right = grid.tile_bounds_lonlat(16, 19823, 24238), grid.tile_bounds_lonlat(
        16, 19824, 24238)
    assert left[2] == right[0] and left[1] == right[1] and left[3] == right[3]
    above = grid.tile_bounds_lonlat(16, 19823, 24237)
    assert above[1] == pytest.approx(left[3], abs=1e-12)


@pytest.mark.parametrize("z", [1, 10, 16, 21])
def test_four_children_cover_their_parent(z):
    x, y = grid.lonlat_to_tile(*CITY_HALL, z)
    parent = grid.tile_bounds_lonlat(z, x, y)
    children = [grid.tile_bounds_lonlat(z + 1, 2 * x + dx, 2 * y + dy)
                for dx in (0, 1) for dy in (0, 1)]
    assert min(c[0] for c in children) == pytest.approx(parent[0])
    assert max(c[2] for c in children) == pytest.approx(parent[2])
    assert min(c[1] for c in children) == pytest.approx(parent[1])
    assert max(c[3] for c in children) == pytest.approx(parent[3])


def test_widths_in_metres_halve_with_each_zoom():
    assert grid.tile_width(0) == pytest.approx(2 * grid.ORIGIN_SHIFT)
    assert grid.tile_width(0) == pytest.approx(2 * math.pi * 6378137)  # the equator
    for z in range(grid.MAX_ZOOM):
        assert grid.tile_width(z + 1) == pytest.approx(grid.tile_width(z) / 2)
    assert grid.pixel_size(16) == pytest.approx(grid.tile_width(16) / 4096)
    assert grid.pixel_size(22) == pytest.approx(0.00233, rel=1e-2)   # about 2 mm


def test_tile_range_and_count_of_the_small_city():
    assert grid.tile_range(SMALL_CITY_BOX, 16) == (19823, 24237, 19824, 24238)
    assert list(grid.tiles_in_bbox(SMALL_CITY_BOX, [14])) == [(14, 4955, 6059),
                                                              (14, 4956, 6059)]
    assert grid.count_tiles(SMALL_CITY_BOX, range(14, 17)) == 10
    assert grid.count_tiles(SMALL_CITY_BOX, range(14, 17)) == len(
        list(grid.tiles_in_bbox(SMALL_CITY_BOX, range(14, 17))))
    assert grid.count_tiles((-180, -85, 180, 85), [0, 1, 2]) == 1 + 4 + 16
    assert grid.count_tiles(SMALL_CITY_BOX, []) == 0


# -- tile addresses ------------------------------------------------------------------------

@pytest.mark.parametrize("address, expected", [
    (("0", "0", "0"), (0, 0, 0)),
    ((0, 0, 0), (0, 0, 0)),
    (("16", "19823", "24238"), (16, 19823, 24238)),
    (("22", "4194303", "4194303"), (22, 4194303, 4194303)),
    (("0000000001", "1", "1"), (1, 1, 1)),
    (("3", "7", "0"), (3, 7, 0)),
])
def test_tile_addresses_known_answers(address, expected):
    assert grid.parse_tile(*address) == expected


@pytest.mark.parametrize("z, x, y, word", [
    ("-1", "0", "0", "zoom"), (-1, 0, 0, "negative"), ("1.5", "0", "0", "zoom"),
    ("abc", "0", "0", "zoom"), ("14", "0", "1e3", "y (row)"), ("23", "0", "0", "beyond"),
    ("99999999999", "0", "0", "zoom"), (10 ** 30, 0, 0, "zoom"), ("3", "8", "0", "x (column)"),
    ("3", "0", "8", "y (row)"), ("22", "4194304", "0", "does not exist"), ("", "0", "0", "zoom"),
    (True, 0, 0, "zoom"), (None, 0, 0, "zoom"), (1.0, 0, 0, "zoom"), (" 1", "0", "0", "zoom"),
    ("1 ", "0", "0", "zoom"), ("+1", "0", "0", "zoom"), ("0x1", "0", "0", "zoom"),
])
def test_bad_tile_addresses_are_client_errors_naming_the_part(z, x, y, word):
    with pytest.raises(InvalidParameter) as failure:
        grid.parse_tile(z, x, y)
    assert word in failure.value.description and "Fix:" in failure.value.description


@pytest.mark.parametrize("text", ["²", "١٢", "５", "\x00", "\ud800", "🙂", "x" * 10_240,
                                  "9" * 5000, "1\n", "1_0"])
def test_hostile_path_segments_are_client_errors_with_a_short_message(text):
    for address in ((text, "0", "0"), ("1", text, "0"), ("1", "0", text)):
        with pytest.raises(InvalidParameter) as failure:
            grid.parse_tile(*address)
        assert len(failure.value.description) < 200


def test_a_layers_zooms_bound_its_tiles():
    assert grid.parse_tile("14", "0", "0", minzoom=14, maxzoom=14) == (14, 0, 0)
    for z in ("13", "15"):
        with pytest.raises(InvalidParameter, match="outside this layer's zooms 14..14"):
            grid.parse_tile(z, "0", "0", minzoom=14, maxzoom=14)


@pytest.mark.parametrize("text, expected", [
    ("14", range(14, 15)), ("12-16", range(12, 17)), ("0-22", range(0, 23)),
    ("7-7", range(7, 8)), ("00-01", range(0, 2)),
])
def test_zoom_ranges_known_answers(text, expected):
    assert grid.parse_zoom_range(text) == expected


@pytest.mark.parametrize("text, word", [
    ("16-12", "low to high"), ("0-23", "within 0..22"), ("23", "within 0..22"),
    ("12-", "not like 12-16"), ("-12", "not like 12-16"), ("1--2", "not like 12-16"),
    ("", "not like 12-16"), ("12 - 16", "not like 12-16"), ("1-2-3", "not like 12-16"),
    ("٣", "not like 12-16"), ("x" * 10_000, "not like 12-16"), ("\ud800", "not like"),
])
def test_bad_zoom_ranges_are_refused(text, word):
    with pytest.raises(InvalidParameter, match=word):
        grid.parse_zoom_range(text)
