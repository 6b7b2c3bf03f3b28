"""`mapserver export-map`: a standalone folium map that opens with no network at all."""

from __future__ import annotations

import re
import subprocess

import pytest
from headless import chromium_path, launch


@pytest.fixture(scope="module")
def exported(tmp_path_factory, demo_city, database_env, settings):
    import os
    import sys

    out = tmp_path_factory.mktemp("export") / "council.html"
    env = dict(os.environ, **database_env, MAPSERVER_HOME=str(settings.home))
    result = subprocess.run([sys.executable, "-m", "mapserver", "export-map", "--layers",
                             "parcels,public-buildings", str(out)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout
    return out


def test_export_has_no_remote_assets_and_no_staff_fields(exported):
    html = exported.read_text("utf-8")
    assert not re.search(r'<script[^>]+src="https?://', html)
    assert not re.search(r'<link[^>]+href="https?://', html)
    assert "cdn" not in html.lower()
    assert "L.Map" in html or "L.map" in html, "Leaflet is inlined"
    assert '"editor"' not in html, "staff-only fields stay out"
    assert "23 ROCKWELL ST" in html
    assert "Public buildings" in html and "Parcels" in html


def test_export_refuses_an_unknown_layer(tmp_path, cli_env):
    import sys

    result = subprocess.run([sys.executable, "-m", "mapserver", "export-map", "--layers",
                             "parcels,nope", str(tmp_path / "x.html")],
                            capture_output=True, text=True, env=cli_env, timeout=120)
    assert result.returncode == 2
    assert "no published layer 'nope'" in result.stderr
    assert not (tmp_path / "x.html").exists()


@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")
def test_export_opens_offline_in_chromium(exported):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1024, "height": 768}, offline=True)
        page = context.new_page()
        remote, errors = [], []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        page.on("request", lambda request: None if request.url.startswith(("file:", "data:"))
                else remote.append(request.url))
        page.goto(exported.as_uri())
        page.wait_for_selector(".leaflet-overlay-pane path", state="attached")
        drawn = page.evaluate("document.querySelectorAll('.leaflet-overlay-pane path').length")
        legend = page.locator(".leaflet-control-layers").inner_text()
        browser.close()
    assert errors == []
    assert remote == [], "the file asks for nothing from the network"
    assert drawn > 13_000, "13,116 parcels and 94 buildings are drawn"
    assert "Parcels" in legend and "Public buildings" in legend
