"""The demo city as loaded: known answers from the Cambridge data, quirks handled."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import DEMO_LAYERS


def rows(conn, query, params=()):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def test_every_demo_module_is_loaded_with_its_feature_count(demo_city, conn):
    counts = dict(rows(conn, "SELECT id, feature_count FROM mapserver.layers WHERE version > 0"))
    assert set(DEMO_LAYERS) <= set(counts)
    assert counts["parcels"] == 13115  # 13,116 read, the empty geometry rejected
    assert counts["public-buildings"] == 24 + 18 + 32 + 7 + 3 + 8 + 2
    assert counts["streets"] == 2643
    assert counts["parks"] == 276
    assert counts["zoning"] == 261
    assert counts["neighbourhoods"] == 13
    assert counts["bus-shelters"] == 68
    assert counts["street-lights"] == 6117
    assert counts["city-boundary"] == 1


def test_parcel_quirks_are_reported_not_hidden(demo_city):
    report = demo_city["parcels"]
    assert report.read == 13116
    assert report.loaded == 13115
    assert report.repaired == 37  # self-intersecting polygons made valid
    assert report.rejected_reasons == {"empty geometry": 1}
    assert report.rejected_examples[0]["feature"] == 1896  # 238-80, 1-based in the file
    join = report.joins[0]
    assert join["rows"] == 27528 and join["matched"] + join["unmatched"] == 13115


def test_assessment_join_does_not_multiply_parcels(demo_city, conn):
    assert rows(conn, "SELECT count(*), count(DISTINCT fid) FROM layers.parcels") == [
        (13115, 13115)]
    # 438 condominium units on one parcel: one polygon, units counted.
    assert rows(conn, "SELECT count(*), max(units), max(address), max(land_use) "
                "FROM layers.parcels WHERE ml = '1A-109'") == [(1, 438, "10 MUSEUM WAY",
                                                                  "CNDO LUX")]
    assert rows(conn, "SELECT address, land_use, year_built, units FROM layers.parcels "
                "WHERE ml = '127-123'") == [("23 ROCKWELL ST", "THREE-FM-RES", 1854, 1)]


def test_null_parcel_id_and_right_of_way_rows_stay(demo_city, conn):
    assert rows(conn, "SELECT ml, map, address FROM layers.parcels WHERE loc_id = %s",
                ("F_768371_2956287",)) == [(None, "274", None)]
    assert rows(conn, "SELECT count(*) FROM layers.parcels WHERE ml = 'ROAD'") == [(6,)]
    assert rows(conn, "SELECT count(*) FROM layers.parcels WHERE ml = 'nan' OR "
                "address = 'nan'") == [(0,)]


def test_every_stored_geometry_is_valid_and_of_one_type(demo_city, conn):
    assert rows(conn, "SELECT ST_GeometryType(geom), count(*), bool_and(ST_IsValid(geom)) "
                "FROM layers.parcels GROUP BY 1") == [("ST_MultiPolygon", 13115, True)]
    assert rows(conn, "SELECT DISTINCT ST_GeometryType(geom) FROM layers.\"street-lights\""
                ) == [("ST_Point",)]
    assert rows(conn, "SELECT DISTINCT ST_GeometryType(geom) FROM layers.streets"
                ) == [("ST_MultiLineString",)]


def test_web_mercator_geometry_is_stored_indexed_and_exact(demo_city, conn):
    assert rows(conn, "SELECT ST_SRID(geom), ST_SRID(geom_3857), "
                "bool_and(ST_Equals(ST_SnapToGrid(geom_3857, 0.01), "
                "ST_SnapToGrid(ST_Transform(geom, 3857), 0.01))) FROM layers.parcels "
                "GROUP BY 1, 2") == [(4326, 3857, True)]
    (table,), = rows(conn, "SELECT table_name FROM mapserver.layers WHERE id = 'parcels'")
    indexes = [r[0] for r in rows(conn, "SELECT indexdef FROM pg_indexes WHERE schemaname = "
                                  "'layers' AND tablename = %s", (table,))]
    assert any("gist (geom_3857)" in i for i in indexes)
    assert any("gist (geom)" in i for i in indexes)


def test_public_buildings_have_kinds_and_stand_on_parcels(demo_city, conn):
    kinds = dict(rows(conn, "SELECT kind, count(*) FROM layers.\"public-buildings\" "
                      "GROUP BY kind"))
    assert kinds == {"municipal-building": 24, "public-school": 18, "private-school": 32,
                     "library": 7, "hospital": 3, "fire-station": 8, "police-station": 2}
    assert rows(conn, "SELECT parcel_ml FROM layers.\"public-buildings\" WHERE name = "
                "'City Hall'") == [("118-33",)]
    # The assessor files City Hall's parcel under its first row, 815 Massachusetts Ave.
    assert rows(conn, "SELECT address, land_use FROM layers.parcels WHERE ml = '118-33'") == [
        ("815 MASSACHUSETTS AVE", "Improved City")]
    # Every school, municipal building, library and hospital lies inside a parcel.
    unlinked = rows(conn, "SELECT b.name FROM layers.\"public-buildings\" b WHERE NOT EXISTS "
                    "(SELECT 1 FROM layers.parcels p WHERE p.ml = b.parcel_ml AND "
                    "ST_DWithin(p.geom::geography, b.geom::geography, 25))")
    assert unlinked == []


def test_registry_knows_version_count_bbox_checksum_and_report(demo_city, conn):
    ((version, count, bbox, checksum, loaded_at, report),) = rows(
        conn, "SELECT version, feature_count, bbox, source_checksum, loaded_at, load_report "
        "FROM mapserver.layers WHERE id = 'parcels'")
    assert version >= 1 and count == 13115
    minx, miny, maxx, maxy = bbox
    assert -71.17 < minx < maxx < -71.06 and 42.35 < miny < maxy < 42.41
    assert len(checksum) == 64 and loaded_at is not None
    assert report["repaired"] == 37 and report["rejected_reasons"] == {"empty geometry": 1}


@pytest.mark.parametrize("layer_id", DEMO_LAYERS)
def test_stable_view_serves_the_current_version(demo_city, conn, layer_id):
    ((table, count),) = rows(conn, "SELECT table_name, feature_count FROM mapserver.layers "
                             "WHERE id = %s", (layer_id,))
    assert table == f"{layer_id}__v" + table.rsplit("__v", 1)[1]
    assert rows(conn, f'SELECT count(*) FROM layers."{layer_id}"') == [(count,)]


def test_stable_view_shows_public_columns_only(demo_city, conn):
    columns = [r[0] for r in rows(conn, "SELECT column_name FROM information_schema.columns "
                                  "WHERE table_schema = 'layers' AND table_name = 'parcels' "
                                  "ORDER BY ordinal_position")]
    assert columns[0] == "fid" and "address" in columns and "geom_3857" in columns
    assert "editor" not in columns and "edit_date" not in columns


def test_the_whole_citys_parcels_are_dense_and_drawn_from_tiles(client):
    # Moved from test_map_http (which reads the small city, whose 229 parcels are not dense).
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="map-config">(.*?)'
                                  r"</script>", html, re.S).group(1))
    by_id = {layer["id"]: layer for layer in config["layers"]}
    assert by_id["parcels"]["dense"] is True and by_id["public-buildings"]["dense"] is False
