"""A standalone Leaflet map of chosen modules for reports to the council.

folium writes the map; every asset is then inlined from static/node_modules so
the file opens offline (folium links Leaflet, jQuery and Bootstrap from CDNs by
default: those links are removed and Leaflet's own files put in their place).
Only public layers and public fields are exported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from markupsafe import escape
from psycopg2 import sql

from mapserver.errors import SetupError
from mapserver.layers import registry
from mapserver.layers.style import resolve as resolve_style

LEAFLET = Path(__file__).resolve().parents[2] / "static" / "node_modules" / "leaflet" / "dist"
REMOTE_ASSET = re.compile(
    r'<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>\s*'
    r'|<link[^>]+href="https?://[^"]*"[^>]*/?>\s*', re.I)


def _public_geojson(conn, record: registry.LayerRecord) -> dict:
    """Return each feature's public fields, text HTML-escaped (folium's popups use innerHTML)."""
    names = record.public_field_names
    query = sql.SQL("SELECT {cols}, ST_AsGeoJSON(geom, 6) FROM layers.{table} ORDER BY fid").format(
        cols=sql.SQL(", ").join(sql.Identifier(n) for n in names),
        table=sql.Identifier(record.table_name))
    features = []
    with conn.cursor() as cur:
        cur.execute(query)
        for row in cur:
            props = {}
            for name, value in zip(names, row[:-1], strict=True):
                if isinstance(value, str):
                    value = str(escape(value))
                elif hasattr(value, "isoformat"):
                    value = value.isoformat()
                props[name] = value
            features.append({"type": "Feature", "geometry": json.loads(row[-1]),
                             "properties": props})
    return {"type": "FeatureCollection", "features": features}


def _style(record: registry.LayerRecord) -> dict:
    """Return the layer's Leaflet path options, as the residents' map draws it."""
    return resolve_style(record.manifest["geometry"], record.manifest.get("style"))


def _legend(records, lang: str) -> str:
    rows = []
    for r in records:
        st = _style(r)
        title = r.manifest["title"].get(lang) or r.manifest["title"]["en"]
        rows.append(f'<li><span style="display:inline-block;width:14px;height:14px;'
                    f'border:2px solid {escape(st["color"])};background:{escape(st["fillColor"])};'
                    f'margin-right:6px"></span>{escape(title)}</li>')
    return ('<div style="position:fixed;bottom:24px;left:12px;z-index:1000;background:#fff;'
            'padding:8px 12px;border:1px solid #888;font:14px sans-serif">'
            f'<ul style="list-style:none;margin:0;padding:0">{"".join(rows)}</ul></div>')


def _inline_assets(html: str) -> str:
    """Replace folium's CDN links by Leaflet's own files, inlined."""
    try:
        script = (LEAFLET / "leaflet.js").read_text("utf-8")
        css = (LEAFLET / "leaflet.css").read_text("utf-8")
    except OSError as exc:
        raise SetupError("Leaflet is not installed in static/node_modules",
                         fix="run `make deps` (npm ci in static/)") from exc
    html = REMOTE_ASSET.sub("", html)
    script = script.replace("</script", "<\\/script")
    inline = f"<style>{css}</style>\n<script>{script}</script>\n"
    return html.replace("<head>", "<head>\n" + inline, 1)


def build_map(conn, layer_ids: list[str], lang: str = "en") -> str:
    """Return the HTML of a standalone map of the given public layers."""
    import folium

    records = [registry.public_layer(conn, layer_id) for layer_id in layer_ids]
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    boxes = [r.bbox for r in records if r.bbox]
    for record in records:
        style = _style(record)
        fields = record.spec.public_fields
        labels = [str(escape((f.title or f.description).get(lang)
                             or (f.title or f.description)["en"])) for f in fields]
        title = record.manifest["title"].get(lang) or record.manifest["title"]["en"]
        marker = None
        if record.manifest["geometry"] == "point":
            marker = folium.CircleMarker(radius=style["radius"], fill=True)
        folium.GeoJson(
            _public_geojson(conn, record), name=str(escape(title)), marker=marker,
            style_function=lambda _feature, s=style: s,
            popup=folium.GeoJsonPopup(fields=[f.name for f in fields], aliases=labels),
        ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend(records, lang)))
    if boxes:
        fmap.fit_bounds([[min(b[1] for b in boxes), min(b[0] for b in boxes)],
                         [max(b[3] for b in boxes), max(b[2] for b in boxes)]])
    return _inline_assets(fmap.get_root().render())
