"""`mapserver load`: layers by manifest id, every manifest, or one file as a layer."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mapserver.cli.common import connect, current_settings
from mapserver.errors import InvalidData
from mapserver.ingest import contained
from mapserver.layers import manifest as manifests
from mapserver.layers import registry


@click.command()
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
    settings = current_settings()
    connect(settings).close()  # migrations, before any child loads
    progress = not quiet and sys.stderr.isatty()
    for job, args, name in _plan_loads(settings, targets, load_all, layer_id, crs, encoding,
                                       source_layer, geometry):
        # Each load runs in a contained child: a file that crashes GDAL costs the child only.
        summary = contained.run(job, settings, *args, progress, if_changed, name=name)
        click.echo(summary or f"layer {name}: unchanged, version kept")


def load_manifest(settings, manifest, published, progress, if_changed) -> str | None:
    """Load one layer from its manifest; return the report's summary (None: unchanged)."""
    from mapserver import db_roles
    from mapserver.db import connect as open_connection
    from mapserver.ingest.pipeline import load_layer

    # As the application role: the child reads untrusted files, and the tables it makes
    # must be the app's to replace and drop later (docs/ARCHITECTURE.md, "Database roles").
    conn = open_connection(db_roles.urls(settings).app)
    try:
        city = registry.city_extent(conn, settings.city_bbox)
        conn.rollback()
        report = load_layer(conn, manifest, published=published, progress=progress,
                            keep_versions=settings.keep_versions, if_changed=if_changed,
                            city=city)
    finally:
        conn.close()
    return None if report is None else report.summary()


def load_file(settings, path, layer_id, crs, encoding, source_layer, geometry, progress,
              if_changed) -> str | None:
    """Describe a file (when its layer has no manifest) and load it as `layer_id`."""
    manifest, published = _file_manifest(settings, path, layer_id, crs, encoding, source_layer,
                                         geometry)
    return load_manifest(settings, manifest, published, progress, if_changed)


def _plan_loads(settings, targets, load_all, layer_id, crs, encoding, source_layer, geometry):
    """Return the loads to run as (function, arguments, name), linked layers first."""
    if load_all:
        if targets:
            raise InvalidData("mapserver load", "--all takes no layer ids",
                              fix="use either --all or names")
        chosen = list(manifests.load_all(settings.layers_dir).values())
        return [(load_manifest, (m, True), m.id) for m in _dependency_order(chosen)]
    if not targets:
        raise InvalidData("mapserver load", "nothing to load",
                          fix="name layer ids, a file with --layer ID, or --all")
    if layer_id:
        if len(targets) != 1:
            raise InvalidData("mapserver load", "--layer takes exactly one file",
                              fix="load one file at a time")
        path = Path(targets[0])
        return [(load_file, (path, layer_id, crs, encoding, source_layer, geometry), path.name)]
    if crs or encoding or source_layer:
        raise InvalidData("mapserver load", "--crs, --encoding and --source-layer go with a "
                          "file and --layer", fix="mapserver load PATH --layer ID --crs ...")
    for target in targets:
        if Path(target).suffix:
            raise InvalidData(target, "looks like a file, but no --layer was given",
                              fix=f"mapserver load {target} --layer LAYER_ID")
    chosen = [manifests.find(settings.layers_dir, t) for t in targets]
    return [(load_manifest, (m, True), m.id) for m in _dependency_order(chosen)]


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
    from mapserver.ingest.describe import describe_file

    raw = describe_file(path, layer_id, crs=crs, encoding=encoding, layer=source_layer,
                        geometry=geometry)
    problems = manifests.validate(raw, path.name)
    if problems:
        raise InvalidData(path.name, "; ".join(problems), fix="use a valid --layer id")
    # A layer nobody has described yet is loaded as a draft, its fields staff-only.
    return manifests.Manifest(raw=raw, folder=Path.cwd()), False
