"""The pure parameter parsers of mapserver/params.py: known answers, edges, hostile text.

Every parser must either return a value or raise the project's InvalidParameter (a 400
naming the parameter); any other exception would reach the client as a 500.
"""

from __future__ import annotations

import math

import pytest

from mapserver import params
from mapserver.errors import InvalidParameter
from mapserver.ogc.crs import Crs

# Values a client (or a fuzzer) may send in any parameter.
HOSTILE = ["\x00", "\ud800", "x" * 10_240, "9" * 5000, "²", "🙂", "\u202e", "'; DROP TABLE x; --",
           "%27", "1e400", "-", ",", " ", "\t"]
PUBLIC = ["ml", "address", "units", "year_built"]


def refused(parser, *args, word: str | None = None) -> InvalidParameter:
    """Call a parser that must refuse its input; return the error, checked for its shape."""
    with pytest.raises(InvalidParameter) as failure:
        parser(*args)
    error = failure.value
    assert error.status == 400 and error.code == "InvalidParameterValue"
    assert "Fix:" in error.description
    if word:
        assert word in error.description
    return error


# -- limit and offset -----------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (None, 100), ("", 100), ("1", 1), ("100", 100), ("9999", 9999), ("10000", 10000),
    ("10001", 10000), ("1000000", 10000), ("9" * 32, 10000), ("007", 7),
])
def test_limit_known_answers_and_the_clamp(raw, expected):
    assert params.parse_limit(raw) == expected


def test_limit_default_and_maximum_are_the_callers():
    assert params.parse_limit(None, default=10, maximum=50) == 10
    assert params.parse_limit("51", default=10, maximum=50) == 50


@pytest.mark.parametrize("raw", ["0", "-1", "-0", "1.5", "1e3", "0x10", "ten", "nan", "inf",
                                 "1,2", "9" * 5000, *HOSTILE])
def test_limit_refuses_what_is_not_a_positive_whole_number(raw):
    refused(params.parse_limit, raw, word="limit")


@pytest.mark.parametrize("raw, expected", [
    (None, 0), ("", 0), ("0", 0), ("20", 20), ("10000000", 10_000_000),
])
def test_offset_known_answers(raw, expected):
    assert params.parse_offset(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "10000001", "9" * 4000, "1.0", "x", *HOSTILE])
def test_offset_refuses_negative_huge_and_non_numbers(raw):
    refused(params.parse_offset, raw, word="offset")


@pytest.mark.parametrize("raw", ["١٢", "５", "1_000", " 7 "])
def test_limit_takes_ascii_digits_only_like_tile_addresses(raw):
    # Regression: int() read these as 12, 5, 1000 and 7 before the one integer rule.
    refused(params.parse_limit, raw, word="limit")


# -- bbox -----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("-71.12,42.36,-71.10,42.38", [(-71.12, 42.36, -71.10, 42.38)]),
    (" -71.12 , 42.36 ,-71.10, 42.38 ", [(-71.12, 42.36, -71.10, 42.38)]),
    ("-71.12,42.36,0,-71.10,42.38,100", [(-71.12, 42.36, -71.10, 42.38)]),  # heights dropped
    ("-180,-90,180,90", [(-180.0, -90.0, 180.0, 90.0)]),
    ("0,0,0,0", [(0.0, 0.0, 0.0, 0.0)]),                                    # a point is a box
    ("177,65,-177,70", [(177.0, 65.0, 180.0, 70.0), (-180.0, 65.0, -177.0, 70.0)]),
    ("1e1,1e1,2e1,2e1", [(10.0, 10.0, 20.0, 20.0)]),
    ("-71.1199999999999974,42.3700000000000045,-71.1100000000000065,42.3800000000000026",
     [(-71.12, 42.37, -71.11, 42.38)]),
])
def test_bbox_known_answers(raw, expected):
    boxes = params.parse_bbox(raw)
    assert len(boxes) == len(expected)
    for box, known in zip(boxes, expected, strict=True):
        assert box == pytest.approx(known, abs=1e-12)


def test_no_bbox_is_no_envelope():
    assert params.parse_bbox(None) == []


