"""The residents' site: the map page, features and search, building pages, feedback."""


def init_app(app) -> None:
    """Register the residents' pages and their JSON reads, with languages."""
    from mapserver.site import map_page

    map_page.init_app(app)
