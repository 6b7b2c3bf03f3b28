"""The audit log: who did what and when, append-only (a trigger refuses edits).

Entries name fields, never the values a planner typed (an owner's name must not
be copied here).  When the web app runs, each entry also carries the request's
source address and id, through a provider the app installs (this module stays
free of Flask, so the CLI writes entries the same way).
"""

from __future__ import annotations

from collections.abc import Callable

from psycopg2.extras import Json, RealDictCursor

_context: Callable[[], dict] = dict  # what the current request adds to every entry


def set_context_provider(provider: Callable[[], dict]) -> None:
    """Install the function that returns the current request's address and id (or {})."""
    global _context
    _context = provider


def record(conn, actor: str, action: str, target: str | None = None, **details) -> None:
    """Append one entry, in the caller's transaction (it lands only if the action does)."""
    details = {**_context(), **details}
    with conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.audit_log (actor, action, target, details)"
                    " VALUES (%s, %s, %s, %s)", (actor, action, target, Json(details)))


def recent(conn, limit: int = 200) -> list[dict]:
    """Return the newest entries first."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SELECT id, at, actor, action, target, details FROM mapserver.audit_log"
                    " ORDER BY id DESC LIMIT %s", (int(limit),))
        return cur.fetchall()
