"""Staff sessions and the admin surface: same-site changes only, idle sessions end, refused
attempts are audited; absolute links come from the public address, never the Host header."""

from __future__ import annotations

import re

import psycopg2
import pytest

from mapserver import create_app
from mapserver.auth import sessions, users
from mapserver.settings import Settings

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def staff_app(settings, demo_city, database_url):
    with psycopg2.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username IN ('t-sess', 't-sess-staff')")
        users.create(conn, "t-sess", PASSWORD, "planner")
        staff = users.create(conn, "t-sess-staff", PASSWORD, "staff")
        token = sessions.issue_token(conn, staff, "sessions")
    app = create_app(settings)
    app.config["staff_token"] = token
    return app


def logged_in(app):
    client = app.test_client()
    page = client.get("/admin/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/admin/login", data={"username": "t-sess", "password": PASSWORD,
                                      "csrf_token": csrf})
    home = client.get("/admin/")
    return client, re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)


def last_denied(database_url):
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT actor, target, details FROM mapserver.audit_log WHERE action = "
                    "'denied' ORDER BY id DESC LIMIT 1")
        return cur.fetchone()


def test_a_change_from_another_site_is_refused_and_audited(staff_app, database_url):
    client, csrf = logged_in(staff_app)
    response = client.post("/admin/layers/parks/publish",
                           data={"published": "1", "csrf_token": csrf},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    actor, target, details = last_denied(database_url)
    assert (actor, target) == ("t-sess", "/admin/layers/parks/publish")
    assert details["reason"] == "cross-site" and details["status"] == 403
    same = client.post("/admin/layers/parks/publish", data={"published": "1", "csrf_token": csrf},
                       headers={"Origin": "http://localhost"})
    assert same.status_code in (302, 303)


def test_a_referer_from_another_site_is_refused_too(staff_app):
    client, csrf = logged_in(staff_app)
    response = client.post("/admin/layers/parks/publish",
                           data={"published": "1", "csrf_token": csrf},
                           headers={"Referer": "https://evil.example/page"})
    assert response.status_code == 403


def test_a_token_carries_no_ambient_authority_so_origin_does_not_matter(staff_app):
    response = staff_app.test_client().get(
        "/admin/api/openapi.json", headers={"Authorization": f"Bearer "
                                            f"{staff_app.config['staff_token']}",
                                            "Origin": "https://tool.example"})
    assert response.status_code == 200


def test_a_role_too_low_is_audited(staff_app, database_url):
    response = staff_app.test_client().post(
        "/admin/api/layers/parks/publish",
        headers={"Authorization": f"Bearer {staff_app.config['staff_token']}"})
    assert response.status_code == 403
    actor, target, details = last_denied(database_url)
    assert actor == "t-sess-staff" and details["reason"] == "role"


def test_an_idle_session_ends(staff_app, database_url):
    client, _ = logged_in(staff_app)
    assert client.get("/admin/").status_code == 200
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE mapserver.sessions s SET last_seen = now() - %s * interval "
                    "'1 minute' FROM mapserver.users u WHERE u.id = s.user_id AND "
                    "u.username = 't-sess'", (sessions.IDLE_MINUTES + 1,))
    assert client.get("/admin/").status_code == 302  # back to the login page


def test_links_come_from_the_public_address_not_the_host_header(database_env, settings):
    public = Settings.from_env({**database_env,
                                "MAPSERVER_HOME": str(settings.home),
                                "MAPSERVER_PUBLIC_URL": "https://maps.city.example/"})
    client = create_app(public).test_client()
    for path in ("/ogc", "/tiles/parcels.json", "/catalog.jsonld"):
        text = client.get(path, headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in text, path
        assert "https://maps.city.example/" in text, path


@pytest.mark.parametrize("value", ["maps.city.example", "ftp://x", "https://x/?a=1",
                                   "javascript:1"])
def test_a_public_address_that_is_not_one_stops_the_start(value, settings):
    from mapserver.errors import SetupError

    with pytest.raises(SetupError, match="MAPSERVER_PUBLIC_URL"):
        Settings.from_env({"MAPSERVER_HOME": str(settings.home), "MAPSERVER_PUBLIC_URL": value})
