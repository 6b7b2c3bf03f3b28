"""The `mapserver` command: set up the database, load and check layers, serve, export.

Each command family lives in its own module and is added to the group here;
the modules import only `mapserver.cli.common`, never this package, so there
is no import circle.  Every failure prints one line saying what is wrong and
how to fix it, and exits non-zero; no stack trace reaches the terminal for a
user's mistake.
"""

from __future__ import annotations

import os
import sys

import click

from mapserver.cli import db, export, kpi, layers, load, serve, tiles, users
from mapserver.cli.common import EXIT_USER_ERROR
from mapserver.errors import MapServerError


class _Group(click.Group):
    """A click group that reports MapServerError as a message and exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MapServerError as exc:
            click.echo(f"error: {exc.description}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("MAPSERVER_DEBUG"):
                raise
            click.echo(f"error: unexpected failure ({type(exc).__name__}: {exc}). Nothing was "
                       "changed. Fix: run again with MAPSERVER_DEBUG=1 for the details and "
                       "report it.", err=True)
            sys.exit(1)


@click.group(cls=_Group)
def main():
    """Run and feed the city map server."""


for command in (db.db, load.load, layers.layers, users.users, kpi.kpi, serve.serve,
                tiles.tiles, export.export_map):
    main.add_command(command)