@pytest.mark.parametrize("raw, word", [
    ("", "1 numbers instead of 4"), ("1,2,3", "3 numbers"), ("1,2,3,4,5", "5 numbers"),
    ("1,2,3,4,5,6,7", "7 numbers"), ("a,b,c,d", "not a number"), ("1,2,,4", "not a number"),
    ("nan,0,1,1", "not a finite number"), ("0,0,1,inf", "not a finite number"),
    ("0,0,1e400,1", "not a finite number"),
    ("-181,0,0,1", "longitude"), ("0,0,180.0001,1", "longitude"), ("0,-91,1,0", "latitude"),
    ("0,0,1,90.5", "latitude"), ("0,10,1,5", "miny 10.0 is above its maximum maxy 5.0"),
    ("0;0;1;1", "1 numbers"), ("0 0 1 1", "1 numbers"), ("0x1,0,1,1", "not a number"),
])
def test_bbox_refusals_name_the_problem(raw, word):
    refused(params.parse_bbox, raw, word=word)


@pytest.mark.parametrize("value", HOSTILE)
def test_bbox_hostile_values_are_client_errors(value):
    refused(params.parse_bbox, f"{value},0,1,1")
    refused(params.parse_bbox, value)


def test_bbox_message_quotes_at_most_32_characters_of_a_value():
    error = refused(params.parse_bbox, "x" * 10_000 + ",0,1,1")
    assert "x" * 33 not in error.description


NORTHING_FIRST = Crs("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, True, True)
FEET = Crs("http://www.opengis.net/def/crs/EPSG/0/2249", 2249, False, False)


def test_bbox_in_a_latitude_first_crs_is_put_back_in_x_y_order():
    (box,) = params.parse_bbox_in("42.36,-71.12,42.38,-71.10", NORTHING_FIRST)
    assert box == pytest.approx((-71.12, 42.36, -71.10, 42.38))
    # Latitude first, a box over the antimeridian still splits in two.
    assert len(params.parse_bbox_in("65,177,70,-177", NORTHING_FIRST)) == 2
    # Read latitude first, 100 is a latitude: out of range however it was meant.
    refused(params.parse_bbox_in, "100,0,101,1", NORTHING_FIRST, word="latitude 100")


def test_bbox_in_a_projected_crs_keeps_its_numbers_and_needs_its_corners_in_order():
    assert params.parse_bbox_in("760000,2957000,764000,2961000", FEET) == [
        (760000.0, 2957000.0, 764000.0, 2961000.0)]
    assert params.parse_bbox_in(None, FEET) == []
    refused(params.parse_bbox_in, "764000,2957000,760000,2961000", FEET, word="minima")
    refused(params.parse_bbox_in, "760000,2961000,764000,2957000", FEET, word="EPSG/0/2249")
    refused(params.parse_bbox_in, "760000,2957000,764000,nan", FEET, word="not a finite")


# -- properties and sortby ------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (None, PUBLIC), ("ml", ["ml"]), ("units,ml", ["ml", "units"]),      # the layer's order
    (" units , ml ,,", ["ml", "units"]), ("ml,ml", ["ml"]), ("", []), (",", []),
])
def test_properties_known_answers(raw, expected):
    assert params.parse_properties(raw, PUBLIC) == expected


@pytest.mark.parametrize("raw", ["editor", "ML", "ml,editor", "geom", *HOSTILE[:4]])
def test_properties_outside_the_public_list_are_refused_listing_only_public_ones(raw):
    error = refused(params.parse_properties, raw, PUBLIC, word="properties")
    assert "choose from ml, address, units, year_built" in error.description


@pytest.mark.parametrize("raw, expected", [
    (None, []), ("", []), ("  ", []), ("units", [("units", False)]),
    ("+units", [("units", False)]), ("-units", [("units", True)]),
    ("-units, +ml ,year_built", [("units", True), ("ml", False), ("year_built", False)]),
    ("- units", [("units", True)]),
])
def test_sortby_known_answers(raw, expected):
    assert params.parse_sortby(raw, PUBLIC) == expected


@pytest.mark.parametrize("raw", ["-", "+", "--units", "+-units", "units,", "editor", "-editor",
                                 "Units", *HOSTILE[:4]])
