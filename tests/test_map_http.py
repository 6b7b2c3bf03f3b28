"""The residents' map over plain HTTP: page, features, search, buildings, feedback.

On the small city (tests/fixtures/small-city): 23 Rockwell St, City Hall and the Central
Square library are in it.
"""

from __future__ import annotations

import json
import re

import psycopg2
import pytest

from mapserver.layers import registry


def _config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html, re.S)
    assert match, "the page carries its configuration blob"
    return json.loads(match.group(1))


@pytest.fixture
def client(small_client):
    return small_client


@pytest.fixture
def conn(small_conn):
    return small_conn


@pytest.fixture
def fresh_rate(small_city):
    """Forget earlier submissions so the rate limit starts from zero."""
    with psycopg2.connect(small_city.url) as c, c.cursor() as cur:
        cur.execute("DELETE FROM mapserver.feedback_rate")
    yield


def test_map_page_lists_every_published_module_with_default_state(client, conn):
    # Other tests publish layers of their own in the shared database: compare with the
    # registry's public layers, and require the nine demo modules among them.
    public = {layer.id for layer in registry.public_layers(conn)}
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    config = _config(html)
    ids = {layer["id"] for layer in config["layers"]}
    assert ids == public
    assert ids >= {"parcels", "public-buildings", "streets", "parks", "zoning", "neighbourhoods",
                   "bus-shelters", "street-lights", "city-boundary"}
    by_id = {layer["id"]: layer for layer in config["layers"]}
    assert by_id["parcels"]["default_on"] is True and by_id["zoning"]["default_on"] is False
    # 229 parcels draw as GeoJSON; the whole city's 13,115 are dense (see test_demo_city).
    assert by_id["parcels"]["dense"] is False and by_id["public-buildings"]["dense"] is False
    assert by_id["parcels"]["style"]["color"] == "#7a6a53"
    labels = {f["name"]: f["label"] for f in by_id["parcels"]["fields"]}
    assert labels["ml"] == "Parcel id" and labels["address"] == "Address"
    assert "editor" not in labels, "a staff field never reaches the page"
    assert "editor" not in html
    assert {c["id"] for c in config["categories"]} >= {"cadastre", "public-services"}
    # Leaflet is served by the app, never from a CDN.
    assert "/vendor/leaflet/leaflet.js" in html and "cdn" not in html.lower()


def test_map_page_speaks_romanian_from_the_browser_and_the_switch(client):
    html = client.get("/", headers={"Accept-Language": "ro-RO,ro;q=0.9"}).get_data(as_text=True)
    config = _config(html)
    assert config["lang"] == "ro" and '<html lang="ro">' in html
    titles = {layer["id"]: layer["title"] for layer in config["layers"]}
    assert titles["parcels"] == "Parcele cadastrale"
    assert config["messages"]["search_button"] == "Caută"
    switched = client.get("/?lang=hu", headers={"Accept-Language": "ro"})
    assert _config(switched.get_data(as_text=True))["lang"] == "hu"
    assert "lang=hu" in switched.headers["Set-Cookie"]


def test_vendor_serves_only_listed_files(client):
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/vendor/leaflet/leaflet.css").mimetype == "text/css"
    assert client.get("/vendor/leaflet/package.json").status_code == 404
    assert client.get("/vendor/../pyproject.toml").status_code == 404
    assert client.get("/static/js/main.js").status_code == 200
    assert client.get("/static/package.json").status_code == 404
    assert client.get("/static/node_modules/leaflet/package.json").status_code == 404


