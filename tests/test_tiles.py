"""Vector tiles over HTTP: content decoded with mapbox-vector-tile, headers, bad input.

On the small city, whose main box is Central Square and City Hall.
"""

from __future__ import annotations

import mapbox_vector_tile
import psycopg2
import pytest
import requests

from mapserver.tiles.grid import lonlat_to_tile

# Central Square, Cambridge: dense parcels, streets and street lights.
CENTRAL = (-71.1037, 42.3656)
PARCEL_STAFF = {"editor", "edit_date"}
MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture
def client(small_client):
    return small_client


@pytest.fixture
def live_server(small_live_server):
    return small_live_server


@pytest.fixture
def city_url(small_city):
    """The database the tiles are made from, to count what a tile should hold."""
    return small_city.url


def tile_at(z, lonlat=CENTRAL):
    x, y = lonlat_to_tile(*lonlat, z)
    return z, x, y


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data)


def table_of(city_url, layer_id):
    with psycopg2.connect(city_url) as c, c.cursor() as cur:
        cur.execute("SELECT table_name, version FROM mapserver.layers WHERE id = %s",
                    (layer_id,))
        return cur.fetchone()


def count_in_tile(city_url, layer_id, z, x, y, *, margin: bool):
    table, _ = table_of(city_url, layer_id)
    envelope = "ST_TileEnvelope(%s, %s, %s, margin => 64/4096.0)" if margin else \
        "ST_TileEnvelope(%s, %s, %s)"
    with psycopg2.connect(city_url) as c, c.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM layers."{table}" WHERE ST_Intersects(geom_3857, '
                    f'{envelope})', (z, x, y))
        return cur.fetchone()[0]


def test_parcel_tile_holds_the_parcels_of_the_tile_with_public_fields_only(client, city_url):
    z, x, y = tile_at(16)
    response = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.mimetype == MVT
    layers = decode(response.data)
    assert list(layers) == ["parcels"]
    features = layers["parcels"]["features"]
    inside = count_in_tile(city_url, "parcels", z, x, y, margin=False)
    with_margin = count_in_tile(city_url, "parcels", z, x, y, margin=True)
    assert inside > 20
    assert inside <= len(features) <= with_margin
    public = {"ml", "map", "lot", "loc_id", "address", "land_use", "land_use_code",
              "year_built", "units", "assessed_value"}
    keys = set().union(*(f["properties"] for f in features))
    assert keys <= public
    assert {"ml", "address", "land_use"} <= keys
    assert not keys & PARCEL_STAFF


def test_staff_fields_exist_in_the_database_but_in_no_tile(client, city_url):
    table, _ = table_of(city_url, "parcels")
    with psycopg2.connect(city_url) as c, c.cursor() as cur:
        cur.execute(f'SELECT count(editor), count(edit_date) FROM layers."{table}"')
        editors, dates = cur.fetchone()
    assert editors > 0 and dates > 0   # the data has them: the tiles must leave them out
    for z in (14, 15, 16, 17):
        z, x, y = tile_at(z)
        data = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt").data
        for feature in decode(data)["parcels"]["features"]:
            assert not set(feature["properties"]) & PARCEL_STAFF
    body = client.get("/tiles/parcels.json").get_data(as_text=True)
    assert "editor" not in body and "edit_date" not in body and "Initials" not in body


