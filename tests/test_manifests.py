"""Manifests: the demo ones are valid and fit their files; broken ones are named precisely."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from mapserver.errors import InvalidData
from mapserver.layers import manifest as manifests
from tests.conftest import DEMO_LAYERS, LAYERS, MAPSERVER


def test_layers_check_passes_on_the_demo_manifests(cli_env):
    result = subprocess.run([*MAPSERVER, "layers", "check"], env=cli_env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{len(DEMO_LAYERS)} of {len(DEMO_LAYERS)} manifests valid"


@pytest.mark.parametrize("layer_id", DEMO_LAYERS)
def test_demo_manifest_is_complete(layer_id):
    manifest = manifests.find(LAYERS, layer_id)
    raw = manifest.raw
    assert set(raw["title"]) >= {"en", "ro", "hu"}
    assert raw["licence"]["id"] == "PDDL-1.0" and raw["attribution"] == "City of Cambridge GIS"
    for field in manifest.fields:
        assert field.description["en"] and field.description["ro"]
    assert all(source.path.exists() for source in manifest.sources)


def test_only_parcels_owner_edit_fields_are_staff():
    staff = {(layer_id, f.name) for layer_id in DEMO_LAYERS
             for f in manifests.find(LAYERS, layer_id).fields if not f.public}
    assert staff == {("parcels", "editor"), ("parcels", "edit_date")}


def broken_copy(tmp_path, layer_id, change):
    folder = tmp_path / "layers"
    folder.mkdir(exist_ok=True)
    raw = yaml.safe_load((LAYERS / f"{layer_id}.yaml").read_text())
    change(raw)
    (folder / f"{layer_id}.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    shutil.copytree(LAYERS.parent / "data", tmp_path / "data", dirs_exist_ok=True)
    return folder / f"{layer_id}.yaml"


@pytest.mark.parametrize("change, expected", [
    (lambda m: m.pop("licence"), "'licence' is a required property"),
    (lambda m: m["fields"][0].update(visibility="secret"), "fields/0/visibility"),
    (lambda m: m["fields"][0].update(name="geom"), "fields/0/name"),
    (lambda m: m["title"].pop("ro"), "title: 'ro' is a required property"),
    (lambda m: m.update(id="Parcels"), "id"),
    (lambda m: m.update(id_field="nope"), "id_field: 'nope' is not one of the fields"),
    (lambda m: m["fields"].append(dict(m["fields"][0])), "ml declared twice"),
    (lambda m: m.update(minzoom=18, maxzoom=10), "minzoom is above maxzoom"),
    (lambda m: m["fields"][9].update(searchable=True), "'assessed_value' is searchable but not"),
    (lambda m: m.update(page="https://elsewhere.example/{fid}"), "page"),
    (lambda m: m.update(page="/parcels/"), "page"),
    (lambda m: m["sources"][0].update(path="../data/missing.topojson"), "does not exist"),
])
def test_broken_manifest_is_refused_with_where_and_why(tmp_path, change, expected):
    path = broken_copy(tmp_path, "parcels", change)
    with pytest.raises(InvalidData) as failure:
        manifests.load_file(path)
    assert expected in failure.value.description
    assert "parcels.yaml" in failure.value.description


def test_layers_check_finds_a_misspelt_source_column(tmp_path, cli_env):
    broken_copy(tmp_path, "streets", lambda m: m["fields"][0].update(source="Lable"))
    env = dict(cli_env, MAPSERVER_HOME=str(tmp_path))
    result = subprocess.run([*MAPSERVER, "layers", "check"], env=env, capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert "field 'label' has no column 'Lable' in street-centerlines.geojson" in result.stderr
    assert "0 of 1 manifests valid" in result.stdout


def test_yaml_that_is_not_a_manifest(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(InvalidData, match="not a mapping"):
        manifests.load_file(path)
    path.write_text("id: [unclosed\n")
    with pytest.raises(InvalidData, match="cannot be read as YAML"):
        manifests.load_file(path)


def test_typed_views_are_parsed_once_and_read_the_schema_defaults():
    parcels = manifests.find(LAYERS, "parcels")
    assert parcels.fields is parcels.fields   # parsed once, not per call
    assert parcels.public_field_names[:2] == ("ml", "map")
    assert "editor" not in parcels.public_field_names
    assert parcels.zooms == (14, 22)
    city = manifests.find(LAYERS, "city-boundary")
    assert city.zooms == (0, 22) and city.page is None   # no maxzoom: the schema's default
    assert manifests.find(LAYERS, "public-buildings").page == "/buildings/{fid}"


def test_searchable_fields_are_the_flagged_public_ones():
    searched = {layer_id: [f.name for f in manifests.find(LAYERS, layer_id).searchable_fields]
                for layer_id in DEMO_LAYERS}
    assert {k: v for k, v in searched.items() if v} == {
        "parcels": ["ml", "address"], "public-buildings": ["name", "address"],
        "streets": ["label"], "parks": ["name"], "neighbourhoods": ["name"],
        "city-boundary": ["name"]}


def test_a_staff_field_flagged_searchable_is_not_searchable():
    raw = yaml.safe_load((LAYERS / "parcels.yaml").read_text())
    editor = next(f for f in raw["fields"] if f["name"] == "editor")
    editor["searchable"] = True
    assert manifests.validate(raw, "parcels.yaml") == []   # hiding a field never fails...
    manifest = manifests.Manifest(raw=raw)
    assert "editor" not in [f.name for f in manifest.searchable_fields]   # ...it is dropped
