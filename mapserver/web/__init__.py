"""HTTP adapters: each module gathers a request's parameters and calls the layers below."""

from __future__ import annotations

from flask import current_app

from mapserver.db import Database
from mapserver.layers.registry_watch import RegistryWatch


def database() -> Database:
    """Return the app's database pool."""
    return current_app.extensions["mapserver.db"]


def published() -> RegistryWatch:
    """Return this worker's copy of the registry (kept current by PostGIS notifications)."""
    return current_app.extensions["mapserver.registry"]
