"""Planners publish and maintain layers: accounts, roles, CSRF, uploads, versions, audit.

The module has a copy of the small city to itself (`admin_city`): its uploads, edits and
new versions are seen by no other test file.
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import unquote_plus

import psycopg2
import pytest

from mapserver import create_app, params
from mapserver.auth import sessions, users
from mapserver.settings import Settings
from mapserver.tiles.grid import lonlat_to_tile
from mapserver.tileserver.answer import tile_cache
from tests.conftest import layer_state

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def admin_city(cities):
    """This module's own copy of the small city."""
    city = cities.copy()
    yield city
    cities.drop(city)


@pytest.fixture(scope="module")
def admin_url(admin_city):
    return admin_city.url


@pytest.fixture(scope="module")
def settings(admin_city):
    """Settings serving this module's city (its own tile cache and uploads too)."""
    return admin_city.settings()


@pytest.fixture(scope="module")
def accounts(admin_url):
    """One user per role, with an API token each."""
    conn = psycopg2.connect(admin_url)
    tokens = {}
    with conn:
        for role in ("admin", "planner", "staff"):
            with conn.cursor() as cur:
                cur.execute("DELETE FROM mapserver.users WHERE username = %s", (f"t-{role}",))
            user = users.create(conn, f"t-{role}", PASSWORD, role)
            tokens[role] = sessions.issue_token(conn, user, "tests")
    conn.close()
    return tokens


@pytest.fixture(scope="module")
def admin_app(settings, accounts):
    return create_app(settings)


def bearer(tokens, role):
    return {"Authorization": f"Bearer {tokens[role]}"}


def login(client, username, password=PASSWORD):
    page = client.get("/admin/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": csrf})


def geojson_upload(features, name="upload.geojson"):
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return (io.BytesIO(body), name)


def point(x, y, **properties):
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "Point", "coordinates": [x, y]}}


def admin_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")
            and rule.endpoint != "admin_pages.login"]


def sample_url(rule):
    return re.sub(r"<(int:)?(\w+)>", lambda m: "7" if m.group(1) else "parcels", rule.rule)


def test_every_admin_route_declares_a_role(admin_app):
    for rule in admin_rules(admin_app):
        view = admin_app.view_functions[rule.endpoint]
        assert getattr(view, "required_role", None) in ("staff", "planner", "admin"), rule


