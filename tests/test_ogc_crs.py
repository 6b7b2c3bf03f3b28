"""OGC API - Features Part 2 (CRS by reference) on the small city, checked against PROJ.

Coordinates the server transforms in PostGIS are compared with pyproj's
transformation of the same features' CRS84 coordinates; the Massachusetts
state plane (EPSG:2249 in US survey feet, EPSG:26986 in metres) is what the
city's own GIS uses.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import pyproj
import pytest
import requests

from mapserver import create_app
from mapserver.layers import registry
from mapserver.ogc import crs as crs_module

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
WGS84_LATLON, MERCATOR, MA_FEET, MA_METRES = (EPSG + "4326", EPSG + "3857", EPSG + "2249",
                                              EPSG + "26986")
CITY_DEFAULT = [CRS84, WGS84_LATLON, MERCATOR, MA_FEET, MA_METRES]
# Cambridge in EPSG:2249 (US survey feet): eastings ~748,000-774,000, northings
# ~2,953,000-2,973,000.  Latitude/longitude swapped would be nowhere near.
CAMBRIDGE_FEET = ((745_000, 777_000), (2_950_000, 2_976_000))


@pytest.fixture
def client(small_client):
    """The small city holds City Hall, its parcel 118-33 and the Central Square blocks."""
    return small_client


@pytest.fixture
def conn(small_conn):
    return small_conn


@pytest.fixture
def live_server(small_live_server):
    return small_live_server


def get(client, path, status=200, **query):
    response = client.get(path + ("?" + urlencode(query) if query else ""))
    assert response.status_code == status, (path, query, response.data[:500])
    return response


def city_hall(client, **query):
    page = get(client, "/ogc/collections/public-buildings/items", name="City Hall", **query)
    features = page.get_json(force=True)["features"]
    assert len(features) == 1
    return features[0], page


def parcel_118_33(client, **query):
    page = get(client, "/ogc/collections/parcels/items", ml="118-33", **query)
    features = page.get_json(force=True)["features"]
    assert len(features) == 1
    return features[0]


def rings(geometry):
    """Yield every ring of a (Multi)Polygon as a list of positions."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    for polygon in polygons:
        yield from polygon


