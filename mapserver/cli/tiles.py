"""`mapserver tiles seed` and `mapserver tiles export`: tiles in bulk from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mapserver.cli.common import connect, current_settings
from mapserver.layers import registry


def _records(conn, layer_ids):
    ids = []
    for text in layer_ids:
        for part in text.split(","):
            if part and part not in ids:
                ids.append(part)
    return [registry.public_layer(conn, layer_id) for layer_id in ids]


def _bar(total: int, quiet: bool, label: str):
    from tqdm import tqdm

    return tqdm(total=total, unit="tile", desc=label, disable=quiet or not sys.stderr.isatty())


@click.group()
def tiles():
    """Seed the tile cache and export tiles for static hosting."""


@tiles.command("seed")
@click.argument("layer")
@click.option("--zoom", "zoom_text", default="12-16", show_default=True,
              help="Zoom or zoom range to render, e.g. 12-16.")
@click.option("--quiet", is_flag=True, help="Print no progress bar.")
def tiles_seed(layer, zoom_text, quiet):
    """Render LAYER's tiles (or a,b,c composite tiles) inside its bbox into the cache."""
    from mapserver.tiles.batch import seed, seed_size
    from mapserver.tiles.cache import TileCache
    from mapserver.tiles.grid import parse_zoom_range

    zooms = parse_zoom_range(zoom_text)
    settings = current_settings()
    conn = connect(settings)
    try:
        records = _records(conn, [layer])
        cache = TileCache(settings.tiles_cache)
        with _bar(seed_size(records, zooms), quiet, f"seed {layer}") as bar:
            counts = seed(conn, cache, records, zooms, progress=bar.update)
    finally:
        conn.close()
    click.echo(f"{layer}: {counts['tiles']} tiles, {counts['rendered']} rendered, "
               f"{counts['cached']} already cached, {counts['empty']} empty "
               f"-> {settings.tiles_cache}")


@tiles.command("export")
@click.argument("layers", nargs=-1, required=True)
@click.option("--pmtiles", "target", required=True, type=click.Path(dir_okay=False),
              help="PMTiles archive to write.")
@click.option("--zoom", "zoom_text", default=None,
              help="Zoom range, e.g. 12-16 (default: the layers' smallest minzoom to 16).")
@click.option("--quiet", is_flag=True, help="Print no progress bar.")
def tiles_export(layers, target, zoom_text, quiet):
    """Write LAYERS' tiles to one PMTiles archive any static host or CDN can serve."""
    from mapserver.tiles.batch import export_pmtiles, seed_size
    from mapserver.tiles.grid import parse_zoom_range

    conn = connect(current_settings())
    try:
        records = _records(conn, layers)
        if zoom_text is None:
            low = min(r.spec.minzoom for r in records)
            zoom_text = f"{low}-{max(low, 16)}"
        zooms = parse_zoom_range(zoom_text)
        with _bar(seed_size(records, zooms), quiet, "export") as bar:
            counts = export_pmtiles(conn, records, zooms, Path(target), progress=bar.update)
    finally:
        conn.close()
    click.echo(f"{target}: {counts['written']} tiles of {counts['tiles']} visited, "
               f"{counts['bytes']} bytes")
