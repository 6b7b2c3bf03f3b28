"""The residents' map page, its configuration blob, its scripts and the vendored libraries.

Leaflet and Leaflet.VectorGrid come from npm (static/package.json, installed by
`make`); only the files the page needs are served, from an allow-list, so
nothing else under node_modules is reachable.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, send_from_directory

from mapserver.layers import registry, style
from mapserver.web import i18n, public_database

blueprint = Blueprint("mapsite", __name__, template_folder="../templates")

STATIC = Path(__file__).resolve().parents[2] / "static"
# URL under /vendor/ -> file under static/node_modules/
VENDOR = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images/layers.png": "leaflet/dist/images/layers.png",
    "leaflet/images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
    "leaflet/images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
    "vectorgrid/vectorgrid.js": "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    "chart/chart.js": "chart.js/dist/chart.umd.min.js",
}
# Scripts of the page, in load order (each file one piece of the CityMap namespace).
SCRIPTS = ["ns.js", "popup.js", "layers.js", "layer-control.js", "search.js", "locate.js",
           "list-view.js", "feedback.js", "permalink.js", "main.js"]
# Layers with more features than this draw from vector tiles when a tile server answers.
DENSE = 5000


@cache
def asset_version() -> str:
    """Return a short hash of the map's own files, appended to their URLs to bust caches."""
    digest = hashlib.sha1()
    for path in sorted((STATIC / "js").glob("*.js")) + sorted((STATIC / "css").glob("*.css")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def layer_config(record: registry.LayerRecord, lang: str) -> dict:
    """Return what the map needs to draw and label one layer (public fields only)."""
    m = record.manifest
    fields = [{"name": f.name, "type": f.type,
               "label": i18n.localized(f.title or f.description, lang),
               "description": i18n.localized(f.description, lang)}
              for f in record.spec.public_fields]
    return {
        "id": record.id,
        "title": i18n.localized(m["title"], lang),
        "description": i18n.localized(m["description"], lang),
        "category": m["category"],
        "geometry": m["geometry"],
        "style": style.resolve(m["geometry"], m.get("style")),  # drawn as it is
        "default_on": bool(m.get("default_on", False)),
        "minzoom": record.spec.minzoom,
        "maxzoom": record.spec.maxzoom,
        "dense": (record.feature_count or 0) > DENSE,
        "attribution": m["attribution"],
        "bbox": record.bbox,
        "fields": fields,
        "page": record.spec.page,
    }


def map_config(records: list[registry.LayerRecord], lang: str) -> dict:
    """Return the one JSON blob the page's scripts read (`#map-config`)."""
    layers = [layer_config(r, lang) for r in records]
    boxes = [r.bbox for r in records if r.bbox]
    bounds = ([min(b[0] for b in boxes), min(b[1] for b in boxes),
               max(b[2] for b in boxes), max(b[3] for b in boxes)] if boxes else None)
    settings = current_app.extensions["mapserver.settings"]
    categories = sorted({layer["category"] for layer in layers})
    return {
        "lang": lang,
        "languages": list(i18n.LANGUAGES),
        "messages": i18n.messages_for(lang),
        "categories": [{"id": c, "title": i18n.translate(f"category.{c}", lang)}
                       for c in categories],
        "layers": layers,
        "bounds": bounds,
        "basemap": ({"url": settings.basemap_url, "attribution": settings.basemap_attribution}
                    if getattr(settings, "basemap_url", None) else None),
        "urls": {
            "tilejson": "/tiles/{layer}.json",
            "features": "/map/features/{layer}.geojson",
            "feature": "/map/features/{layer}/{fid}.json",
            "search": "/api/search",
            "score": "/api/feedback/score",
            "feedback": "/feedback",
        },
    }


@blueprint.get("/")
def index():
    """Return the city map."""
    lang = i18n.current()
    with public_database().connection() as conn:
        records = registry.public_layers(conn)
    return render_template("map.html", config=map_config(records, lang), scripts=SCRIPTS)


@blueprint.get("/map/i18n/<lang>.json")
def messages(lang: str):
    """Return the JavaScript message catalogue of one language."""
    if lang not in i18n.LANGUAGES:
        abort(404)
    response = jsonify(i18n.messages_for(lang))
    response.cache_control.max_age = 3600
    return response


@blueprint.get("/static/<path:path>")
def static_file(path: str):
    """Serve the map's own scripts and styles (static/js, static/css)."""
    top = path.split("/", 1)[0]
    if top not in ("js", "css"):
        abort(404)
    return send_from_directory(STATIC, path, max_age=3600)


@blueprint.get("/vendor/<path:path>")
def vendor_file(path: str):
    """Serve one allow-listed file of the npm libraries."""
    target = VENDOR.get(path)
    if target is None:
        abort(404)
    return send_from_directory(STATIC / "node_modules", target, max_age=86400)


def init_app(app) -> None:
    """Attach languages and every blueprint of the residents' site."""
    from mapserver.site import buildings, features_api, feedback_pages

    i18n.init_app(app)
    app.jinja_env.globals["asset_version"] = asset_version
    for module in (blueprint, features_api.blueprint, buildings.blueprint,
                   feedback_pages.blueprint):
        app.register_blueprint(module)
