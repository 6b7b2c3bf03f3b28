"""The registry of loaded layers in PostGIS: which version of each layer is served.

Readers look a layer up here and read the table it names.  A new version
replaces the row in the same transaction that makes its table live, so a
reader sees the old version or the new one, never a mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from psycopg2.extras import RealDictCursor

from mapserver.errors import NotFound
from mapserver.layers.manifest import Manifest
from mapserver.params import LAYER_ID_MAX, is_layer_id

CITY_BOUNDARY = "city-boundary"  # the layer whose extent is the city's (home view, checks)
COLUMNS = ("id, version, table_name, manifest, geometry_type, feature_count, bbox, "
           "source_checksum, loaded_at, load_report, published")


@dataclass(frozen=True)
class LayerRecord:
    """One layer as the registry knows it.

    `manifest` is the stored JSON as it is (for outputs that copy it); `spec` is
    the same manifest typed, parsed on first use and kept with the record, so the
    per-worker copy of the registry (registry_watch) serves tiles without parsing.
    """

    id: str
    version: int
    table_name: str | None
    manifest: dict
    geometry_type: str | None
    feature_count: int | None
    bbox: list | None
    source_checksum: str | None
    loaded_at: datetime | None
    load_report: dict | None
    published: bool

    @property
    def loaded(self) -> bool:
        return self.version > 0 and self.table_name is not None

    @cached_property
    def spec(self) -> Manifest:
        """Return the manifest typed: public and searchable fields, zoom range, page."""
        return Manifest(raw=self.manifest)

    @property
    def public_field_names(self) -> tuple[str, ...]:
        return self.spec.public_field_names

    def summary(self) -> dict:
        """Return what anybody may know about the layer (no staff-only field is named)."""
        m = self.manifest
        return {
            "id": self.id,
            "title": m["title"],
            "description": m["description"],
            "category": m["category"],
            "geometry": m["geometry"],
            "version": self.version,
            "feature_count": self.feature_count,
            "bbox": self.bbox,
            "loaded_at": self.loaded_at.isoformat() if self.loaded_at else None,
            "licence": m["licence"],
            "attribution": m["attribution"],
            "default_on": m.get("default_on", False),
            "minzoom": self.spec.minzoom,
            "maxzoom": self.spec.maxzoom,
            "fields": [{"name": f.name, "type": f.type, "description": f.description}
                       for f in self.spec.public_fields],
        }


def get(conn, layer_id: str) -> LayerRecord | None:
    """Return one layer's registry row, or None."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM mapserver.layers WHERE id = %s", (layer_id,))
        row = cur.fetchone()
    return LayerRecord(**row) if row else None


def list_all(conn, *, published_only: bool = False) -> list[LayerRecord]:
    """Return every loaded layer, ordered by id."""
    where = "WHERE version > 0" + (" AND published" if published_only else "")
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM mapserver.layers {where} ORDER BY id")
        return [LayerRecord(**row) for row in cur.fetchall()]


def history(conn, layer_id: str) -> list[dict]:
    """Return the versions of a layer, newest first."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            "SELECT version, feature_count, source_checksum, loaded_at, loaded_by,"
            " table_dropped FROM mapserver.layer_versions WHERE layer_id = %s"
            " ORDER BY version DESC", (layer_id,))
        return cur.fetchall()


def is_public(record: LayerRecord, now: datetime | None = None) -> bool:
    """Return whether anybody may see a layer: loaded, published and inside its validity window.

    A manifest may bound a layer in time with `valid_from` / `valid_to` (ISO date-times);
    outside that window the layer is treated exactly like an unpublished one.
    """
    if not (record.published and record.loaded):
        return False
    now = now or datetime.now(UTC)
    start, end = (_instant(record.manifest.get(k)) for k in ("valid_from", "valid_to"))
    return (start is None or start <= now) and (end is None or now < end)


def _instant(text) -> datetime | None:
    if not text:
        return None
    # RFC 3339 allows a lower-case 't' and 'z', which fromisoformat refuses.
    value = datetime.fromisoformat(str(text).upper())
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def city_extent(conn, configured: tuple | None = None) -> tuple | None:
    """Return the city's lon/lat box: the configured one, else the city-boundary layer's."""
    if configured:
        return tuple(configured)
    record = get(conn, CITY_BOUNDARY)
    return tuple(record.bbox) if record is not None and record.loaded and record.bbox else None


def public_layer(conn, layer_id: str) -> LayerRecord:
    """Return a layer anybody may see, or raise NotFound (unknown, draft and expired alike)."""
    record = get(conn, layer_id) if is_layer_id(layer_id) else None
    if record is None or not is_public(record):
        shown = str(layer_id)[:LAYER_ID_MAX]
        raise NotFound(f"no published layer '{shown}'",
                       fix="see /layers (or /ogc/collections) for the published layers")
    return record


def public_layers(conn) -> list[LayerRecord]:
    """Return every layer anybody may see, ordered by id."""
    return [r for r in list_all(conn, published_only=True) if is_public(r)]
