"""Liveness and the list of layers: what a load balancer and a curious person ask first."""

from __future__ import annotations

from flask import Blueprint, jsonify

from mapserver.errors import MapServerError
from mapserver.layers import registry
from mapserver.web import public_database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """Report whether the database answers and which layer versions are served."""
    try:
        with public_database().connection() as conn:
            layers = registry.public_layers(conn)
    except MapServerError as exc:
        body = {"status": "unavailable", "database": "unreachable", "detail": exc.description}
        return jsonify(body), 503
    versions = {r.id: r.version for r in layers}
    return jsonify({
        "status": "ok" if layers else "degraded",
        "database": "ok",
        "layers_loaded": len(layers),
        "versions": versions,
    }), 200


@blueprint.get("/layers")
def list_layers():
    """List the published layers with their public description."""
    with public_database().connection() as conn:
        layers = registry.public_layers(conn)
    return jsonify({"layers": [r.summary() for r in layers]})
