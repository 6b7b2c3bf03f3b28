"""The months a KPI request covers (kpi/period.py), with today given, never read from the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from mapserver.errors import InvalidParameter
from mapserver.kpi import period as periods

D = dt.date


@pytest.mark.parametrize("today, start, end", [
    (D(2026, 11, 22), D(2025, 12, 1), D(2026, 12, 1)),
    (D(2026, 12, 2), D(2026, 1, 1), D(2027, 1, 1)),     # December: the calendar year
    (D(2026, 1, 31), D(2025, 2, 1), D(2026, 2, 1)),     # January: across the new year
    (D(2024, 2, 29), D(2023, 3, 1), D(2024, 3, 1)),     # a leap day is just a day of February
    (D(2026, 6, 1), D(2025, 7, 1), D(2026, 7, 1)),
])
def test_by_default_the_last_twelve_months_up_to_this_one(today, start, end):
    period = periods.parse(None, None, today=today)
    assert (period.start, period.end) == (start, end)
    months = (end.year - start.year) * 12 + end.month - start.month
    assert months == 12


@pytest.mark.parametrize("start, end, first, after", [
    ("2026-01", "2026-01", D(2026, 1, 1), D(2026, 2, 1)),
    ("2025-12", "2025-12", D(2025, 12, 1), D(2026, 1, 1)),
    ("2025-03", "2026-02", D(2025, 3, 1), D(2026, 3, 1)),
    ("1900-01", "1909-12", D(1900, 1, 1), D(1910, 1, 1)),   # exactly 120 months
])
def test_given_months_are_both_included(start, end, first, after):
    period = periods.parse(start, end, today=D(2026, 6, 15))
    assert (period.start, period.end) == (first, after)


def test_only_to_given_counts_twelve_months_back_from_it():
    period = periods.parse(None, "2026-03", today=D(2030, 1, 1))
    assert (period.start, period.end) == (D(2025, 4, 1), D(2026, 4, 1))


def test_only_from_given_runs_to_this_month():
    period = periods.parse("2026-01", None, today=D(2026, 3, 9))
    assert (period.start, period.end) == (D(2026, 1, 1), D(2026, 4, 1))


@pytest.mark.parametrize("start, end, label", [
    ("2026-01", "2026-01", "2026-01..2026-01"),
    ("2025-12", "2026-02", "2025-12..2026-02"),
    ("2025-01", "2025-12", "2025-01..2025-12"),
])
def test_labels_name_the_first_and_last_month(start, end, label):
    assert periods.parse(start, end).label == label


@pytest.mark.parametrize("start, end, word", [
    ("2026-13", None, "from='2026-13' is not a month"),
    ("2026-00", None, "is not a month"),
    ("2026-1", None, "is not a month"),
    ("26-01", None, "is not a month"),
    ("1899-12", "1900-01", "is not a month"),
    (None, "2026-02-01", "to='2026-02-01' is not a month"),
    ("last year", None, "is not a month"),
    ("2026-05", "2026-01", "from=2026-05 is after to=2026-01"),
    ("1950-01", "2026-01", "spans 913 months (at most 120)"),
    ("2026/01", None, "is not a month"),
    ("²⁰²⁶-01", None, "is not a month"),
    ("\x00", None, "is not a month"),
    ("\ud800", None, "is not a month"),
    ("9" * 10_000, None, "is not a month"),
    (None, "10000-01", "is not a month"),
])
def test_bad_months_are_client_errors_naming_the_parameter(start, end, word):
    with pytest.raises(InvalidParameter) as failure:
        periods.parse(start, end, today=D(2026, 6, 15))
    assert word in failure.value.description and "Fix:" in failure.value.description


def test_a_month_after_today_is_allowed_it_is_just_empty():
    period = periods.parse("2027-01", "2027-03", today=D(2026, 6, 15))
    assert period.label == "2027-01..2027-03"


# Used to be a 500: to=9999-12 passed the month check, then January of year 10000 did not.
@pytest.mark.parametrize("start, end", [(None, "9999-12"), ("9999-12", "9999-12")])
def test_the_last_month_of_year_9999_is_a_client_error_or_a_period(start, end):
    try:
        periods.parse(start, end, today=D(2026, 6, 15))
    except InvalidParameter:
        pass


# The month pattern ended in $, which also matches before a final newline.
def test_a_month_with_a_final_newline_is_refused():
    with pytest.raises(InvalidParameter):
        periods.parse("2026-01\n", None, today=D(2026, 6, 15))
