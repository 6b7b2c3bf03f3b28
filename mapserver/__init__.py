"""City map server: thematic layers in PostGIS, served to people, maps and open-data tools."""

from __future__ import annotations


def create_app(settings=None, **overrides):
    """Build the Flask application; nothing touches the database until a request needs it."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import ogc
    from .admin import api as admin_api
    from .admin import openapi as admin_openapi  # noqa: F401  (adds its route to admin_api)
    from .admin import pages as admin_pages
    from .db import Database
    from .ogc import catalog
    from .registry_watch import RegistryWatch
    from .settings import Settings
    from .web import errors, health, kpi, mapsite, tiles
    from .web.tile_fastpath import TileFastPath

    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024)
    app.json.sort_keys = False  # keep the order a document is built in (OGC, TileJSON)
    app.config.update(overrides)
    app.extensions["mapserver.settings"] = settings
    app.extensions["mapserver.db"] = Database(
        settings.resolved_database_url(), pool_size=settings.pool_size,
        statement_timeout_ms=settings.statement_timeout_ms)
    app.extensions["mapserver.registry"] = RegistryWatch(settings.resolved_database_url())
    errors.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(admin_pages.blueprint)
    app.register_blueprint(admin_api.blueprint)
    app.register_blueprint(ogc.blueprint)
    app.register_blueprint(catalog.blueprint)
    app.register_blueprint(tiles.blueprint)
    mapsite.init_app(app)
    app.register_blueprint(kpi.blueprint)
    app.after_request(kpi.count_map_use)
    if settings.trusted_proxies:
        # Behind TLS in a front server: links say https and the public host, and rate
        # limits see the client's address, not the proxy's.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)
    app.wsgi_app = TileFastPath(app, app.wsgi_app)
    return app
