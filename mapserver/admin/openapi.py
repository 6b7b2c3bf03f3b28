"""The OpenAPI 3.0 description of the admin's JSON API, for cities' publishing scripts."""

from __future__ import annotations

from flask import jsonify

from mapserver.admin.api import blueprint
from mapserver.admin.guard import requires
from mapserver.params import LAYER_ID_REGEX

ERROR = {"$ref": "#/components/schemas/Error"}
LAYER_ID = {"name": "layer_id", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": LAYER_ID_REGEX}}
REQUEST_ID = {"name": "request_id", "in": "path", "required": True,
              "schema": {"type": "integer"}}
FID = {"name": "fid", "in": "path", "required": True, "schema": {"type": "integer"}}
JSON_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}


def _operation(summary: str, *, params=(), body=None, ok="200", role="planner") -> dict:
    responses = {ok: {"description": "done", **JSON_OBJECT}}
    for status, meaning in (("400", "bad input"), ("401", "not logged in"),
                            ("403", f"needs the {role} role"), ("404", "no such layer"),
                            ("409", "changed by someone else"), ("413", "upload too large"),
                            ("422", "the file cannot be loaded")):
        responses[status] = {"description": meaning,
                             "content": {"application/json": {"schema": ERROR}}}
    operation = {"summary": summary, "parameters": list(params), "responses": responses,
                 "security": [{"token": []}]}
    if body:
        operation["requestBody"] = {"required": True, "content": body}
    return operation


def document() -> dict:
    """Return the OpenAPI document."""
    upload_body = {"multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                   "properties": {"file": {"type": "string", "format": "binary"},
                                  "crs": {"type": "string", "example": "EPSG:2249"},
                                  "encoding": {"type": "string"},
                                  "source_layer": {"type": "string"},
                                  "geometry": {"enum": ["point", "line", "polygon"]},
                                  "expected_version": {"type": "integer"}}}}}
    paths = {
        "/admin/api/layers": {"get": _operation("List every layer, drafts included")},
        "/admin/api/layers/{layer_id}/versions": {
            "get": _operation("List a layer's versions", params=[LAYER_ID])},
        "/admin/api/layers/{layer_id}/preview.geojson": {
            "get": _operation("A layer's served version as GeoJSON (drafts too) for previews",
                              params=[LAYER_ID])},
        "/admin/api/layers/{layer_id}/upload": {
            "post": _operation("Load a file as a new version (or a new draft layer)",
                               params=[LAYER_ID], body=upload_body, ok="201")},
        "/admin/api/layers/{layer_id}/publish": {
            "post": _operation("Publish a layer", params=[LAYER_ID])},
        "/admin/api/layers/{layer_id}/unpublish": {
            "post": _operation("Hide a layer everywhere", params=[LAYER_ID])},
        "/admin/api/layers/{layer_id}/rollback": {
            "post": _operation("Serve a kept version again", params=[LAYER_ID],
                               body=JSON_OBJECT["content"])},
        "/admin/api/layers/{layer_id}/metadata": {
            "patch": _operation("Describe a layer (a new version)", params=[LAYER_ID],
                                body=JSON_OBJECT["content"])},
        "/admin/api/layers/{layer_id}/features/{fid}": {
            "patch": _operation("Edit one feature's attributes (a new version)",
                                params=[LAYER_ID, FID], body=JSON_OBJECT["content"])},
        "/admin/api/tokens": {"post": _operation("Issue an API token", ok="201",
                                                 body=JSON_OBJECT["content"])},
        "/admin/api/users": {"post": _operation("Create a user", ok="201", role="admin",
                                                body=JSON_OBJECT["content"])},
        "/admin/api/audit": {"get": _operation("Read the audit log", role="admin")},
        "/admin/api/requests": {"get": _operation("List residents' dataset requests")},
        "/admin/api/requests/{request_id}": {
            "post": _operation("Move a request (accepted, published, declined) with an answer",
                               params=[REQUEST_ID], body=JSON_OBJECT["content"])},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "City map server: planners' API", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "An API token from POST /admin/api/tokens "
                                          "or the admin page"}},
            "schemas": {"Error": {"type": "object", "required": ["code", "description"],
                                  "properties": {"code": {"type": "string"},
                                                 "description": {"type": "string"}}}},
        },
    }


@blueprint.get("/openapi.json")
@requires("staff")
def openapi():
    """Describe this API to signed-in users (it maps the admin surface for an attacker)."""
    return jsonify(document())