def test_anonymous_requests_are_refused_everywhere(admin_app):
    client = admin_app.test_client()
    for rule in admin_rules(admin_app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(sample_url(rule), method=method)
            if rule.rule.startswith("/admin/api") or method != "GET":
                assert response.status_code == 401, (rule, method)
            else:
                assert response.status_code == 302, (rule, method)
                assert "/admin/login" in response.headers["Location"]


def test_roles_below_the_route_are_refused(admin_app, accounts):
    client = admin_app.test_client()
    for rule in admin_rules(admin_app):
        needed = admin_app.view_functions[rule.endpoint].required_role
        lower = {"admin": ["planner", "staff"], "planner": ["staff"], "staff": []}[needed]
        for role in lower:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = client.open(sample_url(rule), method=method,
                                       headers=bearer(accounts, role))
                assert response.status_code == 403, (rule, method, role)


def test_session_login_sets_a_safe_cookie_and_needs_csrf(admin_app, accounts):
    client = admin_app.test_client()
    response = login(client, "t-planner")
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    page = client.get("/admin/")
    assert page.status_code == 200 and "parcels" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Vary"] == "Cookie, Authorization"
    # The same request without the form's CSRF token is refused.
    refused = client.post("/admin/layers/parcels/publish", data={"published": "1"})
    assert refused.status_code == 403 and "CSRF" in refused.json["description"]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    accepted = client.post("/admin/layers/parcels/publish",
                           data={"published": "1", "csrf_token": csrf})
    assert accepted.status_code == 303


def test_login_failures_are_throttled(admin_app, accounts):
    client = admin_app.test_client()
    for _ in range(5):
        assert login(client, "t-staff", "wrong password!").status_code == 401
    blocked = login(client, "t-staff")  # even the right password, for a while
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text


def test_upload_describe_publish_replace_rollback_unpublish(admin_app, accounts, admin_url):
    client = admin_app.test_client()
    auth = bearer(accounts, "planner")
    created = client.post("/admin/api/layers/t-closures/upload", headers=auth, data={
        "file": geojson_upload([point(-71.11, 42.37, what="Road closed <b>festival</b>"),
                                point(-71.10, 42.37, what="Detour")])})
    assert created.status_code == 201, created.json
    report = created.json
    assert report["version"] == 1 and report["loaded"] == 2
    assert report["sources"][0]["crs"] == "EPSG:4326"
    assert report["samples"][0]["what"] == "Road closed <b>festival</b>"  # stored verbatim
    public = {layer["id"] for layer in client.get("/layers").json["layers"]}
    assert "t-closures" not in public  # a new upload is a draft

    described = client.patch("/admin/api/layers/t-closures/metadata", headers=auth, json={
        "title": {"en": "Road closures", "ro": "Drumuri închise"},
        "category": "events", "fields": {"what": {"visibility": "public"}},
        "expected_version": 1})
    assert described.status_code == 200 and described.json["version"] == 2
    assert client.post("/admin/api/layers/t-closures/publish", headers=auth).status_code == 200
    listed = {layer["id"]: layer for layer in client.get("/layers").json["layers"]}
    assert listed["t-closures"]["title"]["en"] == "Road closures"
    assert [f["name"] for f in listed["t-closures"]["fields"]] == ["what"]

    replaced = client.post("/admin/api/layers/t-closures/upload", headers=auth, data={
        "file": geojson_upload([point(-71.12, 42.38, what="Only one now")]),
        "expected_version": "2"})
    assert replaced.status_code == 201 and replaced.json["version"] == 3
    assert layer_state(admin_url, "t-closures") == (3, 1)
    # The replacement kept the planner's description: the field is still public.
    assert "what" in [f["name"] for f in {lay["id"]: lay for lay in client.get(
        "/layers").json["layers"]}["t-closures"]["fields"]]

    stale = client.post("/admin/api/layers/t-closures/upload", headers=auth, data={
        "file": geojson_upload([point(-71.12, 42.38, what="late")]), "expected_version": "2"})
    assert stale.status_code == 409 and "changed by someone else" in stale.json["description"]

    back = client.post("/admin/api/layers/t-closures/rollback", headers=auth,
                       json={"version": 2})
    assert back.status_code == 200 and layer_state(admin_url, "t-closures") == (2, 2)
    history = client.get("/admin/api/layers/t-closures/versions", headers=auth).json
    assert [v["version"] for v in history["versions"]] == [3, 2, 1]

    z, x, y = 16, *lonlat_to_tile(-71.12, 42.38, 16)
    assert client.get(f"/tiles/t-closures/{z}/{x}/{y}.mvt").status_code in (200, 204)
    admin_app.extensions["mapserver.tiles"].flush()
    cached = admin_app.extensions["mapserver.settings"].tiles_cache / "t-closures"
    assert cached.is_dir()
    assert client.post("/admin/api/layers/t-closures/unpublish", headers=auth).status_code == 200
    assert "t-closures" not in {lay["id"] for lay in client.get("/layers").json["layers"]}
    assert not cached.exists()   # a front server serving the cache cannot show it either


def test_failed_upload_keeps_the_served_version(admin_app, accounts, admin_url):
    client = admin_app.test_client()
    before = layer_state(admin_url, "parks")
    response = client.post("/admin/api/layers/parks/upload", headers=bearer(accounts, "planner"),
                           data={"file": (io.BytesIO(b'{"type": "FeatureCollection", "feat'),
                                          "parks.geojson")})
    assert response.status_code == 422
    assert "parks.geojson" in response.json["description"]
    assert layer_state(admin_url, "parks") == before


def test_uploads_of_other_types_and_oversized_bodies_are_refused(settings, accounts):
    app = create_app(settings, MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    auth = bearer(accounts, "planner")
    big = client.post("/admin/api/layers/t-big/upload", headers=auth,
                      data={"file": (io.BytesIO(b"x" * 4096), "big.geojson")})
    assert big.status_code == 413
    odd = client.post("/admin/api/layers/t-odd/upload", headers=auth,
                      data={"file": (io.BytesIO(b"<VRTDataset/>"), "trap.vrt")})
    assert odd.status_code == 422 and "not a supported file" in odd.json["description"]


def test_editing_a_feature_makes_a_new_version(admin_app, accounts, admin_url):
    client = admin_app.test_client()
    auth = bearer(accounts, "planner")
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT fid FROM layers.\"public-buildings\" WHERE name = 'City Hall'")
        (fid,) = cur.fetchone()
    version, _ = layer_state(admin_url, "public-buildings")
    edited = client.patch(f"/admin/api/layers/public-buildings/features/{fid}", headers=auth,
                          json={"properties": {"step_free_entrance": True,
                                               "opening_hours": "Mo-Fr 08:30-17:00"},
                                "expected_version": version})
    assert edited.status_code == 200 and edited.json["version"] == version + 1
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT step_free_entrance, opening_hours FROM layers.\"public-buildings\" "
                    "WHERE fid = %s", (fid,))
        assert cur.fetchone() == (True, "Mo-Fr 08:30-17:00")
    bad_type = client.patch(f"/admin/api/layers/public-buildings/features/{fid}", headers=auth,
                            json={"properties": {"step_free_entrance": "perhaps"}})
    assert bad_type.status_code == 400 and "type" in bad_type.json["description"]
    unknown = client.patch(f"/admin/api/layers/public-buildings/features/{fid}", headers=auth,
                           json={"properties": {"owner_name": "x"}})
    assert unknown.status_code == 400 and "owner_name" in unknown.json["description"]
    missing = client.patch("/admin/api/layers/public-buildings/features/999999", headers=auth,
                           json={"properties": {"opening_hours": "x"}})
    assert missing.status_code == 404


