"""Settings are typed, checked at start, and every one is documented."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mapserver.errors import SetupError
from mapserver.settings import SETTINGS_DOC, Settings
from tests.conftest import ROOT


def test_every_setting_is_documented_in_the_architecture_notes():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    missing = [name for name in SETTINGS_DOC if f"`{name}`" not in text]
    assert missing == []


def test_the_documented_defaults_are_the_ones_in_the_table():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", text, re.M))
    for name, setting in SETTINGS_DOC.items():
        shown = {None: "(unset)", "": "(empty)"}.get(setting.default, f"`{setting.default}`")
        assert rows[name].strip() == shown, name


def test_every_field_has_one_row_in_the_table():
    fields = [s.field for s in SETTINGS_DOC.values() if s.field is not None]
    assert sorted(fields) == sorted(f.name for f in dataclasses.fields(Settings))


def test_defaults_come_from_the_table(tmp_path):
    settings = Settings.from_env({"MAPSERVER_HOME": str(tmp_path)})
    assert settings.layers_dir == tmp_path / "layers"
    assert settings.tiles_cache == tmp_path / "var" / "tiles"
    assert (settings.pool_size, settings.max_upload_mb, settings.trusted_proxies) == (8, 200, 0)
    assert settings.secure_cookies is True and settings.basemap_url is None
    assert settings.basemap_attribution == ""
    assert (settings.publisher, settings.contact_email) == ("City GIS", "opendata@example.org")


def test_empty_values_mean_what_they_meant():
    settings = Settings.from_env({"DATABASE_URL": "", "MAPSERVER_PUBLISHER": "",
                                  "MAPSERVER_BASEMAP_URL": "", "MAPSERVER_SECURE_COOKIES": "0"})
    assert settings.database_url is None and settings.basemap_url is None
    assert settings.publisher == "City GIS" and settings.secure_cookies is False


def test_defaults():
    settings = Settings.from_env({})
    assert settings.statement_timeout_ms == 10000 and settings.keep_versions == 5
    assert settings.database_url is None


@pytest.mark.parametrize("name, value, message", [
    ("MAPSERVER_POOL_SIZE", "many", "is not a whole number"),
    ("MAPSERVER_KEEP_VERSIONS", "0", "is below 1"),
    ("MAPSERVER_STATEMENT_TIMEOUT_MS", "5", "is below 100"),
    ("MAPSERVER_OGC_CRS", "EPSG:2249,NAD83", "not an EPSG code"),
    ("MAPSERVER_OGC_CRS", "http://www.opengis.net/def/crs/EPSG/0/2249", "not an EPSG code"),
])
def test_bad_values_are_refused_with_the_fix(name, value, message):
    with pytest.raises(SetupError) as failure:
        Settings.from_env({name: value})
    assert message in failure.value.description and name in failure.value.description


def test_the_ogc_crs_list_is_read_as_epsg_codes():
    assert Settings.from_env({}).ogc_crs == (2249, 26986)  # Massachusetts state plane
    assert Settings.from_env({"MAPSERVER_OGC_CRS": " epsg:25832, EPSG:3035,EPSG:25832 "}
                             ).ogc_crs == (25832, 3035)
    assert Settings.from_env({"MAPSERVER_OGC_CRS": ""}).ogc_crs == ()
