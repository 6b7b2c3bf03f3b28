"""Download counts per layer, format, category and day, kept in PostGIS.

An upsert increments one row per (layer, format, day): concurrent workers
serialise on that row, so no count is lost.  The KPI dashboard reads the
same table (`totals_by_category`).
"""

from __future__ import annotations


def record(conn, layer_id: str, fmt: str, category: str) -> None:
    """Count one download (commits with the caller's unit of work)."""
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO mapserver.downloads (layer_id, format, category, day, count)"
            " VALUES (%s, %s, %s, current_date, 1)"
            " ON CONFLICT (layer_id, format, day)"
            " DO UPDATE SET count = mapserver.downloads.count + 1",
            (layer_id, fmt, category))


def for_layer(conn, layer_id: str) -> dict:
    """Return {"total": n, "by_format": {format: n}} for one layer, all days."""
    with conn.cursor() as cur:
        cur.execute("SELECT format, sum(count)::bigint FROM mapserver.downloads"
                    " WHERE layer_id = %s GROUP BY format ORDER BY format", (layer_id,))
        by_format = dict(cur.fetchall())
    return {"total": sum(by_format.values()), "by_format": by_format}


def totals_by_category(conn, since=None) -> dict:
    """Return {category: downloads} since a day (all time when None), for the KPI."""
    with conn.cursor() as cur:
        cur.execute("SELECT category, sum(count)::bigint FROM mapserver.downloads"
                    " WHERE %s::date IS NULL OR day >= %s::date GROUP BY category"
                    " ORDER BY category", (since, since))
        return dict(cur.fetchall())
