"""City map server: thematic layers in PostGIS, served to people, maps and open-data tools."""

from __future__ import annotations


def create_app(settings=None, **overrides):
    """Build the Flask application; nothing touches the database until a request needs it."""
    from flask import Flask

    from .db import Database
    from .settings import Settings
    from .web import errors, health

    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)
    app.config.update(JSON_SORT_KEYS=False, **overrides)
    app.extensions["mapserver.settings"] = settings
    app.extensions["mapserver.db"] = Database(
        settings.resolved_database_url(), pool_size=settings.pool_size,
        statement_timeout_ms=settings.statement_timeout_ms)
    errors.init_app(app)
    app.register_blueprint(health.blueprint)
    from .web import mapsite
    mapsite.init_app(app)
    return app
