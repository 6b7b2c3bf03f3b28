"""The server's own tables, created and upgraded by numbered SQL migrations.

Migrations run under an advisory lock, so several processes starting at once
(web workers, a load) apply each one exactly once.  They run on DATABASE_URL:
a superuser, or the owner role (migration 014 makes the roles).  Those after 014
run as the owner role, so whatever they create is the owner's, as the rest is.
"""

from __future__ import annotations

from importlib import resources

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from mapserver.errors import SetupError

MIGRATION_LOCK = 724_001  # any constant shared by every process of this server
ROLES_MIGRATION = 14      # makes the database roles; later migrations run as the owner


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("mapserver") / "sql" / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text()))
    return sorted(found)


def migrate(conn) -> list[str]:
    """Apply the migrations this database lacks; return the names applied.

    A migration the connected role may not run (making the roles needs a superuser
    or CREATEROLE) stops with a SetupError saying what to grant.
    """
    try:
        return _apply(conn)
    except (psycopg2.errors.RaiseException, psycopg2.errors.InsufficientPrivilege) as exc:
        conn.rollback()
        message = exc.diag.message_primary or str(exc).strip()
        raise SetupError(
            f"the database migrations cannot run: {message}",
            fix=exc.diag.message_hint or "set DATABASE_URL to a superuser or to the owner "
            "role of the server's database (README.md, \"Using your own PostGIS\")",
        ) from None


def _apply(conn) -> list[str]:
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
        as_owner = False
        for number, name, text in _migrations():
            if number in done:
                continue
            if number > ROLES_MIGRATION and not as_owner:
                cur.execute("SELECT mapserver.db_role('owner')")
                cur.execute(sql.SQL("SET LOCAL ROLE {}").format(
                    sql.Identifier(cur.fetchone()[0])))
                as_owner = True
            cur.execute(text)
            if number == ROLES_MIGRATION:
                _grant_loaded_versions(cur)
            cur.execute("INSERT INTO mapserver.schema_migrations (number, name) VALUES (%s, %s)",
                        (number, name))
            applied.append(name)
    conn.commit()
    return applied


def _grant_loaded_versions(cur) -> None:
    """Give the public role the public columns of versions loaded before the roles existed.

    New versions get them at their swap; this applies the same function to the old ones.
    """
    from mapserver.ingest.swap import grant_public_read

    cur.execute("SELECT table_name, manifest FROM mapserver.layer_versions"
                " WHERE to_regclass(format('layers.%I', table_name)) IS NOT NULL")
    for table, manifest in cur.fetchall():
        grant_public_read(cur, table, manifest)
