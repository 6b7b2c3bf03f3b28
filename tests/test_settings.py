"""Settings are typed, checked at start, and every one is documented."""

from __future__ import annotations

import pytest

from mapserver.errors import SetupError
from mapserver.settings import SETTINGS_DOC, Settings
from tests.conftest import ROOT


def test_every_setting_is_documented_in_the_architecture_notes():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    missing = [name for name in SETTINGS_DOC if f"`{name}`" not in text]
    assert missing == []


def test_defaults():
    settings = Settings.from_env({})
    assert settings.statement_timeout_ms == 10000 and settings.keep_versions == 5
    assert settings.database_url is None


@pytest.mark.parametrize("name, value, message", [
    ("MAPSERVER_POOL_SIZE", "many", "is not a whole number"),
    ("MAPSERVER_KEEP_VERSIONS", "0", "is below 1"),
    ("MAPSERVER_STATEMENT_TIMEOUT_MS", "5", "is below 100"),
])
def test_bad_values_are_refused_with_the_fix(name, value, message):
    with pytest.raises(SetupError) as failure:
        Settings.from_env({name: value})
    assert message in failure.value.description and name in failure.value.description
