"""Tiles in bulk: seeding the disk cache and exporting a PMTiles archive.

Both walk the tiles covering the layers' bounding box at the chosen zooms and
render them with the same SQL as the web server, so a seeded or exported tile
is byte for byte the tile the server would send.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

from mapserver.errors import InvalidData
from mapserver.tiles.cache import TileCache
from mapserver.tiles.grid import count_tiles, tiles_in_bbox
from mapserver.tiles.metadata import public_fields
from mapserver.tiles.render import cache_key, render_tile
from mapserver.tiles.sql import in_zoom


def union_bbox(records) -> list[float]:
    """Return the lon/lat box holding every layer's bbox."""
    boxes = [r.bbox for r in records if r.bbox]
    if not boxes:
        raise InvalidData(",".join(r.id for r in records), "the layers hold no features",
                          fix="load data into them first")
    return [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]


def useful_zooms(records, zooms) -> list[int]:
    """Return the zooms of `zooms` at which at least one layer has tiles."""
    return [z for z in zooms
            if any(in_zoom(r, z) for r in records)]


def seed(conn, cache: TileCache, records, zooms, *, progress: Callable | None = None) -> dict:
    """Render every missing tile of the layers at `zooms` into the cache; return counts."""
    key, version = cache_key(records)
    bbox, chosen = union_bbox(records), useful_zooms(records, zooms)
    counts = {"tiles": 0, "rendered": 0, "cached": 0, "empty": 0}
    for z, x, y in tiles_in_bbox(bbox, chosen):
        data, was_cached = cache.get_or_render(
            key, version, z, x, y, lambda z=z, x=x, y=y: render_tile(conn, records, z, x, y))
        conn.commit()   # end each tile's transaction: a long seed holds no snapshot
        counts["tiles"] += 1
        counts["cached" if was_cached else "rendered"] += 1
        counts["empty"] += not data
        if progress:
            progress(1)
    return counts


def seed_size(records, zooms) -> int:
    """Return how many tiles `seed` will visit."""
    return count_tiles(union_bbox(records), useful_zooms(records, zooms))


def export_pmtiles(conn, records, zooms, path: Path, *,
                   progress: Callable | None = None) -> dict:
    """Write the layers' tiles at `zooms` to a PMTiles v3 archive; return counts.

    Tiles are gzip-compressed MVT (what PMTiles readers expect for vector tiles);
    empty tiles are left out.  The archive is written beside its final name and
    renamed, so a reader never sees half an archive.
    """
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    bbox, chosen = union_bbox(records), useful_zooms(records, zooms)
    if not chosen:
        raise InvalidData("--zoom", "none of the layers has tiles at those zooms",
                          fix="choose zooms within the layers' minzoom..maxzoom")
    # PMTiles wants tiles in tile-id order (Hilbert order within a zoom).
    order = sorted(tiles_in_bbox(bbox, chosen), key=lambda t: zxy_to_tileid(*t))
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    written = 0
    with open(temporary, "wb") as handle:
        writer = Writer(handle)
        for z, x, y in order:
            data = render_tile(conn, records, z, x, y)
            conn.commit()
            if progress:
                progress(1)
            if data:
                writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(data, mtime=0))
                written += 1
        if not written:
            temporary.unlink(missing_ok=True)
            raise InvalidData(str(path), "no tile holds any feature at those zooms",
                              fix="choose other zooms")
        minlon, minlat, maxlon, maxlat = bbox
        header = {
            "tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
            "min_lon_e7": int(minlon * 1e7), "min_lat_e7": int(minlat * 1e7),
            "max_lon_e7": int(maxlon * 1e7), "max_lat_e7": int(maxlat * 1e7),
            "center_zoom": chosen[0],
            "center_lon_e7": int((minlon + maxlon) / 2 * 1e7),
            "center_lat_e7": int((minlat + maxlat) / 2 * 1e7),
        }
        writer.finalize(header, pmtiles_metadata(records))
    temporary.replace(path)
    return {"tiles": len(order), "written": written, "bytes": path.stat().st_size}


def pmtiles_metadata(records) -> dict:
    """Return the archive's JSON metadata: names, attribution and vector_layers."""
    return {
        "name": ", ".join(r.manifest["title"]["en"] for r in records),
        "description": " ".join(r.manifest["description"]["en"] for r in records),
        "attribution": "; ".join(sorted({r.manifest["attribution"] for r in records})),
        "version": "-".join(str(r.version) for r in records),
        "format": "pbf",
        "vector_layers": [{
            "id": r.id,
            "description": r.manifest["description"]["en"],
            "minzoom": r.spec.minzoom,
            "maxzoom": r.spec.maxzoom,
            "fields": public_fields(r),
        } for r in records],
    }
