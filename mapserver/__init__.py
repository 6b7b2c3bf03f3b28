"""City map server: thematic layers in PostGIS, served to people, maps and open-data tools."""

from __future__ import annotations


def create_app(settings=None, **overrides):
    """Build the Flask application; nothing touches the database until a request needs it."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from mapserver import admin, db_roles, kpi, ogc, site, tileserver
    from mapserver.db import Database
    from mapserver.layers.registry_watch import RegistryWatch
    from mapserver.settings import Settings
    from mapserver.tileserver.fastpath import TileFastPath
    from mapserver.web import converters, errors, health, inputs, links, ratelimit, security
    from mapserver.web.lanes import Lanes

    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024)
    app.json = inputs.BoundedJSONProvider(app)
    app.config.update(overrides)
    app.extensions["mapserver.settings"] = settings
    converters.init_app(app)  # before any route is added
    # Two pools, two roles (mapserver/db_roles.py): the admin and staff on the application
    # role, every public endpoint on the public read role.
    urls = db_roles.urls(settings)
    app.extensions["mapserver.db"] = Database(
        urls.app, pool_size=settings.pool_size,
        statement_timeout_ms=settings.statement_timeout_ms)
    app.extensions["mapserver.db.public"] = Database(
        urls.public, pool_size=settings.pool_size,
        statement_timeout_ms=settings.statement_timeout_ms, application_name="mapserver-public")
    # The listener only reads the registry: the public role is enough.
    app.extensions["mapserver.registry"] = RegistryWatch(urls.public)
    app.extensions["mapserver.lanes"] = Lanes(settings.costly_queries, settings.tile_renders)
    errors.init_app(app)
    security.init_app(app)
    inputs.init_app(app)
    links.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(health.blueprint)
    for part in (admin, ogc, tileserver, site, kpi):  # each registers its own routes
        part.init_app(app)
    if settings.trusted_proxies:
        # Behind TLS in a front server: links say https and the public host, and rate
        # limits see the client's address, not the proxy's.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)
    app.wsgi_app = TileFastPath(app, app.wsgi_app)
    return app