def test_upload_report_page_escapes_what_it_shows(admin_app, accounts):
    client = admin_app.test_client()
    login(client, "t-planner")
    page = client.get("/admin/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/admin/upload", data={
        "layer_id": "t-escape", "csrf_token": csrf,
        "file": geojson_upload([point(-71.1, 42.37, note="<script>alert(1)</script>")])})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_audit_log_records_actions_and_cannot_be_rewritten(admin_app, accounts, admin_url):
    # The test makes the actions it looks for: it used to pass only after the tests above.
    with psycopg2.connect(admin_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 't-auditor'")
        users.create(conn, "t-auditor", PASSWORD, "staff")
    client = admin_app.test_client()
    assert login(client, "t-auditor", "wrong password!").status_code == 401
    assert login(client, "t-planner").status_code == 303
    auth = bearer(accounts, "planner")
    for version in (1, 2):
        assert client.post("/admin/api/layers/t-audited/upload", headers=auth, data={
            "file": geojson_upload([point(-71.1, 42.37, n=version)])}).status_code == 201
    assert client.post("/admin/api/layers/t-audited/rollback", headers=auth,
                       json={"version": 1}).status_code == 200
    assert client.post("/admin/api/layers/t-audited/publish", headers=auth).status_code == 200
    entries = client.get("/admin/api/audit", headers=bearer(accounts, "admin")).json["entries"]
    actions = {(e["actor"], e["action"]) for e in entries}
    assert {("t-planner", "upload"), ("t-planner", "rollback"), ("t-planner", "publish"),
            ("t-planner", "login"), ("t-auditor", "login-failed")} <= actions
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.Error, match="append-only"):
            cur.execute("UPDATE mapserver.audit_log SET actor = 'nobody'")


def test_admin_creates_users_planners_cannot(admin_app, accounts):
    client = admin_app.test_client()
    body = {"username": "t-new-planner", "password": PASSWORD, "role": "planner"}
    assert client.post("/admin/api/users", headers=bearer(accounts, "planner"),
                       json=body).status_code == 403
    created = client.post("/admin/api/users", headers=bearer(accounts, "admin"), json=body)
    assert created.status_code == 201
    again = client.post("/admin/api/users", headers=bearer(accounts, "admin"), json=body)
    assert again.status_code == 409
    weak = client.post("/admin/api/users", headers=bearer(accounts, "admin"),
                       json=dict(body, username="t-weak", password="short"))
    assert weak.status_code == 400 and "shorter than 12" in weak.json["description"]


