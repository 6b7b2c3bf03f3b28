"""The request parsers in mapserver/params.py: one rule per kind of value, checked alone.

No database and no app: each parser takes text and returns values or raises
InvalidParameter (a 400 with a message and a fix).
"""

from __future__ import annotations

import json
import re

import pytest

from mapserver import params
from mapserver.errors import InvalidParameter
from mapserver.tiles.grid import parse_tile
from tests.conftest import ROOT

# Text that str.isdigit() or int() accepts but is not written in the digits 0-9:
# '²' made int() raise (a 500 where isdigit() had let it through); '٣' and '３' int()
# reads as 3; '①' isdigit() takes and int() refuses.
NOT_ASCII_DIGITS = ["²", "①", "٣", "３", "1²", "٣٣", "𝟕"]


@pytest.mark.parametrize("raw, expected", [
    ("0", 0), ("7", 7), ("007", 7), ("10000", 10000),
    (str(params.BIGINT_MAX), params.BIGINT_MAX), (12, 12),
])
def test_whole_numbers_in_ascii_digits_are_read(raw, expected):
    assert params.parse_int(raw, "n") == expected


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
def test_digits_other_than_ascii_are_refused_with_the_fix(raw):
    assert raw.isdigit() or raw[-1].isdigit()  # what the old checks let through
    with pytest.raises(InvalidParameter) as failure:
        params.parse_int(raw, "limit")
    description = failure.value.description
    assert "limit" in description and "not a whole number" in description
    assert "Fix:" in description and "0-9" in description


@pytest.mark.parametrize("raw", [
    "", " ", "1.5", "1e3", "+5", " 5", "5 ", "5\n", "1_000", "0x10", "-", "--1", "5-",
    "nan", "inf", "abc", "\x00", "1,2",
])
def test_anything_but_digits_is_refused(raw):
    with pytest.raises(InvalidParameter, match="not a whole number"):
        params.parse_int(raw, "n")


@pytest.mark.parametrize("raw", [None, 1.0, 2.5, True, False, [], {}])
def test_values_that_are_not_text_or_int_are_refused(raw):
    """A JSON body may carry a float, a bool or a list where a number was wanted."""
    with pytest.raises(InvalidParameter, match="is not a whole number"):
        params.parse_int(raw, "n")


@pytest.mark.parametrize("raw", ["9" * 33, "1" + "0" * 40, "-" + "9" * 40, "9" * 5000])
def test_text_too_long_is_refused_before_it_is_read(raw):
    with pytest.raises(InvalidParameter, match="too long"):
        params.parse_int(raw, "n")


@pytest.mark.parametrize("raw", [str(params.BIGINT_MAX + 1), "9" * 32])
def test_numbers_beyond_a_bigint_are_refused(raw):
    with pytest.raises(InvalidParameter, match="is above"):
        params.parse_int(raw, "n")


@pytest.mark.parametrize("raw, minimum, message", [
    ("-1", 0, "is negative"), ("-5", 1, "not a positive whole number"),
    ("0", 1, "not a positive whole number"), ("2", 3, "is below 3"),
    (-1, 0, "is negative"),
])
def test_numbers_below_the_minimum_are_refused(raw, minimum, message):
    with pytest.raises(InvalidParameter, match=message):
        params.parse_int(raw, "n", minimum=minimum)


def test_negative_numbers_are_read_where_allowed():
    assert params.parse_int("-42", "n", minimum=None) == -42
    assert params.parse_int(str(-params.BIGINT_MAX - 1), "n", minimum=None) == -2**63


def test_the_maximum_refuses_or_clamps():
    with pytest.raises(InvalidParameter, match="n 11 is above 10"):
        params.parse_int("11", "n", maximum=10)
    assert params.parse_int("11", "n", maximum=10, clamp=True) == 10
    assert params.parse_int("9" * 30, "n", maximum=10, clamp=True) == 10


@pytest.mark.parametrize("raw, expected", [
    (None, params.LIMIT_DEFAULT), ("", params.LIMIT_DEFAULT), ("1", 1), ("250", 250),
    ("1000000", params.LIMIT_MAXIMUM), ("9" * 25, params.LIMIT_MAXIMUM),
])
def test_limit_defaults_and_clamps(raw, expected):
    assert params.parse_limit(raw) == expected


@pytest.mark.parametrize("raw", ["0", "-5", "unlimited", "²", "٣", "1.0", "9" * 40])
def test_bad_limits_are_refused(raw):
    with pytest.raises(InvalidParameter, match="limit"):
        params.parse_limit(raw)


@pytest.mark.parametrize("raw, expected", [(None, 0), ("", 0), ("0", 0), ("20", 20),
                                           (str(params.OFFSET_MAXIMUM), params.OFFSET_MAXIMUM)])
def test_offsets(raw, expected):
    assert params.parse_offset(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "x", "²", "①", str(params.OFFSET_MAXIMUM + 1)])
def test_bad_offsets_are_refused(raw):
    with pytest.raises(InvalidParameter, match="offset"):
        params.parse_offset(raw)


@pytest.mark.parametrize("raw, expected", [("12", 12), ("-3", -3), ("0", 0)])
def test_integer_property_filters(raw, expected):
    assert params.parse_value(raw, "integer", "units") == expected


@pytest.mark.parametrize("raw", ["²", "٣", "3.5", "many", "9" * 40])
def test_bad_integer_property_filters_name_the_property(raw):
    with pytest.raises(InvalidParameter, match="units"):
        params.parse_value(raw, "integer", "units")


