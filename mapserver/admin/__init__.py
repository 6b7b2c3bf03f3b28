"""The planners' admin: upload, describe, publish and roll back layers; HTML and a JSON API."""


def init_app(app) -> None:
    """Register the admin pages and the JSON API (with its OpenAPI document)."""
    from mapserver.admin import api, openapi, pages, uploads  # noqa: F401 (openapi: a route)
    from mapserver.params import LAYER_ID_PATTERN

    app.jinja_env.globals["layer_id_pattern"] = LAYER_ID_PATTERN  # the forms' pattern=

    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
    uploads.sweep_stale(app.extensions["mapserver.settings"])
