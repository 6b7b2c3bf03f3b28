"""registry.public_layer: the one place deciding whether anybody may see a layer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mapserver.errors import NotFound
from mapserver.layers import registry

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def conn(small_conn):
    return small_conn


def _record(conn, **manifest_keys):
    record = registry.get(conn, "zoning")
    return replace(record, manifest=dict(record.manifest, **manifest_keys))


def test_published_layer_without_window_is_public(conn):
    assert registry.public_layer(conn, "zoning").id == "zoning"
    assert "zoning" in {r.id for r in registry.public_layers(conn)}


@pytest.mark.parametrize("window, public", [
    ({"valid_from": "2026-01-01T00:00:00Z"}, True),
    ({"valid_from": "2026-07-01T00:00:00Z"}, False),
    ({"valid_to": "2026-06-01T12:00:00Z"}, False),
    ({"valid_to": "2027-01-01T00:00:00+02:00"}, True),
    ({"valid_from": "2025-01-01T00:00:00", "valid_to": "2026-05-31T00:00:00"}, False),
])
def test_validity_window(conn, window, public):
    assert registry.is_public(_record(conn, **window), NOW) is public


def test_unpublished_and_unknown_layers_are_not_found(conn):
    assert registry.is_public(replace(registry.get(conn, "zoning"), published=False)) is False
    with pytest.raises(NotFound):
        registry.public_layer(conn, "no-such-layer")