def test_plain_http_cookies_can_be_allowed(admin_city):
    settings = Settings.from_env({**admin_city.env, "MAPSERVER_SECURE_COOKIES": "0"})
    client = create_app(settings).test_client()
    page = client.get("/admin/login")
    assert "Secure" not in page.headers["Set-Cookie"]


def test_every_api_route_is_in_the_openapi_document(admin_app, accounts):
    anonymous = admin_app.test_client().get("/admin/api/openapi.json")
    assert anonymous.status_code == 401  # it maps the admin surface: signed-in users only
    document = admin_app.test_client().get("/admin/api/openapi.json",
                                           headers=bearer(accounts, "staff")).json
    assert document["openapi"].startswith("3.0")
    documented = {(path, method.upper()) for path, ops in document["paths"].items()
                  for method in ops}
    for rule in admin_app.url_map.iter_rules():
        if rule.rule.startswith("/admin/api/") and rule.endpoint != "admin_api.openapi":
            path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, (path, method)


def test_dataset_requests_move_through_states_residents_can_see(admin_app, accounts,
                                                                 admin_url):
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.dataset_requests (what, why, contact, lang) VALUES"
                    " ('Tree inventory', 'for shade', 'resident@example.org', 'en') RETURNING id")
        (first,) = cur.fetchone()
        cur.execute("INSERT INTO mapserver.dataset_requests (what, lang) VALUES"
                    " ('Private CCTV owners', 'en') RETURNING id")
        (second,) = cur.fetchone()
    client = admin_app.test_client()
    auth = bearer(accounts, "planner")
    inbox = client.get("/admin/api/requests", headers=auth).json["requests"]
    assert {"id": first, "contact": "resident@example.org"}.items() <= next(
        r for r in inbox if r["id"] == first).items()
    accepted = client.post(f"/admin/api/requests/{first}", headers=auth,
                           json={"status": "accepted", "answer": "We are collecting it."})
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    skipped = client.post(f"/admin/api/requests/{second}", headers=auth,
                          json={"status": "published"})
    assert skipped.status_code == 400 and "cannot become 'published'" in skipped.json[
        "description"]
    silent = client.post(f"/admin/api/requests/{second}", headers=auth,
                         json={"status": "declined"})
    assert silent.status_code == 400 and "public answer" in silent.json["description"]
    declined = client.post(f"/admin/api/requests/{second}", headers=auth,
                           json={"status": "declined", "answer": "That is personal data."})
    assert declined.status_code == 200
    public = client.get("/feedback", headers={"Accept-Language": "en"}).text
    assert "We are collecting it." in public and "accepted, in preparation" in public
    assert "That is personal data." in public and "declined" in public
    assert "resident@example.org" not in public  # the contact never reaches the public
    assert client.post(f"/admin/api/requests/{first}", headers=bearer(accounts, "staff"),
                       json={"status": "published"}).status_code == 403


def test_event_layer_shows_only_inside_its_window_and_hiding_drops_its_tiles(
        admin_app, accounts, settings):
    client = admin_app.test_client()
    auth = bearer(accounts, "planner")
    created = client.post("/admin/api/layers/t-festival/upload", headers=auth, data={
        "file": geojson_upload([point(-71.105, 42.373, what="Stage")])})
    assert created.status_code == 201
    assert client.post("/admin/api/layers/t-festival/publish", headers=auth).status_code == 200

    def visible():
        listed = {layer["id"] for layer in client.get("/layers").json["layers"]}
        collection = client.get("/ogc/collections/t-festival").status_code
        tilejson = client.get("/tiles/t-festival.json").status_code
        assert (collection == 200) == (tilejson == 200) == ("t-festival" in listed)
        return "t-festival" in listed

    assert visible()
    # Fixed windows, far from any day the tests run on: the clock decides nothing here.
    over = {"valid_from": "2001-06-01T00:00:00Z", "valid_to": "2001-06-03T00:00:00Z"}
    assert client.patch("/admin/api/layers/t-festival/metadata", headers=auth,
                        json=over).status_code == 200
    assert not visible()  # the festival is over: hidden without anyone acting
    running = {"valid_from": "2001-06-01T00:00:00Z", "valid_to": "2999-06-03T00:00:00+02:00"}
    assert client.patch("/admin/api/layers/t-festival/metadata", headers=auth,
                        json=running).status_code == 200
    assert visible()

    tile = client.get("/tiles/t-festival/16/19824/24238.mvt")
    assert tile.status_code in (200, 204)
    # The cache is made by the first cached tile: alone, this test may be the first.
    tile_cache(admin_app.extensions).flush()
    # A time-bounded layer's tiles never reach the disk cache, so a front server serving
    # that folder cannot show the festival once it is over or unpublished.
    assert tile.headers["X-Tile-Cache"] == "off"
    assert not (settings.tiles_cache / "t-festival").exists()
    assert client.post("/admin/api/layers/t-festival/unpublish", headers=auth).status_code == 200
    assert not visible()


