"""Privacy canary: the parcels' staff fields `editor` and `edit_date` never leave the server.

The demo parcels carry the initials of the person who last edited each parcel
(e.g. 'KJL') and the edit date: both are marked `staff` in layers/parcels.yaml.
Every public output is fetched and searched for the field names and their values.
"""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

import pytest

STAFF_NAMES = ("editor", "edit_date")
PUBLIC_TEXT_URLS = [
    "/ogc", "/ogc?f=html", "/ogc/conformance", "/ogc/api", "/ogc/api?f=html",
    "/ogc/collections", "/ogc/collections?f=html",
    "/ogc/collections/parcels", "/ogc/collections/parcels?f=html",
    "/ogc/collections/parcels/queryables", "/ogc/collections/parcels/queryables?f=html",
    "/ogc/collections/parcels/items?limit=10000", "/ogc/collections/parcels/items?f=html&limit=500",
    "/ogc/collections/parcels/items?limit=10000&offset=10000",
    "/ogc/collections/parcels/items?limit=10000&crs="
    + quote("http://www.opengis.net/def/crs/EPSG/0/2249", safe=""),
    "/ogc/collections/parcels/download.geojson", "/ogc/collections/parcels/download.csv",
    "/ogc/collections/parcels/download.csv-metadata.json",
    "/ogc/collections/parcels/download.kml",
    "/catalog", "/catalog.jsonld", "/catalog.ttl", "/layers",
]


@pytest.fixture
def client(small_client):
    """The small city's parcels carry the same staff columns as the whole city's."""
    return small_client


@pytest.fixture(scope="module")
def canaries(small_city):
    """Return staff values present in the data (3+ letter initials and edit dates)."""
    import psycopg2

    with psycopg2.connect(small_city.url) as c, c.cursor() as cur:
        # The served version's own table: the stable view shows public columns only.
        cur.execute("SELECT table_name FROM mapserver.layers WHERE id = 'parcels'")
        table = '"layers"."' + cur.fetchone()[0] + '"'
        cur.execute(f"SELECT DISTINCT editor FROM {table} WHERE length(editor) >= 3")
        initials = [r[0] for r in cur.fetchall()]
        cur.execute(f"SELECT DISTINCT edit_date::text FROM {table} "
                    "WHERE edit_date IS NOT NULL ORDER BY 1 LIMIT 50")
        dates = [r[0] for r in cur.fetchall()]
    assert "KJL" in initials and len(dates) > 10  # the canary is really in the data
    return initials + dates


@pytest.mark.parametrize("url", PUBLIC_TEXT_URLS)
def test_no_public_text_output_names_or_shows_a_staff_field(client, canaries, url):
    response = client.get(url)
    assert response.status_code == 200, url
    text = response.data.decode()
    for name in STAFF_NAMES:
        assert name not in text.lower(), (url, name)
    for value in canaries:
        assert value not in text, (url, value)


def test_one_feature_has_no_staff_field(client):
    feature = client.get("/ogc/collections/parcels/items/1").get_json(force=True)
    assert not set(STAFF_NAMES) & set(feature["properties"])


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip"])
def test_binary_downloads_have_no_staff_column_nor_value(client, canaries, tmp_path, fmt):
    import fiona

    data = client.get(f"/ogc/collections/parcels/download.{fmt}").data
    blobs = [data]
    if fmt == "shp.zip":
        archive = zipfile.ZipFile(io.BytesIO(data))
        blobs = [archive.read(name) for name in archive.namelist()]
    for blob in blobs:
        for name in STAFF_NAMES:
            assert name.encode() not in blob.lower()
    path = tmp_path / f"parcels.{fmt}"
    path.write_bytes(data)
    opened = f"zip://{path}" if fmt == "shp.zip" else str(path)
    with fiona.open(opened) as layer:
        assert not {n.lower()[:10] for n in layer.schema["properties"]} & {"editor", "edit_date"}
        values = {v for feature in layer for v in feature.properties.values()
                  if isinstance(v, str)}
    assert not values & set(canaries)


def _same_error(client, template: str):
    """Return the two answers for a staff field and an unknown field, the name normalised."""
    staff = client.get(template.format(quote("editor")))
    unknown = client.get(template.format(quote("nosuchfield")))
    assert staff.status_code == unknown.status_code == 400, template
    assert staff.get_json()["description"].replace("editor", "X") == \
        unknown.get_json()["description"].replace("nosuchfield", "X")
    return staff.get_json()


@pytest.mark.parametrize("template", [
    "/ogc/collections/parcels/items?sortby={}",
    "/ogc/collections/parcels/items?sortby=-{}",
    "/ogc/collections/parcels/items?properties=ml,{}",
    "/ogc/collections/parcels/items?{}=KJL",
    "/ogc/collections/parcels/items?filter={}%20%3D%20'KJL'",
    "/ogc/collections/parcels/items?filter={}%20IS%20NULL",
    "/ogc/collections/parcels/items?filter=ml%20%3D%20'x'%20AND%20{}%20LIKE%20'K%25'",
    "/ogc/collections/parcels/items/1?properties={}",
])
def test_sorting_or_filtering_on_a_staff_field_is_the_unknown_field_error(client, template):
    body = _same_error(client, template)
    # The answer lists what one may use instead: public fields only.
    assert "edit_date" not in body["description"]


def test_filtering_by_a_staff_value_reveals_nothing(client):
    # A filter on public fields only; nothing about who edited what can be inferred.
    page = client.get("/ogc/collections/parcels/items?filter=" + quote("ml = 'KJL'"))
    assert page.status_code == 200 and page.get_json(force=True)["numberMatched"] == 0
