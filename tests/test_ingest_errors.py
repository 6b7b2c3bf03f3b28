"""Bad input: a message naming the file, the problem and the fix, a non-zero exit,
and the version being served left exactly as it was."""

from __future__ import annotations

import json
import subprocess
import threading
import zipfile

import geopandas as gpd
import psycopg2
import pytest
from shapely.geometry import box

from mapserver.errors import InvalidData
from mapserver.ingest.pipeline import load_layer
from mapserver.layers import manifest as manifests
from tests.conftest import LAYERS, MAPSERVER, ROOT, layer_state

LAYER = "t-guarded"


def run_load(env, *args):
    return subprocess.run([*MAPSERVER, "load", "--quiet", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def write_geojson(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def point(x, y, **props):
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point",
                                                                "coordinates": [x, y]}}


def square(x, y, **props):
    return {"type": "Feature", "properties": props,
            "geometry": box(x, y, x + 0.001, y + 0.001).__geo_interface__}


@pytest.fixture(scope="module")
def served(tmp_path_factory, database_url, database_env):
    """A polygon layer with one good version loaded; yields (env, its state)."""
    folder = tmp_path_factory.mktemp("good")
    good = write_geojson(folder / "good.geojson",
                         [square(-71.11, 42.37, name="a"), square(-71.10, 42.37, name="b")])
    import os
    env = dict(os.environ, **database_env)
    result = run_load(env, good, "--layer", LAYER, "--geometry", "polygon")
    assert result.returncode == 0, result.stderr
    state = layer_state(database_url, LAYER)
    assert state == (state[0], 2)
    return env, state


def refused(served, *args, expect: list[str]):
    env, before = served
    result = run_load(env, *args, "--layer", LAYER)
    assert result.returncode == 2, result.stdout + result.stderr
    message = result.stderr
    assert message.startswith("error: ") and "Fix: " in message
    assert "Traceback" not in message
    for part in expect:
        assert part in message, message
    assert layer_state(env["DATABASE_URL"], LAYER) == before  # still served, unchanged
    return message


def test_file_without_crs_and_none_declared(served, tmp_path):
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 1, 1)])  # no CRS
    frame.to_file(tmp_path / "nocrs.shp")
    assert not (tmp_path / "nocrs.prj").exists()
    refused(served, tmp_path / "nocrs.shp",
            expect=["nocrs.shp", "does not say which coordinate reference system", "--crs"])


def test_broken_zip(served, tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    refused(served, path, expect=["broken.zip", "not a readable zip archive"])


def test_shapefile_without_dbf(served, tmp_path):
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(-71.1, 42.37, -71.09, 42.38)],
                     crs=4326).to_file(tmp_path / "parcel.shp")
    archive = tmp_path / "nodbf.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for ext in ("shp", "shx", "prj"):
            out.write(tmp_path / f"parcel.{ext}", f"parcel.{ext}")
    refused(served, archive, expect=["nodbf.zip", "no .dbf", "add the .dbf"])
    (tmp_path / "parcel.dbf").unlink()
    refused(served, tmp_path / "parcel.shp", expect=["parcel.shp", "no .dbf"])


def test_mixed_geometry_types_in_a_polygon_layer(served, tmp_path):
    path = write_geojson(tmp_path / "mixed.geojson", [square(-71.11, 42.37, name="a"),
                                                      point(-71.1, 42.37, name="b")])
    refused(served, path, "--geometry", "polygon",
            expect=["mixed.geojson", "1 feature(s) are Point", "declared polygon"])


def test_undecodable_text_in_the_declared_encoding(served, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name,wkt\nCaf\xe9,\"POLYGON((-71.1 42.37,-71.09 42.37,-71.09 42.38,"
                     "-71.1 42.37))\"\n".encode("latin1"))
    refused(served, path, "--crs", "EPSG:4326", "--geometry", "polygon",
            expect=["latin.csv", "cannot be decoded as UTF-8", "--encoding"])
    refused(served, path, "--crs", "EPSG:4326", "--encoding", "nonsense",
            expect=["latin.csv", "encoding 'nonsense' is unknown"])


def test_zero_features(served, tmp_path):
    path = write_geojson(tmp_path / "empty.geojson", [])
    refused(served, path, "--geometry", "polygon", expect=["empty.geojson", "no features"])


def test_coordinates_outside_the_crs_area(served, tmp_path):
    lonlat = write_geojson(tmp_path / "lonlat.geojson", [square(-71.11, 42.37, name="a")])
    refused(served, lonlat, "--crs", "EPSG:2249",
            expect=["lonlat.geojson", "outside the area", "NAD83 / Massachusetts Mainland",
                    "swapped"])
    beyond_pole = write_geojson(tmp_path / "swapped.geojson", [square(42.37, 95.0, name="a")])
    refused(served, beyond_pole, expect=["swapped.geojson", "outside the area"])


