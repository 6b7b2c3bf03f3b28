"""Each KPI: its name, definition, unit, and how it is computed from the live data.

Every function takes a connection and a Period and returns (value, detail):
`value` is the headline number (None when there is nothing to measure yet),
`detail` the breakdown shown in tables and charts.  An empty system gives
zeros and "no answers yet", never an error or a division by zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from psycopg2 import sql

from mapserver.layers import registry

ACCESSIBILITY_FIELDS = ("step_free_entrance", "accessible_toilet", "accessible_parking",
                        "opening_hours", "contact")
BUILDINGS = "public-buildings"


@dataclass(frozen=True)
class Kpi:
    """A measure the city tracks."""

    name: str
    title: str
    definition: str
    unit: str
    compute: Callable


def _rows(conn, query, params=()):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def _public_layers(conn) -> list[registry.LayerRecord]:
    return registry.public_layers(conn)


def modules(conn, period):
    """Published thematic modules now, by category, and over time from the daily snapshots."""
    layers = _public_layers(conn)
    by_category: dict[str, int] = {}
    for layer in layers:
        category = layer.manifest["category"]
        by_category[category] = by_category.get(category, 0) + 1
    history = _rows(conn, "SELECT day, value FROM mapserver.kpi_snapshots WHERE name = 'modules'"
                    " AND day >= %s AND day < %s ORDER BY day", (period.start, period.end))
    return len(layers), {"by_category": dict(sorted(by_category.items())),
                         "over_time": [{"day": d.isoformat(), "value": v} for d, v in history]}


def datasets(conn, period):
    """Public datasets: every published layer, downloadable in open formats."""
    layers = _public_layers(conn)
    return len(layers), {"datasets": sorted(layer.id for layer in layers)}


def downloads(conn, period):
    """Whole-layer downloads in the period, per month and category, per layer and format."""
    rows = _rows(conn, "SELECT to_char(day, 'YYYY-MM'), category, layer_id, format, sum(count)"
                 " FROM mapserver.downloads WHERE day >= %s AND day < %s"
                 " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4", (period.start, period.end))
    per_month: dict[str, dict[str, int]] = {}
    per_layer: dict[str, int] = {}
    per_format: dict[str, int] = {}
    for month, category, layer_id, fmt, total in rows:
        per_month.setdefault(month, {}).setdefault(category, 0)
        per_month[month][category] += int(total)
        per_layer[layer_id] = per_layer.get(layer_id, 0) + int(total)
        per_format[fmt] = per_format.get(fmt, 0) + int(total)
    return sum(per_layer.values()), {"per_month_and_category": per_month,
                                     "per_layer": per_layer, "per_format": per_format}


def map_use(conn, period):
    """Page views of the map, module toggles and searches, per month."""
    rows = _rows(conn, "SELECT to_char(day, 'YYYY-MM'), kind, sum(count)"
                 " FROM mapserver.usage_counts WHERE day >= %s AND day < %s"
                 " GROUP BY 1, 2 ORDER BY 1, 2", (period.start, period.end))
    per_month: dict[str, dict[str, int]] = {}
    totals = {"page_view": 0, "module_toggle": 0, "search": 0}
    for month, kind, total in rows:
        per_month.setdefault(month, dict.fromkeys(totals, 0))[kind] = int(total)
        totals[kind] += int(total)
    return totals["page_view"], {"totals": totals, "per_month": per_month}


def _nps(promoters: int, detractors: int, answers: int) -> float | None:
    return round(100.0 * (promoters - detractors) / answers, 1) if answers else None


def nps(conn, period):
    """Net Promoter Score: % of 9-10 answers minus % of 0-6 answers, with the answer count."""
    rows = _rows(conn, "SELECT to_char(created_at, 'YYYY-MM'), count(*) FILTER (WHERE score >= 9),"
                 " count(*) FILTER (WHERE score <= 6), count(*) FROM mapserver.feedback_scores"
                 " WHERE created_at >= %s AND created_at < %s GROUP BY 1 ORDER BY 1",
                 (period.start, period.end))
    per_month = {month: {"nps": _nps(p, d, n), "answers": n} for month, p, d, n in rows}
    promoters = sum(r[1] for r in rows)
    detractors = sum(r[2] for r in rows)
    answers = sum(r[3] for r in rows)
    detail = {"answers": answers, "per_month": per_month}
    if not answers:
        detail["note"] = "no answers yet"
    return _nps(promoters, detractors, answers), detail


def _buildings(conn):
    layers = {layer.id: layer for layer in _public_layers(conn)}
    return layers.get(BUILDINGS)


def accessibility_share(conn, period):
    """Share of public buildings with any accessibility information filled in."""
    layer = _buildings(conn)
    if layer is None:
        return None, {"note": "no public buildings layer published"}
    present = [f["name"] for f in layer.manifest["fields"] if f["name"] in ACCESSIBILITY_FIELDS]
    condition = sql.SQL(" OR ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(n))
                                     for n in present) if present else sql.SQL("false")
    ((total, covered),) = _rows(conn, sql.SQL("SELECT count(*), count(*) FILTER (WHERE {})"
                                              " FROM layers.{}").format(
        condition, sql.Identifier(layer.table_name)))
    return (round(covered / total, 4) if total else None), {"buildings": total,
                                                             "with_information": covered}


def qr_share(conn, period):
    """Share of public buildings with a public page and QR code (/buildings/{id})."""
    layer = _buildings(conn)
    total = _rows(conn, "SELECT feature_count FROM mapserver.layers WHERE id = %s",
                  (BUILDINGS,))
    count = total[0][0] if total else 0
    with_page = layer.feature_count if layer else 0
    return (round(with_page / count, 4) if count else None), {"buildings": count,
                                                              "with_page": with_page}


def density(conn, period):
    """Features of a point layer per km of a line layer, for each pair a manifest declares."""
    layers = {layer.id: layer for layer in _public_layers(conn)}
    pairs = {}
    for layer in layers.values():
        along = layer.manifest.get("kpi", {}).get("density_along")
        if not along or along not in layers:
            continue
        lines = layers[along]
        ((km,),) = _rows(conn, sql.SQL("SELECT coalesce(sum(ST_Length(geom::geography)), 0)"
                                       " / 1000.0 FROM layers.{}").format(
            sql.Identifier(lines.table_name)))
        pairs[f"{layer.id} per km of {along}"] = {
            "features": layer.feature_count, "km": round(km, 3),
            "per_km": round(layer.feature_count / km, 3) if km else None}
    headline = next(iter(pairs.values()))["per_km"] if pairs else None
    return headline, pairs


def freshness(conn, period):
    """Days since each published layer was last updated (loaded, edited or described)."""
    today = dt.datetime.now(dt.UTC)
    ages = {layer.id: (today - layer.loaded_at).days for layer in _public_layers(conn)
            if layer.loaded_at}
    return (max(ages.values()) if ages else None), {"days_since_update": ages}


KPIS = {k.name: k for k in [
    Kpi("modules", "Thematic modules on the map", "Published layers, each a module residents "
        "switch on and off, counted now and per day from snapshots.", "modules", modules),
    Kpi("datasets", "Public datasets", "Published layers offered through OGC API and open "
        "download formats.", "datasets", datasets),
    Kpi("downloads", "Downloads", "Whole-layer downloads in the period (any format), per "
        "month and dataset category.", "downloads", downloads),
    Kpi("map_use", "Map use", "Page views of the map in the period; module toggles and "
        "searches alongside. Counted on the server, no personal data.", "page views", map_use),
    Kpi("nps", "Citizen satisfaction (NPS)", "Net Promoter Score of the feedback widget: "
        "percentage of 9-10 answers minus percentage of 0-6 answers.", "points (-100..100)",
        nps),
    Kpi("accessibility_share", "Public buildings with accessibility information",
        "Public buildings with at least one accessibility field filled in, over all public "
        "buildings.", "share (0..1)", accessibility_share),
    Kpi("qr_share", "Public buildings with a QR page", "Public buildings reachable at "
        "/buildings/{id} with a QR code, over all public buildings.", "share (0..1)",
        qr_share),
    Kpi("density", "Point features per km of line", "For each point layer whose manifest "
        "declares kpi.density_along, its features divided by the geodesic length in km of "
        "the line layer (e.g. street lights per km of street).", "per km", density),
    Kpi("freshness", "Freshness", "Days since each published layer was last updated; the "
        "headline is the stalest layer.", "days", freshness),
]}
