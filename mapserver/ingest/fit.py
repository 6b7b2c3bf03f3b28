"""Check that a manifest fits its files before anything is loaded: `mapserver layers check`.

The source's schema (its columns) is read without reading features, through the
same locked-down GDAL that loads it, so a typo in a manifest's `source:` column
shows up at check time, not mid-load.
"""

from __future__ import annotations

import pyogrio

from mapserver.errors import InvalidData
from mapserver.ingest.attributes import normalised_columns
from mapserver.ingest.reader import CSV_OPTIONS, resolve


def source_columns(source) -> list[str]:
    """Return the column names of one manifest source, as GDAL reads them."""
    target, suffix, _ = resolve(source.path)
    options = CSV_OPTIONS if suffix == ".csv" else {}
    try:
        info = pyogrio.read_info(target, layer=source.layer, encoding=source.encoding,
                                 **options)
        return [str(column) for column in info["fields"]]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidData(source.path.name, f"cannot be opened ({exc})",
                          fix="check the file") from None


def misfits(manifest) -> list[str]:
    """Return every field of the manifest that no source column, join, link or constant feeds."""
    fed_elsewhere = {name for join in manifest.joins for name in join["fields"]}
    fed_elsewhere |= {link["into"] for link in manifest.links}
    problems = []
    for source in manifest.sources:
        columns = source_columns(source)
        normalised = set(normalised_columns(columns).values())
        for field in manifest.fields:
            if field.name in fed_elsewhere or field.name in source.set:
                continue
            wanted = source.rename.get(field.name) or field.source
            found = wanted in columns if wanted else field.name in normalised
            if not found and (wanted or not field.editable):
                problems.append(f"{manifest.id}: field '{field.name}' has no column "
                                f"'{wanted or field.name}' in {source.path.name} "
                                f"(columns: {', '.join(columns)})")
    return problems
