"""Attribute handling: normalised column names, the manifest's fields, typed values.

Only the fields a manifest declares are kept; every other column of the file
is dropped before anything is stored, so an undeclared column (an owner's
name, say) can never leak.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from mapserver.errors import InvalidData

TRUE_WORDS = {"true", "t", "yes", "y", "1", "da", "igen"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "nu", "nem"}
RESERVED = {"fid", "geom", "geom_3857"}


def normalise_name(name: str) -> str:
    """Return a column name as a safe lower-case identifier: ``"Year Built"`` -> ``year_built``."""
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if not text or not text[0].isalpha():
        text = "f_" + text
    text = text[:63]
    return text + "_" if text in RESERVED else text


def normalised_columns(columns: list[str]) -> dict[str, str]:
    """Map each source column to a unique normalised name (later duplicates get _2, _3...)."""
    seen: dict[str, int] = {}
    mapping = {}
    for column in columns:
        base = normalise_name(column)
        count = seen.get(base, 0) + 1
        seen[base] = count
        mapping[column] = base if count == 1 else f"{base}_{count}"
    return mapping


def column_for(field, source, columns: list[str]) -> str | None:
    """Return the source column feeding a field, or None when the source lacks it."""
    wanted = source.rename.get(field.name) or field.source
    if wanted is not None:
        return wanted if wanted in columns else None
    normalised = normalised_columns(columns)
    return next((c for c, n in normalised.items() if n == field.name), None)


def _to_bool(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    word = str(value).strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else pd.NA


def convert(values: pd.Series, field_type: str) -> tuple[pd.Series, int]:
    """Return values converted to a field type, and how many could not be (now empty)."""
    present = values.notna() & (values.astype(str).str.strip() != "")
    if field_type == "text":
        text = values.astype(str).str.strip()
        return pd.Series(np.where(present, text, None), index=values.index, dtype=object), 0
    if field_type == "integer":
        numbers = pd.to_numeric(values.where(present), errors="coerce")
        whole = numbers.notna() & (numbers == np.floor(numbers))
        out = numbers.where(whole).astype("Int64")
    elif field_type == "float":
        out = pd.to_numeric(values.where(present), errors="coerce")
    elif field_type == "boolean":
        out = values.where(present).map(_to_bool)
    elif field_type == "date":
        out = pd.to_datetime(values.where(present), errors="coerce").dt.date
    else:  # datetime
        out = pd.to_datetime(values.where(present), errors="coerce", utc=True)
    failed = int((present & pd.isna(out)).sum())
    return out, failed


def select_fields(frame: pd.DataFrame, manifest, source, source_name: str, report,
                  provided_later: set[str]) -> pd.DataFrame:
    """Return a frame with exactly the manifest's fields (typed) for one batch of a source.

    `provided_later` names fields that a join or link fills in afterwards.
    """
    columns = list(frame.columns)
    out = {}
    for field in manifest.fields:
        if field.name in source.set:
            out[field.name] = pd.Series([source.set[field.name]] * len(frame), index=frame.index)
            continue
        if field.name in provided_later:
            out[field.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        column = column_for(field, source, columns)
        if column is None and field.editable:
            out[field.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        if column is None:
            if field.source or field.name in source.rename:
                wanted = source.rename.get(field.name) or field.source
                raise InvalidData(source_name, f"has no column '{wanted}' for field "
                                  f"'{field.name}'", fix="correct `source:` in the manifest "
                                  f"(columns are: {', '.join(columns)})")
            report.warn(f"{source_name}: no column for field '{field.name}'; left empty")
            out[field.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        values, failed = convert(frame[column], field.type)
        if failed:
            report.warn(f"{source_name}: {failed} value(s) of '{column}' are not "
                        f"{field.type}; left empty")
        out[field.name] = values
    return pd.DataFrame(out, index=frame.index)