@pytest.mark.parametrize("z, x, y", [("²", "0", "0"), ("14", "٣", "0"), ("14", "0", "①"),
                                     ("-1", "0", "0"), ("1.5", "0", "0")])
def test_tile_addresses_follow_the_same_rule(z, x, y):
    with pytest.raises(InvalidParameter, match="Fix:|tile") as failure:
        parse_tile(z, x, y)
    assert "Fix:" in failure.value.description


# Bounding boxes ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("-71.12,42.36,-71.10,42.38", [(-71.12, 42.36, -71.10, 42.38)]),
    (" -71.12 , 42.36 ,-71.10, 42.38 ", [(-71.12, 42.36, -71.10, 42.38)]),
    ("-71.12,42.36,0,-71.10,42.38,100", [(-71.12, 42.36, -71.10, 42.38)]),
    ("-180,-90,180,90", [(-180.0, -90.0, 180.0, 90.0)]),
    ("0,0,0,0", [(0.0, 0.0, 0.0, 0.0)]),
])
def test_boxes_are_read_as_envelopes(raw, expected):
    assert params.parse_bbox(raw) == expected
    assert params.parse_bbox(raw, crossing=False) == expected


def test_a_box_crossing_the_antimeridian_is_two_envelopes_where_allowed():
    assert params.parse_bbox("177,65,-177,70") == [(177.0, 65.0, 180.0, 70.0),
                                                   (-180.0, 65.0, -177.0, 70.0)]


def test_a_box_crossing_the_antimeridian_is_refused_where_not_allowed():
    with pytest.raises(InvalidParameter) as failure:
        params.parse_bbox("177,65,-177,70", crossing=False)
    description = failure.value.description
    assert "above its maximum" in description and "antimeridian" in description
    assert "Fix:" in description


@pytest.mark.parametrize("crossing", [True, False])
@pytest.mark.parametrize("raw, message", [
    ("0,10,1,5", "miny 10.0 is above its maximum"),
    ("1,1,0,0", "above its maximum"),
    ("0,0,1,nan", "NaN"), ("nan,0,1,1", "NaN"), ("0,0,inf,1", "not a finite number"),
    ("0,0,1,-inf", "not a finite number"), ("0,0,1e400,1", "not a finite number"),
    ("-200,0,0,1", "longitude -200.0 is outside"), ("0,0,181,1", "outside -180..180"),
    ("0,-91,1,1", "latitude -91.0 is outside"), ("0,0,1,90.5", "outside -90..90"),
    ("1,2,3", "3 numbers instead of 4"), ("1,2,3,4,5", "instead of 4"), ("", "instead of 4"),
    ("a,b,c,d", "not a number"), ("0,0,1,", "not a number"), ("0;0;1;1", "instead of 4"),
])
def test_bad_boxes_are_refused_with_a_clear_message(raw, message, crossing):
    with pytest.raises(InvalidParameter, match="bbox") as failure:
        params.parse_bbox(raw, crossing=crossing)
    assert message in failure.value.description and "Fix:" in failure.value.description


def test_a_missing_box_is_none_or_an_error_when_required():
    assert params.parse_bbox(None) == []
    for raw in (None, ""):
        with pytest.raises(InvalidParameter, match="bbox is missing"):
            params.parse_bbox(raw, required=True)


# Layer ids -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["parcels", "public-buildings", "a1", "z" * params.LAYER_ID_MAX,
                                  "t-closures", "a-"])
def test_layer_ids(text):
    assert params.is_layer_id(text)


@pytest.mark.parametrize("text", ["", "a", "1abc", "-abc", "Parcels", "bus_shelters", "a b",
                                  "a" * (params.LAYER_ID_MAX + 1), "parcels\n", "parcels,streets",
                                  "ünterwegs", "a²", None, 5, ["parcels"]])
def test_not_layer_ids(text):
    assert not params.is_layer_id(text)


def test_the_manifest_schema_holds_the_layer_id_pattern():
    schema = json.loads((ROOT / "mapserver" / "layers" / "manifest.schema.json").read_text())
    assert schema["properties"]["id"]["pattern"] == params.LAYER_ID_REGEX


def test_the_registry_migration_checks_the_layer_id_pattern():
    text = (ROOT / "mapserver" / "sql" / "migrations" / "001_registry.sql").read_text()
    checks = re.findall(r"\bid\s+text PRIMARY KEY CHECK \(id ~ '([^']*)'\)", text)
    assert checks == [params.LAYER_ID_REGEX]


def test_no_other_copy_of_the_layer_id_pattern_is_left():
    """Python, templates and scripts read the constant; only the schema and the SQL hold text."""
    allowed = {ROOT / "mapserver" / "params.py",
               ROOT / "mapserver" / "layers" / "manifest.schema.json",
               ROOT / "mapserver" / "sql" / "migrations" / "001_registry.sql"}
    found = {path for path in (ROOT / "mapserver").rglob("*")
             if path.is_file() and path.suffix in (".py", ".html", ".json", ".sql", ".js")
             and "a-z0-9-]{1,47}" in path.read_text("utf-8")}
    found |= {path for path in (ROOT / "static" / "js").glob("*.js")
              if "a-z0-9-]{1,47}" in path.read_text("utf-8")}
    assert found == allowed
