"""The `mapserver` command: set up the database, load and check layers.

Every failure prints one line saying what is wrong and how to fix it, and
exits non-zero; no stack trace reaches the terminal for a user's mistake.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import manifest as manifests
from . import registry
from .errors import InvalidData, MapServerError
from .settings import Settings

EXIT_USER_ERROR = 2


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


def _settings() -> Settings:
    return Settings.from_env()


def _connect(settings: Settings):
    from .db import connect
    from .schema import migrate

    conn = connect(settings.resolved_database_url())
    migrate(conn)
    return conn


@click.group(cls=_Group)
def main():
    """Run and feed the city map server."""


@main.group()
def db():
    """Manage the project's own PostGIS (unless DATABASE_URL names another)."""


def _cluster(settings: Settings):
    from .cluster import Cluster

    return Cluster(settings.var_dir / "pg")


@db.command("start")
def db_start():
    """Start the project's PostGIS, creating it on first use, and apply migrations."""
    settings = _settings()
    if settings.database_url:
        click.echo("DATABASE_URL is set: using that database, starting none.")
    else:
        _cluster(settings).start()
    conn = _connect(settings)
    conn.close()


@db.command("stop")
def db_stop():
    """Stop the project's PostGIS if it runs."""
    _cluster(_settings()).stop()


@db.command("url")
def db_url():
    """Print the database URL in use."""
    click.echo(_settings().resolved_database_url())


@main.command()
@click.argument("targets", nargs=-1)
@click.option("--all", "load_all", is_flag=True, help="Load every manifest in layers/.")
@click.option("--layer", "layer_id", help="Layer id to load a file into.")
@click.option("--crs", help="CRS of a file that does not say, e.g. EPSG:2249.")
@click.option("--encoding", help="Text encoding of a file, e.g. cp1252.")
@click.option("--source-layer", help="Layer inside a multi-layer file.")
@click.option("--geometry", type=click.Choice(["point", "line", "polygon"]),
              help="Geometry kind of a file loaded without a manifest.")
@click.option("--if-changed", is_flag=True, help="Skip layers whose files have not changed.")
@click.option("--quiet", is_flag=True, help="Print no progress bar.")
def load(targets, load_all, layer_id, crs, encoding, source_layer, geometry, if_changed, quiet):
    """Load layers: by manifest id (LAYER_ID...), every manifest (--all), or PATH --layer ID."""
    from .ingest.pipeline import load_layer

    settings = _settings()
    plans = _plan_loads(settings, targets, load_all, layer_id, crs, encoding, source_layer,
                        geometry)
    conn = _connect(settings)
    try:
        for manifest, published in plans:
            report = load_layer(conn, manifest, published=published,
                                progress=not quiet and sys.stderr.isatty(),
                                keep_versions=settings.keep_versions, if_changed=if_changed)
            if report is None:
                click.echo(f"layer {manifest.id}: unchanged, version kept")
            else:
                click.echo(report.summary())
    finally:
        conn.close()


def _plan_loads(settings, targets, load_all, layer_id, crs, encoding, source_layer, geometry):
    """Return (manifest, published) pairs in an order where linked layers come first."""
    if load_all:
        if targets:
            raise InvalidData("mapserver load", "--all takes no layer ids",
                              fix="use either --all or names")
        chosen = list(manifests.load_all(settings.layers_dir).values())
        return [(m, True) for m in _dependency_order(chosen)]
    if not targets:
        raise InvalidData("mapserver load", "nothing to load",
                          fix="name layer ids, a file with --layer ID, or --all")
    if layer_id:
        if len(targets) != 1:
            raise InvalidData("mapserver load", "--layer takes exactly one file",
                              fix="load one file at a time")
        return [_file_manifest(settings, Path(targets[0]), layer_id, crs, encoding,
                               source_layer, geometry)]
    if crs or encoding or source_layer:
        raise InvalidData("mapserver load", "--crs, --encoding and --source-layer go with a "
                          "file and --layer", fix="mapserver load PATH --layer ID --crs ...")
    for target in targets:
        if Path(target).suffix:
            raise InvalidData(target, "looks like a file, but no --layer was given",
                              fix=f"mapserver load {target} --layer LAYER_ID")
    chosen = [manifests.find(settings.layers_dir, t) for t in targets]
    return [(m, True) for m in _dependency_order(chosen)]


