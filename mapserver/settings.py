"""Settings, read once from the environment, typed and checked at start.

Every setting is an environment variable with one row in `SETTINGS_DOC`: its
default, its meaning and how its text is read.  `Settings.from_env` reads
nothing else, and docs/ARCHITECTURE.md lists them all (a test keeps that list
complete and its defaults equal to these).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mapserver.errors import SetupError


def _text(name: str, raw: str):
    return raw


def _text_or_none(name: str, raw: str | None):
    """Unset and empty both mean "none" (an empty URL is no URL)."""
    return raw or None


def _text_or_default(name: str, raw: str):
    """An empty value falls back to the default (a catalogue needs a publisher)."""
    return raw or SETTINGS_DOC[name].default


def _path(name: str, raw: str):
    return Path(raw)


def _flag(name: str, raw: str):
    return raw != "0"


def _whole(minimum: int) -> Callable[[str, str], int]:
    def read(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SetupError(f"{name}={raw!r} is not a whole number",
                             fix=f"set {name} to e.g. {SETTINGS_DOC[name].default}") from None
        if value < minimum:
            raise SetupError(f"{name}={value} is below {minimum}",
                             fix=f"set {name} >= {minimum}")
        return value

    return read


def _public_url(name: str, raw: str | None) -> str | None:
    """An origin and optional path prefix, e.g. https://maps.city.example (no query)."""
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or (
            parts.fragment):
        raise SetupError(f"{name}={raw!r} is not the public address of the site",
                         fix=f"set {name} to e.g. https://maps.city.example")
    return raw.rstrip("/")


def _city_bbox(name: str, raw: str | None) -> tuple[float, float, float, float] | None:
    """minlon,minlat,maxlon,maxlat in degrees, read by the one bbox parser."""
    if not raw:
        return None
    from mapserver.errors import InvalidParameter
    from mapserver.params import parse_bbox

    try:
        (box,) = parse_bbox(raw, crossing=False, required=True)
    except (InvalidParameter, ValueError) as exc:
        raise SetupError(f"{name}={raw!r} is not a lon/lat box ({exc})",
                         fix=f"set {name} to minlon,minlat,maxlon,maxlat, e.g. "
                         "-71.161,42.352,-71.064,42.404") from None
    return box


