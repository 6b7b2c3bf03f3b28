"""Open a source file of any supported format and stream it in batches of features.

Reading streams Arrow record batches through pyogrio, so memory stays flat
whatever the file size.  Only the GDAL drivers that fit the file's type may
open it, so a renamed file (a VRT called .geojson, say) is refused instead of
followed.  Every problem becomes an ``InvalidData`` naming the file and the fix.
"""

from __future__ import annotations

import codecs
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyproj
import shapely

from mapserver.errors import InvalidData
from mapserver.ingest.formats import DRIVERS
from mapserver.ingest.gdal_lockdown import lock_down, refused_fetches

FORMATS = ", ".join(sorted(DRIVERS) + [".zip (of a shapefile or one of the above)"])

# Column names GDAL's CSV driver tries for geometry, in the order people use them.
CSV_OPTIONS = {
    "GEOM_POSSIBLE_NAMES": "wkt,geometry,geom,the_geom,WKT,Geometry",
    "X_POSSIBLE_NAMES": "lon,longitude,lng,x,Lon,Longitude,LON,LONGITUDE,X",
    "Y_POSSIBLE_NAMES": "lat,latitude,y,Lat,Latitude,LAT,LATITUDE,Y",
    "KEEP_GEOM_COLUMNS": "NO",
    "AUTODETECT_TYPE": "YES",
}

MAX_ZIP_ENTRIES = 1000
MAX_ZIP_RATIO = 200  # uncompressed/compressed: beyond this a zip is a bomb, not data
MAX_ZIP_BYTES = 4 * 1024**3


@dataclass
class Batch:
    """A slice of a source: attribute columns and their geometries, in file order."""

    attributes: pd.DataFrame
    geometries: np.ndarray  # of shapely geometries (None where the feature has none)


@dataclass
class OpenedSource:
    """What a source turned out to be once opened."""

    name: str
    driver: str
    layer: str | None
    crs: pyproj.CRS
    crs_origin: str  # "file" or "declared"
    encoding: str | None
    columns: list[str]
    batches: Iterator[Batch]


def _inspect_zip(path: Path) -> str:
    """Return the /vsizip/ path of the one dataset inside a zip, after checking the archive.

    Counts, declared sizes and the packing ratio are checked from the central
    directory before a byte is decompressed, so a bomb costs nothing; only then
    is every member's CRC checked (decompression stops at the declared size).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_zip_directory(path, entries)
            broken = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError, ValueError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression.
        raise InvalidData(path.name, f"is not a readable zip archive ({_short(exc)})",
                          fix="zip the files again, or upload them unzipped") from None
    if broken:
        raise InvalidData(path.name, f"the zip member {broken} is corrupt",
                          fix="zip the files again")
    datasets = [e.filename for e in entries if PurePosixPath(e.filename).suffix.lower()
                in DRIVERS and not e.filename.startswith("__MACOSX")]
    if len(datasets) != 1:
        found = ", ".join(datasets) or "no dataset"
        raise InvalidData(path.name, f"must hold exactly one dataset, found {found}",
                          fix="zip one shapefile (.shp, .shx, .dbf, .prj, .cpg) or one file")
    inner = datasets[0]
    if inner.lower().endswith(".shp"):
        names = {e.filename.lower() for e in entries}
        stem = inner[:-4].lower()
        if stem + ".dbf" not in names:
            raise InvalidData(f"{path.name}:{inner}", "the shapefile has no .dbf (attributes)",
                              fix="add the .dbf file of the same name to the zip")
    return f"/vsizip/{path}/{inner}"


def _check_zip_directory(path: Path, entries: list[zipfile.ZipInfo]) -> None:
    """Refuse an archive from its central directory alone: too many, too big, unsafe names."""
    if len(entries) > MAX_ZIP_ENTRIES:
        raise InvalidData(path.name, f"holds {len(entries)} files (at most {MAX_ZIP_ENTRIES})",
                          fix="zip only the dataset's own files")
    total = sum(e.file_size for e in entries)
    packed = max(sum(e.compress_size for e in entries), 1)
    if total > MAX_ZIP_BYTES or total / packed > MAX_ZIP_RATIO:
        raise InvalidData(path.name, "unpacks to far more than it holds (a zip bomb?)",
                          fix="upload the data itself")
    for entry in entries:
        member = PurePosixPath(entry.filename)
        if member.is_absolute() or ".." in member.parts:
            raise InvalidData(path.name, "has an unsafe member path "
                              f"{entry.filename[:80]!r}",
                              fix="zip the files with paths inside the archive")


def _short(exc: Exception) -> str:
    """Return an exception's message cut to one short line, with no local path in it."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.replace(str(Path.cwd()), "")[:120]


