"""The admin's HTML pages: log in, see every layer, upload, describe, publish, roll back.

Plain server-rendered forms that work without JavaScript; every form carries
the session's CSRF token and calls the same domain functions as the JSON API.
"""

from __future__ import annotations

import hmac
import secrets

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from mapserver import audit, params
from mapserver.admin import guard, publishing
from mapserver.admin.uploads import ACCEPTED, ingest_upload
from mapserver.auth import identify, sessions, users
from mapserver.errors import Forbidden, InvalidParameter, MapServerError, NotFound
from mapserver.layers import edits, registry
from mapserver.layers.manifest import categories
from mapserver.site import dataset_requests
from mapserver.web import database

blueprint = Blueprint("admin_pages", __name__, url_prefix="/admin")
blueprint.before_request(guard.load_user)
blueprint.after_request(guard.private_headers)
blueprint.after_request(guard.reload_registry_after_changes)

LOGIN_CSRF_COOKIE = "mapserver_login_csrf"


def _cookie_secure() -> bool:
    return current_app.extensions["mapserver.settings"].secure_cookies


def _optional_int(name: str) -> int | None:
    """Return a form field's whole number; an empty or absent field is None."""
    text = request.form.get(name, "")
    return params.parse_int(text, name) if text else None


def _back(layer_id: str | None = None, message: str = "", error: str = ""):
    """Return to the page the form was on, saying what happened (query-string encoded)."""
    note = {"error": error} if error else {"done": message}
    target = (url_for("admin_pages.layer", layer_id=layer_id, **note) if layer_id
              else url_for("admin_pages.dashboard", **note))
    return redirect(target, code=303)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form, or check the password and open a session."""
    error, status = None, 200
    if request.method == "POST":
        sent, expected = request.form.get("csrf_token", ""), request.cookies.get(
            LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise Forbidden("the login form expired", fix="reload the page and try again")
        username = request.form.get("username", "").strip().lower()
        password = request.form.get("password", "")
        client = guard.client_address()
        with database().connection() as conn:
            if users.throttled(conn, username, client):
                audit.record(conn, username or "?", "login-throttled", username)
                error, status = "Too many failed attempts; wait 15 minutes.", 429
            else:
                user = users.verify(conn, username, password, client)
                if user is None:
                    audit.record(conn, username or "?", "login-failed", username)
                    error, status = "Wrong user name or password.", 401
                else:
                    token, _ = sessions.open_session(conn, user)
                    audit.record(conn, user.username, "login", user.username)
        if error is None:
            target = request.args.get("next", "")
            target = target if target.startswith("/admin") else url_for(".dashboard")
            response = redirect(target, code=303)
            response.set_cookie(identify.SESSION_COOKIE, token, httponly=True, samesite="Lax",
                                secure=_cookie_secure(), path="/")
            return response
    csrf = secrets.token_urlsafe(24)
    response = make_response(render_template("admin/login.html", csrf=csrf, error=error),
                             status)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="Strict",
                        secure=_cookie_secure(), path="/admin")
    return response


@blueprint.post("/logout")
@guard.requires("staff")
def logout():
    """End the session."""
    with database().connection() as conn:
        sessions.close_session(conn, request.cookies.get(identify.SESSION_COOKIE, ""))
        audit.record(conn, g.user.username, "logout", g.user.username)
    response = redirect(url_for(".login"), code=303)
    response.delete_cookie(identify.SESSION_COOKIE, path="/")
    return response


@blueprint.get("/")
@guard.requires("planner")
def dashboard():
    """List every layer with its state and actions."""
    with database().connection() as conn:
        layers = registry.list_all(conn)
    return render_template("admin/dashboard.html", layers=layers, accepted=ACCEPTED,
                           done=request.args.get("done"), error=request.args.get("error"))


@blueprint.get("/layers/<layer_id>")
@guard.requires("planner")
def layer(layer_id):
    """Show one layer: its versions, upload a replacement, describe it."""
    with database().connection() as conn:
        record = registry.get(conn, layer_id)
        history = registry.history(conn, layer_id)
    if record is None:
        raise NotFound(f"no layer '{layer_id}'", fix="pick one from the list of layers")
    return render_template("admin/layer.html", layer=record, history=history, accepted=ACCEPTED,
                           categories=categories(),
                           done=request.args.get("done"), error=request.args.get("error"))


@blueprint.post("/upload")
@guard.requires("planner")
def upload():
    """Load an uploaded file (new layer or new version) and show its report."""
    layer_id = request.form.get("layer_id", "").strip()
    upload_file = request.files.get("file")
    if not layer_id or upload_file is None or not upload_file.filename:
        raise InvalidParameter("give a layer id and choose a file", fix="fill in both fields")
    try:
        expected = _optional_int("expected_version")
        with database().connection() as conn:
            report = ingest_upload(
                conn, current_app.extensions["mapserver.settings"], upload_file, layer_id,
                g.user.username, crs=request.form.get("crs") or None,
                encoding=request.form.get("encoding") or None,
                geometry=request.form.get("geometry") or None,
                expected_version=expected)
    except MapServerError as exc:
        status = exc.status if exc.status < 500 else 500
        return render_template("admin/report.html", layer_id=layer_id, error=exc.description,
                               report=None), status
    return render_template("admin/report.html", layer_id=layer_id, report=report, error=None)


@blueprint.post("/layers/<layer_id>/publish")
@guard.requires("planner")
def publish(layer_id):
    """Publish or unpublish a layer from the form's choice."""
    show = request.form.get("published") == "1"
    publishing.set_published(layer_id, show, g.user.username)
    return _back(layer_id, "published" if show else "unpublished")


