"""HTTP adapters: each module gathers a request's parameters and calls the layers below.

Each route names its pool: `public_database()` (the public read role, which cannot
see a staff-only column) for everything anybody may ask, `database()` (the
application role) for the admin and for staff reading staff-only fields.
"""

from __future__ import annotations

from flask import current_app

from mapserver.db import Database
from mapserver.layers.registry_watch import RegistryWatch


def database() -> Database:
    """Return the application role's pool: the admin, and staff reading staff-only fields."""
    return current_app.extensions["mapserver.db"]


def public_database() -> Database:
    """Return the public read role's pool: every endpoint anybody may call."""
    return current_app.extensions["mapserver.db.public"]


def published() -> RegistryWatch:
    """Return this worker's copy of the registry (kept current by PostGIS notifications)."""
    return current_app.extensions["mapserver.registry"]