def test_staff_read_staff_only_fields_privately_everyone_else_never(admin_app, accounts):
    client = admin_app.test_client()
    url = "/ogc/collections/parcels/items?limit=5&filter=editor IS NOT NULL"
    anonymous = client.get(url)
    assert anonymous.status_code == 400  # the same answer as for an unknown field
    staff = client.get(url, headers=bearer(accounts, "staff"))
    assert staff.status_code == 200
    features = staff.json["features"]
    assert features and all(f["properties"]["editor"] for f in features)
    assert staff.headers["Cache-Control"] == "private, no-store"
    assert "Authorization" in staff.headers["Vary"]
    public = client.get("/ogc/collections/parcels/items?limit=5")
    assert "editor" not in public.text and "private" not in public.headers.get(
        "Cache-Control", "")
    assert "Authorization" in public.headers["Vary"]  # shared caches keep the two apart
    wrong = client.get(url, headers={"Authorization": "Bearer ms_not-a-token"})
    assert wrong.status_code == 400 and wrong.json == anonymous.json


def test_planner_corrects_a_feature_and_restyles_a_layer_in_the_pages(admin_app, accounts,
                                                                      admin_url):
    client = admin_app.test_client()
    login(client, "t-planner")
    page = client.get("/admin/layers/public-buildings")
    assert page.status_code == 200 and "Correct one feature" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT fid FROM layers.\"public-buildings\" WHERE kind = 'library' "
                    "ORDER BY fid LIMIT 1")
        (fid,) = cur.fetchone()
    saved = client.post("/admin/layers/public-buildings/features", data={
        "csrf_token": csrf, "fid": str(fid), "field": "opening_hours",
        "value": "Mo-Sa 09:00-21:00"})
    assert saved.status_code == 303
    assert "saved as version" in unquote_plus(saved.headers["Location"])
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT opening_hours FROM layers.\"public-buildings\" WHERE fid = %s",
                    (fid,))
        assert cur.fetchone() == ("Mo-Sa 09:00-21:00",)
    form = {"csrf_token": csrf, "field": [], "title_en": "Public buildings",
            "title_ro": "Clădiri publice", "description_en": "Buildings.",
            "description_ro": "Clădiri.", "category": "public-services",
            "licence_id": "PDDL-1.0", "licence_url": "https://opendatacommons.org/licenses/pddl/1-0/",
            "style_color": "#aa0000", "style_fill": "#ffcccc", "minzoom": "11"}
    described = client.post("/admin/layers/public-buildings/describe", data=form)
    assert described.status_code == 303
    layer = {lay["id"]: lay for lay in client.get("/layers").json["layers"]}["public-buildings"]
    assert layer["minzoom"] == 11
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT manifest->'style' FROM mapserver.layers WHERE id = 'public-buildings'")
        style = cur.fetchone()[0]
    assert style["color"] == "#aa0000" and style["fill"] == "#ffcccc" and style["radius"] == 7


