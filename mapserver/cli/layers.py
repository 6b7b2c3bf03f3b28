"""`mapserver layers check|list`: validate manifests, list the loaded layers."""

from __future__ import annotations

import json
import sys

import click

from mapserver.cli.common import EXIT_USER_ERROR, connect, current_settings
from mapserver.errors import MapServerError
from mapserver.layers import manifest as manifests
from mapserver.layers import registry


@click.group()
def layers():
    """Check manifests and list loaded layers."""


@layers.command("check")
@click.option("--no-sources", is_flag=True, help="Do not check that source files exist.")
def layers_check(no_sources):
    """Validate every manifest in layers/ against the schema and against its files."""
    paths = sorted(current_settings().layers_dir.glob("*.yaml"))
    failed = 0
    for path in paths:
        try:
            manifest = manifests.load_file(path, check_sources=not no_sources)
            problems = []
            if not no_sources:
                from mapserver.ingest.fit import misfits

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
    conn = connect(current_settings())
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