def test_sortby_refuses_anything_but_signed_public_names(raw):
    error = refused(params.parse_sortby, raw, PUBLIC, word="sortby")
    assert error.description.endswith("Fix: sort by one of ml, address, units, year_built.")


# -- datetime, values, format ---------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    None, "2014-01-01T00:00:00Z", "2014-01-01T00:00:00+02:00", "2014-01-01", "../2014-01-01",
    "2014-01-01T00:00:00Z/..", "2014-01-01/2015-01-01", "../..", "",
])
def test_datetime_instants_and_intervals_are_accepted_as_given(raw):
    assert params.parse_datetime(raw) == raw


@pytest.mark.parametrize("raw", ["yesterday", "2014", "2014-13-01", "2014-01-01T24:00:00Z",
                                 "2014-01-01T00:00:00+99:00", "2014-01-01/soon", "P1D",
                                 "2014-01-01//2015-01-01x", *HOSTILE])
def test_datetime_refuses_what_is_not_rfc_3339(raw):
    refused(params.parse_datetime, raw, word="datetime")


@pytest.mark.parametrize("raw, field_type, expected", [
    ("42", "integer", 42), ("-7", "integer", -7), ("1.5", "float", 1.5), ("1e3", "float", 1000.0),
    ("true", "boolean", True), ("FALSE", "boolean", False), ("TrUe", "boolean", True),
    ("2014-02-03", "date", __import__("datetime").date(2014, 2, 3)),
    ("2014-02-03T04:05:06Z", "datetime", __import__("datetime").datetime(
        2014, 2, 3, 4, 5, 6, tzinfo=__import__("datetime").UTC)),
    ("23 ROCKWELL ST", "text", "23 ROCKWELL ST"), ("", "text", ""), ("\ud800", "text", "\ud800"),
])
def test_property_values_are_read_as_their_field_type(raw, field_type, expected):
    assert params.parse_value(raw, field_type, "n") == expected


@pytest.mark.parametrize("raw, field_type", [
    ("1.5", "integer"), ("", "integer"), ("many", "integer"), ("nan", "float"), ("inf", "float"),
    ("-inf", "float"), ("1e400", "float"), ("yes", "boolean"), ("1", "boolean"), ("", "boolean"),
    ("2014-02-30", "date"), ("2014-2-3", "date"), ("2014-02-03T25:00", "datetime"),
    ("\x00", "integer"), ("\ud800", "float"), ("²", "integer"), ("x" * 10_240, "date"),
])
def test_property_values_of_the_wrong_type_are_refused_naming_field_and_type(raw, field_type):
    error = refused(params.parse_value, raw, field_type, "units")
    if field_type == "integer":   # the one rule for whole numbers says it its way
        assert "units" in error.description and "not a whole number" in error.description
    else:
        assert f"units={raw[:64]!r} is not a valid {field_type}" in error.description


def test_a_float_value_is_finite():
    assert math.isfinite(params.parse_value("1e308", "float", "n"))


@pytest.mark.parametrize("raw, expected", [
    (None, None), ("json", "json"), ("HTML", "html"), (" html ", "html"),
])
def test_format_known_answers(raw, expected):
    assert params.parse_format(raw) == expected


@pytest.mark.parametrize("raw", ["xml", "", "jsonx", "geojson", *HOSTILE[:4]])
def test_format_outside_the_resource_list_is_refused(raw):
    error = refused(params.parse_format, raw, word="f=")
    assert "use f=json or f=html" in error.description
    assert params.parse_format("csv", allowed=("csv",)) == "csv"


# -- the whole query string -----------------------------------------------------------------

def test_unknown_parameters_are_named_and_the_allowed_ones_listed():
    params.check_known(["limit", "ml"], params.ITEMS_PARAMS, PUBLIC)
    error = refused(params.check_known, ["limit", "editor"], params.ITEMS_PARAMS, PUBLIC,
                    word="'editor'")
    assert "filter-lang" in error.description and "year_built" in error.description
    long = refused(params.check_known, ["x" * 10_000], params.ITEM_PARAMS)
    assert "x" * 65 not in long.description
