"""HTML or JSON? One rule for every route that can answer in either.

1. A resource with a single format answers in it, whatever `f` or Accept say
   (the admin's pages are HTML, its API JSON).
2. `f=html` / `f=json` decides where the resource offers both (checked against
   its formats: an unknown `f` is a 400).
3. A request whose body is JSON is answered in JSON (the map's scripts post JSON).
4. Otherwise HTML only for a client that prefers text/html to JSON: a browser.
   Tools get JSON: no Accept header, ``*/*`` (OWSLib), ``application/json`` (GDAL).
"""

from __future__ import annotations

from flask import request

from mapserver.params import parse_format

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"


def wants_html(formats: tuple[str, ...] = ("json", "html")) -> bool:
    """Return whether to answer this request in HTML rather than JSON (rules above)."""
    if len(formats) == 1:
        return formats[0] == "html"
    chosen = parse_format(request.args.get("f"), formats)
    if chosen is not None:
        return chosen == "html"
    if request.method not in ("GET", "HEAD") and request.is_json:
        return False
    accept = request.accept_mimetypes
    best = accept.best_match([JSON, GEOJSON, HTML], default=JSON)
    return best == HTML and accept[HTML] > accept[JSON]