def test_a_file_whose_content_is_not_its_type(served, tmp_path):
    vrt = tmp_path / "trap.geojson"
    vrt.write_text('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd'
                   "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>")
    refused(served, vrt, expect=["trap.geojson", "content is not geojson"])


def test_unsupported_type_and_missing_file(served, tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    refused(served, odd, "--geometry", "point", expect=["notes.txt", "unsupported file type"])
    refused(served, tmp_path / "gone.geojson", expect=["gone.geojson", "does not exist"])


def test_unknown_manifest_and_file_without_layer(cli_env):
    result = subprocess.run([*MAPSERVER, "load", "no-such-layer"], env=cli_env,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "no manifest for layer 'no-such-layer'" in result.stderr
    assert "parcels" in result.stderr  # the fix lists the known layers
    result = subprocess.run([*MAPSERVER, "load", "x.geojson"], env=cli_env,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--layer" in result.stderr


def test_failed_manifest_load_keeps_the_served_version(demo_city, database_url, app_url,
                                                       tmp_path):
    """A real manifest layer: a broken replacement file leaves parcels exactly as served."""
    before = layer_state(database_url, "parcels")
    broken = tmp_path / "parcels.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')  # cut off mid-file
    manifest = manifests.find(LAYERS, "parcels").with_source(broken, crs="EPSG:4326")
    conn = psycopg2.connect(app_url)   # the role loads run as
    try:
        with pytest.raises(InvalidData) as failure:
            load_layer(conn, manifest)
        assert "parcels.geojson" in failure.value.description
    finally:
        conn.close()
    assert layer_state(database_url, "parcels") == before
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'layers' "
                    "AND tablename LIKE '\\_staging%%'")
        assert cur.fetchone() == (0,)  # nothing left behind


def test_readers_see_old_or_new_version_never_a_mix_or_nothing(database_url, app_url,
                                                                tmp_path):
    """Swap a layer repeatedly while readers query it the way the server does."""
    sizes = {3: write_geojson(tmp_path / "three.geojson",
                              [point(-71.1 + i / 1000, 42.37, name=str(i)) for i in range(3)]),
             7: write_geojson(tmp_path / "seven.geojson",
                              [point(-71.1 + i / 1000, 42.38, name=str(i)) for i in range(7)])}
    layer_id = "t-swap"
    base = manifests.Manifest(raw={
        "id": layer_id, "title": {"en": "swap", "ro": "swap"},
        "description": {"en": "swap", "ro": "swap"}, "category": "other",
        "licence": {"id": "PDDL-1.0", "url": "https://opendatacommons.org/licenses/pddl/1-0/"},
        "attribution": "test", "sources": [{"path": str(sizes[3])}], "geometry": "point",
        "fields": [{"name": "name", "type": "text", "visibility": "public",
                    "description": {"en": "n", "ro": "n"}}]}, folder=ROOT)
    writer = psycopg2.connect(app_url)   # the role loads run as
    load_layer(writer, base)
    seen, errors, stop = [], [], threading.Event()

    def reader():
        conn = psycopg2.connect(database_url)
        conn.autocommit = True
        try:
            while not stop.is_set():
                with conn.cursor() as cur:
                    cur.execute("SELECT version, table_name FROM mapserver.layers "
                                "WHERE id = %s", (layer_id,))
                    version, table = cur.fetchone()
                    cur.execute(f'SELECT count(*) FROM layers."{table}"')
                    seen.append((version, cur.fetchone()[0]))
        except Exception as exc:  # any failure of a reader fails the test below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for round_number in range(12):
            size = 7 if round_number % 2 == 0 else 3
            load_layer(writer, base.with_source(sizes[size]), keep_versions=3)
    finally:
        stop.set()
        for t in threads:
            t.join()
        writer.close()
    assert errors == []
    assert len(seen) > 50
    assert {count for _, count in seen} <= {3, 7}
    # Each version always showed the one size it was loaded with.
    by_version = {}
    for version, count in seen:
        by_version.setdefault(version, set()).add(count)
    assert all(len(counts) == 1 for counts in by_version.values())
    assert max(by_version) == 13


def test_zip_with_an_unsafe_path_is_refused(served, tmp_path):
    archive = tmp_path / "escape.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../../etc/evil.geojson", '{"type": "FeatureCollection", "features": []}')
    refused(served, archive, expect=["escape.zip", "unsafe member path"])


def test_zip_bomb_is_refused_before_unpacking(served, tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr("huge.geojson", b" " * (50 * 1024 * 1024))  # 50 MB of spaces
    assert archive.stat().st_size < 100_000
    refused(served, archive, expect=["bomb.zip", "zip bomb"])


def test_zip_with_too_many_entries_or_two_datasets(served, tmp_path):
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as out:
        for i in range(1001):
            out.writestr(f"f{i}.txt", "x")
    refused(served, many, expect=["many.zip", "holds 1001 files"])
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as out:
        out.writestr("a.geojson", "{}")
        out.writestr("b.geojson", "{}")
    refused(served, two, expect=["two.zip", "exactly one dataset"])
