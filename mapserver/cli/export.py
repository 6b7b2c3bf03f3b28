"""`mapserver export-map`: a standalone map of chosen modules that opens offline."""

from __future__ import annotations

from pathlib import Path

import click

from mapserver.cli.common import connect, current_settings
from mapserver.errors import InvalidData
from mapserver.site.export_map import build_map


@click.command("export-map")
@click.option("--layers", "layers_csv", required=True,
              help="Comma-separated layer ids, e.g. parcels,public-buildings.")
@click.option("--lang", type=click.Choice(["en", "ro", "hu"]), default="en",
              help="Language of the titles and labels.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export_map(layers_csv, lang, out):
    """Write a standalone HTML map of chosen modules that opens offline (folium)."""
    layer_ids = [part.strip() for part in layers_csv.split(",") if part.strip()]
    if not layer_ids:
        raise InvalidData("--layers", "names no layer",
                          fix="e.g. --layers parcels,public-buildings")
    conn = connect(current_settings())
    try:
        html = build_map(conn, layer_ids, lang)
    finally:
        conn.close()
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, layers: {', '.join(layer_ids)})")
