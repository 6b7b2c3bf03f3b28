"""Privacy canary: the parcels' staff fields `editor` and `edit_date` never leave the server.

The demo parcels carry the initials of the person who last edited each parcel
(e.g. 'KJL') and the edit date: both are marked `staff` in layers/parcels.yaml.
Every public output is fetched and searched for the field names and their values:
the outputs are found by walking the app's URL map (every GET rule, its arguments
filled with samples that reach the parcel holding a planted canary), besides a
hand-kept list of URLs with query strings worth checking on their own.
"""

from __future__ import annotations

import gzip
import io
import itertools
import re
import zipfile
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from mapserver.ogc.describe import DOWNLOADS
from mapserver.tiles.grid import lonlat_to_tile
from mapserver.web.i18n import LANGUAGES
from tests.conftest import planted_value

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


# The walk: every GET rule of the app, each argument filled with samples.
CANARY = "zz-staff-canary-5183"   # planted in one parcel's `editor`: any sighting is a leak
CRS_2249 = quote("http://www.opengis.net/def/crs/EPSG/0/2249", safe="")
# Rules no sample can reach, with why (none today: keep this list empty if possible).
UNSAMPLED: dict[str, str] = {}
# Admin rules answer an anonymous client with a refusal (test_admin checks the roles);
# their refusals are checked for leaks like any other answer.
REFUSED = (302, 401)


@pytest.fixture(scope="module")
def app(small_app):
    """The walk reads the small city: every GET rule, whole-layer downloads included."""
    return small_app


@pytest.fixture(scope="module")
def planted(small_city):
    """Plant CANARY in one parcel; return samples that reach it (fid, bbox, tile)."""
    import psycopg2

    conn = psycopg2.connect(small_city.url)
    try:
        with planted_value(conn, "parcels", "editor", CANARY) as fid:
            with conn.cursor() as cur:
                cur.execute("SELECT table_name FROM mapserver.layers WHERE id = 'parcels'")
                table = cur.fetchone()[0]
                cur.execute(f'SELECT ml, ST_X(p), ST_Y(p), ST_XMin(g), ST_YMin(g), ST_XMax(g),'
                            f' ST_YMax(g) FROM (SELECT ml, geom AS g, ST_PointOnSurface(geom)'
                            f' AS p FROM layers."{table}" WHERE fid = %s) s', (fid,))
                ml, lon, lat, *bbox = cur.fetchone()
                cur.execute("SELECT table_name FROM mapserver.layers"
                            " WHERE id = 'public-buildings'")
                cur.execute(f'SELECT min(fid) FROM layers."{cur.fetchone()[0]}"')
                building = cur.fetchone()[0]
            conn.commit()
            z = 16
            yield {"fid": fid, "ml": ml, "bbox": ",".join(f"{v:.6f}" for v in bbox),
                   "tile": (z, *lonlat_to_tile(lon, lat, z)), "building": building}
    finally:
        conn.close()


def _samples(planted) -> tuple[dict, dict, dict]:
    """Return (values by argument name, values by endpoint and argument, queries by endpoint)."""
    z, x, y = (str(v) for v in planted["tile"])
    by_name = {
        "layer_id": ["parcels"], "collection_id": ["parcels"], "collection": ["parcels"],
        "layer": ["parcels"], "layers": ["parcels", "parcels,public-buildings"],
        "fid": [str(planted["fid"])], "feature_id": [str(planted["fid"])],
        "z": [z], "x": [x], "y": [y],
        "matrix_set": ["WebMercatorQuad"], "tile_matrix": [z], "tile_row": [y], "tile_col": [x],
        "fmt": list(DOWNLOADS), "lang": list(LANGUAGES),
    }
    by_endpoint = {
        "buildings.building": {"fid": [str(planted["building"])]},
        "mapsite.static_file": {"path": ["js/popup.js", "js/layers.js", "css/map.css"]},
        "mapsite.vendor_file": {"path": ["leaflet/leaflet.js"]},
    }
    box = f"bbox={planted['bbox']}"
    queries = {
        "ogc.items": [box, f"{box}&f=html", f"{box}&crs={CRS_2249}", f"{box}&properties=ml"],
        "ogc.item": ["", "f=html"], "ogc.collection": ["", "f=html"],
        "ogc.queryables": ["", "f=html"], "ogc.collections": ["", "f=html"],
        "ogc.landing": ["", "f=html"], "ogc.api": ["", "f=html"],
        "ogc.conformance": ["", "f=html"],
        "map_api.features_in_box": [box],
        "map_api.search": [f"q={planted['ml']}", "q=KJL", f"q={CANARY}"],
    }
    return by_name, by_endpoint, queries


