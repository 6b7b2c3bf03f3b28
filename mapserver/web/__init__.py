"""HTTP adapters: each module gathers a request's parameters and calls the layers below."""

from __future__ import annotations

from flask import current_app

from ..db import Database


def database() -> Database:
    """Return the app's database pool."""
    return current_app.extensions["mapserver.db"]
