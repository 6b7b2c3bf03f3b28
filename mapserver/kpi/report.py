"""Compute the KPIs asked for, and keep one snapshot of each per day for trends."""

from __future__ import annotations

import datetime as dt
import functools
import json

from psycopg2.extras import Json

from mapserver.errors import InvalidParameter
from mapserver.kpi.definitions import KPIS

_dumps = functools.partial(json.dumps, default=str)


def choose(names: str | None) -> list[str]:
    """Return the KPI names asked for (all by default); unknown names are a 400."""
    if not names:
        return list(KPIS)
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in KPIS]
    if unknown or not chosen:
        raise InvalidParameter(f"unknown KPI {', '.join(unknown) or '(none)'}",
                               fix=f"use any of: {', '.join(KPIS)}")
    return chosen


def compute(conn, names: list[str], period) -> list[dict]:
    """Return each KPI with its definition, unit, value and breakdown."""
    results = []
    for name in names:
        kpi = KPIS[name]
        value, detail = kpi.compute(conn, period)
        results.append({"name": name, "title": kpi.title, "definition": kpi.definition,
                        "unit": kpi.unit, "value": value, "detail": detail})
    return results


def snapshot(conn, period, day: dt.date | None = None) -> int:
    """Store today's value of every KPI (again, if already stored today); return how many."""
    day = day or dt.date.today()
    results = compute(conn, list(KPIS), period)
    with conn.cursor() as cur:
        for result in results:
            cur.execute("INSERT INTO mapserver.kpi_snapshots (day, name, value, detail)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT (day, name) DO UPDATE"
                        " SET value = EXCLUDED.value, detail = EXCLUDED.detail",
                        (day, result["name"], result["value"],
                         Json(result["detail"], dumps=_dumps)))
    conn.commit()
    return len(results)


def snapshot_taken_today(conn) -> bool:
    """Tell whether today's snapshot exists."""
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM mapserver.kpi_snapshots WHERE day = current_date LIMIT 1")
        return cur.fetchone() is not None
