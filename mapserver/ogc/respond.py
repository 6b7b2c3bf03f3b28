"""Links, media types and response shapes shared by the OGC API views.

JSON is the default whatever the client sends (OWSLib sends ``Accept: */*``,
GDAL ``application/json``); HTML only for ``f=html`` or a browser that prefers
it: the rule of every route, in `mapserver.web.negotiate`.  Links are absolute,
because the OGC test suite and GDAL follow them as they are.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Response, render_template, request

from mapserver.web.links import absolute
from mapserver.web.negotiate import GEOJSON as GEOJSON  # re-exported for the OGC views
from mapserver.web.negotiate import HTML, JSON, wants_html

OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"


def root() -> str:
    """Return the absolute URL of the API's landing page, without a trailing slash."""
    return absolute("/ogc")


def url(path: str = "", **query) -> str:
    """Return an absolute URL under /ogc with an optional query string."""
    text = root() + path
    query = {k: v for k, v in query.items() if v is not None}
    return text + ("?" + urlencode(query) if query else "")


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    """Return one link object (every link carries rel and type)."""
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def self_links(path: str, json_type: str = JSON, title: str = "this document") -> list[dict]:
    """Return the self link and its alternate in the other format (both always present)."""
    html_now = wants_html()
    json_link = link(url(path, f="json"), "alternate" if html_now else "self", json_type,
                     f"{title} as JSON")
    html_link = link(url(path, f="html"), "self" if html_now else "alternate", HTML,
                     f"{title} as HTML")
    return [json_link, html_link] if not html_now else [html_link, json_link]


def json_response(doc, media_type: str = JSON, status: int = 200) -> Response:
    """Return a JSON document with the given media type."""
    return Response(json.dumps(doc, ensure_ascii=False), status=status, mimetype=media_type)


def html_response(template: str, **context) -> Response:
    """Render one of the OGC HTML pages (autoescaped)."""
    return Response(render_template(f"ogc/{template}", **context), mimetype=HTML)


def request_url_with(**changes) -> str:
    """Return this request's absolute URL with some query parameters replaced."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, str(v)) for k, v in changes.items() if v is not None]
    return request.base_url + ("?" + urlencode(args) if args else "")
