"""The assessment join: one row per parcel, however many assessment rows it has.

A condominium building is one parcel polygon but one assessment row per unit
(27,528 rows for 13,116 Cambridge parcels).  A plain join would multiply the
parcel; instead the table is first reduced to one row per parcel id with a
declared aggregate per field.
"""

from __future__ import annotations

import pandas as pd

from mapserver.cadastral import parcel_id

AGGREGATES = ("first", "min", "max", "sum", "count", "mode")


def _mode(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Return the most frequent value per key (first seen wins a tie), vectorised."""
    pairs = pd.DataFrame({"key": keys, "value": values}).dropna()
    counts = pairs.groupby(["key", "value"], sort=False).size().reset_index(name="n")
    top = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates("key")
    return top.set_index("key")["value"]


def reduce_per_key(table: pd.DataFrame, key_column: str, fields: dict, *,
                   key: str = "exact") -> pd.DataFrame:
    """Return one row per key holding each field's aggregate.

    Parameters
    ----------
    table : the joined table, every column read as text.
    key_column : column of `table` holding the join key.
    fields : result name -> {"column": source column, "aggregate": one of AGGREGATES,
        "missing": values meaning unknown (e.g. "0" for a year), left out}.
    key : "parcel-id" to compare ids in their canonical spelling, "exact" otherwise.
    """
    keys = table[key_column]
    keys = parcel_id.normalise_all(keys) if key == "parcel-id" else keys.str.strip()
    frame = table.assign(_key=keys).dropna(subset=["_key"])
    grouped = frame.groupby("_key", sort=False)
    columns = {}
    for name, spec in fields.items():
        how = spec["aggregate"]
        if how == "count":
            columns[name] = grouped.size()
            continue
        values = frame[spec.get("column", name)]
        values = values.where(~values.isin(spec.get("missing", [])))
        if how in ("min", "max", "sum"):
            values = pd.to_numeric(values, errors="coerce")
        if how == "mode":
            columns[name] = _mode(frame["_key"], values)
            continue
        series = values.groupby(frame["_key"], sort=False)
        if how == "first":
            columns[name] = series.first()
        else:
            columns[name] = getattr(series, how)()
    return pd.DataFrame(columns)
