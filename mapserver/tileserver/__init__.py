"""Vector tiles over HTTP: the /tiles and OGC API - Tiles routes and the WSGI fast path."""


def init_app(app) -> None:
    """Register the tile routes (the fast path wraps the WSGI app in create_app)."""
    from mapserver.tileserver import routes

    app.register_blueprint(routes.blueprint)
