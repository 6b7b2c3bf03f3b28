"""Every supported format loads through the same careful path, with CRS and encoding honoured."""

from __future__ import annotations

import json
import subprocess
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Point

from tests.conftest import MAPSERVER, ROOT, layer_state

LIBRARIES = ROOT / "data" / "cambridge" / "libraries.geojson"


@pytest.fixture(scope="module")
def libraries():
    frame = gpd.read_file(LIBRARIES)[["SITE_NAME", "ADDRESS", "PHONE", "geometry"]]
    frame.loc[0, "SITE_NAME"] = "Bibliothèque Zoë – café"  # text beyond ASCII
    return frame


def run_load(env, *args):
    return subprocess.run([*MAPSERVER, "load", "--quiet", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def stored(conn, layer_id, column="site_name"):
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM mapserver.layers WHERE id = %s", (layer_id,))
        (table,) = cur.fetchone()
        cur.execute(f'SELECT {column}, ST_X(geom), ST_Y(geom) FROM layers."{table}" ORDER BY fid')
        return cur.fetchall()


def assert_same_libraries(rows, libraries, tolerance=1e-7):
    assert len(rows) == len(libraries) == 7
    for (name, x, y), (_, expected) in zip(rows, libraries.iterrows(), strict=True):
        assert name == expected["SITE_NAME"]
        assert abs(x - expected.geometry.x) < tolerance and abs(y - expected.geometry.y) < tolerance


@pytest.mark.parametrize("suffix, driver", [
    ("geojson", "GeoJSON"), ("gpkg", "GPKG"), ("kml", "KML"),
])
def test_self_describing_formats_load(tmp_path, libraries, cli_env, conn, suffix, driver):
    path = tmp_path / f"libraries.{suffix}"
    frame = libraries.rename(columns={"SITE_NAME": "Name"}) if suffix == "kml" else libraries
    frame.to_file(path, driver=driver)
    layer_id = f"t-fmt-{suffix}"
    result = run_load(cli_env, path, "--layer", layer_id, "--geometry", "point")
    assert result.returncode == 0, result.stderr
    assert "loaded 7" in result.stdout
    column = "name" if suffix == "kml" else "site_name"
    assert_same_libraries(stored(conn, layer_id, column), libraries)


def test_topojson_needs_its_crs_declared_and_loads_with_it(tmp_path, cli_env, conn):
    topo = {"type": "Topology", "arcs": [], "objects": {"pts": {"type": "GeometryCollection",
            "geometries": [{"type": "Point", "coordinates": [-71.1, 42.37],
                            "properties": {"name": "A"}},
                           {"type": "Point", "coordinates": [-71.09, 42.38],
                            "properties": {"name": "B"}}]}}}
    path = tmp_path / "points.topojson"
    path.write_text(json.dumps(topo))
    refused = run_load(cli_env, path, "--layer", "t-topo", "--geometry", "point")
    assert refused.returncode == 2
    assert "points.topojson" in refused.stderr and "--crs EPSG" in refused.stderr
    result = run_load(cli_env, path, "--layer", "t-topo", "--crs", "EPSG:4326")
    assert result.returncode == 0, result.stderr
    assert stored(conn, "t-topo", "name") == [("A", -71.1, 42.37), ("B", -71.09, 42.38)]


def test_zipped_shapefile_in_state_plane_feet_is_reprojected(tmp_path, libraries, cli_env, conn):
    folder = tmp_path / "shp"
    folder.mkdir()
    libraries.to_crs(2249).to_file(folder / "libraries.shp", encoding="cp1252")
    assert (folder / "libraries.cpg").read_text().strip().lower() in ("cp1252", "1252")
    archive = tmp_path / "libraries.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in folder.iterdir():
            out.write(part, part.name)
    result = run_load(cli_env, archive, "--layer", "t-fmt-shp")
    assert result.returncode == 0, result.stderr
    assert "EPSG:2249 (file)" in result.stdout and "encoding" in result.stdout
    # Through feet and back: within a millimetre.
    assert_same_libraries(stored(conn, "t-fmt-shp"), libraries, tolerance=1e-8)


def test_shapefile_without_cpg_takes_the_declared_encoding(tmp_path, libraries, cli_env, conn):
    libraries.to_file(tmp_path / "lib.shp", encoding="cp1252")
    (tmp_path / "lib.cpg").unlink()
    result = run_load(cli_env, tmp_path / "lib.shp", "--layer", "t-fmt-enc",
                      "--encoding", "cp1252")
    assert result.returncode == 0, result.stderr
    assert stored(conn, "t-fmt-enc")[0][0] == "Bibliothèque Zoë – café"


@pytest.mark.parametrize("layout", ["wkt", "lonlat"])
def test_csv_with_wkt_or_lon_lat_columns(tmp_path, libraries, cli_env, conn, layout):
    table = libraries.drop(columns="geometry").copy()
    if layout == "wkt":
        table["wkt"] = libraries.geometry.to_wkt(rounding_precision=-1)
    else:
        table["lon"], table["lat"] = libraries.geometry.x, libraries.geometry.y
    path = tmp_path / f"libraries-{layout}.csv"
    table.to_csv(path, index=False)
    refused = run_load(cli_env, path, "--layer", f"t-csv-{layout}", "--geometry", "point")
    assert refused.returncode == 2 and "does not say which coordinate" in refused.stderr
    result = run_load(cli_env, path, "--layer", f"t-csv-{layout}", "--crs", "EPSG:4326",
                      "--geometry", "point")
    assert result.returncode == 0, result.stderr
    assert_same_libraries(stored(conn, f"t-csv-{layout}"), libraries)


def test_attribute_names_are_normalised_and_undescribed_fields_are_staff_only(
        tmp_path, cli_env, conn):
    frame = gpd.GeoDataFrame({"Year Built": [1900], "Owner Name": ["J. Smith"], "fid": [5]},
                             geometry=[Point(-71.1, 42.37)], crs=4326)
    frame.to_file(tmp_path / "odd.geojson", driver="GeoJSON")
    result = run_load(cli_env, tmp_path / "odd.geojson", "--layer", "t-names")
    assert result.returncode == 0, result.stderr
    with conn.cursor() as cur:
        cur.execute("SELECT manifest, published FROM mapserver.layers WHERE id = 't-names'")
        manifest, published = cur.fetchone()
    names = {f["name"]: f["visibility"] for f in manifest["fields"]}
    assert names == {"year_built": "staff", "owner_name": "staff", "fid_": "staff"}
    assert published is False  # a draft until a planner describes and publishes it
    assert layer_state(cli_env["DATABASE_URL"], "t-names") == (1, 1)


def test_manifest_layer_loaded_from_another_file_keeps_its_fields(tmp_path, cli_env, conn):
    small = gpd.read_file(ROOT / "data" / "cambridge" / "neighbourhoods.geojson").head(3)
    small.to_file(tmp_path / "three.geojson", driver="GeoJSON")
    env = dict(cli_env)
    result = run_load(env, tmp_path / "three.geojson", "--layer", "neighbourhoods")
    try:
        assert result.returncode == 0, result.stderr
        with conn.cursor() as cur:
            cur.execute('SELECT count(*), min(name) FROM layers."neighbourhoods"')
            assert cur.fetchone() == (3, min(small["NAME"]))
        conn.rollback()
    finally:
        restore = subprocess.run([*MAPSERVER, "load", "--quiet", "neighbourhoods"], env=env,
                                 capture_output=True, text=True, timeout=120)
        assert restore.returncode == 0, restore.stderr
