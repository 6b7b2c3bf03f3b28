"""Vector tiles of the layers: tile maths, the tile SQL, a version-keyed disk cache, exports.

A plain package with no web framework in it: the Flask blueprint
(mapserver/web/tiles.py) and the `mapserver tiles` commands both call it.
"""
