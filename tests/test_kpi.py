"""KPIs against known answers on the demo city, in a database of their own."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import psycopg2
import pytest

from mapserver import create_app
from mapserver.db import connect
from mapserver.db_roles import LOGIN_KINDS, enable_logins, url_as
from mapserver.ingest.pipeline import load_layer
from mapserver.kpi import period as periods
from mapserver.kpi import report
from mapserver.layers import manifest as manifests
from mapserver.migrations import migrate
from mapserver.settings import Settings
from tests.conftest import DEMO_LAYERS, LAYERS

THIS_MONTH = dt.date.today().strftime("%Y-%m")


@pytest.fixture(scope="module")
def kpi_env(database_url):
    """A separate database with only the demo city, so counts are exact; its three URLs.

    It is a second install on the same cluster, with roles of its own (kpi_test_app...).
    """
    admin = psycopg2.connect(re.sub(r"/[^/]+$", "/postgres", database_url))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS kpi_test")
        cur.execute("CREATE DATABASE kpi_test")
    url = re.sub(r"/[^/]+$", "/kpi_test", database_url)
    conn = connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION postgis")
    conn.autocommit = False
    migrate(conn)
    passwords = {kind: secrets.token_urlsafe(16) for kind in LOGIN_KINDS}
    names = enable_logins(conn, passwords)
    conn.close()
    env = {"DATABASE_URL": url,
           "DATABASE_APP_URL": url_as(url, names["app"], passwords["app"]),
           "DATABASE_PUBLIC_URL": url_as(url, names["public"], passwords["public"])}
    loader = connect(env["DATABASE_APP_URL"])   # loads run as the application role
    for layer_id in DEMO_LAYERS:
        load_layer(loader, manifests.find(LAYERS, layer_id))
    loader.close()
    yield env
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS kpi_test WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="module")
def kpi_url(kpi_env):
    """The superuser's URL of the KPI database, for the tests' own set-up."""
    return kpi_env["DATABASE_URL"]


@pytest.fixture(scope="module")
def kpi_client(kpi_env):
    return create_app(Settings.from_env(kpi_env)).test_client()


def kpis(client, **params):
    response = client.get("/kpi.json", query_string=params)
    assert response.status_code == 200, response.json
    return {k["name"]: k for k in response.json["kpis"]}


def test_an_empty_system_shows_zeros_and_no_answers_yet(kpi_client):
    result = kpis(kpi_client)
    assert result["downloads"]["value"] == 0
    assert result["nps"]["value"] is None
    assert result["nps"]["detail"]["note"] == "no answers yet"
    assert result["map_use"]["value"] == 0
    assert result["accessibility_share"]["value"] == 0.0
    page = kpi_client.get("/kpi")
    assert page.status_code == 200 and "no answers yet" in page.text


def test_modules_and_datasets_count_the_published_layers(kpi_client):
    result = kpis(kpi_client)
    assert result["modules"]["value"] == 9 and result["datasets"]["value"] == 9
    assert result["modules"]["detail"]["by_category"] == {
        "boundaries": 2, "cadastre": 1, "environment": 1, "planning": 1,
        "public-services": 1, "transport": 2, "utilities": 1}
    # The daily snapshot makes the trend: today's value is there.
    over_time = result["modules"]["detail"]["over_time"]
    assert over_time[-1] == {"day": dt.date.today().isoformat(), "value": 9.0}


def test_street_lights_per_km_of_street(kpi_client, kpi_url):
    with psycopg2.connect(kpi_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT sum(ST_Length(geom::geography)) / 1000 FROM layers.streets")
        (km,) = cur.fetchone()
    density = kpis(kpi_client, names="density")["density"]
    pair = density["detail"]["street-lights per km of streets"]
    assert pair["features"] == 6117
    assert 250 < km < 350  # Cambridge has some 300 km of street centerlines
    assert pair["per_km"] == pytest.approx(6117 / km, rel=1e-3)
    assert density["value"] == pair["per_km"]


def test_nps_from_feedback(kpi_client, kpi_url):
    with psycopg2.connect(kpi_url) as conn, conn.cursor() as cur:
        for score in (10, 9, 8, 6, 0, 10):
            cur.execute("INSERT INTO mapserver.feedback_scores (score, lang) VALUES (%s, 'en')",
                        (score,))
    result = kpis(kpi_client, names="nps")["nps"]
    # 3 promoters, 2 detractors, 6 answers: (3 - 2) / 6 = 16.7 points.
    assert result["value"] == 16.7 and result["detail"]["answers"] == 6
    assert result["detail"]["per_month"][THIS_MONTH] == {"nps": 16.7, "answers": 6}


def test_downloads_per_category_and_accessibility_share(kpi_client, kpi_url):
    with psycopg2.connect(kpi_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.downloads (layer_id, format, category, count) VALUES"
                    " ('parcels', 'geojson', 'cadastre', 3), ('parks', 'csv', 'environment', 2)")
        cur.execute("UPDATE layers.\"public-buildings\" SET step_free_entrance = true"
                    " WHERE fid IN (1, 2)")
    result = kpis(kpi_client, names="downloads,accessibility_share,qr_share")
    assert result["downloads"]["value"] == 5
    assert result["downloads"]["detail"]["per_month_and_category"][THIS_MONTH] == {
        "cadastre": 3, "environment": 2}
    assert result["downloads"]["detail"]["per_format"] == {"csv": 2, "geojson": 3}
    assert result["accessibility_share"]["value"] == round(2 / 94, 4)
    assert result["qr_share"]["value"] == 1.0


def test_map_use_is_counted_on_the_server(kpi_client):
    before = kpis(kpi_client, names="map_use")["map_use"]["detail"]["totals"]
    assert kpi_client.post("/api/usage", json={"kind": "module_toggle",
                                               "detail": "parks"}).status_code == 204
    assert kpi_client.post("/api/usage", json={"kind": "page_view"}).status_code == 400
    after = kpis(kpi_client, names="map_use")["map_use"]["detail"]["totals"]
    assert after["module_toggle"] == before["module_toggle"] + 1


def test_freshness_in_days(kpi_client):
    result = kpis(kpi_client, names="freshness")["freshness"]
    assert result["value"] == 0 and set(result["detail"]["days_since_update"]) == set(DEMO_LAYERS)


def test_csv_has_one_row_per_kpi(kpi_client):
    response = kpi_client.get("/kpi.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("name,title,value,unit,period")
    assert len(lines) == 1 + 9


@pytest.mark.parametrize("params, message", [
    ({"names": "happiness"}, "unknown KPI happiness"),
    ({"from": "2026-13"}, "is not a month"),
    ({"from": "last year"}, "is not a month"),
    ({"from": "٢٠٢٦-٠١"}, "is not a month"),  # Arabic-Indic digits: \d took them as 2026-01
    ({"from": "2026-05", "to": "2026-01"}, "is after"),
    ({"from": "1950-01", "to": "2026-01"}, "at most 120"),
    ({"colour": "red"}, "unknown parameter colour"),
])
def test_bad_requests_get_a_clear_400(kpi_client, params, message):
    response = kpi_client.get("/kpi.json", query_string=params)
    assert response.status_code == 400 and message in response.json["description"]


def test_period_defaults_to_the_last_twelve_months():
    period = periods.parse(None, None, today=dt.date(2026, 11, 22))
    assert (period.start, period.end) == (dt.date(2025, 12, 1), dt.date(2026, 12, 1))
    assert periods.parse("2026-01", "2026-01").label == "2026-01..2026-01"
    assert report.choose(None)[0] == "modules"
