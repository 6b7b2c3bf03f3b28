"""The admin's JSON API, for the pages' scripts and for a city's nightly publishing scripts."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from psycopg2 import sql

from mapserver import audit, params
from mapserver.admin import guard, publishing
from mapserver.admin.uploads import ingest_upload
from mapserver.auth import sessions, users
from mapserver.errors import InvalidParameter, NotFound
from mapserver.layers import edits, registry
from mapserver.site import dataset_requests
from mapserver.web import database

blueprint = Blueprint("admin_api", __name__, url_prefix="/admin/api")
blueprint.before_request(guard.load_user)
blueprint.after_request(guard.private_headers)
blueprint.after_request(guard.reload_registry_after_changes)


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("the request body is not a JSON object",
                               fix="send Content-Type: application/json with an object")
    return body


def _int(value, name: str) -> int | None:
    """Return a whole number from a form field or a JSON member; absent or empty is None."""
    if value is None or value == "":
        return None
    return params.parse_int(value, name, fix=f"send {name}=3")


def _layer_summary(record: registry.LayerRecord) -> dict:
    return {"id": record.id, "version": record.version, "published": record.published,
            "feature_count": record.feature_count, "title": record.manifest["title"],
            "category": record.manifest["category"],
            "loaded_at": record.loaded_at.isoformat() if record.loaded_at else None}


@blueprint.get("/layers")
@guard.requires("planner")
def list_layers():
    """List every layer, drafts and unpublished ones included."""
    with database().connection() as conn:
        return jsonify({"layers": [_layer_summary(r) for r in registry.list_all(conn)]})


@blueprint.get("/layers/<layer_id>/versions")
@guard.requires("planner")
def list_versions(layer_id):
    """List a layer's versions, newest first."""
    with database().connection() as conn:
        history = registry.history(conn, layer_id)
    if not history:
        raise NotFound(f"no layer '{layer_id}'", fix="list the layers at /admin/api/layers")
    return jsonify({"versions": history})


@blueprint.post("/layers/<layer_id>/upload")
@guard.requires("planner")
def upload(layer_id):
    """Load an uploaded file as a new version of a layer (a new draft layer if unknown)."""
    upload_file = request.files.get("file")
    if upload_file is None:
        raise InvalidParameter("no file in the upload", fix="send the file as form field 'file'")
    form = request.form
    with database().connection() as conn:
        report = ingest_upload(
            conn, current_app.extensions["mapserver.settings"], upload_file, layer_id,
            g.user.username, crs=form.get("crs") or None, encoding=form.get("encoding") or None,
            source_layer=form.get("source_layer") or None, geometry=form.get("geometry") or None,
            expected_version=_int(form.get("expected_version"), "expected_version"))
    return jsonify(report), 201


@blueprint.post("/layers/<layer_id>/publish")
@guard.requires("planner")
def publish(layer_id):
    """Show a layer everywhere."""
    publishing.set_published(layer_id, True, g.user.username)
    return jsonify({"id": layer_id, "published": True})


@blueprint.post("/layers/<layer_id>/unpublish")
@guard.requires("planner")
def unpublish(layer_id):
    """Hide a layer everywhere at once."""
    publishing.set_published(layer_id, False, g.user.username)
    return jsonify({"id": layer_id, "published": False})


@blueprint.post("/layers/<layer_id>/rollback")
@guard.requires("planner")
def rollback(layer_id):
    """Serve a kept version again."""
    version = _int(_body().get("version"), "version")
    if version is None:
        raise InvalidParameter("no version given", fix='send {"version": N}')
    with database().connection() as conn:
        edits.rollback(conn, layer_id, version, g.user.username)
    return jsonify({"id": layer_id, "version": version})


@blueprint.patch("/layers/<layer_id>/metadata")
@guard.requires("planner")
def describe(layer_id):
    """Change titles, descriptions, licence, style, field visibility or search (a new version)."""
    body = _body()
    expected = _int(body.pop("expected_version", None), "expected_version")
    with database().connection() as conn:
        version = edits.describe(conn, layer_id, body, g.user.username, expected)
    return jsonify({"id": layer_id, "version": version})


@blueprint.patch("/layers/<layer_id>/features/<int:fid>")
@guard.requires("planner")
def edit_feature(layer_id, fid):
    """Change one feature's attributes (a new version)."""
    body = _body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise InvalidParameter("no properties given", fix='send {"properties": {...}}')
    expected = _int(body.get("expected_version"), "expected_version")
    with database().connection() as conn:
        version = edits.edit_feature(conn, layer_id, fid, properties, g.user.username,
                                        expected)
    return jsonify({"id": layer_id, "fid": fid, "version": version})


@blueprint.post("/tokens")
@guard.requires("planner")
def new_token():
    """Issue an API token for the current user (shown once)."""
    name = str(_body().get("name") or "").strip()
    if not name:
        raise InvalidParameter("the token needs a name", fix='send {"name": "nightly import"}')
    with database().connection() as conn:
        token = sessions.issue_token(conn, g.user, name)
        audit.record(conn, g.user.username, "token-issued", g.user.username, name=name)
    return jsonify({"token": token, "name": name}), 201


@blueprint.post("/users")
@guard.requires("admin")
def add_user():
    """Create a user with a role."""
    body = _body()
    with database().connection() as conn:
        user = users.create(conn, str(body.get("username", "")), str(body.get("password", "")),
                            str(body.get("role", "")))
        audit.record(conn, g.user.username, "user-added", user.username, role=user.role)
    return jsonify({"username": user.username, "role": user.role}), 201


@blueprint.get("/audit")
@guard.requires("admin")
def audit_log():
    """Return the newest audit entries."""
    with database().connection() as conn:
        return jsonify({"entries": audit.recent(conn)})


@blueprint.get("/requests")
@guard.requires("planner")
def list_requests():
    """List residents' dataset requests with their contact (staff only)."""
    with database().connection() as conn:
        return jsonify({"requests": dataset_requests.inbox(conn)})


@blueprint.post("/requests/<int:request_id>")
@guard.requires("planner")
def move_request(request_id):
    """Move a request: accepted, published or declined, with a public answer."""
    body = _body()
    with database().connection() as conn:
        result = dataset_requests.move(conn, request_id, str(body.get("status", "")),
                                     body.get("answer"), g.user.username, body.get("layer_id"))
    return jsonify(result)


PREVIEW_LIMIT = 5000


@blueprint.get("/layers/<layer_id>/preview.geojson")
@guard.requires("planner")
def preview(layer_id):
    """Return a layer's served version (drafts too) as GeoJSON for the upload preview map."""
    with database().connection() as conn:
        record = registry.get(conn, layer_id)
        if record is None or not record.loaded:
            raise NotFound(f"no layer '{layer_id}'", fix="upload a file to create it")
        with conn.cursor() as cur:
            cur.execute(sql.SQL(
                "SELECT json_build_object('type', 'FeatureCollection', 'features',"
                " coalesce(json_agg(json_build_object('type', 'Feature', 'id', fid,"
                " 'geometry', ST_AsGeoJSON(geom, 7)::json, 'properties', '{{}}'::json)), '[]'))"
                " FROM (SELECT fid, geom FROM layers.{} ORDER BY fid LIMIT %s) f").format(
                sql.Identifier(record.table_name)), (PREVIEW_LIMIT,))
            body = cur.fetchone()[0]
    body["bbox"] = record.bbox
    body["truncated"] = (record.feature_count or 0) > PREVIEW_LIMIT
    return jsonify(body)
