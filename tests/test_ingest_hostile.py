"""Uploads that used to end in a 500 (issue: hostile input) now get a 4xx that names the fix.

Each case says what used to happen; the served version is never touched.
"""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import psycopg2
import pytest
from shapely.geometry import Point

from mapserver.auth import sessions, users
from mapserver.errors import InvalidData
from mapserver.ingest.reader import resolve
from tests.conftest import layer_state


@pytest.fixture(scope="module")
def token(database_url, demo_city):
    with psycopg2.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 't-hostile'")
        user = users.create(conn, "t-hostile", "a long enough password", "planner")
        return sessions.issue_token(conn, user, "hostile")


def upload(client, token, layer_id, name, data, **form):
    return client.post(f"/admin/api/layers/{layer_id}/upload",
                       headers={"Authorization": f"Bearer {token}"},
                       data={"file": (io.BytesIO(data), name), **form})


def collection(geometry) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"a": 1}, "geometry": geometry}]}).encode()


def zipped(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refused(response, status, *words):
    assert response.status_code == status, response.get_data(as_text=True)
    description = response.json["description"]
    assert "Fix: " in description and "Traceback" not in description
    for word in words:
        assert word in description, description
    return description


@pytest.mark.parametrize("geometry", [
    {"type": "LineString", "coordinates": [[-71.1, 42.37]]},
    {"type": "Polygon", "coordinates": [[[-71.1, 42.37], [-71.1, 42.37]]]},
])
def test_degenerate_geometry_is_refused_by_feature_number(client, token, geometry):
    # Used to be a 500: GEOS refused the whole batch while reading WKB.
    response = upload(client, token, "t-degenerate", "bad.geojson", collection(geometry))
    refused(response, 422, "feature 1", "cannot exist")


def test_an_over_long_file_name_is_shortened(client, token):
    # Used to be a 500: "File name too long" when the upload was saved.
    point = collection({"type": "Point", "coordinates": [-71.1, 42.37]})
    response = upload(client, token, "t-long-name", "a" * 300 + ".geojson", point)
    assert response.status_code == 201, response.json
    assert response.json["sources"][0]["name"] == "a" * 100 + ".geojson"


def test_an_over_long_layer_id_is_a_400(client, token):
    point = collection({"type": "Point", "coordinates": [-71.1, 42.37]})
    response = upload(client, token, "t-" + "x" * 5000, "p.geojson", point)
    refused(response, 400, "is not a layer id")
    assert "x" * 200 not in response.get_data(as_text=True)


def test_duplicate_column_names_in_a_dbf(client, token, tmp_path):
    # Used to be a 500: two columns called 'name' made a DataFrame where a Series was expected.
    frame = gpd.GeoDataFrame({"name": ["a"], "NAME2": ["b"]}, geometry=[Point(-71.1, 42.37)],
                             crs=4326)
    frame.to_file(tmp_path / "d.shp")
    dbf = bytearray((tmp_path / "d.dbf").read_bytes())
    at = dbf.index(b"NAME2")
    dbf[at:at + 5] = b"name\x00"
    members = {f"d.{ext}": (tmp_path / f"d.{ext}").read_bytes() for ext in ("shp", "shx", "prj")}
    response = upload(client, token, "t-duplicate", "dup.zip", zipped({**members,
                                                                       "d.dbf": bytes(dbf)}))
    refused(response, 422, "more than one column named 'name'")


def test_a_corrupt_deflate_member(client, token):
    # Used to be a 500: zlib.error escaped the archive check.
    point = collection({"type": "Point", "coordinates": [-71.1, 42.37]})
    data = bytearray(zipped({"x.geojson": point * 50}))
    data[60:70] = b"\xff" * 10
    response = upload(client, token, "t-corrupt", "corrupt.zip", bytes(data))
    refused(response, 422, "not a readable zip archive")


def test_a_zip_bomb_is_refused_before_anything_is_decompressed(tmp_path, monkeypatch):
    # Used to cost ~10 s of a worker: every member was decompressed before sizes were read.
    def no_decompression(self):
        raise AssertionError("a member was decompressed before the sizes were checked")

    monkeypatch.setattr(zipfile.ZipFile, "testzip", no_decompression)
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(zipped({"bomb.geojson": b" " * 50_000_000}))
    with pytest.raises(InvalidData, match="zip bomb"):
        resolve(bomb)


def test_a_zip_bomb_upload_is_a_422(client, token):
    bomb = zipped({"bomb.geojson": b" " * 50_000_000})
    refused(upload(client, token, "t-bomb", "bomb.zip", bomb), 422, "zip bomb")


def test_failed_uploads_leave_the_served_version(client, token, database_url):
    before = layer_state(database_url, "parks")
    bad = collection({"type": "LineString", "coordinates": [[-71.1, 42.37]]})
    assert upload(client, token, "parks", "parks.geojson", bad).status_code == 422
    assert layer_state(database_url, "parks") == before


def test_refusals_are_audited_with_their_status(client, token, database_url):
    bad = collection({"type": "LineString", "coordinates": [[-71.1, 42.37]]})
    assert upload(client, token, "t-audited", "bad.geojson", bad).status_code == 422
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT actor, details FROM mapserver.audit_log WHERE action = "
                    "'upload-refused' AND target = 't-audited' ORDER BY id DESC LIMIT 1")
        actor, details = cur.fetchone()
    assert actor == "t-hostile" and details["status"] == 422
    assert details["file"] == "bad.geojson" and "cannot exist" in details["problem"]
