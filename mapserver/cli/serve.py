"""`mapserver serve`: run the web app under Granian, the way `make run` and the bench do.

Granian (a Rust HTTP server) answers a cached tile in about a third of the time
gunicorn's workers took on the same machine.  It runs the app through its RSGI
interface and `mapserver.web.rsgi`: each worker's event loop reads request
bodies under a deadline, and `--threads` threads per worker run the WSGI app,
overlapping the PostGIS queries of uncached tiles.  (Under Granian's WSGI
interface a stalled request body held a thread with no time limit.)  The command
replaces itself with the server process, so signals and the pid file are the
server's own.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from mapserver.errors import SetupError


def server_command(host: str, port: int, workers: int, threads: int, *,
                   access_log: bool = False, pid_file: Path | None = None) -> list[str]:
    """Return the Granian command line that serves the app."""
    granian = Path(sys.executable).parent / "granian"
    if not granian.exists():
        found = shutil.which("granian")
        if not found:
            raise SetupError("the granian server is not installed",
                             fix="run `make run`, or pip install -e . in the project")
        granian = Path(found)
    # The threads are the bridge's, read by each worker from MAPSERVER_THREADS (`env`
    # execs the server in its own place: same pid); Granian's own stay at one under RSGI.
    command = ["/usr/bin/env", f"MAPSERVER_THREADS={int(threads)}",
               str(granian), "--interface", "rsgi", "--factory",
               "--host", host, "--port", str(port), "--workers", str(workers),
               "--no-ws", "--respawn-failed-workers", "--log-level", "warning"]
    if access_log:
        command.append("--access-log")
    if pid_file is not None:
        command += ["--pid-file", str(pid_file)]
    return [*command, "mapserver.web.rsgi:create_server"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 256),
              help="Worker processes (one per core is a good start).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 256),
              envvar="MAPSERVER_THREADS",
              help="Threads per worker: requests running (waiting on PostGIS) at once.")
@click.option("--access-log", is_flag=True, help="Log every request.")
@click.option("--pid-file", type=click.Path(dir_okay=False, path_type=Path))
def serve(host, port, workers, threads, access_log, pid_file):
    """Serve the map, the APIs and the tiles over HTTP."""
    from mapserver import db_roles
    from mapserver.cli.common import current_settings

    db_roles.urls(current_settings())  # say now, not in every worker, if a role's URL is missing
    command = server_command(host, port, workers, threads, access_log=access_log,
                             pid_file=pid_file)
    sys.stdout.flush()
    os.execv(command[0], command)
