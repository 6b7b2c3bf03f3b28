"""The map drawing a dense layer from the project's vector tiles in a real browser:
TileJSON at /tiles/{layer}.json, MVT tiles, popups fetched by the tile's feature id."""

from __future__ import annotations

import threading
from urllib.parse import urlparse

import pytest
from headless import chromium_path, launch
from werkzeug.serving import make_server

from mapserver import create_app

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")


@pytest.fixture(scope="module")
def tiled_server(settings, demo_city):
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_dense_layer_draws_vector_tiles_and_tiles_open_popups(tiled_server, client):
    parcel = client.get("/api/search?q=127-123").get_json()["results"][0]
    minx, miny, maxx, maxy = parcel["bbox"]
    lat, lng = (miny + maxy) / 2, (minx + maxx) / 2
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors, tile_requests = [], []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda r: tile_requests.append(r.url)
                if urlparse(r.url).path.endswith(".mvt") else None)
        page.goto(f"{tiled_server}/#map=18/{lat:.6f}/{lng:.6f}&layers=parcels")
        page.wait_for_selector("html[data-map-ready='1']", state="attached")
        source = page.evaluate("CityMap.modules.parcels.source")
        canvases = page.locator(".leaflet-tile-container canvas, canvas.leaflet-tile").count()
        geojson_asked = page.evaluate(
            "performance.getEntriesByType('resource')"
            ".some(e => e.name.includes('/map/features/parcels.geojson'))")
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        popup = page.locator(".leaflet-popup .ms-popup")
        popup.wait_for()
        address = popup.locator("dd[data-field=address]").inner_text()
        browser.close()
    assert errors == []
    assert source == "tiles"
    assert tile_requests and all("/tiles/parcels/18/" in u for u in tile_requests)
    assert canvases > 0
    assert geojson_asked is False, "with tiles available the dense layer asks no GeoJSON"
    assert address == "23 ROCKWELL ST"