def _dependency_order(chosen):
    ordered, placed = [], set()
    pending = list(chosen)
    ids = {m.id for m in chosen}
    while pending:
        ready = [m for m in pending if all(link["layer"] in placed or link["layer"] not in ids
                                           for link in m.links)]
        if not ready:
            raise InvalidData("layers/", "the manifests' links form a cycle",
                              fix="remove one of the links")
        for m in ready:
            ordered.append(m)
            placed.add(m.id)
            pending.remove(m)
    return ordered


def _file_manifest(settings, path, layer_id, crs, encoding, source_layer, geometry):
    """Return the manifest to load one file with, and whether it is published."""
    manifest_path = settings.layers_dir / f"{layer_id}.yaml"
    if manifest_path.exists():
        base = manifests.load_file(manifest_path, check_sources=False)
        return base.with_source(path, crs=crs, encoding=encoding, layer=source_layer), True
    from .ingest.describe import describe_file

    raw = describe_file(path, layer_id, crs=crs, encoding=encoding, layer=source_layer,
                        geometry=geometry)
    problems = manifests.validate(raw, path.name)
    if problems:
        raise InvalidData(path.name, "; ".join(problems), fix="use a valid --layer id")
    # A layer nobody has described yet is loaded as a draft, its fields staff-only.
    return manifests.Manifest(raw=raw, folder=Path.cwd()), False


@main.group()
def layers():
    """Check manifests and list loaded layers."""


@layers.command("check")
@click.option("--no-sources", is_flag=True, help="Do not check that source files exist.")
def layers_check(no_sources):
    """Validate every manifest in layers/ against the schema and against its files."""
    settings = _settings()
    paths = sorted(settings.layers_dir.glob("*.yaml"))
    failed = 0
    for path in paths:
        try:
            manifest = manifests.load_file(path, check_sources=not no_sources)
            problems = []
            if not no_sources:
                from .ingest.fit import misfits

                problems = misfits(manifest)
        except MapServerError as exc:
            problems = [exc.description]
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        failed += bool(problems)
    click.echo(f"{len(paths) - failed} of {len(paths)} manifests valid")
    if failed or not paths:
        sys.exit(EXIT_USER_ERROR)


@layers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def layers_list(as_json):
    """List the loaded layers with their version and feature count."""
    conn = _connect(_settings())
    try:
        records = registry.list_all(conn)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps([r.summary() for r in records], indent=2, default=str))
        return
    for r in records:
        state = "published" if r.published else "draft"
        click.echo(f"{r.id:<20} v{r.version:<4} {r.feature_count:>8} features  {state:<9} "
                   f"{r.loaded_at:%Y-%m-%d %H:%M}  {r.manifest['title']['en']}")


@main.group()
def users():
    """Manage city staff accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "planner", "staff"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(username, role, password_stdin):
    """Create an account (the first admin, typically); the password is asked for."""
    from . import audit
    from .auth import users as accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    conn = _connect(_settings())
    try:
        user = accounts.create(conn, username.strip().lower(), password, role)
        audit.record(conn, "cli", "user-added", user.username, role=role)
        conn.commit()
    finally:
        conn.close()
    click.echo(f"user {user.username} created with role {user.role}")


@main.group()
def kpi():
    """The city's measures."""


@kpi.command("snapshot")
def kpi_snapshot():
    """Store today's value of every KPI (run daily, e.g. from cron)."""
    from .kpi import period, report

    conn = _connect(_settings())
    try:
        stored = report.snapshot(conn, period.parse(None, None))
    finally:
        conn.close()
    click.echo(f"stored {stored} KPI values for today")


# Command groups kept in their own modules attach themselves to `main` on import.
from . import cli_serve, cli_tiles, export_map  # noqa: E402,F401
