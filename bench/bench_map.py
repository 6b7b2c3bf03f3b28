"""The residents' map: its own assets' compressed size and the first view drawn in Chromium.

Targets from issue 5: the page's own assets (HTML, scripts, styles, Leaflet;
no map data) under 300 KB compressed, and the first view drawn (its data
loaded) under 2 s on localhost.  The peer is the same two modules exported by
folium (`mapserver export-map`), opened from a file in the same browser.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import ROOT, database_url

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TARGET_KB = 300
TARGET_S = 2.0
VIEW = "/#map=16/42.37360/-71.10970&layers=parcels,public-buildings,parks,city-boundary"
RUNS = 5


def _serve():
    from werkzeug.serving import make_server

    from mapserver import create_app
    from mapserver.settings import Settings

    app = create_app(Settings.from_env({**os.environ, "MAPSERVER_HOME": str(ROOT)}))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def asset_sizes(base: str) -> tuple[int, int, list[str]]:
    """Return (raw bytes, gzip bytes, asset URLs) of the map page and its own assets."""
    html = _get(base + "/")
    urls = re.findall(rb'(?:src|href)="(/(?:static|vendor)/[^"]+)"', html)
    names = [u.decode() for u in urls]
    bodies = [html] + [_get(base + name) for name in names]
    raw = sum(len(b) for b in bodies)
    packed = sum(len(gzip.compress(b, 6)) for b in bodies)
    return raw, packed, names


def _first_view(browser, url: str, ready: str) -> float:
    """Return seconds from navigation to the view drawn, in a fresh context (cold cache).

    The map marks the moment its last request of the view is drawn (data-ready-at,
    ms since navigation); the folium file is timed until its paths exist.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    elapsed = time.perf_counter() - started
    marked = page.evaluate("document.documentElement.getAttribute('data-ready-at')")
    context.close()
    return int(marked) / 1000 if marked else elapsed


def run() -> list[str]:
    from headless import launch
    from playwright.sync_api import sync_playwright

    from mapserver.db import connect
    from mapserver.site.export_map import build_map

    url = database_url()
    server, base = _serve()
    try:
        raw, packed, names = asset_sizes(base)
        conn = connect(url)
        try:
            export = Path(tempfile.mkdtemp()) / "export.html"
            export.write_text(build_map(conn, ["parcels", "public-buildings"]), "utf-8")
        finally:
            conn.close()
        with sync_playwright() as playwright:
            browser = launch(playwright)
            ours = statistics.median(_first_view(browser, base + VIEW, "html[data-map-ready='1']")
                                     for _ in range(RUNS))
            city = statistics.median(_first_view(browser, base + "/", "html[data-map-ready='1']")
                                     for _ in range(RUNS))
            peer = statistics.median(_first_view(browser, export.as_uri(),
                                                 ".leaflet-overlay-pane path")
                                     for _ in range(3))
            browser.close()
    finally:
        server.shutdown()
    export_kb = len(gzip.compress(export.read_bytes(), 6)) / 1024
    return [
        f"map page own assets ({len(names) + 1} files, no map data): {raw / 1024:.0f} KB raw, "
        f"{packed / 1024:.0f} KB gzip; target {TARGET_KB} KB, "
        f"ratio {packed / 1024 / TARGET_KB:.2f}x",
        f"first view drawn, zoom 16 with parcels (median of {RUNS}, cold cache): {ours:.3f} s; "
        f"target {TARGET_S:.1f} s, ratio {ours / TARGET_S:.2f}x",
        f"first view drawn, whole city at start (median of {RUNS}): {city:.3f} s; "
        f"target {TARGET_S:.1f} s, ratio {city / TARGET_S:.2f}x",
        f"same modules as a folium export ({export_kb:.0f} KB gzip, all data inline), drawn: "
        f"{peer:.3f} s; mapserver zoom-16 view {ours:.3f} s, ratio {ours / peer:.2f}x",
    ]