@pytest.mark.parametrize("digits", ["²", "①", "٣"])
def test_form_numbers_not_in_ascii_digits_are_400_not_500(admin_app, accounts, admin_url,
                                                          digits):
    # '²'.isdigit() is True and int('²') raises: these forms used to answer 500 for it.
    # '٣' was read as 3 (or silently ignored). Nothing may change in either case.
    client = admin_app.test_client()
    login(client, "t-planner")
    page = client.get("/admin/layers/parks")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    before = layer_state(admin_url, "parks")
    posts = {
        "/admin/layers/parks/rollback": {"version": digits},
        "/admin/layers/parks/describe": {"minzoom": digits, "field": []},
        "/admin/layers/parks/features": {"fid": digits, "field": "name", "value": "x"},
    }
    for url, form in posts.items():
        response = client.post(url, data={"csrf_token": csrf, **form})
        assert response.status_code == 400, url
        assert "0-9" in response.json["description"], url
    for name in ("expected_version",):
        response = client.post("/admin/layers/parks/describe",
                               data={"csrf_token": csrf, "field": [], name: digits})
        assert response.status_code == 400
    upload = client.post("/admin/upload", data={
        "csrf_token": csrf, "layer_id": "parks", "expected_version": digits,
        "file": geojson_upload([point(-71.11, 42.37)])})
    assert upload.status_code == 400 and "0-9" in upload.text
    assert layer_state(admin_url, "parks") == before


@pytest.mark.parametrize("value", ["²", "٣", " 2", 2.5, True, [2]])
def test_api_numbers_follow_the_same_rule(admin_app, accounts, admin_url, value):
    client = admin_app.test_client()
    auth = bearer(accounts, "planner")
    before = layer_state(admin_url, "parks")
    rollback = client.post("/admin/api/layers/parks/rollback", headers=auth,
                           json={"version": value})
    assert rollback.status_code == 400 and "version" in rollback.json["description"]
    described = client.patch("/admin/api/layers/parks/metadata", headers=auth,
                             json={"expected_version": value})
    assert described.status_code == 400
    assert layer_state(admin_url, "parks") == before


@pytest.mark.parametrize("segment", ["٣", "²", "1" * 40])
def test_path_numbers_route_only_in_ascii_digits_within_a_bigint(admin_app, accounts, segment):
    # Werkzeug's own <int:> matched '٣' as 3 and any length.
    client = admin_app.test_client()
    auth = bearer(accounts, "planner")
    edited = client.patch(f"/admin/api/layers/parks/features/{segment}", headers=auth,
                          json={"properties": {"name": "x"}})
    assert edited.status_code == 404
    moved = client.post(f"/admin/api/requests/{segment}", headers=auth,
                        json={"status": "declined"})
    assert moved.status_code == 404


@pytest.mark.parametrize("layer_id", ["Street Trees", "x", "a" * 49, 5, ["parks"]])
def test_a_request_answered_by_a_layer_needs_a_layer_id(admin_app, accounts, admin_url,
                                                        layer_id):
    # The inbox form's pattern= was the only check; a number in JSON reached SQL (a 500).
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.dataset_requests (what, lang) VALUES"
                    " ('Street trees', 'en') RETURNING id")
        (request_id,) = cur.fetchone()
    client = admin_app.test_client()
    moved = client.post(f"/admin/api/requests/{request_id}", headers=bearer(accounts, "planner"),
                        json={"status": "accepted", "layer_id": layer_id})
    assert moved.status_code == 400 and "is not a layer id" in moved.json["description"]


def test_the_forms_and_the_openapi_document_use_the_layer_id_pattern(admin_app, accounts,
                                                                     admin_url):
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.dataset_requests (what, lang) VALUES ('Benches', 'en')")
    client = admin_app.test_client()
    login(client, "t-planner")
    pattern = f'pattern="{params.LAYER_ID_PATTERN}"'
    assert pattern in client.get("/admin/").text
    assert pattern in client.get("/admin/requests").text
    document = client.get("/admin/api/openapi.json").json
    layer_ids = [p for path in document["paths"].values() for op in path.values()
                 for p in op.get("parameters", []) if p["name"] == "layer_id"]
    assert layer_ids and all(p["schema"]["pattern"] == params.LAYER_ID_REGEX for p in layer_ids)