def walk(app, planted):
    """Yield (rule, sample URL) for every GET rule of the app."""
    by_name, by_endpoint, queries = _samples(planted)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in UNSAMPLED:
            continue
        names = sorted(rule.arguments)
        values = [by_endpoint.get(rule.endpoint, {}).get(n) or by_name[n] for n in names]
        for combination in itertools.product(*values):
            path = rule.rule
            for name, value in zip(names, combination, strict=True):
                path = re.sub(r"<(?:[a-z]+:)?" + name + ">", value, path)
            for query in queries.get(rule.endpoint, [""]):
                yield rule, path + ("?" + query if query else "")


def test_every_get_rule_is_sampled_or_listed_with_why(app, planted):
    by_name, by_endpoint, _ = _samples(planted)
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in UNSAMPLED:
            missing = [n for n in rule.arguments
                       if n not in by_name and n not in by_endpoint.get(rule.endpoint, {})]
            assert not missing, (rule.rule, "give a sample or list it in UNSAMPLED")
    assert all(reason for reason in UNSAMPLED.values())


def _body(response, url: str) -> bytes:
    """Return what a response says, unpacked, without the values the client itself sent."""
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    if data[:2] == b"PK":   # a zipped Shapefile: look inside
        archive = zipfile.ZipFile(io.BytesIO(data))
        data = b"".join(archive.read(name) for name in archive.namelist())
    for _, value in parse_qsl(urlsplit(url).query):
        data = data.replace(value.encode(), b"")   # the search echoes its query
    return data


def test_no_answer_of_any_get_rule_names_or_shows_a_staff_field(app, canaries, planted):
    client = app.test_client()
    checked = 0
    for rule, url in walk(app, planted):
        response = client.get(url)
        public = not rule.rule.startswith("/admin") or rule.endpoint == "admin_pages.login"
        expected = (200,) if public else REFUSED
        assert response.status_code in expected, (url, response.status_code)
        body = _body(response, url)
        for name in STAFF_NAMES:
            assert name.encode() not in body.lower(), (url, name)
        for value in [CANARY, *canaries]:
            assert value.encode() not in body, (url, value)
        checked += 1
    assert checked > 60


def test_the_walk_reaches_the_planted_parcel(app, planted):
    """The samples are worth something only if the canary's parcel is in what they fetch."""
    import mapbox_vector_tile

    client = app.test_client()
    fid = planted["fid"]
    urls = {rule.endpoint: url for rule, url in walk(app, planted)}
    feature = client.get(urls["ogc.item"].split("?")[0]).get_json(force=True)
    assert feature["id"] == fid and feature["properties"]["ml"] == planted["ml"]
    items = client.get(f"/ogc/collections/parcels/items?bbox={planted['bbox']}")
    assert fid in [f["id"] for f in items.get_json(force=True)["features"]]
    z, x, y = planted["tile"]
    tile = mapbox_vector_tile.decode(client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt").data)
    assert fid in [f["id"] for f in tile["parcels"]["features"]]
    found = client.get(f"/api/search?q={planted['ml']}").get_json()["results"]
    assert fid in [r["fid"] for r in found if r["layer"] == "parcels"]
    assert client.get(f"/api/search?q={CANARY}").get_json()["results"] == []
