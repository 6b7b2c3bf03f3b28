"""What a source file is, decided before GDAL sees it (ingest/reader.py `resolve`, formats.py).

Tiny files written in tmp_path: the ending picks the allowed drivers and the first
bytes must fit that ending, so a VRT (which can point at other files) renamed .geojson
is refused instead of followed.  Every refusal is InvalidData naming the file.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from mapserver.errors import InvalidData
from mapserver.ingest import reader
from mapserver.ingest.formats import DRIVERS

GEOJSON = b'{"type": "FeatureCollection", "features": []}'
TOPOJSON = b'{"type": "Topology", "objects": {}, "arcs": []}'
KML = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>'
GPKG = b"SQLite format 3\x00" + b"\x00" * 100
SHP = b"\x00\x00\x27\x0a" + b"\x00" * 96
CSV = b"wkt,name\nPOINT (1 2),a\n"


def put(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def zipped(tmp_path, name: str, members: dict[str, bytes]):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return put(tmp_path, name, buffer.getvalue())


def refused(path, *words) -> str:
    with pytest.raises(InvalidData) as failure:
        reader.resolve(path)
    description = failure.value.description
    assert description.startswith(path.name) and "Fix:" in description
    for word in words:
        assert word in description, description
    return description


def test_the_driver_table_allows_only_plain_data_formats():
    assert set(DRIVERS) == {".geojson", ".json", ".topojson", ".shp", ".gpkg", ".csv", ".kml"}
    allowed = {driver for drivers in DRIVERS.values() for driver in drivers}
    assert allowed == {"GeoJSON", "TopoJSON", "ESRI Shapefile", "GPKG", "CSV", "KML"}
    assert "LIBKML" not in allowed and "VRT" not in allowed and ".vrt" not in DRIVERS


@pytest.mark.parametrize("name, content, driver", [
    ("a.geojson", GEOJSON, "GeoJSON"),
    ("a.geojson", b"\xef\xbb\xbf \r\n\t" + GEOJSON, "GeoJSON"),     # BOM and blanks first
    ("a.GeoJSON", GEOJSON, "GeoJSON"),                               # the ending's case
    ("a.json", GEOJSON, "GeoJSON"),
    ("a.json", TOPOJSON, "TopoJSON"),
    ("a.topojson", TOPOJSON, "TopoJSON"),
    ("a.kml", KML, "KML"),
    ("a.KML", b"<KML>", "KML"),
    ("a.gpkg", GPKG, "GPKG"),
    ("a.csv", CSV, "CSV"),
    ("a.csv", b"lon;lat\n1;2\n", "CSV"),
])
def test_content_that_fits_its_ending_gets_that_driver(tmp_path, name, content, driver):
    path = put(tmp_path, name, content)
    target, suffix, found = reader.resolve(path)
    assert (target, suffix, found) == (str(path), name[name.rindex("."):].lower(), driver)


@pytest.mark.parametrize("name, content", [
    ("a.geojson", b"<VRTDataset><OGRVRTLayer/></VRTDataset>"),
    ("a.geojson", b""),
    ("a.geojson", b"[1, 2]"),
    ("a.geojson", TOPOJSON),                 # a TopoJSON must say so by its ending
    ("a.topojson", GEOJSON),
    ("a.json", b"\x00\x01binary"),
    ("a.kml", b"<html><body>kml</body></html>"[:12]),
    ("a.kml", GEOJSON),
    ("a.gpkg", b"SQLite format 2\x00"),
    ("a.gpkg", GEOJSON),
    ("a.csv", b""),
    ("a.csv", b"   \n\n"),
    ("a.csv", b"<VRTDataset/>"),
    ("a.csv", "x,y\n1,2\n".encode("utf-16")),                     # NUL bytes: not text
    ("a.csv", GPKG),
])
def test_content_that_is_not_its_ending_is_refused(tmp_path, name, content):
    refused(put(tmp_path, name, content), "its content is not", "as its name says")


@pytest.mark.parametrize("name", ["a.vrt", "a.txt", "a", "a.xml", "a.geojson.bak", "a.shx",
                                  "a.dbf", "a.sqlite", "a.gml", "a.kmz", "a.gdb"])
def test_other_endings_are_refused_listing_the_supported_ones(tmp_path, name):
    description = refused(put(tmp_path, name, GEOJSON), "unsupported file type")
    for ending in DRIVERS:
        assert ending in description


def test_a_missing_file_is_named(tmp_path):
    refused(tmp_path / "nowhere.geojson", "does not exist")


def test_a_shapefile_needs_its_attributes_beside_it(tmp_path):
    path = put(tmp_path, "parcels.shp", SHP)
    refused(path, "no .dbf", "parcels.dbf")
    put(tmp_path, "parcels.dbf", b"\x03" + b"\x00" * 31)
    assert reader.resolve(path)[2] == "ESRI Shapefile"


def test_a_zip_of_one_dataset_is_read_inside_the_zip(tmp_path):
    path = zipped(tmp_path, "upload.zip", {"data/benches.geojson": GEOJSON,
                                           "README.txt": b"about the benches"})
    target, suffix, driver = reader.resolve(path)
    assert target == f"/vsizip/{path}/data/benches.geojson"
    assert (suffix, driver) == (".geojson", "GeoJSON")


def test_a_zipped_shapefile_needs_its_dbf_in_the_zip(tmp_path):
    path = zipped(tmp_path, "parcels.zip", {"parcels.shp": SHP, "parcels.shx": b"x"})
    refused(path, "parcels.shp", "no .dbf")
    path = zipped(tmp_path, "ok.zip", {"parcels.shp": SHP, "parcels.shx": b"x",
                                       "PARCELS.DBF": b"\x03" + b"\x00" * 31})
    assert reader.resolve(path)[1:] == (".shp", "ESRI Shapefile")


@pytest.mark.parametrize("members, word", [
    ({}, "no dataset"),
    ({"README.txt": b"x"}, "no dataset"),
    ({"a.geojson": GEOJSON, "b.geojson": GEOJSON}, "a.geojson, b.geojson"),
    ({"a.geojson": GEOJSON, "b.csv": CSV}, "exactly one dataset"),
    ({"../evil.geojson": GEOJSON}, "unsafe member path"),
    ({"/abs.geojson": GEOJSON}, "unsafe member path"),
    ({"a.vrt": b"<VRTDataset/>"}, "no dataset"),
    ({"a.geojson": b"<VRTDataset/>"}, "its content is not geojson"),
])
def test_zips_that_are_not_one_safe_dataset_are_refused(tmp_path, members, word):
    refused(zipped(tmp_path, "upload.zip", members), word)


def test_mac_resource_forks_do_not_count_as_a_second_dataset(tmp_path):
    path = zipped(tmp_path, "mac.zip", {"benches.geojson": GEOJSON,
                                        "__MACOSX/._benches.geojson": b"\x00\x05\x16\x07"})
    assert reader.resolve(path)[2] == "GeoJSON"


@pytest.mark.parametrize("content", [b"", b"PK", b"PK\x03\x04 not really", GEOJSON])
def test_a_zip_that_is_not_a_zip_is_refused(tmp_path, content):
    refused(put(tmp_path, "upload.zip", content), "not a readable zip archive")


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    path = zipped(tmp_path, "bomb.zip", {"a.geojson": b" " * 5_000_000 + GEOJSON})
    refused(path, "zip bomb")


def test_a_zip_with_too_many_members_is_refused(tmp_path):
    members = {f"part{i}.txt": b"x" for i in range(reader.MAX_ZIP_ENTRIES)}
    members["a.geojson"] = GEOJSON
    refused(zipped(tmp_path, "many.zip", members), f"at most {reader.MAX_ZIP_ENTRIES}")


@pytest.mark.parametrize("name", ["\u202egnp.geojson", "ü😀.geojson", "a b.geojson",
                                  "x" * 200 + ".geojson"])
def test_odd_file_names_are_read_or_refused_by_their_content(tmp_path, name):
    assert reader.resolve(put(tmp_path, name, GEOJSON))[2] == "GeoJSON"
    refused(put(tmp_path, name, b"<VRTDataset/>"), "its content is not geojson")


@pytest.mark.xfail(strict=True, reason="bug: the sniffer calls any file whose first 4 KB "
                   "hold '\"Topology\"' TopoJSON, so a GeoJSON with a property value "
                   "'Topology' is refused as 'not geojson'")
def test_a_geojson_with_the_word_topology_in_its_data_is_geojson(tmp_path):
    content = (b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
               b'"properties": {"subject": "Topology"}, "geometry": null}]}')
    assert reader.resolve(put(tmp_path, "lectures.geojson", content))[2] == "GeoJSON"


# Used to show a traceback: a folder named like a data file passed the exists() check.
def test_a_folder_named_like_a_file_is_refused(tmp_path):
    (tmp_path / "folder.geojson").mkdir()
    refused(tmp_path / "folder.geojson")