def from_crs84(code: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("OGC:CRS84", code, always_xy=True)


# -- documents ------------------------------------------------------------------------------

def test_conformance_declares_part_2_crs(client):
    classes = get(client, "/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_collections_offer_crs84_first_then_the_city_list_and_store_crs84(client):
    alone = get(client, "/ogc/collections/public-buildings").get_json()
    assert alone["crs"] == CITY_DEFAULT
    assert alone["storageCrs"] == CRS84
    # The parcels' manifest declares EPSG:4326 for its TopoJSON: listed once, not twice.
    listed = {c["id"]: c for c in get(client, "/ogc/collections").get_json()["collections"]}
    assert listed["parcels"]["crs"] == CITY_DEFAULT
    assert all(c["storageCrs"] == CRS84 and c["crs"][0] == CRS84 for c in listed.values())


def test_a_source_crs_declared_in_a_manifest_is_offered_and_an_unknown_one_is_not(conn):
    record = registry.public_layer(conn, "bus-shelters")
    manifest = dict(record.manifest, sources=[
        dict(record.manifest["sources"][0], crs="EPSG:25832"),
        dict(record.manifest["sources"][0], crs="EPSG:999999")])
    declared = dataclasses.replace(record, manifest=manifest)
    assert crs_module.offered(conn, declared, extra_codes=(2249,)) == [
        CRS84, WGS84_LATLON, MERCATOR, EPSG + "25832", MA_FEET]
    # A shapefile's .prj says its CRS: the load report keeps what PROJ found in it.
    reported = dataclasses.replace(record, load_report={"sources": [{"crs": "EPSG:2263"}]})
    assert crs_module.offered(conn, reported, extra_codes=()) == [
        CRS84, WGS84_LATLON, MERCATOR, EPSG + "2263"]


def test_the_city_list_is_a_setting(small_settings):
    european = dataclasses.replace(small_settings, ogc_crs=(25832,))
    client = create_app(european).test_client()
    offered = get(client, "/ogc/collections/zoning").get_json()["crs"]
    assert offered == [CRS84, WGS84_LATLON, MERCATOR, EPSG + "25832"]
    assert get(client, "/ogc/collections/zoning/items", limit=1,
               crs=MA_FEET, status=400).get_json()["code"] == "InvalidParameterValue"


def test_openapi_declares_crs_and_bbox_crs_with_the_collections_list(client):
    doc = get(client, "/ogc/api").get_json(force=True)
    items = {p["name"]: p for p in doc["paths"]["/collections/parcels/items"]["get"]["parameters"]}
    assert items["crs"]["schema"]["enum"] == CITY_DEFAULT
    assert items["bbox-crs"]["schema"]["enum"] == CITY_DEFAULT
    assert items["crs"]["schema"]["default"] == CRS84
    one = doc["paths"]["/collections/parcels/items/{featureId}"]["get"]["parameters"]
    assert "crs" in {p["name"] for p in one}


# -- coordinates ----------------------------------------------------------------------------

def test_city_hall_in_state_plane_feet_matches_proj(client):
    lonlat, _ = city_hall(client)
    feet, response = city_hall(client, crs=MA_FEET)
    x, y = feet["geometry"]["coordinates"]
    assert CAMBRIDGE_FEET[0][0] < x < CAMBRIDGE_FEET[0][1]
    assert CAMBRIDGE_FEET[1][0] < y < CAMBRIDGE_FEET[1][1]
    expected = from_crs84("EPSG:2249").transform(*lonlat["geometry"]["coordinates"])
    assert abs(x - expected[0]) < 3 and abs(y - expected[1]) < 3  # feet
    assert response.headers["Content-Crs"] == f"<{MA_FEET}>"
    assert feet["properties"] == lonlat["properties"] and feet["id"] == lonlat["id"]
    assert "crs" not in feet["geometry"]  # no pre-RFC 7946 member from PostGIS


def test_a_parcel_in_state_plane_metres_matches_proj_vertex_by_vertex(client):
    lonlat = parcel_118_33(client)
    metres = parcel_118_33(client, crs=MA_METRES)
    to_metres = from_crs84("EPSG:26986")
    ours = [p for ring in rings(metres["geometry"]) for p in ring]
    theirs = [to_metres.transform(*p) for ring in rings(lonlat["geometry"]) for p in ring]
    assert len(ours) == len(theirs) > 3
    worst = max(max(abs(a[0] - b[0]), abs(a[1] - b[1])) for a, b in zip(ours, theirs,
                                                                        strict=True))
    assert worst < 1.0  # metres
    assert 225_000 < ours[0][0] < 240_000 and 898_000 < ours[0][1] < 908_000


def test_epsg_4326_is_latitude_first(client):
    lonlat, _ = city_hall(client)
    latlon, response = city_hall(client, crs=WGS84_LATLON)
    lat, lon = latlon["geometry"]["coordinates"]
    assert 42.36 < lat < 42.38 and -71.11 < lon < -71.10
    assert [lon, lat] == lonlat["geometry"]["coordinates"]
    assert response.headers["Content-Crs"] == f"<{WGS84_LATLON}>"


def test_web_mercator_matches_proj(client):
    lonlat, _ = city_hall(client)
    x, y = city_hall(client, crs=MERCATOR)[0]["geometry"]["coordinates"]
    expected = from_crs84("EPSG:3857").transform(*lonlat["geometry"]["coordinates"])
    assert abs(x - expected[0]) < 0.01 and abs(y - expected[1]) < 0.01


def test_content_crs_is_crs84_by_default_on_items_item_and_html(client):
    default = get(client, "/ogc/collections/parcels/items", limit=1)
    assert default.headers["Content-Crs"] == f"<{CRS84}>"
    fid = default.get_json(force=True)["features"][0]["id"]
    one = get(client, f"/ogc/collections/parcels/items/{fid}")
    assert one.headers["Content-Crs"] == f"<{CRS84}>"
    assert get(client, f"/ogc/collections/parcels/items/{fid}",
               crs=CRS84).headers["Content-Crs"] == f"<{CRS84}>"
    # The HTML page draws its map in longitude/latitude whatever was asked, and says so.
    html = get(client, "/ogc/collections/parcels/items", limit=1, f="html", crs=MA_FEET)
    assert html.mimetype == "text/html" and html.headers["Content-Crs"] == f"<{CRS84}>"


def test_one_feature_by_id_in_state_plane(client):
    lonlat, _ = city_hall(client)
    path = f"/ogc/collections/public-buildings/items/{lonlat['id']}"
    response = get(client, path, crs=MA_FEET)
    assert response.headers["Content-Crs"] == f"<{MA_FEET}>"
    x, y = response.get_json(force=True)["geometry"]["coordinates"]
    expected = from_crs84("EPSG:2249").transform(*lonlat["geometry"]["coordinates"])
    assert abs(x - expected[0]) < 3 and abs(y - expected[1]) < 3


# -- bbox-crs --------------------------------------------------------------------------------

def _ids(client, collection, **query):
    page = get(client, f"/ogc/collections/{collection}/items", limit=10000, **query)
    doc = page.get_json(force=True)
    assert doc["numberMatched"] == doc["numberReturned"]
    return {f["id"] for f in doc["features"]}


def test_bbox_in_state_plane_feet_selects_what_the_equivalent_crs84_box_selects(client):
    # A box of about 4,000 ft around Central Square; its CRS84 equivalent is the bounds
    # of the box's outline transformed by PROJ (the outline turns a little: the grid
    # is not aligned with the meridians this far east of the zone's central meridian).
    feet = (760_000, 2_957_000, 764_000, 2_961_000)
    to_lonlat = pyproj.Transformer.from_crs("EPSG:2249", "OGC:CRS84", always_xy=True)
    degrees = to_lonlat.transform_bounds(*feet, densify_pts=21)
    in_feet = _ids(client, "parcels", bbox=",".join(map(str, feet)), **{"bbox-crs": MA_FEET})
    in_degrees = _ids(client, "parcels", bbox=",".join(map(str, degrees)))
    assert 100 < len(in_feet) < 229   # most of the small city's parcels, not all
    assert in_feet == in_degrees
    # Read as degrees, the same numbers would be an error, not the same parcels.
    get(client, "/ogc/collections/parcels/items", bbox=",".join(map(str, feet)), status=400)


def test_bbox_in_epsg_4326_is_read_latitude_first(client):
    lonlat_box = (-71.12, 42.36, -71.10, 42.38)
    latlon_box = (42.36, -71.12, 42.38, -71.10)
    expected = _ids(client, "public-buildings", bbox=",".join(map(str, lonlat_box)))
    assert expected
    assert _ids(client, "public-buildings", bbox=",".join(map(str, latlon_box)),
                **{"bbox-crs": WGS84_LATLON}) == expected


def test_bbox_crs_and_crs_together_and_next_links_keep_both(live_server):
    query = {"bbox": "760000,2957000,764000,2961000", "bbox-crs": MA_FEET, "crs": MA_METRES,
             "limit": 50}
    first = requests.get(live_server + "/ogc/collections/parcels/items", params=query,
                         timeout=30)
    assert first.status_code == 200 and first.headers["Content-Crs"] == f"<{MA_METRES}>"
    nxt = next(link["href"] for link in first.json()["links"] if link["rel"] == "next")
    second = requests.get(nxt, timeout=30)
    assert second.headers["Content-Crs"] == f"<{MA_METRES}>"
    for page in (first, second):
        for feature in page.json()["features"]:
            x, y = next(rings(feature["geometry"]))[0]
            # 760,000-764,000 ft is about 231,650-232,870 m (and a parcel may stick out).
            assert 231_000 < x < 233_500 and 901_000 < y < 903_500


# -- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("parameter, value", [
    ("crs", EPSG + "9999"),
    ("crs", "EPSG:2249"),  # a CURIE-less code, not a URI
    ("crs", EPSG + "2249');SELECT pg_sleep(5);--"),
    ("bbox-crs", EPSG + "27700"),
    ("bbox-crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS83"),
])
def test_an_unsupported_crs_is_a_400_listing_the_supported_ones(client, parameter, value):
    query = {parameter: value, "limit": 1}
    if parameter == "bbox-crs":
        query["bbox"] = "0,0,1,1"
    response = get(client, "/ogc/collections/parcels/items", status=400, **query)
    body = response.get_json()
    assert set(body) == {"code", "description"} and body["code"] == "InvalidParameterValue"
    assert parameter in body["description"]
    assert all(uri in body["description"] for uri in CITY_DEFAULT)
    assert "select" not in body["description"].lower().replace(value.lower(), "")


