"""The city's measures of its map and open data, computed from the live system."""


def init_app(app) -> None:
    """Register /kpi and count map use after each request."""
    from mapserver.kpi import pages

    app.register_blueprint(pages.blueprint)
    app.after_request(pages.count_map_use)
