"""The hot path: tile GETs answered before Flask's request machinery.

Flask builds a request context, matches ~100 routes and runs its hooks: about
150 microseconds a request on the reference machine, more than reading a cached
tile from disk.  This WSGI wrapper answers ``GET /tiles/<layers>/<z>/<x>/<y>.mvt``
itself by calling `answer.answer`, the function behind the Flask route.
Anything else goes to Flask, and so does a tile request that ends in any error
(a client's mistake or a failure): Flask gives the error its one JSON shape, with
no trace.  An error of ours is handed over in the environ (`TILE_ERROR`), so the
route raises it rather than doing the work again (a tile shed after waiting for
a render turn must not wait a second time).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from mapserver.errors import MapServerError
from mapserver.tileserver import answer

TILE_ERROR = "mapserver.tile_error"
_TILE_PATH = re.compile(r"/tiles/([^/]+)/([^/]+)/([^/]+)/([^/]+)\.mvt")
_REASONS = {200: "200 OK", 204: "204 No Content", 304: "304 Not Modified"}


def _headers(found) -> list[tuple[str, str]]:
    """Return the header list as Werkzeug would send it (RFC 9110 15.3.5 and 15.4.5)."""
    headers = list(found.headers.items())
    if found.status == 304:   # no representation metadata when nothing is sent
        headers = [(name, value) for name, value in headers if name != "Content-Type"]
    elif found.status != 204:   # a 204 must not carry Content-Length
        headers.append(("Content-Length", str(len(found.body))))
    return headers


class TileFastPath:
    """WSGI middleware in front of the Flask app (``app.wsgi_app``)."""

    def __init__(self, flask_app, wsgi_app):
        self.extensions = flask_app.extensions
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            match = _TILE_PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match:
                found = self._answer(environ, *match.groups())
                if found is not None:
                    start_response(_REASONS[found.status], _headers(found))
                    return [found.body]
        return self.wsgi_app(environ, start_response)

    def cached(self, method: str, path: str, query: str,
               if_none_match: str) -> tuple[int, list, bytes] | None:
        """Return (status, headers, body) of a tile already on disk, or None; never waits.

        The RSGI bridge calls it on its event loop, before handing a request to a
        thread: a cached tile then costs no thread hop at all.
        """
        if method != "GET":
            return None
        match = _TILE_PATH.fullmatch(path)
        if not match:
            return None
        found = self._answer({"QUERY_STRING": query, "HTTP_IF_NONE_MATCH": if_none_match},
                             *match.groups(), cached_only=True)
        if found is None:
            return None
        return found.status, _headers(found), found.body

    def _answer(self, environ, layers: str, z: str, x: str, y: str, *,
                cached_only: bool = False):
        query = environ.get("QUERY_STRING", "")
        wanted = parse_qs(query).get("v", [None])[-1] if query else None
        try:
            return answer.answer(self.extensions, answer.layer_ids(layers), z, x, y,
                                 wanted_version=wanted, cached_only=cached_only,
                                 if_none_match=environ.get("HTTP_IF_NONE_MATCH", ""))
        except MapServerError as exc:   # Flask's route raises it, in its one shape
            environ[TILE_ERROR] = exc
            return None
        except Exception:  # noqa: BLE001 - any other failure: Flask answers again
            return None
