"""Show or hide a layer: the registry flag, and the cached tiles a front server could serve.

One function for the admin pages and the JSON API: `versions.set_published` knows the
database, not the tile cache folder, and a hidden layer's tiles must leave that folder
too (nginx serving it does not ask the registry).
"""

from __future__ import annotations

from .. import versions
from ..web import database
from ..web.tiles import tile_cache


def set_published(layer_id: str, published: bool, actor: str) -> None:
    """Publish or unpublish a layer; unpublishing also drops its cached tiles."""
    with database().connection() as conn:
        versions.set_published(conn, layer_id, published, actor)
    if not published:
        tile_cache().drop_layer(layer_id)