@blueprint.post("/layers/<layer_id>/rollback")
@guard.requires("planner")
def rollback(layer_id):
    """Serve the chosen version again."""
    version = _optional_int("version")
    if version is None:
        raise InvalidParameter("choose a version", fix="pick one from the list")
    with database().connection() as conn:
        edits.rollback(conn, layer_id, version, g.user.username)
    return _back(layer_id, f"now serving version {version}")


@blueprint.post("/layers/<layer_id>/describe")
@guard.requires("planner")
def describe(layer_id):
    """Save titles, description, category, attribution and field visibility."""
    form = request.form
    changes: dict = {"fields": {}}
    for key in ("title", "description"):
        changes[key] = {lang: form[f"{key}_{lang}"].strip() for lang in ("en", "ro", "hu")
                        if form.get(f"{key}_{lang}", "").strip()}
    for key in ("category", "attribution"):
        if form.get(key):
            changes[key] = form[key].strip()
    if form.get("licence_id") and form.get("licence_url"):
        changes["licence"] = {"id": form["licence_id"].strip(), "url": form["licence_url"].strip()}
    style = {key: form[f"style_{key}"] for key in ("color", "fill") if form.get(f"style_{key}")}
    if style:
        changes["style"] = style
    minzoom = _optional_int("minzoom")
    if minzoom is not None:
        changes["minzoom"] = minzoom
    for name in form.getlist("field"):
        changes["fields"][name] = {"visibility": form.get(f"visibility_{name}", "staff")}
        if form.get(f"fielddesc_{name}", "").strip():
            text = form[f"fielddesc_{name}"].strip()
            changes["fields"][name]["description"] = {"en": text}
    expected = _optional_int("expected_version")
    with database().connection() as conn:
        version = edits.describe(conn, layer_id, changes, g.user.username, expected)
    return _back(layer_id, f"saved as version {version}")


@blueprint.post("/layers/<layer_id>/features")
@guard.requires("planner")
def edit_feature(layer_id):
    """Correct one attribute of one feature (a new version)."""
    form = request.form
    fid, field = _optional_int("fid"), form.get("field", "")
    if fid is None or not field:
        raise InvalidParameter("give a feature id and a field", fix="fill in both")
    expected = _optional_int("expected_version")
    with database().connection() as conn:
        version = edits.edit_feature(conn, layer_id, fid,
                                        {field: form.get("value", "").strip() or None},
                                        g.user.username, expected)
    return _back(layer_id, f"feature {fid} saved as version {version}")


@blueprint.get("/audit")
@guard.requires("admin")
def audit_page():
    """Show the audit log."""
    with database().connection() as conn:
        entries = audit.recent(conn)
    return render_template("admin/audit.html", entries=entries)


@blueprint.get("/requests")
@guard.requires("planner")
def requests_page():
    """Show residents' dataset requests, open ones first."""
    with database().connection() as conn:
        entries = dataset_requests.inbox(conn)
    return render_template("admin/requests.html", entries=entries, moves=dataset_requests.MOVES,
                           done=request.args.get("done"), error=request.args.get("error"))


@blueprint.post("/requests/<int:request_id>")
@guard.requires("planner")
def move_request(request_id):
    """Move one request to its next state, with a public answer."""
    with database().connection() as conn:
        result = dataset_requests.move(conn, request_id, request.form.get("status", ""),
                                     request.form.get("answer"), g.user.username,
                                     request.form.get("layer_id") or None)
    return redirect(url_for(".requests_page", done=f"request {request_id}: {result['status']}"),
                    code=303)
