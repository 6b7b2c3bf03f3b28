"""Settings, read once from the environment, typed and checked at start.

Every setting is an environment variable; docs/ARCHITECTURE.md lists them all
(a test keeps that list complete).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SetupError

# name -> (default, one-line meaning); the single source for docs and parsing.
SETTINGS_DOC = {
    "DATABASE_URL": (None, "PostGIS to use; unset: the project's own cluster in var/pg"),
    "MAPSERVER_HOME": (".", "project folder holding layers/, data/, tiles/ and var/"),
    "MAPSERVER_LAYERS_DIR": ("layers", "folder of layer manifests, relative to the home"),
    "MAPSERVER_STATEMENT_TIMEOUT_MS": ("10000", "longest a web request's query may run"),
    "MAPSERVER_POOL_SIZE": ("8", "database connections per web worker"),
    "MAPSERVER_KEEP_VERSIONS": ("5", "loaded versions of a layer kept for rollback"),
    "MAPSERVER_BASEMAP_URL": (None, "external base map tiles ({z}/{x}/{y} URL); unset: none"),
    "MAPSERVER_BASEMAP_ATTRIBUTION": ("", "credit shown for the external base map"),
}


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
    statement_timeout_ms: int = 10000
    pool_size: int = 8
    keep_versions: int = 5
    basemap_url: str | None = None
    basemap_attribution: str = ""
    extra: dict = field(default_factory=dict)

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
            statement_timeout_ms=_int(environ, "MAPSERVER_STATEMENT_TIMEOUT_MS", 100),
            pool_size=_int(environ, "MAPSERVER_POOL_SIZE", 1),
            keep_versions=_int(environ, "MAPSERVER_KEEP_VERSIONS", 1),
            basemap_url=environ.get("MAPSERVER_BASEMAP_URL") or None,
            basemap_attribution=environ.get("MAPSERVER_BASEMAP_ATTRIBUTION", ""),
        )

    def resolved_database_url(self) -> str:
        """Return DATABASE_URL, or the URL of the project's own cluster."""
        if self.database_url:
            return self.database_url
        from .cluster import Cluster

        return Cluster(self.var_dir / "pg").url
