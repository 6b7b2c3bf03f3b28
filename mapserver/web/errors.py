"""One error shape for every HTTP response: ``{"code": ..., "description": ...}``.

Client mistakes get their precise message; anything unexpected is logged in
full and answered with a generic message, never a stack trace or SQL.
"""

from __future__ import annotations

import threading
import time

from flask import jsonify
from werkzeug.exceptions import HTTPException

from mapserver.errors import MapServerError
from mapserver.web.security import request_id

GENERIC = "the server failed to answer; the error was logged as request {}"
SHED_LOG_EVERY_S = 10.0


class _ShedLog:
    """Log deliberate sheds of load at most once per SHED_LOG_EVERY_S, with their count:
    they come in floods, and one line each would flood the log too."""

    def __init__(self):
        self._lock = threading.Lock()
        self._count = 0
        self._next = 0.0

    def note(self, logger, description: str) -> None:
        with self._lock:
            self._count += 1
            now = time.monotonic()
            if now < self._next:
                return
            count, self._count, self._next = self._count, 0, now + SHED_LOG_EVERY_S
        logger.warning("shed %d request(s) since the last such line; the latest: %s",
                       count, description)


def _body(code: str, description: str, status: int):
    response = jsonify({"code": code, "description": description})
    response.status_code = status
    return response


def init_app(app) -> None:
    """Register the handlers once, for every blueprint."""
    sheds = _ShedLog()

    @app.errorhandler(MapServerError)
    def mapserver_error(exc: MapServerError):
        retry_after = getattr(exc, "retry_after", None)
        if exc.status >= 500 and retry_after:
            sheds.note(app.logger, exc.description)   # deliberate: no traceback
        elif exc.status >= 500:
            app.logger.error("request %s: %s: %s", request_id(), type(exc).__name__,
                             exc.description, exc_info=exc)
        if exc.status >= 500:
            response = _body(exc.code, f"{exc.description} (request {request_id()})",
                             exc.status)
        else:
            response = _body(exc.code, exc.description, exc.status)
        if retry_after:
            response.headers["Retry-After"] = str(int(retry_after))
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = "NotFound" if exc.code == 404 else (exc.name or "Error").replace(" ", "")
        return _body(code, exc.description or exc.name, exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("request %s: unhandled error", request_id())
        return _body("ServerError", GENERIC.format(request_id()), 500)
