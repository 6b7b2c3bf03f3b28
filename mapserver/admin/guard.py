"""Who is asking: a session cookie (with CSRF token) or an API token; role checks.

Every admin route declares the role it needs with `requires`; a test walks the
app's URL map to prove none was forgotten.
"""

from __future__ import annotations

import functools
import hmac

from flask import g, redirect, request, url_for

from mapserver.auth import role_at_least, sessions
from mapserver.errors import Forbidden, Unauthorised
from mapserver.web import database, published
from mapserver.web.negotiate import wants_html

SESSION_COOKIE = "mapserver_session"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def load_user() -> None:
    """Find the user of this request, once, before any admin view runs."""
    g.user, g.csrf, g.via_token = None, None, False
    header = request.headers.get("Authorization", "")
    with database().connection() as conn:
        if header.startswith("Bearer "):
            g.user = sessions.token_user(conn, header[len("Bearer "):].strip())
            g.via_token = g.user is not None
        elif request.cookies.get(SESSION_COOKIE):
            found = sessions.session_user(conn, request.cookies[SESSION_COOKIE])
            if found:
                g.user, g.csrf = found


def viewer_sees_staff_fields() -> bool:
    """Tell whether this request comes from city staff (who may read staff-only fields).

    Costs a query only when the request carries a token or a session cookie.
    """
    if not (request.headers.get("Authorization") or request.cookies.get(SESSION_COOKIE)):
        return False
    if "user" not in g:
        load_user()
    return g.user is not None and role_at_least(g.user.role, "staff")


# What each admin blueprint answers in: the pages are HTML, the API is JSON.
FORMATS = {"admin_pages": ("html",), "admin_api": ("json",)}


def requires(role: str):
    """Let the view run only for a logged-in user with at least `role`."""

    def decorate(view):
        view.required_role = role

        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if g.user is None:
                if wants_html(FORMATS[request.blueprint]) and request.method == "GET":
                    return redirect(url_for("admin_pages.login", next=request.path))
                raise Unauthorised("log in first", fix="send a session cookie or a Bearer token")
            if not role_at_least(g.user.role, role):
                raise Forbidden(f"this needs the {role} role", fix="ask an administrator")
            if request.method in UNSAFE and not g.via_token:
                sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
                if not g.csrf or not hmac.compare_digest(sent, g.csrf):
                    raise Forbidden("the form's CSRF token is missing or wrong",
                                    fix="reload the page and submit again")
            return view(*args, **kwargs)

        return guarded

    return decorate


def private_headers(response):
    """Keep staff pages and data out of shared caches."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Cookie, Authorization"
    return response


def reload_registry_after_changes(response):
    """Make this worker's next answer see a change made here (others hear of it by NOTIFY)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        published().invalidate()
    return response


def client_address() -> str:
    """Return the client's address (the first proxy hop when behind a trusted proxy)."""
    return request.remote_addr or "unknown"
