"""CRS URIs of OGC API Part 2 (ogc/crs.py): which URI names which SRID, axes and precision.

Pure: a collection's offered list is given, and axis order comes from PROJ, so the
known answers below are PROJ's (EPSG:4326 and EPSG:3035 are northing first).
"""

from __future__ import annotations

import pytest

from mapserver.errors import InvalidParameter
from mapserver.layers.registry import LayerRecord
from mapserver.ogc import crs

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
OFFERED = [crs.CRS84, EPSG + "4326", EPSG + "3857", EPSG + "2249", EPSG + "26986"]


def test_uris_are_the_ogc_ones():
    assert crs.CRS84 == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert crs.epsg_uri(2249) == EPSG + "2249"
    assert crs.STORAGE.uri == crs.CRS84 and crs.STORAGE.srid == 4326


@pytest.mark.parametrize("raw, srid, northing_first, geographic, decimals", [
    (None, 4326, False, True, 9),                      # absent: the storage CRS
    (crs.CRS84, 4326, False, True, 9),
    (" " + crs.CRS84 + "\t", 4326, False, True, 9),    # surrounding blanks are forgiven
    (EPSG + "4326", 4326, True, True, 9),              # latitude first
    (EPSG + "3857", 3857, False, False, 3),
    (EPSG + "2249", 2249, False, False, 3),            # US survey feet, easting first
    (EPSG + "26986", 26986, False, False, 3),
])
def test_offered_uris_resolve_to_srid_axes_and_precision(raw, srid, northing_first, geographic,
                                                         decimals):
    found = crs.resolve(raw, OFFERED, "crs")
    assert (found.srid, found.northing_first, found.geographic) == (srid, northing_first,
                                                                    geographic)
    assert found.decimals == decimals
    assert found.is_storage is (srid == 4326 and not northing_first)


@pytest.mark.parametrize("raw", [
    "EPSG:4326", "4326", EPSG + "04326", EPSG + "4326/", EPSG + "9999", EPSG + "27700",
    crs.CRS84.upper(), "http://www.opengis.net/def/crs/OGC/1.3/CRS83", "", " ", "\x00", "\ud800",
    "x" * 10_000, EPSG + "2249');SELECT pg_sleep(5);--", "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
])
def test_anything_not_offered_is_a_400_listing_what_is(raw):
    with pytest.raises(InvalidParameter) as failure:
        crs.resolve(raw, OFFERED, "bbox-crs")
    description = failure.value.description
    assert description.startswith("bbox-crs=") and all(uri in description for uri in OFFERED)
    assert len(description) < 1000   # the value is quoted at most 80 characters long


def test_only_the_collections_own_list_counts():
    assert crs.resolve(EPSG + "26986", OFFERED, "crs").srid == 26986
    with pytest.raises(InvalidParameter):
        crs.resolve(EPSG + "26986", [crs.CRS84], "crs")


@pytest.mark.parametrize("code, expected", [
    (4326, (True, True)), (4979, (True, True)), (3857, (False, False)), (2249, (False, False)),
    (26986, (False, False)), (3035, (True, False)), (2056, (False, False)),
    (999999, None), (5714, None),   # unknown to PROJ; a vertical CRS has one axis
])
def test_axes_come_from_proj(code, expected):
    assert crs._axes(code) == expected


def _record(manifest_sources, report_sources=None) -> LayerRecord:
    return LayerRecord(id="x", version=1, table_name="x__v1",
                       manifest={"sources": manifest_sources, "fields": []},
                       geometry_type="Point", feature_count=1, bbox=None, source_checksum=None,
                       loaded_at=None, published=True,
                       load_report={"sources": report_sources} if report_sources else None)


@pytest.mark.parametrize("declared, reported, codes", [
    ([{"path": "a.geojson"}], None, []),
    ([{"path": "a.topojson", "crs": "EPSG:4326"}], None, [4326]),
    ([{"path": "a.shp"}], [{"crs": "EPSG:2249"}], [2249]),
    ([{"path": "a", "crs": "EPSG:2249"}, {"path": "b", "crs": "EPSG:26986"}], None,
     [2249, 26986]),
    ([{"path": "a", "crs": "epsg:2249"}], None, []),          # only the canonical spelling
    ([{"path": "a", "crs": "ESRI:102100"}], [{"crs": "EPSG:123"}], []),
    ([{"path": "a", "crs": "EPSG:2249;DROP"}], [{"crs": None}, {}], []),
    ([], [{"crs": "EPSG:3035"}], [3035]),
])
def test_source_codes_read_declared_and_found_crss(declared, reported, codes):
    assert crs.source_codes(_record(declared, reported)) == codes