def test_feature_ids_are_the_fids_popups_fetch(client, city_url):
    z, x, y = tile_at(17)
    features = decode(client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt").data)["parcels"]["features"]
    table, _ = table_of(city_url, "parcels")
    with psycopg2.connect(city_url) as c, c.cursor() as cur:
        for feature in features[:10]:
            cur.execute(f'SELECT ml FROM layers."{table}" WHERE fid = %s', (feature["id"],))
            assert cur.fetchone()[0] == feature["properties"]["ml"]


def test_points_are_clustered_at_low_zoom_and_whole_at_high_zoom(client, city_url):
    z, x, y = tile_at(11)
    layer = decode(client.get(f"/tiles/public-buildings/{z}/{x}/{y}.mvt").data)
    features = layer["public-buildings"]["features"]
    total = sum(f["properties"]["point_count"] for f in features)
    assert count_in_tile(city_url, "public-buildings", z, x, y, margin=False) <= total
    assert total <= count_in_tile(city_url, "public-buildings", z, x, y, margin=True)
    assert len(features) < total          # some points were merged
    z, x, y = tile_at(15)
    response = client.get(f"/tiles/public-buildings/{z}/{x}/{y}.mvt")
    for feature in decode(response.data)["public-buildings"]["features"]:
        assert "point_count" not in feature["properties"]
        assert "name" in feature["properties"]


def test_low_zoom_polygons_are_simplified(client, city_url):
    """A z11 tile of zoning is smaller than the same features unsimplified would be."""
    z, x, y = tile_at(11)
    data = client.get(f"/tiles/zoning/{z}/{x}/{y}.mvt").data
    table, _ = table_of(city_url, "zoning")
    with psycopg2.connect(city_url) as c, c.cursor() as cur:
        cur.execute(f"SELECT ST_AsMVT(q, 'zoning', 4096, 'geom') FROM (SELECT ST_AsMVTGeom("
                    f"geom_3857, ST_TileEnvelope(%s,%s,%s), 4096, 64, true) AS geom FROM "
                    f'layers."{table}") q', (z, x, y))
        raw = bytes(cur.fetchone()[0])
    assert 0 < len(data) < len(raw)


def test_composite_tile_holds_each_layer_once(client):
    z, x, y = tile_at(16)
    response = client.get(f"/tiles/parcels,streets,parcels/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    layers = decode(response.data)
    assert sorted(layers) == ["parcels", "streets"]
    single = decode(client.get(f"/tiles/streets/{z}/{x}/{y}.mvt").data)
    assert len(layers["streets"]["features"]) == len(single["streets"]["features"]) > 0


def test_composite_leaves_out_layers_outside_their_zooms(client):
    z, x, y = tile_at(12)   # parcels start at 14, streets at 12
    layers = decode(client.get(f"/tiles/parcels,streets/{z}/{x}/{y}.mvt").data)
    assert list(layers) == ["streets"]


def test_empty_tiles_are_always_204(client):
    # A tile in the Atlantic, and a zoom below parcels' minzoom (14).
    for url in ("/tiles/parcels/16/20000/24000.mvt", "/tiles/parcels/10/309/378.mvt"):
        for _ in range(2):   # uncached, then cached
            response = client.get(url)
            assert response.status_code == 204
            assert response.data == b""
            assert response.headers["ETag"]


def test_etag_and_cache_control_and_304(client):
    z, x, y = tile_at(15)
    url = f"/tiles/parcels/{z}/{x}/{y}.mvt"
    first = client.get(url)
    etag = first.headers["ETag"]
    version = table_of_version(client)
    assert f"@{version}/" in etag and f"/{z}/{x}/{y}" in etag
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    pinned = client.get(url + f"?v={version}")
    assert "immutable" in pinned.headers["Cache-Control"]


def table_of_version(client):
    return next(layer["version"] for layer in client.get("/layers").get_json()["layers"]
                if layer["id"] == "parcels")


@pytest.mark.parametrize("path, status", [
    ("/tiles/parcels/-1/0/0.mvt", 400),
    ("/tiles/parcels/14/-3/5.mvt", 400),
    ("/tiles/parcels/1.5/0/0.mvt", 400),
    ("/tiles/parcels/abc/0/0.mvt", 400),
    ("/tiles/parcels/14/0/1e3.mvt", 400),
    ("/tiles/parcels/23/0/0.mvt", 400),
    ("/tiles/parcels/99999999999999999999/0/0.mvt", 400),
    ("/tiles/parcels/3/8/0.mvt", 400),
    ("/tiles/parcels/3/0/8.mvt", 400),
    ("/tiles/parcels/22/4194304/0.mvt", 400),
    ("/tiles/nowhere/14/0/0.mvt", 404),
    ("/tiles/Parcels/14/0/0.mvt", 404),
    ("/tiles/parcels,,streets/14/0/0.mvt", 400),
    ("/tiles/parcels,nowhere/14/0/0.mvt", 404),
    ("/tiles/" + ",".join(["parcels", "streets", "parks", "zoning", "neighbourhoods",
                           "bus-shelters", "street-lights", "city-boundary",
                           "public-buildings", "a-1", "a-2"]) + "/14/0/0.mvt", 400),
    ("/tiles/nowhere.json", 404),
    ("/ogc/collections/nowhere/tiles", 404),
    ("/ogc/collections/parcels/tiles/WorldCRS84Quad/1/0/0", 404),
    ("/ogc/collections/parcels/tiles/WebMercatorQuad/3/0/8", 400),
    ("/ogc/collections/parcels,streets/tiles/WebMercatorQuad/3/0/0", 404),
])
def test_bad_tile_requests_get_a_clear_json_error(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"code", "description"}
    assert "Fix:" in body["description"]
    assert "SELECT" not in body["description"] and "Traceback" not in body["description"]


def test_duplicates_do_not_count_towards_the_composite_limit(client):
    names = ",".join(["parcels"] * 15 + ["streets"])
    assert client.get(f"/tiles/{names}/16/19824/24240.mvt").status_code in (200, 204)


def test_tilejson_describes_the_layer(client, live_server):
    doc = requests.get(f"{live_server}/tiles/parcels.json", timeout=30).json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["minzoom"] == 14 and doc["maxzoom"] == 22
    minx, miny, maxx, maxy = doc["bounds"]
    assert -71.2 < minx < maxx < -71.0 and 42.3 < miny < maxy < 42.45
    lon, lat, zoom = doc["center"]
    assert minx < lon < maxx and miny < lat < maxy and 14 <= zoom <= 22
    assert doc["attribution"] == "City of Cambridge GIS"
    (layer,) = doc["vector_layers"]
    assert layer["id"] == "parcels"
    assert layer["fields"]["year_built"].startswith("Year the building was constructed")
    assert not set(layer["fields"]) & PARCEL_STAFF
    template = doc["tiles"][0]
    assert template.startswith(live_server + "/tiles/parcels/{z}/{x}/{y}.mvt")
    z, x, y = tile_at(16)
    tile = requests.get(template.format(z=z, x=x, y=y), timeout=30)
    assert tile.status_code == 200 and tile.headers["Content-Type"] == MVT
    assert "immutable" in tile.headers["Cache-Control"]   # the template names the version
    assert decode(tile.content)["parcels"]["features"]


def test_point_layer_tilejson_names_point_count(client):
    fields = client.get("/tiles/public-buildings.json").get_json()["vector_layers"][0]["fields"]
    assert "point_count" in fields and "name" in fields


def test_ogc_api_tiles(client):
    tilesets = client.get("/ogc/collections/parcels/tiles").get_json()
    (entry,) = tilesets["tilesets"]
    assert entry["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    item = next(link for link in entry["links"] if link["rel"] == "item")
    assert item["templated"] and "{tileMatrix}/{tileRow}/{tileCol}" in item["href"]
    meta = client.get("/ogc/collections/parcels/tiles/WebMercatorQuad").get_json()
    assert meta["dataType"] == "vector"
    limits = {lim["tileMatrix"]: lim for lim in meta["tileMatrixSetLimits"]}
    assert min(map(int, limits)) == 14
    z, x, y = tile_at(16)
    lim = limits["16"]
    assert lim["minTileCol"] <= x <= lim["maxTileCol"]
    assert lim["minTileRow"] <= y <= lim["maxTileRow"]
    props = meta["layers"][0]["propertiesSchema"]["properties"]
    assert "ml" in props and not set(props) & PARCEL_STAFF
    ogc = client.get(f"/ogc/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}")
    xyz = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    assert ogc.status_code == 200 and ogc.mimetype == MVT
    assert ogc.data == xyz.data


def test_composite_of_every_demo_layer(client):
    from tests.conftest import DEMO_LAYERS

    z, x, y = tile_at(16)
    response = client.get(f"/tiles/{','.join(DEMO_LAYERS)}/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    layers = decode(response.data)
    assert {"parcels", "streets", "street-lights", "city-boundary"} <= set(layers)
    assert set(layers) <= set(DEMO_LAYERS)
