"""Map use counted on the server: page views, module toggles and searches per day.

No address, cookie or identifier is stored: only how many, of what, on which day.
"""

from __future__ import annotations

KINDS = ("page_view", "module_toggle", "search")


def count(conn, kind: str, detail: str = "") -> None:
    """Add one to today's counter (an upsert: concurrent workers never lose a count)."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.usage_counts (kind, detail, count) VALUES (%s, %s, 1)"
                    " ON CONFLICT (day, kind, detail) DO UPDATE"
                    " SET count = mapserver.usage_counts.count + 1", (kind, detail[:64]))
