"""Vector tiles: tile maths, SQL, the version-keyed disk cache and static exports (no Flask)."""
