"""The small city (tests/fixtures/small-city) as loaded: the known answers other tests use.

Counts are checked twice, in the database and with geopandas on the fixture files, so a
regenerated cut that changes them fails here first, with the number to update.  The
last tests check the fixture layering itself: copies are independent of each other.
"""

from __future__ import annotations

import geopandas as gpd
import psycopg2
import pytest

from tests.conftest import DEMO_LAYERS, SMALL_CITY

COUNTS = {"parcels": 229, "public-buildings": 11, "streets": 70, "parks": 5, "zoning": 12,
          "neighbourhoods": 4, "bus-shelters": 11, "street-lights": 137, "city-boundary": 1}
FILES = {"parcels": ["parcels-fy2014.topojson"],
         "public-buildings": ["municipal-buildings.geojson", "public-schools.geojson",
                              "private-schools.geojson", "libraries.geojson",
                              "hospitals.geojson", "fire-stations.geojson",
                              "police-stations.geojson"],
         "streets": ["street-centerlines.geojson"], "parks": ["open-space.geojson"],
         "zoning": ["zoning-districts.geojson"], "neighbourhoods": ["neighbourhoods.geojson"],
         "bus-shelters": ["bus-shelters.geojson"], "street-lights": ["street-lights.geojson"],
         "city-boundary": ["city-boundary.geojson"]}


def rows(conn, query, params=()):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def test_every_layer_is_loaded_with_its_known_count(small_conn):
    counts = dict(rows(small_conn, "SELECT id, feature_count FROM mapserver.layers"))
    assert counts == COUNTS


@pytest.mark.parametrize("layer_id", DEMO_LAYERS)
def test_the_files_hold_what_the_database_holds(small_conn, layer_id):
    in_files = sum(len(gpd.read_file(SMALL_CITY / "data" / name)) for name in FILES[layer_id])
    assert in_files == COUNTS[layer_id]
    assert rows(small_conn, f'SELECT count(*) FROM layers."{layer_id}"') == [(in_files,)]


def test_the_load_reports_show_the_quirks_of_the_real_data(small_city):
    report = small_city.reports["parcels"]
    assert (report.read, report.loaded, report.rejected) == (229, 229, 0)
    assert report.repaired == 2   # self-intersecting outlines, made valid as in the whole city
    join = report.joins[0]
    assert join["rows"] == 538 and join["matched"] == 227 and join["unmatched"] == 2
    assert small_city.reports["public-buildings"].links == [
        {"layer": "parcels", "linked": 10, "unlinked": 1}]   # the hospital is outside


def test_known_parcels(small_conn):
    assert rows(small_conn, "SELECT address, land_use, year_built, units FROM layers.parcels "
                "WHERE ml = '127-123'") == [("23 ROCKWELL ST", "THREE-FM-RES", 1854, 1)]
    assert rows(small_conn, "SELECT ml, units, land_use FROM layers.parcels "
                "ORDER BY units DESC NULLS LAST LIMIT 1") == [("119-9", 71, "CONDOMINIUM")]
    assert rows(small_conn, "SELECT address, land_use FROM layers.parcels WHERE ml = '118-33'"
                ) == [("815 MASSACHUSETTS AVE", "Improved City")]
    assert rows(small_conn, "SELECT count(*) FROM layers.parcels WHERE ml = 'ROAD'") == [(1,)]
    assert rows(small_conn, "SELECT ml, map FROM layers.parcels WHERE ml IS NULL") == [
        (None, "274")]


def test_staff_values_are_in_the_data_for_the_privacy_tests_to_look_for(small_conn):
    ((table,),) = rows(small_conn, "SELECT table_name FROM mapserver.layers WHERE id = 'parcels'")
    ((editors, dates, kjl),) = rows(
        small_conn, f'SELECT count(DISTINCT editor), count(DISTINCT edit_date),'
        f" count(*) FILTER (WHERE editor = 'KJL') FROM layers.\"{table}\"")
    assert editors >= 3 and dates == 11 and kjl == 9


def test_public_buildings_have_every_kind_and_city_hall_stands_on_its_parcel(small_conn):
    kinds = dict(rows(small_conn, 'SELECT kind, count(*) FROM layers."public-buildings" '
                                  "GROUP BY kind"))
    assert kinds == {"municipal-building": 5, "public-school": 1, "private-school": 1,
                     "library": 1, "hospital": 1, "fire-station": 1, "police-station": 1}
    assert rows(small_conn, 'SELECT parcel_ml FROM layers."public-buildings" '
                "WHERE name = 'City Hall'") == [("118-33",)]


def test_every_street_light_is_an_led(small_conn):
    assert rows(small_conn, 'SELECT count(*) FILTER (WHERE led), count(*) '
                'FROM layers."street-lights"') == [(137, 137)]


def test_a_fresh_copy_is_the_small_city_as_loaded_and_changes_stay_in_it(small_city,
                                                                        fresh_city):
    assert fresh_city.url != small_city.url and fresh_city.home != small_city.home
    with psycopg2.connect(fresh_city.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM layers.parcels")
        assert cur.fetchone() == (229,)
        cur.execute("UPDATE mapserver.layers SET published = false WHERE id = 'parks'")
    with psycopg2.connect(small_city.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT published FROM mapserver.layers WHERE id = 'parks'")
        assert cur.fetchone() == (True,)


def test_each_city_has_its_own_settings_home_and_layers(small_city, small_settings):
    assert small_settings.database_url == small_city.url
    assert small_settings.home == small_city.home.resolve()
    assert (small_settings.layers_dir / "parcels.yaml").resolve() == (
        SMALL_CITY / "layers" / "parcels.yaml")
    assert small_settings.tiles_cache.is_relative_to(small_city.home.resolve())
