"""The server's own tables, created and upgraded by numbered SQL migrations.

Migrations run under an advisory lock, so several processes starting at once
(web workers, a load) apply each one exactly once.
"""

from __future__ import annotations

from importlib import resources

MIGRATION_LOCK = 724_001  # any constant shared by every process of this server


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("mapserver") / "sql" / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text()))
    return sorted(found)


def migrate(conn) -> list[str]:
    """Apply the migrations this database lacks; return the names applied."""
    applied = []
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        cur.execute("CREATE SCHEMA IF NOT EXISTS mapserver")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS mapserver.schema_migrations ("
            " number integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur.execute("SELECT number FROM mapserver.schema_migrations")
        done = {row[0] for row in cur.fetchall()}
        for number, name, text in _migrations():
            if number in done:
                continue
            cur.execute(text)
            cur.execute("INSERT INTO mapserver.schema_migrations (number, name) VALUES (%s, %s)",
                        (number, name))
            applied.append(name)
    conn.commit()
    return applied