def test_features_in_a_box_are_public_and_bounded(client):
    bbox = "-71.108,42.363,-71.103,42.368"
    response = client.get(f"/map/features/public-buildings.geojson?bbox={bbox}")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 8
    for feature in body["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert -71.108 <= lon <= -71.103 and 42.363 <= lat <= 42.368
        assert set(feature["properties"]) == {"fid", "label", "address"}
    limited = client.get(f"/map/features/parcels.geojson?bbox={bbox}&limit=5").get_json()
    assert len(limited["features"]) == 5 and limited["truncated"] is True


@pytest.mark.parametrize("query, fragment", [
    ("", "bbox is missing"),
    ("bbox=1,2,3", "instead of 4"),
    ("bbox=a,b,c,d", "not a number"),
    ("bbox=0,0,1,nan", "NaN"),
    ("bbox=0,0,200,1", "outside"),
    ("bbox=1,1,0,0", "above its maximum"),
    ("bbox=0,0,1,1&limit=-3", "positive whole number"),
])
def test_features_reject_bad_boxes_with_400(client, query, fragment):
    response = client.get(f"/map/features/parcels.geojson?{query}")
    assert response.status_code == 400
    assert fragment in response.get_json()["description"]


def test_unknown_layer_and_feature_are_404(client):
    assert client.get("/map/features/nope.geojson?bbox=0,0,1,1").status_code == 404
    assert client.get("/map/features/parcels/999999999.json").status_code == 404
    assert client.get("/map/features/parcels/abc.json").status_code == 404


@pytest.mark.parametrize("digits", ["²", "①", "٣", "３"])
def test_numbers_not_in_ascii_digits_are_client_errors(client, digits, fresh_rate):
    # '²'.isdigit() is True and int('²') raises: limit=², /map/features/parcels/².json and
    # /buildings/² used to answer 500. '٣' (Arabic-Indic three) was read as 3.
    limit = client.get(f"/map/features/parcels.geojson?bbox=0,0,1,1&limit={digits}")
    assert limit.status_code == 400
    assert "limit" in limit.get_json()["description"]
    assert "0-9" in limit.get_json()["description"]
    assert client.get(f"/map/features/parcels/{digits}.json").status_code == 404
    assert client.get(f"/buildings/{digits}").status_code == 404
    score = client.post("/api/feedback/score", json={"score": digits})
    assert score.status_code == 400


def test_map_features_refuse_a_box_crossing_the_antimeridian(client):
    response = client.get("/map/features/parcels.geojson?bbox=177,40,-177,45")
    assert response.status_code == 400
    description = response.get_json()["description"]
    assert "antimeridian" in description and "Fix:" in description


def test_search_finds_parcel_127_123_with_its_address(client):
    body = client.get("/api/search?q=127-123").get_json()
    first = body["results"][0]
    assert first["layer"] == "parcels" and first["label"] == "127-123"
    assert first["detail"] == "23 ROCKWELL ST"
    feature = client.get(f"/map/features/parcels/{first['fid']}.json").get_json()
    assert feature["properties"]["address"] == "23 ROCKWELL ST"
    assert feature["properties"]["land_use"]
    assert "editor" not in feature["properties"]


def test_search_finds_addresses_and_building_names(client):
    by_address = client.get("/api/search?q=23 rockwell").get_json()["results"]
    assert any(r["detail"] == "23 ROCKWELL ST" for r in by_address)
    library = client.get("/api/search?q=library").get_json()["results"]
    assert any(r["layer"] == "public-buildings" for r in library)
    misspelt = client.get("/api/search?q=rockwel st").get_json()["results"]
    assert misspelt, "trigram similarity forgives a missing letter"


@pytest.mark.parametrize("q, status", [
    ("", 400), ("   ", 400), ("a", 400), ("x" * 101, 400), ("ab\u202ecd", 400),
])
def test_search_rejects_empty_huge_and_control_strings(client, q, status):
    response = client.get("/api/search", query_string={"q": q}, headers={"Accept-Language": "ro"})
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue"
    assert "căutat" in body["description"], "the message is in the reader's language"


def test_a_nul_anywhere_is_refused_before_any_view_in_the_readers_language(client):
    response = client.get("/api/search", query_string={"q": "abc\x00def"},
                          headers={"Accept-Language": "ro"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue" and "caracter NUL" in body["description"]


@pytest.mark.parametrize("q", ["'; DROP TABLE mapserver.layers; --", "%", "_", "\\", "<script>",
                              "127-123' OR '1'='1", "%%%%%%%%"])
def test_search_treats_hostile_strings_as_plain_text(client, q):
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        results = response.get_json()["results"]
        if q in ("%", "_", "%%%%%%%%", "\\"):
            # Wildcards are escaped: '%' is a literal percent sign, which no name holds.
            assert results == []
    assert client.get("/api/search?q=127-123").get_json()["results"], "the tables survived"


def test_building_page_shows_accessibility_and_qr(client):
    first = client.get("/api/search?q=library").get_json()["results"][0]
    response = client.get(f"/buildings/{first['fid']}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for label in ("Step-free entrance", "Accessible toilet", "Accessible parking",
                  "Opening hours", "Accessibility contact", "Address"):
        assert label in html
    assert "<svg" in html and f"/buildings/{first['fid']}" in html
    ro = client.get(f"/buildings/{first['fid']}", headers={"Accept-Language": "ro"})
    assert "Intrare fără trepte" in ro.get_data(as_text=True)


def test_building_links_to_its_parcel(client, small_city):
    with psycopg2.connect(small_city.url) as c, c.cursor() as cur:
        cur.execute('SELECT fid, parcel_ml FROM layers."public-buildings"'
                    " WHERE parcel_ml IS NOT NULL LIMIT 1")
        fid, ml = cur.fetchone()
    html = client.get(f"/buildings/{fid}").get_data(as_text=True)
    assert f"/?find={ml}" in html


@pytest.mark.parametrize("fid", ["999999999", "abc", "-1", "1" * 40])
def test_unknown_building_is_a_404_page_in_the_readers_language(client, fid):
    response = client.get(f"/buildings/{fid}", headers={"Accept-Language": "ro"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Clădirea nu a fost găsită" in response.get_data(as_text=True)


def test_qr_sheet_holds_one_code_per_building(client, small_city):
    with psycopg2.connect(small_city.url) as c, c.cursor() as cur:
        cur.execute('SELECT count(*) FROM layers."public-buildings"')
        count = cur.fetchone()[0]
    html = client.get("/buildings/qr-sheet").get_data(as_text=True)
    assert html.count('class="qr-card"') == count
    assert html.count("<svg") == count


def test_nps_score_is_stored(client, small_city, fresh_rate):
    response = client.post("/api/feedback/score", json={"score": 9, "comment": "handy"})
    assert response.status_code == 201
    with psycopg2.connect(small_city.url) as c, c.cursor() as cur:
        cur.execute("SELECT score, comment FROM mapserver.feedback_scores ORDER BY id DESC LIMIT 1")
        assert cur.fetchone() == (9, "handy")


@pytest.mark.parametrize("body", [{"score": 11}, {"score": -1}, {"score": "ten"}, {"score": None},
                                  {"score": 3.5}, {"score": True}, {}])
def test_nps_rejects_scores_outside_0_to_10(client, fresh_rate, body):
    response = client.post("/api/feedback/score", json=body, headers={"Accept-Language": "ro"})
    assert response.status_code == 400
    assert "de la 0 la 10" in response.get_json()["description"]


def test_feedback_rejects_oversized_comment_and_bad_json(client, fresh_rate):
    response = client.post("/api/feedback/score", json={"score": 5, "comment": "x" * 2001})
    assert response.status_code == 400 and "2000" in response.get_json()["description"]
    response = client.post("/api/feedback/score", data="[1, 2]",
                           content_type="application/json")
    assert response.status_code == 400


def test_dataset_request_keeps_script_verbatim_shows_it_escaped_and_contact_private(
        client, small_city, fresh_rate):
    hostile = "<script>alert('x')</script> bike lanes"
    response = client.post("/api/feedback/dataset-request",
                           json={"what": hostile, "why": "safety", "contact": "me@example.org"})
    assert response.status_code == 201
    with psycopg2.connect(small_city.url) as c, c.cursor() as cur:
        cur.execute("SELECT what, contact FROM mapserver.dataset_requests ORDER BY id DESC LIMIT 1")
        assert cur.fetchone() == (hostile, "me@example.org")
    page = client.get("/feedback").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; bike lanes" in page
    assert "<script>alert" not in page
    assert "me@example.org" not in page
    missing = client.post("/api/feedback/dataset-request", json={"why": "no what"})
    assert missing.status_code == 400


def test_feedback_form_post_without_javascript(client, fresh_rate):
    response = client.post("/api/feedback/score", data={"score": "12"},
                           headers={"Accept": "text/html", "Accept-Language": "en"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "from 0 to 10" in response.get_data(as_text=True)
    response = client.post("/api/feedback/score", data={"score": "7"},
                           headers={"Accept": "text/html"})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)


def test_feedback_is_rate_limited_per_client(client, fresh_rate):
    statuses = [client.post("/api/feedback/score", json={"score": 8, "comment": f"visit {i}"})
                .status_code for i in range(7)]
    assert statuses[:5] == [201] * 5
    assert statuses[5:] == [429, 429]
    body = client.post("/api/feedback/score", json={"score": 8},
                       headers={"Accept-Language": "ro"}).get_json()
    assert "zece minute" in body["description"]


def test_a_double_submitted_form_is_stored_once(client, fresh_rate, small_city):
    # Used to store two answers: a double click or a reload sent the form twice.
    comment = "double click 4711"
    first = client.post("/api/feedback/score", json={"score": 9, "comment": comment})
    again = client.post("/api/feedback/score", json={"score": 9, "comment": comment})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["status"] == "already-stored"
    with psycopg2.connect(small_city.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM mapserver.feedback_scores WHERE comment = %s",
                    (comment,))
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM mapserver.recent_submissions WHERE fingerprint "
                    "LIKE %s", (f"%{comment}%",))
        assert cur.fetchone()[0] == 0  # a fingerprint, not the text


@pytest.mark.parametrize("path", ["/kpi", "/kpi.json", "/catalog", "/catalog.jsonld", "/ogc",
                                  "/ogc?f=html", "/ogc/collections",
                                  "/ogc/collections/parcels?f=html",
                                  "/ogc/collections/parcels/items?limit=1", "/feedback",
                                  "/buildings/qr-sheet", "/admin/login"])
def test_the_language_choice_is_accepted_on_every_page(client, path):
    # Used to be a 400 ("unknown parameter lang") on /kpi, /catalog and /ogc.
    joiner = "&" if "?" in path else "?"
    assert client.get(f"{path}{joiner}lang=ro").status_code == 200
