"""The tile cache (disk, version-keyed, render-once), publication rules, seed and PMTiles export."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import subprocess
import threading
import time
from pathlib import Path

import mapbox_vector_tile
import pytest
import requests
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType

from mapserver.db import connect
from mapserver.ingest.pipeline import load_layer
from mapserver.layers import manifest as manifests
from mapserver.tiles.cache import TileCache
from mapserver.tiles.grid import count_tiles, lonlat_to_tile
from tests.conftest import LAYERS, MAPSERVER

CENTRAL = (-71.1037, 42.3656)
SHELTER = (-71.093668, 42.358841)   # the second bus shelter of the source file


def _tile(z, lonlat=CENTRAL):
    return (z, *lonlat_to_tile(*lonlat, z))


def _cache_root(app) -> Path:
    return app.extensions["mapserver.settings"].tiles_cache


def _load_copy(app_url, tmp_path, layer_id, *, drop_second=False, published=True, **extra):
    """Load bus-shelters under another id (optionally without its second feature)."""
    base = manifests.find(LAYERS, "bus-shelters")
    source = base.sources[0].path
    if drop_second:
        data = json.loads(source.read_text())
        del data["features"][1]
        source = tmp_path / f"{layer_id}.geojson"
        source.write_text(json.dumps(data))
    raw = dict(base.raw, id=layer_id, sources=[{"path": str(source)}], **extra)
    conn = connect(app_url)
    try:
        return load_layer(conn, manifests.Manifest(raw=raw, folder=base.folder),
                          published=published)
    finally:
        conn.close()


def _once_seen(client, url, check, seconds: float = 5.0):
    """Return the first answer to `url` for which `check` holds (the last one after `seconds`).

    These loads commit on another connection, as an operator's would; the app's copy of
    the registry hears of them by NOTIFY, microseconds later (milliseconds on a busy
    machine).  Asking at once sometimes got the copy from before: a 404 or the old tile.
    """
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(url)
        if check(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.005)


def test_second_request_is_served_from_the_file_on_disk(client, app):
    z, x, y = _tile(16, (-71.0860, 42.3625))   # Kendall Square, asked by no other test
    url = f"/tiles/streets/{z}/{x}/{y}.mvt"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["X-Tile-Cache"] == "miss"
    version = first.headers["ETag"].split("@")[1].split("/")[0]
    app.extensions["mapserver.tiles"].flush()   # stored by the writer thread, after the answer
    stored = _cache_root(app) / "streets" / version / str(z) / str(x) / f"{y}.mvt"
    assert stored.read_bytes() == first.data
    assert not list(stored.parent.glob("*.tmp"))   # written atomically, nothing left over
    # Put another (valid) tile in its place: the server must answer with the file's bytes.
    other = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt").data
    assert other and other != first.data
    stored.write_bytes(other)
    second = client.get(url)
    assert second.headers["X-Tile-Cache"] == "hit"
    assert second.data == other
    stored.write_bytes(first.data)   # leave the cache true for the other tests


def test_a_new_layer_version_makes_old_tiles_unreachable(client, app, app_url, tmp_path):
    _load_copy(app_url, tmp_path, "tiles-test-shelters")
    z, x, y = _tile(14, SHELTER)
    url = f"/tiles/tiles-test-shelters/{z}/{x}/{y}.mvt"
    before = _once_seen(client, url, lambda r: r.status_code == 200)
    ids_before = {f["properties"]["global_id"] for f in
                  mapbox_vector_tile.decode(before.data)["tiles-test-shelters"]["features"]}
    old_version = before.headers["ETag"].split("@")[1].split("/")[0]
    old_file = (_cache_root(app) / "tiles-test-shelters" / old_version / str(z) / str(x) /
                f"{y}.mvt")
    app.extensions["mapserver.tiles"].flush()
    assert old_file.exists()
    assert client.get(url).headers["X-Tile-Cache"] == "hit"

    _load_copy(app_url, tmp_path, "tiles-test-shelters", drop_second=True)
    after = _once_seen(client, url, lambda r: r.headers.get("ETag") != before.headers["ETag"])
    assert after.headers["X-Tile-Cache"] == "miss"
    assert after.headers["ETag"] != before.headers["ETag"]
    ids_after = {f["properties"]["global_id"] for f in
                 mapbox_vector_tile.decode(after.data)["tiles-test-shelters"]["features"]}
    assert len(ids_after) == len(ids_before) - 1 > 0
    assert "{C3CF7E55-D0C2-4054-8DBE-EFF98093C77A}" in ids_before - ids_after
    # The old ETag no longer earns a 304.
    assert client.get(url, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    # The old version's folder is gone, so not even a front server can serve it.
    app.extensions["mapserver.tiles"].flush()
    assert not old_file.exists()
    assert not old_file.parent.parent.parent.exists()


def test_unpublished_and_expired_layers_are_not_served(client, app_url, tmp_path):
    _load_copy(app_url, tmp_path, "tiles-test-draft", published=False)
    _load_copy(app_url, tmp_path, "tiles-test-expired",
               valid_to="2001-01-01T00:00:00Z")
    _load_copy(app_url, tmp_path, "tiles-test-future",
               valid_from="2999-01-01T00:00:00Z")
    z, x, y = _tile(17, SHELTER)
    for layer in ("tiles-test-draft", "tiles-test-expired", "tiles-test-future"):
        for url in (f"/tiles/{layer}/{z}/{x}/{y}.mvt", f"/tiles/{layer}.json",
                    f"/tiles/parcels,{layer}/{z}/{x}/{y}.mvt",
                    f"/ogc/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert response.get_json()["code"] == "NotFound"
    _load_copy(app_url, tmp_path, "tiles-test-current",
               valid_from="2001-01-01T00:00:00Z", valid_to="2999-01-01T00:00:00Z")
    current = _once_seen(client, f"/tiles/tiles-test-current/{z}/{x}/{y}.mvt",
                         lambda r: r.status_code == 200)
    assert current.status_code == 200
    # A time-bounded layer never reaches the disk cache: a front server serving that
    # folder would go on showing it after its window closed.
    assert current.headers["X-Tile-Cache"] == "off"
    client.application.extensions["mapserver.tiles"].flush()
    assert not (_cache_root(client.application) / "tiles-test-current").exists()


def test_concurrent_requests_for_one_uncached_tile_render_it_once(app, live_server):
    z, x, y = _tile(17, (-71.1190, 42.3736))   # Harvard Square, asked by no other test
    url = f"{live_server}/tiles/parcels,streets,street-lights/{z}/{x}/{y}.mvt"
    requests.get(f"{live_server}/tiles/parcels.json", timeout=30)
    cache = app.extensions["mapserver.tiles"]
    renders_before = cache.renders
    barrier = threading.Barrier(8)
    results = []

    def fetch():
        barrier.wait()
        response = requests.get(url, timeout=60)
        results.append((response.status_code, response.headers["X-Tile-Cache"],
                        response.content))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.renders - renders_before == 1
    assert sorted(r[1] for r in results) == ["hit"] * 7 + ["miss"]
    assert len({r[2] for r in results}) == 1 and results[0][0] == 200


def _render_in_process(root, log, barrier, out):
    def slow_render():
        with open(log, "a") as handle:
            handle.write("render\n")
        threading.Event().wait(0.3)   # widen the window in which others could render too
        return b"tile"

    barrier.wait()
    data, _ = TileCache(Path(root)).get_or_render("parcels", "9", 15, 1, 2, slow_render)
    out.put(data)


def test_worker_processes_render_a_tile_once(tmp_path):
    """Server workers are processes: the lock must hold across them, not only threads."""
    context = multiprocessing.get_context("fork")
    log = tmp_path / "renders.log"
    barrier, out = context.Barrier(5), context.Queue()
    workers = [context.Process(target=_render_in_process,
                               args=(str(tmp_path / "cache"), str(log), barrier, out))
               for _ in range(5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [out.get(timeout=5) for _ in workers] == [b"tile"] * 5
    assert log.read_text().count("render") == 1
    assert (tmp_path / "cache" / "parcels" / "9" / "15" / "1" / "2.mvt").read_bytes() == b"tile"


def test_cache_refuses_paths_outside_its_layout(tmp_path):
    cache = TileCache(tmp_path)
    for key, version in (("../etc", "1"), ("parcels", "../1"), ("parcels/x", "1")):
        with pytest.raises(ValueError):
            cache.path(key, version, 1, 0, 0)


def test_seed_command_fills_the_cache(cli_env, settings, client):
    done = subprocess.run([*MAPSERVER, "tiles", "seed", "streets", "--zoom", "12-13",
                           "--quiet"], env=cli_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    version = next(layer["version"] for layer in client.get("/layers").get_json()["layers"]
                   if layer["id"] == "streets")
    bbox = next(layer["bbox"] for layer in client.get("/layers").get_json()["layers"]
                if layer["id"] == "streets")
    folder = settings.tiles_cache / "streets" / str(version)
    stored = list(folder.glob("1[23]/*/*.mvt")) + list(folder.glob("1[23]/*/*.empty"))
    assert len(stored) == count_tiles(bbox, [12, 13]) > 4
    assert f"{len(stored)} tiles" in done.stdout
    z, x, y = _tile(13)
    assert client.get(f"/tiles/streets/{z}/{x}/{y}.mvt").headers["X-Tile-Cache"] == "hit"


def test_seed_command_rejects_bad_input(cli_env):
    for args, message in ((["nowhere"], "no published layer"),
                          (["streets", "--zoom", "16-12"], "zoom range"),
                          (["streets", "--zoom", "x"], "zoom range")):
        done = subprocess.run([*MAPSERVER, "tiles", "seed", *args, "--quiet"], env=cli_env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr
        assert "Traceback" not in done.stderr


def test_pmtiles_export_reads_back(cli_env, tmp_path):
    target = tmp_path / "city.pmtiles"
    done = subprocess.run([*MAPSERVER, "tiles", "export", "parcels", "streets",
                           "--pmtiles", str(target), "--zoom", "14-15", "--quiet"],
                          env=cli_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(target, "rb") as handle:
        source = MmapSource(handle)
        reader = Reader(source)
        header = reader.header()
        assert header["tile_type"] == TileType.MVT
        assert header["tile_compression"] == Compression.GZIP
        assert (header["min_zoom"], header["max_zoom"]) == (14, 15)
        meta = reader.metadata()
        assert [layer["id"] for layer in meta["vector_layers"]] == ["parcels", "streets"]
        assert "editor" not in json.dumps(meta)
        stored = list(all_tiles(source))
        assert f"{len(stored)} tiles" in done.stdout and len(stored) > 10
        z, x, y = _tile(15)
        layers = mapbox_vector_tile.decode(gzip.decompress(reader.get(z, x, y)))
        assert sorted(layers) == ["parcels", "streets"]
        for feature in layers["parcels"]["features"]:
            assert "editor" not in feature["properties"]


def test_empty_tiles_leave_no_mvt_file_for_a_front_server(client, app):
    response = client.get("/tiles/streets/16/20000/24000.mvt")   # the Atlantic
    assert response.status_code == 204
    version = response.headers["ETag"].split("@")[1].split("/")[0]
    folder = _cache_root(app) / "streets" / version / "16" / "20000"
    app.extensions["mapserver.tiles"].flush()
    assert not (folder / "24000.mvt").exists()
    assert (folder / "24000.empty").exists()
    again = client.get("/tiles/streets/16/20000/24000.mvt")
    assert again.status_code == 204 and again.headers["X-Tile-Cache"] == "hit"


def test_long_composite_keys_fit_in_a_folder_name(tmp_path):
    """Ten 48-character layer ids joined by commas exceed the 255-byte name limit."""
    cache = TileCache(tmp_path)
    key = ",".join(f"layer-{i}-" + "x" * 39 for i in range(10))
    data, cached = cache.get_or_render(key, "1-2-3", 14, 1, 2, lambda: b"tile")
    assert (data, cached) == (b"tile", False)
    assert cache.get_or_render(key, "1-2-3", 14, 1, 2, lambda: b"other") == (b"tile", True)
    assert cache.get_or_render(key, "1-2-4", 14, 1, 2, lambda: b"new") == (b"new", False)
    assert cache.read(key, "1-2-3", 14, 1, 2) is None     # the older version was dropped


def test_cache_survives_its_folder_being_emptied(tmp_path):
    cache = TileCache(tmp_path / "cache")
    assert cache.get_or_render("parcels", "1", 14, 1, 2, lambda: b"a") == (b"a", False)
    import shutil

    shutil.rmtree(tmp_path / "cache")          # an operator clears the cache by hand
    assert cache.get_or_render("parcels", "1", 14, 1, 2, lambda: b"b") == (b"b", False)
    assert cache.read("parcels", "1", 14, 1, 2) == b"b"
