"""Show or hide a layer: the registry flag, and the cached tiles a front server could serve.

One function for the admin pages and the JSON API: `edits.set_published` knows the
database, not the tile cache folder, and a hidden layer's tiles must leave that folder
too (nginx serving it does not ask the registry).
"""

from __future__ import annotations

from mapserver.layers import edits
from mapserver.tileserver.routes import tile_cache
from mapserver.web import database


def set_published(layer_id: str, published: bool, actor: str) -> None:
    """Publish or unpublish a layer; unpublishing also drops its cached tiles."""
    with database().connection() as conn:
        edits.set_published(conn, layer_id, published, actor)
    if not published:
        tile_cache().drop_layer(layer_id)
