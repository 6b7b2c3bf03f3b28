"""Whole-layer downloads: every format read back by real readers, caching headers, counting.

On the small city (tests/fixtures/small-city): 229 parcels, 11 public buildings.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import planted_value

# A right-of-way parcel's WKT is longer than Python's default 128 KiB CSV field limit.
csv.field_size_limit(1 << 26)
FORMATS = ["geojson", "csv", "gpkg", "shp.zip", "kml"]


@pytest.fixture
def client(small_client):
    return small_client


@pytest.fixture
def conn(small_conn):
    return small_conn


@pytest.fixture
def live_server(small_live_server):
    return small_live_server


def download_count(conn, layer_id, fmt):
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(sum(count), 0) FROM mapserver.downloads "
                    "WHERE layer_id = %s AND format = %s", (layer_id, fmt))
        return cur.fetchone()[0]


def test_geojson_download_is_the_whole_layer_with_licence(client):
    response = client.get("/ogc/collections/parcels/download.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    doc = json.loads(response.data)
    assert len(doc["features"]) == 229
    assert doc["license"] == "https://opendatacommons.org/licenses/pddl/1-0/"
    assert doc["attribution"] == "City of Cambridge GIS"
    assert response.headers["Link"] == '<https://opendatacommons.org/licenses/pddl/1-0/>; ' \
                                       'rel="license"'
    assert "attachment" in response.headers["Content-Disposition"]


def test_csv_download_has_every_public_field_and_its_csvw_description(client):
    response = client.get("/ogc/collections/parcels/download.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert len(rows) == 229
    assert rows[0]["wkt"].startswith("MULTIPOLYGON")
    meta = client.get("/ogc/collections/parcels/download.csv-metadata.json").get_json(force=True)
    columns = [c["name"] for c in meta["tableSchema"]["columns"]]
    assert columns == list(rows[0])
    assert meta["dc:license"]["@id"].startswith("https://opendatacommons.org/")
    described = {c["name"]: c for c in meta["tableSchema"]["columns"]}
    assert described["year_built"]["datatype"] == "integer"
    assert described["address"]["dc:description"].startswith("Address on the deed")


def test_csv_neutralises_spreadsheet_formulas(client, conn):
    with planted_value(conn, "bus-shelters", "global_id", '=HYPERLINK("http://evil")'):
        text = client.get("/ogc/collections/bus-shelters/download.csv").data.decode()
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert "'=HYPERLINK(\"http://evil\")" in cells
        assert not any(cell[:1] in ("=", "+", "@") for cell in cells)


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip", "kml", "geojson"])
def test_geopandas_reads_each_download_url_completely(live_server, fmt):
    import geopandas

    frame = geopandas.read_file(f"{live_server}/ogc/collections/public-buildings/download.{fmt}")
    assert len(frame) == 11
    assert frame.geometry.geom_type.unique().tolist() == ["Point"]
    assert frame.total_bounds[0] > -71.2 and frame.total_bounds[2] < -71.0


def test_gpkg_of_parcels_has_the_public_schema(live_server, tmp_path):
    import fiona

    target = tmp_path / "parcels.gpkg"
    target.write_bytes(requests.get(f"{live_server}/ogc/collections/parcels/download.gpkg",
                                    timeout=300).content)
    with fiona.open(target) as layer:
        assert len(layer) == 229
        assert set(layer.schema["properties"]) == {
            "ml", "map", "lot", "loc_id", "address", "land_use", "land_use_code", "year_built",
            "units", "assessed_value"}
        assert "PDDL" in (layer.tags().get("LICENSE") or "")


def test_shapefile_zip_carries_the_licence(client):
    response = client.get("/ogc/collections/parks/download.shp.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert {"parks.shp", "parks.dbf", "parks.prj", "parks.shx", "LICENSE.txt"} <= set(names)
    assert "Licence:" in archive.read("LICENSE.txt").decode()


def test_kml_states_licence_and_attribution(client):
    text = client.get("/ogc/collections/bus-shelters/download.kml").data.decode()
    assert "<description>" in text and "Attribution:" in text and "<Placemark" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_etag_from_the_layer_version_and_304_not_counted(client, conn, fmt):
    first = client.get(f"/ogc/collections/zoning/download.{fmt}")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    with conn.cursor() as cur:
        cur.execute("SELECT version FROM mapserver.layers WHERE id = 'zoning'")
        version = cur.fetchone()[0]
    assert f"-v{version}-" in etag and first.headers["Last-Modified"]
    before = download_count(conn, "zoning", fmt)
    again = client.get(f"/ogc/collections/zoning/download.{fmt}",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert download_count(conn, "zoning", fmt) == before


def test_unknown_format_and_parameters_are_client_errors(client):
    assert client.get("/ogc/collections/parcels/download.exe").status_code == 404
    assert client.get("/ogc/collections/parcels/download.csv?x=1").status_code == 400
    assert client.get("/ogc/collections/nosuch/download.csv").status_code == 404


def test_concurrent_downloads_are_all_counted(live_server, conn):
    before = download_count(conn, "city-boundary", "geojson")
    url = f"{live_server}/ogc/collections/city-boundary/download.geojson"
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: requests.get(url, timeout=60).status_code, range(40)))
    assert statuses == [200] * 40
    assert download_count(conn, "city-boundary", "geojson") == before + 40
    meta = requests.get(f"{live_server}/ogc/collections/city-boundary", timeout=30).json()
    assert meta["downloads"]["by_format"]["geojson"] == before + 40
    assert meta["downloads"]["total"] >= before + 40


def test_counts_are_kept_per_category_for_the_kpi(client, conn):
    from mapserver.ogc import counts

    client.get("/ogc/collections/parks/download.csv")
    totals = counts.totals_by_category(conn)
    assert totals["environment"] >= 1  # parks are environment
    with conn.cursor() as cur:
        cur.execute("SELECT category FROM mapserver.downloads WHERE layer_id = 'parks' LIMIT 1")
        category = cur.fetchone()[0]
        cur.execute("SELECT manifest->>'category' FROM mapserver.layers WHERE id = 'parks'")
        assert category == cur.fetchone()[0]


def test_files_of_replaced_versions_are_removed(fresh_city):
    # A city of its own: the new version it makes is seen by no other test.
    import psycopg2

    from mapserver import create_app
    from mapserver.layers import edits

    settings = fresh_city.settings()
    client = create_app(settings).test_client()
    app_url = fresh_city.app_url
    folder = settings.var_dir / "downloads"
    assert client.get("/ogc/collections/city-boundary/download.gpkg").status_code == 200
    before = sorted(p.name for p in folder.glob("city-boundary-v*.gpkg"))
    assert len(before) == 1
    conn = psycopg2.connect(app_url)   # planners change layers as the application role
    try:
        edits.describe(conn, "city-boundary", {"keywords": ["boundary", "limits"]}, "test")
    finally:
        conn.close()
    assert client.get("/ogc/collections/city-boundary/download.gpkg").status_code == 200
    after = sorted(p.name for p in folder.glob("city-boundary-v*.gpkg"))
    assert len(after) == 1 and after != before  # only the served version's file is kept
