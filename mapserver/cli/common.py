"""What every command needs: the settings, a migrated connection, the exit code."""

from __future__ import annotations

from mapserver.settings import Settings

EXIT_USER_ERROR = 2


def current_settings() -> Settings:
    """Return the settings from the environment."""
    return Settings.from_env()


def connect(settings: Settings):
    """Return a connection to the database in use, its migrations applied."""
    from mapserver.db import connect as open_connection
    from mapserver.migrations import migrate

    conn = open_connection(settings.resolved_database_url())
    migrate(conn)
    return conn
