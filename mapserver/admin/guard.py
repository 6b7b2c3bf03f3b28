"""The admin routes' guard: role checks and CSRF, on top of who is asking (auth/identify).

Every admin route declares the role it needs with `requires`; a test walks the
app's URL map to prove none was forgotten.
"""

from __future__ import annotations

import functools
import hmac
from urllib.parse import urlsplit

from flask import g, redirect, request, url_for

from mapserver import audit
from mapserver.auth import identify, role_at_least
from mapserver.errors import Forbidden, Unauthorised
from mapserver.web import database, published
from mapserver.web.links import site_origin
from mapserver.web.negotiate import wants_html

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def load_user() -> None:
    """Find the user of this request, once, before any admin view runs (views read g).

    A change sent with a cookie (a browser's, so ambient authority) must also come
    from this site: an Origin or Referer naming another site is refused, on top of
    the CSRF token (login included, which has no user yet).
    """
    caller = identify.caller_of(request, database())
    g.user, g.csrf, g.via_token = caller.user, caller.csrf, caller.via_token
    if request.method in UNSAFE and not g.via_token and not _from_this_site():
        _deny("cross-site", Forbidden("this change was sent from another site",
                                      fix="make changes from the admin pages of this site"))


def _from_this_site() -> bool:
    """Tell whether the browser says the request comes from this site (or says nothing)."""
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent:
        return True  # old browsers and tools send neither; the CSRF token still applies
    parts = urlsplit(sent)
    return f"{parts.scheme}://{parts.netloc}" == site_origin()


def _deny(reason: str, error: Forbidden | Unauthorised):
    """Audit a refused attempt (who, from where, what), then raise it."""
    with database().connection() as conn:
        audit.record(conn, g.user.username if g.user else "anonymous", "denied",
                     request.path[:200], method=request.method, reason=reason,
                     status=error.status)
    raise error


# What each admin blueprint answers in: the pages are HTML, the API is JSON.
FORMATS = {"admin_pages": ("html",), "admin_api": ("json",)}


def requires(role: str):
    """Let the view run only for a logged-in user with at least `role`."""

    def decorate(view):
        view.required_role = role

        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if g.user is None:
                page = wants_html(FORMATS.get(request.blueprint, ("json",)))
                if page and request.method == "GET":
                    return redirect(url_for("admin_pages.login", next=request.path))
                _deny("not-logged-in", Unauthorised(
                    "log in first", fix="send a session cookie or a Bearer token"))
            if not role_at_least(g.user.role, role):
                _deny("role", Forbidden(f"this needs the {role} role",
                                        fix="ask an administrator"))
            if request.method in UNSAFE and not g.via_token:
                sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
                if not g.csrf or not hmac.compare_digest(sent, g.csrf):
                    _deny("csrf", Forbidden("the form's CSRF token is missing or wrong",
                                            fix="reload the page and submit again"))
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
