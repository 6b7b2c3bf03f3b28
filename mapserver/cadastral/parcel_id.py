"""Parcel identifiers (map-lot, e.g. ``127-123``): one canonical spelling for joins and search.

Cambridge writes a parcel id as MAP-LOT: a map (block) number with an optional
letter or decimal part (``1A``, ``269.5``) and a lot number with optional
suffix (``RR3``).  Assessment rows, parcel polygons and residents typing into a
search box spell them with different spacing and case; they must still meet.
"""

from __future__ import annotations

import re

import pandas as pd

_CANONICAL = re.compile(r"^\d+(?:\.\d+)?[A-Z]?-(?:\d+[A-Z0-9]*|[A-Z]+\d*)$")
_SPACES = re.compile(r"\s+")

RIGHT_OF_WAY = "ROAD"


def normalise(value: object) -> str | None:
    """Return the canonical spelling of a parcel id, or None when there is no id.

    >>> normalise(" 127 - 123 ")
    '127-123'
    >>> normalise("1a-68")
    '1A-68'
    >>> normalise("") is None
    True
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = _SPACES.sub("", str(value)).upper()
    text = re.sub(r"-+", "-", text).strip("-")
    return text or None


def normalise_all(values: pd.Series) -> pd.Series:
    """Return `normalise` applied to a whole column at once (missing stays missing)."""
    text = values.astype("string").str.replace(r"\s+", "", regex=True).str.upper()
    text = text.str.replace(r"-+", "-", regex=True).str.strip("-")
    return text.where(text.str.len() > 0).astype(object).where(lambda s: s.notna(), None)


def is_parcel_id(value: object) -> bool:
    """Tell whether a value looks like a map-lot id (what search tries first)."""
    text = normalise(value)
    return bool(text and _CANONICAL.match(text))


def is_right_of_way(value: object) -> bool:
    """Tell whether a parcel row is a street right-of-way rather than a lot."""
    return normalise(value) == RIGHT_OF_WAY
