"""Pure parsing of request parameters: each function takes text, returns values or raises.

One rule per kind of value, used by every route (OGC API, the map, the admin,
tiles): whole numbers, bounding boxes, formats.  Nothing here touches Flask or
the database, so every rule is testable on its own.  Messages never name a
staff-only field: they only list the public fields they were given.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from mapserver.errors import InvalidParameter

LIMIT_DEFAULT = 100
LIMIT_MAXIMUM = 10_000
OFFSET_MAXIMUM = 10_000_000

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint: no parsed number overflows a column or a fid
INT_MAX_CHARS = 32  # longer text is refused before int() reads it
_INTEGER = re.compile(r"-?[0-9]+")  # ASCII only: str.isdigit() and int() accept '٣', '²'

# A layer id names URLs, tables (layers."<id>__v<N>") and files. This is the one copy Python
# reads (routes, the admin's OpenAPI, the HTML forms' pattern=); the manifest's JSON schema and
# migration 001's CHECK cannot import it, and a test holds them to the same text.
LAYER_ID_PATTERN = "[a-z][a-z0-9-]{1,47}"  # whole-value match, as an HTML pattern= attribute
LAYER_ID_REGEX = f"^{LAYER_ID_PATTERN}$"  # anchored, as JSON Schema, OpenAPI and SQL want it
LAYER_ID_MAX = 48  # characters; what a message shows of an id that is not one
_LAYER_ID = re.compile(LAYER_ID_PATTERN)

ITEMS_PARAMS = {"f", "bbox", "bbox-crs", "crs", "limit", "offset", "properties", "sortby",
                "filter", "filter-lang", "filter-crs", "datetime", "v"}
ITEM_PARAMS = {"f", "properties", "crs"}


def is_layer_id(text) -> bool:
    """Tell whether `text` has the shape of a layer id (no database is asked)."""
    return isinstance(text, str) and _LAYER_ID.fullmatch(text) is not None


def parse_layer_id(text, *, fix: str = "use 2 to 48 lower-case letters, digits and hyphens, "
                   "starting with a letter (e.g. road-closures)") -> str:
    """Return `text` if it is a layer id, else raise InvalidParameter showing a short part."""
    if not is_layer_id(text):
        raise InvalidParameter(f"{str(text)[:LAYER_ID_MAX]!r} is not a layer id", fix=fix)
    return text


EVERYWHERE = frozenset({"lang"})  # the reader's language, read by the app for every page


def check_known(names, allowed, field_names=()) -> None:
    """Reject any query parameter that is neither a known parameter nor a public field."""
    known = set(allowed) | EVERYWHERE
    for name in names:
        if name not in known and name not in field_names:
            raise InvalidParameter(
                f"unknown query parameter {name[:64]!r}",
                fix="use only " + ", ".join(sorted(known | set(field_names))))


def parse_format(raw: str | None, allowed=("json", "html")) -> str | None:
    """Return the `f` value when given, checked against the formats this resource has."""
    if raw is None:
        return None
    value = raw.strip().lower()
    if value not in allowed:
        raise InvalidParameter(f"f={raw[:32]!r} is not a format of this resource",
                               fix="use f=" + " or f=".join(allowed))
    return value


def parse_int(raw, name: str, *, minimum: int | None = 0, maximum: int = BIGINT_MAX,
              clamp: bool = False, fix: str | None = None) -> int:
    """Return a whole number from a query, path or form value, or raise InvalidParameter.

    The one rule for integers a request carries: ASCII digits 0-9 with an optional
    leading minus, at most INT_MAX_CHARS characters, within minimum..maximum (above
    it: clamped when `clamp`, else refused).  `str.isdigit()` is True for '²', on
    which `int()` raises (a 500), and `int()` reads '٣' as 3: neither is accepted.
    A JSON body's number arrives as an int and is accepted as it is (not a bool).
    """
    low = -BIGINT_MAX - 1 if minimum is None else minimum
    fix = fix or f"write {name} with the digits 0-9, from {low} to {maximum}"
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif not isinstance(raw, str):
        raise InvalidParameter(f"{name} is not a whole number", fix=fix)
    elif len(raw) > INT_MAX_CHARS:
        raise InvalidParameter(f"{name} is too long for a whole number ({len(raw)} characters)",
                               fix=fix)
    elif not _INTEGER.fullmatch(raw):
        raise InvalidParameter(f"{name} {raw!r} is not a whole number in the digits 0-9",
                               fix=fix)
    else:
        value = int(raw)
    if value < low:
        problem = {0: "is negative", 1: "is not a positive whole number"}.get(
            low, f"is below {low}")
        raise InvalidParameter(f"{name} {value} {problem}", fix=fix)
    if value > maximum:
        if clamp:
            return maximum
        raise InvalidParameter(f"{name} {value} is above {maximum}", fix=fix)
    return value


def parse_limit(raw: str | None, *, default=LIMIT_DEFAULT, maximum=LIMIT_MAXIMUM) -> int:
    """Return the page size; above the maximum it is clamped (clients ask for their own max)."""
    if raw is None or raw == "":
        return default
    return parse_int(raw, "limit", minimum=1, maximum=maximum, clamp=True,
                     fix=f"use limit between 1 and {maximum}")


def parse_offset(raw: str | None) -> int:
    """Return how many matching features to skip (the paging links set it)."""
    if raw is None or raw == "":
        return 0
    return parse_int(raw, "offset", maximum=OFFSET_MAXIMUM,
                     fix=f"use an offset between 0 and {OFFSET_MAXIMUM}, or follow the "
                         "'next' link")


BBOX_FIX = ("write bbox=minx,miny,maxx,maxy in degrees (or in bbox-crs), "
            "e.g. bbox=-71.12,42.36,-71.10,42.38")


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidParameter(f"bbox value {text[:32]!r} is not a number",
                               fix=BBOX_FIX) from None
    if not math.isfinite(value):
        raise InvalidParameter(f"bbox value {text[:32]!r} is not a finite number (NaN or "
                               "infinity)", fix="write bbox=minx,miny,maxx,maxy with finite "
                                                "numbers")
    return value


def _bbox_numbers(raw: str) -> tuple[float, float, float, float]:
    """Return the four horizontal numbers of a bbox (of six, the heights are dropped)."""
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) not in (4, 6):
        raise InvalidParameter(f"bbox has {len(parts)} numbers instead of 4 (or 6 with "
                               "heights)", fix=BBOX_FIX)
    values = [_number(p) for p in parts]
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    return tuple(values)


def parse_bbox(raw: str | None, *, crossing: bool = True,
               required: bool = False) -> list[tuple[float, float, float, float]]:
    """Return the box as one or two envelopes (two when it crosses the antimeridian).

    Four numbers (minx, miny, maxx, maxy) or six (with heights, ignored), in
    EPSG:4326 longitude/latitude.  minx > maxx means the box crosses 180°, as
    the OGC test suite sends (`177,65,-177,70`); where `crossing` is False (the
    map's features, which read one envelope) it is refused instead.  An absent
    bbox gives no envelope, or a 400 when `required`.
    """
    if raw is None or (required and raw == ""):
        if required:
            raise InvalidParameter("bbox is missing", fix=BBOX_FIX)
        return []
    return _degree_envelopes(_bbox_numbers(raw), crossing=crossing)


def _degree_envelopes(values, *, crossing: bool = True) -> list[tuple[float, float, float, float]]:
    minx, miny, maxx, maxy = values
    for x in (minx, maxx):
        if not -180 <= x <= 180:
            raise InvalidParameter(f"bbox longitude {x} is outside -180..180",
                                   fix="give longitudes in degrees between -180 and 180")
    for y in (miny, maxy):
        if not -90 <= y <= 90:
            raise InvalidParameter(f"bbox latitude {y} is outside -90..90",
                                   fix="give latitudes in degrees between -90 and 90")
    if miny > maxy:
        raise InvalidParameter(f"bbox miny {miny} is above its maximum maxy {maxy}",
                               fix="write bbox=minx,miny,maxx,maxy")
    if minx > maxx:
        if not crossing:
            raise InvalidParameter(
                f"bbox minx {minx} is above its maximum maxx {maxx}: this address takes no "
                "box crossing the antimeridian (180°)",
                fix="write bbox=minx,miny,maxx,maxy with minx <= maxx, or ask for each "
                    "side of 180° separately")
        return [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
    return [(minx, miny, maxx, maxy)]


def parse_bbox_in(raw: str | None, crs) -> list[tuple[float, float, float, float]]:
    """Return the envelopes of a bbox written in `crs` (bbox-crs), as x/y in its SRID.

    The numbers come in the CRS's axis order, so with EPSG:4326 they are
    minlat,minlon,maxlat,maxlon; they are put back into x/y order here.  A box
    in longitude/latitude (CRS84 or EPSG:4326) may cross the antimeridian; one
    in any other CRS must have its minima below its maxima.
    """
    if raw is None:
        return []
    values = _bbox_numbers(raw)
    if crs.northing_first:
        values = (values[1], values[0], values[3], values[2])
    if crs.srid == 4326:
        return _degree_envelopes(values)
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy:
        raise InvalidParameter(f"bbox minima are above maxima in {crs.uri}",
                               fix="write the lower corner first, in the axis order of "
                                   "bbox-crs")
    return [values]


def parse_properties(raw: str | None, public: list[str]) -> list[str]:
    """Return the public fields asked for with `properties=`, in the layer's order."""
    if raw is None:
        return list(public)
    wanted = [p.strip() for p in raw.split(",") if p.strip()]
    for name in wanted:
        if name not in public:
            raise InvalidParameter(f"properties names an unknown property {name[:64]!r}",
                                   fix="choose from " + ", ".join(public))
    return [name for name in public if name in wanted]


def parse_sortby(raw: str | None, public: list[str]) -> list[tuple[str, bool]]:
    """Return [(field, descending)] from `sortby=+a,-b` (ascending when unsigned)."""
    if raw is None or raw.strip() == "":
        return []
    keys = []
    for part in raw.split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part[1:] if part[:1] in "+-" and part else part
        name = name.strip()
        if name not in public:
            raise InvalidParameter(f"sortby names an unknown property {name[:64]!r}",
                                   fix="sort by one of " + ", ".join(public))
        keys.append((name, descending))
    return keys


def parse_datetime(raw: str | None) -> str | None:
    """Check `datetime` (an instant or an interval); the layers carry no time: no filtering."""
    if raw is None:
        return None
    for piece in raw.split("/"):
        if piece in ("", ".."):
            continue
        try:
            datetime.fromisoformat(piece.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidParameter(f"datetime={raw[:64]!r} is not RFC 3339",
                                   fix="write e.g. 2014-01-01T00:00:00Z or an interval a/b") \
                from None
    return raw


def parse_value(raw: str, field_type: str, name: str):
    """Return a property filter's text as a value of the field's type."""
    if field_type == "integer":
        return parse_int(raw, name, minimum=None, fix=f"give {name} a whole number")
    try:
        if field_type == "float":
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
        if field_type == "boolean":
            lowered = raw.lower()
            if lowered not in ("true", "false"):
                raise ValueError
            return lowered == "true"
        if field_type == "date":
            return date.fromisoformat(raw)
        if field_type == "datetime":
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"{name}={raw[:64]!r} is not a valid {field_type}",
                               fix=f"give {name} a {field_type} value") from None
    return raw