def _check_shapefile(path: Path) -> None:
    if not path.with_suffix(".dbf").exists() and not path.with_suffix(".DBF").exists():
        raise InvalidData(path.name, "the shapefile has no .dbf (attributes) beside it",
                          fix=f"put {path.stem}.dbf in the same folder")


def _crs(path_name: str, file_crs: str | None, declared: str | None) -> tuple[pyproj.CRS, str]:
    if declared:
        try:
            return pyproj.CRS.from_user_input(declared), "declared"
        except pyproj.exceptions.CRSError:
            raise InvalidData(path_name, f"the declared CRS {declared} is unknown",
                              fix="declare an EPSG code such as EPSG:2249") from None
    if file_crs:
        return pyproj.CRS.from_user_input(file_crs), "file"
    raise InvalidData(path_name, "the file does not say which coordinate reference system "
                      "its coordinates are in, and none was declared",
                      fix="declare it: --crs EPSG:NNNN on the command line, or `crs:` in the "
                      "manifest's source (e.g. EPSG:4326 for longitude/latitude)")


def _decode_error(path_name: str, encoding: str | None, exc: Exception) -> InvalidData:
    return InvalidData(path_name, f"text cannot be decoded as {encoding or 'UTF-8'} ({exc})",
                       fix="declare the file's real encoding, e.g. --encoding cp1252 "
                       "(or a .cpg file beside a shapefile)")


def _head(target: str, size: int = 4096) -> bytes:
    """Return the first bytes of a file, or of a member of a zip (``/vsizip/ZIP/MEMBER``)."""
    if target.startswith("/vsizip/"):
        for parent in PurePosixPath(target[len("/vsizip/"):]).parents:
            if str(parent).lower().endswith(".zip"):
                member = target[len("/vsizip/") + len(str(parent)) + 1:]
                with zipfile.ZipFile(str(parent)) as archive, archive.open(member) as handle:
                    return handle.read(size)
    with open(target, "rb") as handle:
        return handle.read(size)


def _sniff_driver(name: str, target: str, suffix: str) -> str:
    """Return the GDAL driver for a file after checking its content matches its ending.

    GDAL picks a driver by content, so a VRT (which can point at other files)
    renamed .geojson would otherwise be followed; the content must fit the ending.
    """
    head = _head(target)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix in (".geojson", ".json", ".topojson"):
        ok = text.startswith(b"{")
        driver = "TopoJSON" if b'"Topology"' in head else "GeoJSON"
    elif suffix == ".shp":
        ok, driver = head[:4] == b"\x00\x00\x27\x0a", "ESRI Shapefile"
    elif suffix == ".gpkg":
        ok, driver = head.startswith(b"SQLite format 3\x00"), "GPKG"
    elif suffix == ".kml":
        ok, driver = b"<kml" in head.lower(), "KML"
    else:
        ok, driver = bool(text) and not text.startswith(b"<") and b"\x00" not in head, "CSV"
    if not ok or driver not in DRIVERS[suffix]:
        raise InvalidData(name, f"its content is not {suffix[1:]}, as its name says",
                          fix="give the file its real ending, or export it again")
    return driver


def resolve(path: Path) -> tuple[str, str, str]:
    """Return (GDAL path, file type, driver) of a source after every check made before GDAL.

    Nothing may hand a file to GDAL without passing here first: it also locks
    GDAL down to the allowed drivers, with no network access.
    """
    lock_down()
    name = path.name
    if not path.is_file():
        raise InvalidData(name, "is not a file" if path.exists() else "does not exist",
                          fix="check the path")
    suffix = path.suffix.lower()
    target = str(path)
    if suffix == ".zip":
        target = _inspect_zip(path)
        suffix = PurePosixPath(target).suffix.lower()
    elif suffix == ".shp":
        _check_shapefile(path)
    if suffix not in DRIVERS:
        raise InvalidData(name, f"has an unsupported file type '{path.suffix}'",
                          fix=f"convert it to one of: {FORMATS}")
    return target, suffix, _sniff_driver(name, target, suffix)


