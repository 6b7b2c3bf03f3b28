"""OGC API - Features (Part 1, Part 2 CRSs, Part 3 filtering), downloads and the DCAT catalogue.

`blueprint` serves /ogc; `catalog.blueprint` serves /catalog.  Views gather
parameters (mapserver.params), read through query.py, and answer via respond.py.
"""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("ogc", __name__, url_prefix="/ogc", template_folder="templates")


def init_app(app) -> None:
    """Register /ogc (its view modules attach their routes on import) and /catalog."""
    from mapserver.ogc import catalog, collections, downloads, items, landing  # noqa: F401

    app.register_blueprint(blueprint)
    app.register_blueprint(catalog.blueprint)
