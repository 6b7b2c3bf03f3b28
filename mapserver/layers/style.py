"""How a layer is drawn: defaults per geometry kind, merged with the manifest's `style`.

The one place the defaults live.  The map page sends each layer's resolved style
in its `#map-config` blob and static/js draws with it as it is; `mapserver
export-map` draws with the same values, so the council's map looks like the
residents' one.  The result is Leaflet path options (color, weight, fill,
fillColor, fillOpacity, radius), which folium passes to Leaflet too.
"""

from __future__ import annotations

STROKE = "#333"      # outline when the manifest gives no colour
FILL = "#666"        # fill when it gives neither a fill nor a colour
RADIUS = 5           # pixels, for points
# Per geometry kind: outline weight in pixels and fill opacity. Points are small discs,
# filled nearly opaque with a thin rim; areas are washed so the base map shows through.
KINDS = {
    "point": {"weight": 1, "fill": True, "fillOpacity": 0.9},
    "line": {"weight": 2, "fill": False, "fillOpacity": 0.9},
    "polygon": {"weight": 2, "fill": True, "fillOpacity": 0.3},
}


def resolve(geometry: str, style: dict | None) -> dict:
    """Return the Leaflet path options of a layer of this geometry kind and manifest style.

    A manifest value wins, 0 included (a boundary with fill_opacity 0); `fill`
    falls back to the outline colour before the grey default.
    """
    given = style or {}
    kind = KINDS[geometry]
    return {
        "color": given.get("color") or STROKE,
        "weight": kind["weight"] if given.get("weight") is None else given["weight"],
        "fill": kind["fill"],
        "fillColor": given.get("fill") or given.get("color") or FILL,
        "fillOpacity": (kind["fillOpacity"] if given.get("fill_opacity") is None
                        else given["fill_opacity"]),
        "radius": given.get("radius") or RADIUS,
    }
