"""One exception hierarchy for the whole server: the status and OGC code live on the class.

Views and commands just raise; the web handler and the CLI turn these into one
shape, ``{"code": ..., "description": ...}`` (the OGC API exception body), or a
one-line message and a non-zero exit.  The description says what is wrong and
how to fix it, and never carries SQL or a stack trace.
"""

from __future__ import annotations


class MapServerError(Exception):
    """Base of every error the server reports to a person."""

    status = 500
    code = "ServerError"

    def __init__(self, message: str, *, fix: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        # Seconds after which trying again makes sense (a Retry-After header): set on
        # the deliberate refusals of load (503 busy, 429 too many requests).
        self.retry_after = retry_after

    @property
    def description(self) -> str:
        """Return the message and, when known, the fix, as one sentence or two."""
        text = self.message.rstrip(".") + "."
        if self.fix:
            text += " Fix: " + self.fix.rstrip(".") + "."
        return text

    def to_dict(self) -> dict:
        """Return the OGC exception body."""
        return {"code": self.code, "description": self.description}


class InvalidParameter(MapServerError):
    """A query parameter or path segment is malformed or out of range."""

    status = 400
    code = "InvalidParameterValue"


class NotFound(MapServerError):
    """The thing asked for does not exist or is not public."""

    status = 404
    code = "NotFound"


class Unauthorised(MapServerError):
    """Nobody is logged in (no session cookie or API token)."""

    status = 401
    code = "Unauthorised"


class Forbidden(MapServerError):
    """The user's role does not allow this, or a form's CSRF token is missing."""

    status = 403
    code = "Forbidden"


class Conflict(MapServerError):
    """Somebody else changed the thing first."""

    status = 409
    code = "Conflict"


class Gone(MapServerError):
    """What a link pointed at was replaced: e.g. the layer version a page link was made on."""

    status = 410
    code = "Gone"


class InvalidData(MapServerError):
    """A source file or manifest cannot be loaded as it is."""

    status = 422
    code = "InvalidData"

    def __init__(self, source: str, problem: str, *, fix: str | None = None):
        super().__init__(f"{source}: {problem}", fix=fix)
        self.source = source
        self.problem = problem


class TooManyRequests(MapServerError):
    """A client sent more requests than its rate limit allows."""

    status = 429
    code = "TooManyRequests"


class ServiceUnavailable(MapServerError):
    """The database is unreachable or a query ran past its time limit."""

    status = 503
    code = "ServiceUnavailable"


class SetupError(MapServerError):
    """The machine lacks something the server needs (PostgreSQL, PostGIS, a setting)."""

    code = "SetupError"
