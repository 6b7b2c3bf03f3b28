"""One tile request answered from a worker's parts, without Flask's request objects.

The Flask routes (XYZ and OGC API - Tiles) and the WSGI fast path
(`tile_fastpath`) both call `answer`, so a tile is answered the same way
whichever door it came in by:

* a tile with features: 200, ``application/vnd.mapbox-vector-tile``;
* an empty tile (nothing there, or a zoom outside the layer's minzoom..maxzoom):
  always **204 No Content**, with the same ETag and Cache-Control as a full tile;
* ``ETag`` = layers, versions and z/x/y; ``If-None-Match`` -> 304 without rendering;
* ``Cache-Control``: a year and immutable when the URL names the served version
  (``?v=<version>``, as the TileJSON template does), else ``TILE_MAX_AGE`` seconds;
* a layer with a validity window (an event, a road closure) is rendered every time
  and never written to the disk cache (``X-Tile-Cache: off``);
* a malformed address raises InvalidParameter (400), an unknown or unpublished
  layer NotFound (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapserver.errors import InvalidParameter, NotFound
from mapserver.params import LAYER_ID_MAX, is_layer_id
from mapserver.tiles import metadata
from mapserver.tiles.cache import TileCache
from mapserver.tiles.grid import parse_tile
from mapserver.tiles.render import cache_key, render_tile

MAX_COMPOSITE = 10
TILE_MAX_AGE = 300
IMMUTABLE = "public, max-age=31536000, immutable"
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')


@dataclass(frozen=True)
class TileAnswer:
    """What to send back: status, headers and body."""

    status: int
    headers: dict
    body: bytes = b""


def tile_cache(extensions: dict) -> TileCache:
    """Return the app's tile cache (made on first use, one per worker process)."""
    if "mapserver.tiles" not in extensions:
        extensions["mapserver.tiles"] = TileCache(extensions["mapserver.settings"].tiles_cache)
    return extensions["mapserver.tiles"]


def layer_ids(text: str) -> list[str]:
    """Split 'a,b,c' into layer ids, first occurrence kept, checked for shape and count."""
    ids: list[str] = []
    for part in text.split(","):
        if not part:
            raise InvalidParameter(f"layer list '{text[:100]}' has an empty name",
                                   fix="separate layer ids with single commas: a,b,c")
        if not is_layer_id(part):
            raise NotFound(f"no published layer '{part[:LAYER_ID_MAX]}'",
                           fix="see /layers for the ids")
        if part not in ids:
            ids.append(part)
        if len(ids) > MAX_COMPOSITE:
            raise InvalidParameter(f"more than {MAX_COMPOSITE} layers in one tile",
                                   fix=f"ask for at most {MAX_COMPOSITE} layers, or several tiles")
    return ids


def answer(extensions: dict, ids: list[str], z, x, y, *, wanted_version: str | None,
           if_none_match: str, cached_only: bool = False) -> TileAnswer | None:
    """Answer a tile of the layers `ids` from the cache, rendering it on a miss.

    With `cached_only` (an event loop, which must not block) return None instead of
    anything that could wait: a registry reload, a render, a layer never cached.
    """
    z, x, y = parse_tile(z, x, y)
    watch = extensions["mapserver.registry"]
    copy = watch.records_at_once() if cached_only else watch.records()
    if copy is None:
        return None
    records = [watch.public_layer(layer_id, copy) for layer_id in ids]
    key, version = cache_key(records)
    etag = f'"{key}@{version}/{z}/{x}/{y}"'
    cache_control = (IMMUTABLE if wanted_version == version
                     else f"public, max-age={TILE_MAX_AGE}")
    headers = {"Content-Type": metadata.MVT, "ETag": etag, "Cache-Control": cache_control,
               "Access-Control-Allow-Origin": "*"}
    if etag in _tags(if_none_match):
        return TileAnswer(304, headers)

    def render() -> bytes:
        # Only a miss borrows a connection (of the public role); a hit is a file read.
        # Renders take turns (web/lanes.py): a flood of misses cannot take every thread.
        with (extensions["mapserver.lanes"].render.turn(),
              extensions["mapserver.db.public"].connection(read_only=True) as conn):
            return render_tile(conn, records, z, x, y)

    if cached_only:
        if any(_time_bounded(r) for r in records):
            return None
        data = tile_cache(extensions).read(key, version, z, x, y)
        if data is None:
            return None
        headers["X-Tile-Cache"] = "hit"
        return TileAnswer(200 if data else 204, headers, data)
    if any(_time_bounded(r) for r in records):
        # Never on disk: a front server serving the cache folder would go on showing an
        # event's tiles after its window closed. Such layers are small; render each time.
        data, state = render(), "off"
    else:
        data, cached = tile_cache(extensions).get_or_render(key, version, z, x, y, render,
                                                            write_behind=True)
        state = "hit" if cached else "miss"
    headers["X-Tile-Cache"] = state
    return TileAnswer(200 if data else 204, headers, data)


def _time_bounded(record) -> bool:
    return bool(record.manifest.get("valid_from") or record.manifest.get("valid_to"))


def _tags(raw: str) -> set[str]:
    """Return the entity tags of an If-None-Match header; a composite's tag holds commas."""
    return set(_ENTITY_TAG.findall(raw))
