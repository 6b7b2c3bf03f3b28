"""Settings, read once from the environment, typed and checked at start.

Every setting is an environment variable; docs/ARCHITECTURE.md lists them all
(a test keeps that list complete).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mapserver.errors import SetupError

# name -> (default, one-line meaning); the single source for docs and parsing.
SETTINGS_DOC = {
    "DATABASE_URL": (None, "PostGIS to use, as a superuser or the owner role (the migrations "
                     "run on it); unset: the project's own cluster in var/pg"),
    "DATABASE_APP_URL": (None, "the application role's login (admin and CLI writes); needed "
                         "with DATABASE_URL"),
    "DATABASE_PUBLIC_URL": (None, "the public read role's login (public endpoints); needed "
                            "with DATABASE_URL"),
    "MAPSERVER_HOME": (".", "project folder holding layers/, data/ and var/"),
    "MAPSERVER_LAYERS_DIR": ("layers", "folder of layer manifests, relative to the home"),
    "MAPSERVER_STATEMENT_TIMEOUT_MS": ("10000", "longest a web request's query may run"),
    "MAPSERVER_POOL_SIZE": ("8", "database connections per web worker"),
    "MAPSERVER_KEEP_VERSIONS": ("5", "loaded versions of a layer kept for rollback"),
    "MAPSERVER_MAX_UPLOAD_MB": ("200", "largest upload accepted; larger ones get 413 unread"),
    "MAPSERVER_SECURE_COOKIES": ("1", "0 to allow login cookies over plain HTTP (not localhost)"),
    "MAPSERVER_DEBUG": (None, "set to 1: the CLI shows the traceback of an unexpected failure"),
    "MAPSERVER_PUBLISHER": ("City GIS", "publisher named in the open-data catalogue (DCAT)"),
    "MAPSERVER_CONTACT_EMAIL": ("opendata@example.org",
                                "contact point e-mail of the open-data catalogue"),
    "MAPSERVER_TILE_CACHE_DIR": ("var/tiles", "disk cache of vector tiles, relative to the "
                                 "home; a front web server may serve it directly"),
    "MAPSERVER_BASEMAP_URL": (None, "external base map tiles ({z}/{x}/{y} URL); unset: none"),
    "MAPSERVER_BASEMAP_ATTRIBUTION": ("", "credit shown for the external base map"),
    "MAPSERVER_TRUSTED_PROXIES": ("0", "proxies in front (e.g. 1 for nginx doing TLS) whose "
                                  "X-Forwarded-For/-Proto/-Host/-Port are believed"),
    "MAPSERVER_OGC_CRS": ("EPSG:2249,EPSG:26986", "the city's CRSs that OGC API items can be "
                          "asked in, besides CRS84, EPSG:4326, EPSG:3857 and each layer's "
                          "source CRS (comma-separated; default: Massachusetts state plane in "
                          "US feet and in metres)"),
}


def _epsg_codes(environ, name: str) -> tuple[int, ...]:
    raw = environ.get(name, SETTINGS_DOC[name][0])
    codes = []
    for part in (p.strip() for p in raw.split(",")):
        number = part.upper().removeprefix("EPSG:")
        if not part:
            continue
        if not number.isascii() or not number.isdigit() or not 4 <= len(number) <= 6:
            raise SetupError(f"{name} holds {part!r}, not an EPSG code",
                             fix=f"set {name} to codes like {SETTINGS_DOC[name][0]} "
                                 "(or to an empty value for none)")
        codes.append(int(number))
    return tuple(dict.fromkeys(codes))


def _int(environ, name: str, minimum: int) -> int:
    raw = environ.get(name, SETTINGS_DOC[name][0])
    try:
        value = int(raw)
    except ValueError:
        raise SetupError(f"{name}={raw!r} is not a whole number", fix=f"set {name} to e.g. "
                         f"{SETTINGS_DOC[name][0]}") from None
    if value < minimum:
        raise SetupError(f"{name}={value} is below {minimum}", fix=f"set {name} >= {minimum}")
    return value


@dataclass(frozen=True)
class Settings:
    """The server's configuration."""

    home: Path
    layers_dir: Path
    database_url: str | None
    database_app_url: str | None = None
    database_public_url: str | None = None
    statement_timeout_ms: int = 10000
    pool_size: int = 8
    keep_versions: int = 5
    max_upload_mb: int = 200
    secure_cookies: bool = True
    publisher: str = "City GIS"
    contact_email: str = "opendata@example.org"
    tile_cache_dir: Path | None = None
    basemap_url: str | None = None
    basemap_attribution: str = ""
    trusted_proxies: int = 0
    ogc_crs: tuple[int, ...] = (2249, 26986)

    @property
    def var_dir(self) -> Path:
        return self.home / "var"

    @classmethod
    def from_env(cls, environ=None) -> Settings:
        """Read and check the settings from the environment."""
        environ = os.environ if environ is None else environ
        home = Path(environ.get("MAPSERVER_HOME", ".")).resolve()
        layers_dir = home / environ.get("MAPSERVER_LAYERS_DIR", "layers")
        return cls(
            home=home,
            layers_dir=layers_dir,
            database_url=environ.get("DATABASE_URL") or None,
            database_app_url=environ.get("DATABASE_APP_URL") or None,
            database_public_url=environ.get("DATABASE_PUBLIC_URL") or None,
            statement_timeout_ms=_int(environ, "MAPSERVER_STATEMENT_TIMEOUT_MS", 100),
            pool_size=_int(environ, "MAPSERVER_POOL_SIZE", 1),
            keep_versions=_int(environ, "MAPSERVER_KEEP_VERSIONS", 1),
            max_upload_mb=_int(environ, "MAPSERVER_MAX_UPLOAD_MB", 1),
            secure_cookies=environ.get("MAPSERVER_SECURE_COOKIES", "1") != "0",
            publisher=environ.get("MAPSERVER_PUBLISHER") or SETTINGS_DOC["MAPSERVER_PUBLISHER"][0],
            contact_email=(environ.get("MAPSERVER_CONTACT_EMAIL")
                           or SETTINGS_DOC["MAPSERVER_CONTACT_EMAIL"][0]),
            tile_cache_dir=home / environ.get("MAPSERVER_TILE_CACHE_DIR", "var/tiles"),
            basemap_url=environ.get("MAPSERVER_BASEMAP_URL") or None,
            basemap_attribution=environ.get("MAPSERVER_BASEMAP_ATTRIBUTION", ""),
            trusted_proxies=_int(environ, "MAPSERVER_TRUSTED_PROXIES", 0),
            ogc_crs=_epsg_codes(environ, "MAPSERVER_OGC_CRS"),
        )

    @property
    def tiles_cache(self) -> Path:
        """Return the folder of the tile cache (MAPSERVER_TILE_CACHE_DIR)."""
        return self.tile_cache_dir or self.var_dir / "tiles"

    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or the URL of the project's own cluster."""
        if self.database_url:
            return self.database_url
        from mapserver.devdb import Cluster

        return Cluster(self.var_dir / "pg").url
