"""The map against the tile server's URL contract: TileJSON at /tiles/{layer}.json, MVT tiles.

The tile server is another part of the project; here a minimal stand-in built on
the same PostGIS (ST_AsMVT over geom_3857, feature id = fid, empty tile = 204)
serves that contract, so the map's vector-tile path is exercised in a real browser.
"""

from __future__ import annotations

import threading

import pytest
from flask import Blueprint, Response, abort, jsonify, request
from headless import chromium_path, launch
from psycopg2 import sql
from werkzeug.serving import make_server

from mapserver import create_app, registry
from mapserver.web import database

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")


def _stand_in_tiles() -> Blueprint:
    tiles = Blueprint("stand_in_tiles", __name__)

    @tiles.get("/tiles/<layer_id>.json")
    def tilejson(layer_id):
        with database().connection() as conn:
            registry.public_layer(conn, layer_id)
        root = request.url_root.rstrip("/")
        return jsonify({"tilejson": "3.0.0", "minzoom": 0, "maxzoom": 18,
                        "tiles": [f"{root}/tiles/{layer_id}/{{z}}/{{x}}/{{y}}.mvt"],
                        "vector_layers": [{"id": layer_id, "fields": {}}]})

    @tiles.get("/tiles/<layer_id>/<int:z>/<int:x>/<int:y>.mvt")
    def tile(layer_id, z, x, y):
        if z > 22 or x >= 2**z or y >= 2**z:
            abort(404)
        with database().connection() as conn:
            record = registry.public_layer(conn, layer_id)
            query = sql.SQL(
                "SELECT ST_AsMVT(q, %s, 4096, 'geom', 'fid') FROM (SELECT fid,"
                " ST_AsMVTGeom(geom_3857, ST_TileEnvelope(%s, %s, %s), 4096, 64, true) AS geom"
                " FROM layers.{} WHERE geom_3857 && ST_TileEnvelope(%s, %s, %s)) q").format(
                    sql.Identifier(record.table_name))
            with conn.cursor() as cur:
                cur.execute(query, (layer_id, z, x, y, z, x, y))
                body = bytes(cur.fetchone()[0] or b"")
        if not body:
            return Response(status=204)
        return Response(body, mimetype="application/vnd.mapbox-vector-tile")

    return tiles


@pytest.fixture(scope="module")
def tiled_server(settings, demo_city):
    app = create_app(settings)
    app.register_blueprint(_stand_in_tiles())
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
        page.on("request", lambda r: tile_requests.append(r.url) if r.url.endswith(".mvt")
                else None)
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