def _epsg_codes(name: str, raw: str) -> tuple[int, ...]:
    codes = []
    for part in (p.strip() for p in raw.split(",")):
        number = part.upper().removeprefix("EPSG:")
        if not part:
            continue
        if not number.isascii() or not number.isdigit() or not 4 <= len(number) <= 6:
            raise SetupError(f"{name} holds {part!r}, not an EPSG code",
                             fix=f"set {name} to codes like {SETTINGS_DOC[name].default} "
                                 "(or to an empty value for none)")
        codes.append(int(number))
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default text, its meaning, and how it is read."""

    default: str | None  # as it would be written in the environment; None: unset
    meaning: str
    field: str | None = None  # the Settings attribute; None: read elsewhere (the CLI)
    read: Callable[[str, str | None], object] = _text


# The single source of every setting: docs, defaults and parsing all come from here.
SETTINGS_DOC = {
    "DATABASE_URL": Setting(
        None, "PostGIS to use, as a superuser or the owner role (only the migrations use it); "
        "unset: the project's own cluster in var/pg", "database_url", _text_or_none),
    "DATABASE_APP_URL": Setting(
        None, "login of the application role <db>_app (the admin and the CLI); needed with "
        "DATABASE_URL; unset: the own cluster's", "database_app_url", _text_or_none),
    "DATABASE_PUBLIC_URL": Setting(
        None, "login of the public read role <db>_public (every public endpoint); needed with "
        "DATABASE_URL; unset: the own cluster's", "database_public_url", _text_or_none),
    "MAPSERVER_HOME": Setting(
        ".", "project folder holding layers/, data/ and var/", "home", _path),
    "MAPSERVER_LAYERS_DIR": Setting(
        "layers", "folder of layer manifests, relative to the home", "layers_dir", _path),
    "MAPSERVER_STATEMENT_TIMEOUT_MS": Setting(
        "10000", "longest a web request's query may run", "statement_timeout_ms", _whole(100)),
    "MAPSERVER_POOL_SIZE": Setting(
        "8", "database connections per web worker", "pool_size", _whole(1)),
    "MAPSERVER_THREADS": Setting(
        "4", "threads per web worker: requests running at once (`mapserver serve --threads` "
        "sets it; keep it at most MAPSERVER_POOL_SIZE)", "threads", _whole(1)),
    "MAPSERVER_COSTLY_QUERIES": Setting(
        "2", "anonymous feature queries, downloads and searches run at once per web worker; "
        "one more is answered 503 with Retry-After at once (keep it below "
        "MAPSERVER_THREADS)", "costly_queries", _whole(1)),
    "MAPSERVER_TILE_RENDERS": Setting(
        "2", "tiles rendered at once per web worker; one more waits up to 2 s, then 503 with "
        "Retry-After (cached tiles are not counted)", "tile_renders", _whole(1)),
    "MAPSERVER_READ_RATE_LIMIT": Setting(
        "1200", "anonymous public reads per client address and minute, counted in PostGIS "
        "across workers; past it 429 with Retry-After (tiles, static files, /healthz and "
        "the admin are not counted; 0: no limit)", "read_rate_limit", _whole(0)),
    "MAPSERVER_BODY_TIMEOUT_S": Setting(
        "10", "longest wait for the next part of a request body, which must also arrive at "
        "16 KB/s on average; slower bodies get 408 and hold no thread meanwhile",
        "body_timeout_s", _whole(1)),
    "MAPSERVER_KEEP_VERSIONS": Setting(
        "5", "loaded versions of a layer kept for rollback", "keep_versions", _whole(1)),
    "MAPSERVER_MAX_UPLOAD_MB": Setting(
        "200", "largest upload accepted; larger ones get 413 unread", "max_upload_mb",
        _whole(1)),
    "MAPSERVER_SECURE_COOKIES": Setting(
        "1", "0 to allow login cookies over plain HTTP (not localhost)", "secure_cookies",
        _flag),
    "MAPSERVER_DEBUG": Setting(
        None, "set to 1: the CLI shows the traceback of an unexpected failure"),
    "MAPSERVER_PUBLISHER": Setting(
        "City GIS", "publisher named in the open-data catalogue (DCAT)", "publisher",
        _text_or_default),
    "MAPSERVER_CONTACT_EMAIL": Setting(
        "opendata@example.org", "contact point e-mail of the open-data catalogue",
        "contact_email", _text_or_default),
    "MAPSERVER_TILE_CACHE_DIR": Setting(
        "var/tiles", "disk cache of vector tiles, relative to the home; a front web server "
        "may serve it directly", "tile_cache_dir", _path),
    "MAPSERVER_BASEMAP_URL": Setting(
        None, "external base map tiles ({z}/{x}/{y} URL); unset: none", "basemap_url",
        _text_or_none),
    "MAPSERVER_BASEMAP_ATTRIBUTION": Setting(
        "", "credit shown for the external base map", "basemap_attribution"),
    "MAPSERVER_TRUSTED_PROXIES": Setting(
        "0", "proxies in front (e.g. 1 for nginx doing TLS) whose "
        "X-Forwarded-For/-Proto/-Host/-Port are believed", "trusted_proxies", _whole(0)),
    "MAPSERVER_CITY_BBOX": Setting(
        None, "the city's extent as minlon,minlat,maxlon,maxlat; uploads far from it get a "
        "warning naming swapped axes or a better CRS; unset: the extent of the loaded "
        "city-boundary layer", "city_bbox", _city_bbox),
    "MAPSERVER_PUBLIC_URL": Setting(
        None, "the site's public address (e.g. https://maps.city.example): every absolute "
        "link and the Origin check of staff changes use it, never the request's Host header; "
        "unset (development only): links follow the Host header", "public_url", _public_url),
    "MAPSERVER_OGC_CRS": Setting(
        "EPSG:2249,EPSG:26986", "the city's CRSs that OGC API items can be asked in, besides "
        "CRS84, EPSG:4326, EPSG:3857 and each layer's source CRS (comma-separated; default: "
        "Massachusetts state plane in US feet and in metres)", "ogc_crs", _epsg_codes),
}


@dataclass(frozen=True)
class Settings:
    """The server's configuration (made by `from_env`; the defaults live in SETTINGS_DOC)."""

    home: Path
    layers_dir: Path
    database_url: str | None
    database_app_url: str | None
    database_public_url: str | None
    statement_timeout_ms: int
    pool_size: int
    threads: int
    costly_queries: int
    tile_renders: int
    read_rate_limit: int
    body_timeout_s: int
    keep_versions: int
    max_upload_mb: int
    secure_cookies: bool
    publisher: str
    contact_email: str
    tile_cache_dir: Path
    basemap_url: str | None
    basemap_attribution: str
    trusted_proxies: int
    public_url: str | None
    city_bbox: tuple[float, float, float, float] | None
    ogc_crs: tuple[int, ...]

    @property
    def var_dir(self) -> Path:
        return self.home / "var"

    @classmethod
    def from_env(cls, environ=None) -> Settings:
        """Read and check the settings from the environment."""
        environ = os.environ if environ is None else environ
        values = {}
        for name, setting in SETTINGS_DOC.items():
            if setting.field is not None:
                values[setting.field] = setting.read(name, environ.get(name, setting.default))
        home = values["home"].resolve()
        # The folders are relative to the home (an absolute value stays as it is).
        values.update(home=home, layers_dir=home / values["layers_dir"],
                      tile_cache_dir=home / values["tile_cache_dir"])
        return cls(**values)

    @property
    def tiles_cache(self) -> Path:
        """Return the folder of the tile cache (MAPSERVER_TILE_CACHE_DIR)."""
        return self.tile_cache_dir

    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or the URL of the project's own cluster."""
        if self.database_url:
            return self.database_url
        from mapserver.devdb import Cluster

        return Cluster(self.var_dir / "pg").url