def test_an_unsupported_crs_on_one_feature_is_a_400_too(client):
    lonlat, _ = city_hall(client)
    body = get(client, f"/ogc/collections/public-buildings/items/{lonlat['id']}",
               crs=EPSG + "27700", status=400).get_json()
    assert body["code"] == "InvalidParameterValue" and MA_FEET in body["description"]


@pytest.mark.parametrize("bbox", [
    "764000,2957000,760000,2961000",  # minimum easting above the maximum
    "760000,2961000,764000,2957000",
    "1e308,1e308,-1e308,-1e308",
])
def test_a_projected_bbox_the_wrong_way_round_is_a_400(client, bbox):
    body = get(client, "/ogc/collections/parcels/items", bbox=bbox, status=400,
               **{"bbox-crs": MA_FEET}).get_json()
    assert body["code"] == "InvalidParameterValue" and "bbox" in body["description"]


@pytest.mark.parametrize("bbox, crs", [
    ("-1e308,-1e308,1e308,1e308", MA_FEET),
    ("-1e300,-1e300,1e300,1e300", MERCATOR),
    ("1e300,1e300,1e301,1e301", MA_METRES),
])
def test_absurd_projected_boxes_are_answered_never_a_500(client, bbox, crs):
    response = client.get("/ogc/collections/parcels/items?" + urlencode(
        {"bbox": bbox, "bbox-crs": crs, "limit": 1}))
    assert response.status_code in (200, 400), response.data[:300]
    assert b"SELECT" not in response.data and b"ST_" not in response.data


# -- real clients ----------------------------------------------------------------------------

def test_owslib_reads_items_in_state_plane_and_sees_the_content_crs(live_server):
    from owslib.ogcapi.features import Features

    api = Features(live_server + "/ogc")
    assert api.collection("parcels")["crs"] == CITY_DEFAULT
    page = api.collection_items("public-buildings", crs=MA_FEET, limit=200)
    assert api.response_headers["Content-Crs"] == f"<{MA_FEET}>"
    assert page["numberReturned"] == page["numberMatched"] == 11   # the small city's
    for feature in page["features"]:
        x, y = feature["geometry"]["coordinates"]
        assert CAMBRIDGE_FEET[0][0] < x < CAMBRIDGE_FEET[0][1]
        assert CAMBRIDGE_FEET[1][0] < y < CAMBRIDGE_FEET[1][1]