def no_fetch_attempted(name: str, before: int) -> None:
    """Refuse a file that made GDAL try to fetch a URL (the fetch itself was refused)."""
    if refused_fetches() > before:
        raise InvalidData(name, "refers to a web address, which the server does not fetch",
                          fix="remove the reference (for example a GeoJSON \"crs\" of type "
                          "\"link\") and state the coordinate reference system instead")


@contextmanager
def open_source(path: Path, *, layer: str | None = None, crs: str | None = None,
                encoding: str | None = None, batch_size: int = 20_000):
    """Open one source file for streaming; yield an `OpenedSource`."""
    name = path.name
    target, suffix, driver = resolve(path)
    options = dict(CSV_OPTIONS) if suffix == ".csv" else {}
    with tempfile.TemporaryDirectory(prefix="mapserver-ingest-") as scratch:
        target, gdal_encoding, options = _apply_encoding(name, target, suffix, encoding,
                                                         options, Path(scratch))
        with _open_stream(name, target, suffix, driver, layer, crs, gdal_encoding, options,
                          batch_size) as opened:
            opened.encoding = encoding or opened.encoding
            yield opened


def _open_member(target: str):
    """Open a file, or a member of a zip (``/vsizip/ZIP/MEMBER``), for reading bytes."""
    if target.startswith("/vsizip/"):
        inner = target[len("/vsizip/"):]
        for parent in PurePosixPath(inner).parents:
            if str(parent).lower().endswith(".zip"):
                archive = zipfile.ZipFile(str(parent))
                return archive.open(inner[len(str(parent)) + 1:])
    return open(target, "rb")


def unique_columns(name: str, columns) -> list[str]:
    """Return the file's column names, refusing a file that names two columns alike."""
    names = [str(c) for c in columns]
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise InvalidData(name, f"has more than one column named {', '.join(map(repr, twice))}",
                          fix="rename the repeated columns in the file (e.g. in a spreadsheet "
                          "or GIS program) and upload it again")
    return names


