"""`mapserver db start|stop|url`: the project's own PostGIS, unless DATABASE_URL names one."""

from __future__ import annotations

import click

from mapserver.cli.common import current_settings, migrate_database
from mapserver.settings import Settings


@click.group()
def db():
    """Manage the project's own PostGIS (unless DATABASE_URL names another)."""


def _cluster(settings: Settings):
    from mapserver.devdb import Cluster

    return Cluster(settings.var_dir / "pg")


@db.command("start")
def db_start():
    """Start the project's PostGIS, creating it on first use, and apply migrations."""
    settings = current_settings()
    if settings.database_url:
        click.echo("DATABASE_URL is set: using that database, starting none.")
    else:
        _cluster(settings).start()
    migrate_database(settings)
    if settings.database_url and not (settings.database_app_url
                                      and settings.database_public_url):
        click.echo("The database roles exist: give <database>_app and <database>_public a "
                   "login, and set DATABASE_APP_URL and DATABASE_PUBLIC_URL to them "
                   "(README.md, \"Using your own PostGIS\").")


@db.command("stop")
def db_stop():
    """Stop the project's PostGIS if it runs."""
    _cluster(current_settings()).stop()


@db.command("url")
def db_url():
    """Print the database URL in use."""
    click.echo(current_settings().resolved_database_url())
