"""The cadastral domain on its own: parcel ids, the per-parcel reduction, the parcel index."""

from __future__ import annotations

import pandas as pd
import pytest
from shapely.geometry import Point, box

from mapserver.cadastral import parcel_id
from mapserver.cadastral.assessment import reduce_per_key
from mapserver.cadastral.buildings import ParcelIndex


@pytest.mark.parametrize("raw, canonical", [
    (" 127 - 123 ", "127-123"), ("1a-68", "1A-68"), ("269.5-88", "269.5-88"),
    ("178--", "178"), ("", None), (None, None), (float("nan"), None), ("ROAD", "ROAD"),
])
def test_parcel_ids_have_one_spelling(raw, canonical):
    assert parcel_id.normalise(raw) == canonical
    assert parcel_id.normalise_all(pd.Series([raw], dtype=object)).tolist() == [canonical]


def test_parcel_id_shape():
    assert parcel_id.is_parcel_id("127-123") and parcel_id.is_parcel_id("190-RR3")
    assert not parcel_id.is_parcel_id("Massachusetts Ave")
    assert parcel_id.is_right_of_way(" road ")


def test_reduction_gives_one_row_per_parcel_with_declared_aggregates():
    table = pd.DataFrame({
        "ML": ["1-1", "1-1 ", "1-1", "2-2", None],
        "Location": ["1 A ST #1", "1 A ST #2", "1 A ST #3", "2 B ST", "lost"],
        "Use": ["CNDO", "CNDO", "RETAIL", "SFR", "X"],
        "Year": ["1900", "0", "1910", "0", "1"],
    })
    reduced = reduce_per_key(table, "ML", {
        "address": {"column": "Location", "aggregate": "first"},
        "use": {"column": "Use", "aggregate": "mode"},
        "year": {"column": "Year", "aggregate": "max", "missing": ["0"]},
        "units": {"aggregate": "count"},
    }, key="parcel-id")
    assert sorted(reduced.index) == ["1-1", "2-2"]
    assert reduced.loc["1-1"].tolist() == ["1 A ST #1", "CNDO", 1910.0, 3]
    assert reduced.loc["2-2", "units"] == 1 and pd.isna(reduced.loc["2-2", "year"])


def test_parcel_index_finds_the_containing_parcel_or_the_nearest_within_reach():
    index = ParcelIndex(["A", "B"], [box(-71.1, 42.3, -71.09, 42.31),
                                     box(-71.09, 42.3, -71.08, 42.31)])
    assert index.locate(Point(-71.095, 42.305)) == "A"
    assert index.locate(Point(-71.085, 42.305)) == "B"
    just_outside = Point(-71.085, 42.3101)  # about 11 m north of B
    assert index.locate(just_outside) is None
    assert index.locate(just_outside, max_distance_m=25) == "B"
    assert index.locate(Point(-71.0, 42.0), max_distance_m=25) is None
