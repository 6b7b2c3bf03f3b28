"""Headers every answer carries, and a request id that ties a 5xx to its log line.

HTML pages get a Content-Security-Policy with no inline script (the pages keep
their configuration in `<script type="application/json">` blocks, which are
data, not code), no framing by other sites, no plugins; every answer gets
`nosniff` and a referrer policy that keeps paths (and their layer ids or
search terms) from leaving the site.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import g, has_request_context, request

from mapserver import audit

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def content_security_policy(basemap_url: str | None) -> str:
    """Return the CSP of HTML pages; an external basemap's origin may serve images."""
    images = "'self' data: blob:"
    if basemap_url:
        parts = urlsplit(basemap_url.replace("{", "").replace("}", ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            images += f" {parts.scheme}://{parts.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src {images}; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def request_id() -> str:
    """Return this request's id (made on first use), quoted in 5xx answers and the log."""
    if "request_id" not in g:
        g.request_id = secrets.token_hex(8)
    return g.request_id


def request_context() -> dict:
    """Return what the audit log records of the current request (nothing outside one)."""
    if not has_request_context():
        return {}
    return {"address": request.remote_addr, "request_id": request_id()}


def init_app(app) -> None:
    """Add the headers to every response the app makes; give audit entries their request."""
    policy = content_security_policy(app.extensions["mapserver.settings"].basemap_url)
    audit.set_context_provider(request_context)

    @app.after_request
    def secure_headers(response):
        for name, value in ALWAYS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if response.status_code >= 500:
            response.headers["X-Request-Id"] = request_id()
        return response
