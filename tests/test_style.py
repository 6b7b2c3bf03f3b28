"""Layer styles: one resolver (mapserver/layers/style.py) for the map page and export-map.

The defaults used to live in static/js/layers.js and again, different, in
export_map.py. The JS values were what residents saw, so they are the truth here.
"""

from __future__ import annotations

import json
import re

import pytest

from mapserver.layers import manifest as manifests
from mapserver.layers import registry
from mapserver.layers.style import resolve
from mapserver.site import export_map
from tests.conftest import DEMO_LAYERS, LAYERS, ROOT


def removed_js_path_style(geometry: str, s: dict) -> dict:
    """CityMap.pathStyle as static/js/layers.js had it, transcribed (JS || and undefined)."""
    return {
        "color": s.get("color") or "#333",
        "weight": (1 if geometry == "point" else 2) if "weight" not in s else s["weight"],
        "fill": geometry != "line",
        "fillColor": s.get("fill") or s.get("color") or "#666",
        "fillOpacity": (0.3 if geometry == "polygon" else 0.9) if "fill_opacity" not in s
        else s["fill_opacity"],
        "radius": s.get("radius") or 5,
    }


@pytest.mark.parametrize("layer_id", DEMO_LAYERS)
def test_every_demo_layer_looks_as_the_map_drew_it_before(layer_id):
    manifest = manifests.find(LAYERS, layer_id).raw
    style = manifest.get("style", {})
    assert resolve(manifest["geometry"], style) == removed_js_path_style(manifest["geometry"],
                                                                          style)


@pytest.mark.parametrize("geometry, style", [
    ("point", {}), ("line", {}), ("polygon", {}),
    ("polygon", {"fill_opacity": 0, "weight": 0}), ("line", {"color": "#123456"}),
    ("point", {"fill": "#abcdef", "radius": 12, "weight": 3, "fill_opacity": 0.5}),
])
def test_the_resolver_keeps_the_old_map_rules(geometry, style):
    assert resolve(geometry, style) == removed_js_path_style(geometry, style)


def test_known_answers():
    assert resolve("point", None) == {"color": "#333", "weight": 1, "fill": True,
                                      "fillColor": "#666", "fillOpacity": 0.9, "radius": 5}
    assert resolve("line", {"color": "#8a8a8a", "weight": 2}) == {
        "color": "#8a8a8a", "weight": 2, "fill": False, "fillColor": "#8a8a8a",
        "fillOpacity": 0.9, "radius": 5}
    boundary = resolve("polygon", {"color": "#37474f", "fill": "#ffffff", "fill_opacity": 0,
                                   "weight": 3})
    assert boundary["fillOpacity"] == 0 and boundary["weight"] == 3  # a 0 is kept


def test_the_map_config_carries_each_layer_s_resolved_style(client, conn):
    html = client.get("/").get_data(as_text=True)
    blob = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html,
                     re.S).group(1)
    layers = {layer["id"]: layer for layer in json.loads(blob)["layers"]}
    for record in registry.public_layers(conn):
        expected = resolve(record.manifest["geometry"], record.manifest.get("style"))
        assert layers[record.id]["style"] == expected, record.id


def test_export_map_draws_with_the_same_style(conn, demo_city):
    for layer_id in ("parcels", "public-buildings", "streets"):
        record = registry.public_layer(conn, layer_id)
        assert export_map._style(record) == resolve(record.manifest["geometry"],
                                                    record.manifest.get("style"))


def test_the_scripts_hold_no_style_defaults():
    for path in (ROOT / "static" / "js").glob("*.js"):
        text = path.read_text("utf-8")
        assert "pathStyle" not in text and "fill_opacity" not in text, path
        assert not re.search(r"'#(333|666)'", text), path
