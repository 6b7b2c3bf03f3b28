"""What every command needs: the settings, a migrated connection, the exit code."""

from __future__ import annotations

from mapserver.settings import Settings

EXIT_USER_ERROR = 2


def current_settings() -> Settings:
    """Return the settings from the environment."""
    return Settings.from_env()


def migrate_database(settings: Settings) -> None:
    """Apply the migrations on DATABASE_URL; on the own cluster, give the roles their logins."""
    from mapserver.db import connect as open_connection
    from mapserver.migrations import migrate

    conn = open_connection(settings.resolved_database_url())
    try:
        migrate(conn)
    finally:
        conn.close()
    if not settings.database_url:
        from mapserver.devdb import Cluster

        Cluster(settings.var_dir / "pg").ensure_role_logins()


def connect(settings: Settings):
    """Return a connection as the application role, the migrations applied first.

    Loads, versions and accounts are the application role's work, so the tables a
    load makes are its own and the admin can replace and drop them later.
    """
    from mapserver import db_roles
    from mapserver.db import connect as open_connection

    migrate_database(settings)
    return open_connection(db_roles.urls(settings).app)
