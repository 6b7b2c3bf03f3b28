"""Real clients against the OGC API over real HTTP: GDAL's OAPIF driver, OWSLib, Schemathesis.

They read the small city (tests/fixtures/small-city): what a client must do (follow next
links, page, parse) is the same for 229 parcels as for 13,115, in a second instead of 20.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests


@pytest.fixture
def live_server(small_live_server):
    return small_live_server


@pytest.fixture
def conn(small_conn):
    return small_conn


def _feature_counts(conn) -> dict:
    with conn.cursor() as cur:
        cur.execute("SELECT id, feature_count FROM mapserver.layers "
                    "WHERE version > 0 AND published")
        return dict(cur.fetchall())


def test_gdal_oapif_lists_every_public_collection_with_the_database_count(live_server, conn):
    expected = _feature_counts(conn)
    out = subprocess.run(["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{live_server}/ogc"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    found = dict(re.findall(r"Layer name: (\S+)\n(?:.*\n)*?Feature Count: (\d+)", out.stdout))
    assert {k: int(v) for k, v in found.items()} == expected


def test_gdal_reads_every_collection_completely_by_following_next_links(live_server, conn,
                                                                       tmp_path):
    # ogr2ogr pages through each collection (page size from the OpenAPI limit maximum) and
    # writes every feature it reached: the counts must be the database's.
    expected = _feature_counts(conn)
    target = tmp_path / "all.gpkg"
    out = subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{live_server}/ogc"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    info = subprocess.run(["ogrinfo", "-so", "-al", str(target)], capture_output=True,
                          text=True, check=True)
    found = dict(re.findall(r"Layer name: (\S+)\n(?:.*\n)*?Feature Count: (\d+)", info.stdout))
    assert {k: int(v) for k, v in found.items()} == expected
    assert "editor" not in info.stdout and "edit_date" not in info.stdout


def test_owslib_lists_collections_and_pages_through_items(live_server):
    from owslib.ogcapi.features import Features

    api = Features(live_server + "/ogc")
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"parcels", "bus-shelters", "street-lights"} <= ids
    first = api.collection_items("street-lights", limit=100)
    assert first["numberMatched"] == 137 and len(first["features"]) == 100
    second = api.collection_items("street-lights", limit=100, offset=100)
    assert len(second["features"]) == 37
    assert {f["id"] for f in first["features"]}.isdisjoint(f["id"] for f in second["features"])
    boxed = api.collection_items("parcels", bbox=[-71.1065, 42.366, -71.105, 42.367], limit=10)
    assert boxed["numberMatched"] == 14 and len(boxed["features"]) == 10  # as geopandas says


def test_the_openapi_document_is_valid_openapi_30(live_server):
    from openapi_spec_validator import validate

    doc = requests.get(live_server + "/ogc/api", timeout=30).json()
    validate(doc)


def test_schemathesis_finds_no_server_error(live_server, tmp_path):
    pytest.importorskip("schemathesis")
    out = subprocess.run(
        [str(Path(sys.executable).parent / "st"), "run", live_server + "/ogc/api",
         "--url", live_server + "/ogc",
         "--checks", "not_a_server_error", "--max-examples", "5", "--phases", "examples,fuzzing",
         "--request-timeout", "20", "--workers", "1",
         "--exclude-path-regex", "download|/collections/(streets|street-lights|parcels)/items$"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path)  # its cache stays there
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", out.stdout)
    assert generated and int(generated[1]) > 50 and generated[1] == generated[2]
