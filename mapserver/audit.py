"""The audit log: who did what and when, append-only (a trigger refuses edits)."""

from __future__ import annotations

from psycopg2.extras import Json, RealDictCursor


def record(conn, actor: str, action: str, target: str | None = None, **details) -> None:
    """Append one entry, in the caller's transaction (it lands only if the action does)."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.audit_log (actor, action, target, details)"
                    " VALUES (%s, %s, %s, %s)", (actor, action, target, Json(details)))


def recent(conn, limit: int = 200) -> list[dict]:
    """Return the newest entries first."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SELECT id, at, actor, action, target, details FROM mapserver.audit_log"
                    " ORDER BY id DESC LIMIT %s", (int(limit),))
        return cur.fetchall()
