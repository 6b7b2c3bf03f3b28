"""Absolute links: from the configured public address, never from a request's Host header.

A Host header is the client's to choose; links built from it would let anyone
make the server hand out URLs to another site (in OGC documents, TileJSON,
QR codes, feeds).  With MAPSERVER_PUBLIC_URL unset (a developer's machine), the
request's own address is used and the app logs that once at start.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request


def site_root() -> str:
    """Return the site's absolute root URL, without a trailing slash."""
    configured = current_app.extensions["mapserver.settings"].public_url
    return configured or request.url_root.rstrip("/")


def site_origin() -> str:
    """Return scheme://host[:port] of the site, what a browser sends as Origin."""
    parts = urlsplit(site_root())
    return f"{parts.scheme}://{parts.netloc}"


def absolute(path: str) -> str:
    """Return the absolute URL of a path on this site ('/ogc' -> 'https://…/ogc')."""
    return site_root() + path


def init_app(app) -> None:
    """Say once, at start, when links will follow the Host header."""
    if not app.extensions["mapserver.settings"].public_url:
        app.logger.warning("MAPSERVER_PUBLIC_URL is not set: absolute links follow each "
                           "request's Host header; set it on a public server")
