"""The typed layer: a registry record's manifest parsed once; search, indexes and pages from it."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from mapserver.db import connect
from mapserver.errors import InvalidParameter
from mapserver.ingest.pipeline import load_layer
from mapserver.layers import edits, registry
from mapserver.layers import manifest as manifests
from mapserver.layers.registry_watch import RegistryWatch
from mapserver.site import search
from tests.conftest import LAYERS


def test_a_record_parses_its_manifest_once(conn, demo_city):
    record = registry.get(conn, "parcels")
    assert record.spec is record.spec
    assert record.spec.public_fields is record.spec.public_fields
    assert record.public_field_names == record.spec.public_field_names
    assert "editor" not in record.public_field_names and record.spec.zooms == (14, 22)


def test_a_workers_copy_hands_out_the_same_records_so_tiles_never_reparse(database_url,
                                                                         demo_city):
    watch = RegistryWatch(database_url)
    spec = watch.public_layer("parcels").spec
    for _ in range(20):
        assert watch.public_layer("parcels").spec is spec
    assert watch.reloads == 1


def test_search_reads_the_searchable_fields_id_field_first(conn, demo_city):
    assert search.searched_fields(registry.get(conn, "parcels")) == ["ml", "address"]
    assert search.searched_fields(registry.get(conn, "public-buildings"))[0] == "name"
    assert search.searched_fields(registry.get(conn, "street-lights")) == []


def test_a_staff_field_flagged_searchable_is_never_searched(conn, demo_city):
    record = registry.get(conn, "parcels")
    manifest = json.loads(json.dumps(record.manifest))
    for field in manifest["fields"]:
        if field["name"] == "editor":
            field["searchable"] = True
    flagged = dataclasses.replace(record, manifest=manifest)
    assert "editor" not in search.searched_fields(flagged)
    # The canary initials are in the data, yet the search finds nothing of them.
    assert search.search(conn, [flagged], "KJL") == []


def _trigram_columns(conn, layer_id: str) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'layers'"
                    " AND tablename = (SELECT table_name FROM mapserver.layers WHERE id = %s)"
                    " AND indexdef LIKE '%%gin_trgm_ops%%'", (layer_id,))
        return {re.search(r"\((\w+) gin_trgm_ops\)", row[0]).group(1) for row in cur.fetchall()}


def test_a_load_indexes_the_searchable_fields_for_trigram_search(conn, demo_city):
    assert _trigram_columns(conn, "parcels") == {"ml", "address"}
    assert _trigram_columns(conn, "public-buildings") == {"name", "address"}
    assert _trigram_columns(conn, "street-lights") == set()


@pytest.fixture
def draft_shelters(app_url, demo_city):
    """Load bus-shelters, unpublished, under another id; its one text field is not searched."""
    base = manifests.find(LAYERS, "bus-shelters")
    raw = dict(base.raw, id="t-searchable")
    conn = connect(app_url)   # loads run as the application role
    try:
        load_layer(conn, manifests.Manifest(raw=raw, folder=base.folder), published=False)
        yield conn
    finally:
        conn.rollback()
        conn.close()


def test_a_planner_makes_a_public_text_field_searchable(draft_shelters):
    conn = draft_shelters
    record = registry.get(conn, "t-searchable")
    with conn.cursor() as cur:
        cur.execute(f'SELECT global_id FROM layers."{record.table_name}" ORDER BY fid LIMIT 1')
        (value,) = cur.fetchone()
    conn.rollback()
    assert search.search(conn, [record], value) == []
    edits.describe(conn, "t-searchable", {"fields": {"global_id": {"searchable": True}}},
                   "tests")
    found = search.search(conn, [registry.get(conn, "t-searchable")], value)
    assert found and found[0]["label"] == value
    with pytest.raises(InvalidParameter, match="searchable but not text"):
        edits.describe(conn, "t-searchable", {"fields": {"height_ft": {"searchable": True}}},
                       "tests")


def _config(client) -> dict:
    html = client.get("/").get_data(as_text=True)
    blob = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html,
                     re.S).group(1)
    return json.loads(blob)


def test_the_map_config_carries_each_layers_page_and_no_layer_id_is_in_the_scripts(client):
    pages = {layer["id"]: layer["page"] for layer in _config(client)["layers"]}
    assert pages["public-buildings"] == "/buildings/{fid}"
    assert {k for k, v in pages.items() if v} == {"public-buildings"}
    scripts = sorted((LAYERS.parent / "static" / "js").glob("*.js"))
    for layer_id in (path.stem for path in LAYERS.glob("*.yaml")):
        quoted = re.compile(r"""['"]""" + re.escape(layer_id) + r"""['"]""")
        assert not [s.name for s in scripts if quoted.search(s.read_text())], layer_id