def codec_name(name: str, encoding: str) -> str:
    """Return Python's name for a declared encoding, or say clearly that it is unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InvalidData(name, f"the declared encoding '{encoding}' is unknown",
                          fix="use a name such as utf-8, cp1252 or latin1") from None


def _apply_encoding(name, target, suffix, encoding, options, scratch: Path):
    """Return (target, encoding, options) such that GDAL reads the text as UTF-8.

    pyogrio's Arrow stream takes UTF-8 only, so a shapefile gets GDAL's ENCODING
    open option and a text format is re-encoded to a scratch copy; bytes that are
    not valid in the declared encoding stop the load with a clear message.
    """
    if not encoding:
        return target, None, options
    codec = codec_name(name, encoding)
    if codec == "utf-8" or suffix == ".gpkg":  # GeoPackage text is UTF-8 by definition
        return target, None, options
    if suffix == ".shp":
        return target, None, dict(options, ENCODING=encoding)
    copy = scratch / f"utf8{suffix}"
    try:
        with _open_member(target) as raw, open(copy, "w", encoding="utf-8") as out:
            reader = codecs.getreader(codec)(raw, errors="strict")
            for chunk in iter(lambda: reader.read(1 << 20), ""):
                out.write(chunk)
    except UnicodeDecodeError as exc:
        raise _decode_error(name, encoding, exc) from None
    return str(copy), None, options


@contextmanager
def _open_stream(name, target, suffix, driver, layer, crs, encoding, options, batch_size):
    fetches = refused_fetches()
    if suffix in (".gpkg", ".kml"):  # the formats that hold several layers
        layer = _choose_layer(name, target, layer)
    try:
        with pyogrio.raw.open_arrow(target, layer=layer, encoding=encoding,
                                    batch_size=batch_size, use_pyarrow=True,
                                    **options) as (meta, reader):
            no_fetch_attempted(name, fetches)
            if not meta.get("geometry_name") and meta.get("geometry_type") in (None, "None"):
                hint = ("a WKT column (wkt, geometry) or lon/lat columns" if suffix == ".csv"
                        else "geometries")
                raise InvalidData(name, "has no geometry column", fix=f"provide {hint}")
            source_crs, origin = _crs(name, meta.get("crs"), crs)
            yield OpenedSource(
                name=name, driver=driver, layer=layer, crs=source_crs, crs_origin=origin,
                encoding=encoding or meta.get("encoding"),
                columns=unique_columns(name, meta["fields"]),
                batches=_batches(reader, meta, name, encoding),
            )
    except (InvalidData, GeneratorExit):
        raise
    except UnicodeDecodeError as exc:
        raise _decode_error(name, encoding, exc) from None
    except pyogrio.errors.DataSourceError as exc:
        raise InvalidData(name, f"cannot be opened as {suffix[1:]} ({exc})",
                          fix="check that the file is complete and of the type its name says"
                          ) from None
    except pyogrio.errors.DataLayerError as exc:
        raise InvalidData(name, f"cannot be read ({exc})", fix="check the file") from None


def _choose_layer(name: str, target: str, layer: str | None) -> str:
    try:
        layer_names = [str(row[0]) for row in pyogrio.list_layers(target)]
    except pyogrio.errors.DataSourceError as exc:
        raise InvalidData(name, f"cannot be opened ({exc})",
                          fix="check that the file is complete") from None
    if layer is None and len(layer_names) == 1:
        return layer_names[0]
    if layer is None:
        raise InvalidData(name, f"holds several layers ({', '.join(layer_names)})",
                          fix="name one: --source-layer NAME, or `layer:` in the manifest")
    if layer not in layer_names:
        raise InvalidData(name, f"has no layer '{layer}' (it has {', '.join(layer_names)})",
                          fix="use one of those names")
    return layer


def _check_text(batch, name: str, encoding: str | None) -> None:
    """Raise when a text column holds bytes that are not valid in the declared encoding.

    GDAL passes undecodable bytes through unchanged; Arrow's UTF-8 check finds them.
    """
    for column, array in zip(batch.schema.names, batch.columns, strict=True):
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            try:
                array.validate(full=True)
            except pa.ArrowInvalid:
                raise InvalidData(
                    name, f"text in column '{column}' cannot be decoded as "
                    f"{encoding or 'UTF-8'}",
                    fix="declare the file's real encoding, e.g. --encoding cp1252 (or `encoding:`"
                    " in the manifest, or a .cpg file beside a shapefile)") from None


def _geometries(wkb: np.ndarray, name: str, first: int) -> np.ndarray:
    """Return shapely geometries, refusing the file where one cannot exist (a one-point line)."""
    geometries = shapely.from_wkb(wkb, on_invalid="ignore")
    unreadable = np.flatnonzero(pd.isna(geometries) & ~pd.isna(wkb))
    if len(unreadable):
        numbers = ", ".join(str(first + i + 1) for i in unreadable[:5])
        raise InvalidData(name, f"feature {numbers} has a geometry that cannot exist (a line "
                          "with one position, or a ring with fewer than four)",
                          fix="correct or delete those features in a GIS program")
    return geometries


def _batches(reader, meta, name, encoding) -> Iterator[Batch]:
    geometry_column = meta["geometry_name"] or "wkb_geometry"
    first = 0  # number of features before this batch, for messages
    try:
        for record_batch in reader:
            wkb = record_batch.column(geometry_column).to_numpy(zero_copy_only=False)
            attributes = record_batch.drop_columns([geometry_column])
            _check_text(attributes, name, encoding)
            attributes = attributes.to_pandas()
            yield Batch(attributes=attributes, geometries=_geometries(wkb, name, first))
            first += len(wkb)
    except UnicodeDecodeError as exc:
        raise _decode_error(name, encoding, exc) from None
    except (OSError, ValueError) as exc:  # pyarrow and GDAL errors mid-stream
        if "utf" in str(exc).lower():
            raise _decode_error(name, encoding, exc) from None
        raise InvalidData(name, f"reading stopped part-way ({exc})",
                          fix="check that the file is complete") from None
