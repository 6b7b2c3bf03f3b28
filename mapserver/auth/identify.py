"""Who is asking: a session cookie or a Bearer API token -> the user, their role, the CSRF token.

The OGC API (staff read staff-only fields) and the admin (which adds role checks
and CSRF to its routes, in admin/guard.py) both ask here.  Nothing here knows
about routes or Flask: it reads a request's headers and cookies, and keeps the
answer in the WSGI environ so a request asks PostGIS at most once.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapserver.auth import role_at_least, sessions
from mapserver.auth.users import User

SESSION_COOKIE = "mapserver_session"
_ENVIRON_KEY = "mapserver.caller"


@dataclass(frozen=True)
class Caller:
    """Who sent a request: nobody, a user in a session (with its CSRF token), or a token."""

    user: User | None = None
    csrf: str | None = None
    via_token: bool = False  # an API token carries no ambient authority: no CSRF needed

    def at_least(self, role: str) -> bool:
        """Tell whether the caller is logged in with `role` or a higher one."""
        return self.user is not None and role_at_least(self.user.role, role)


ANONYMOUS = Caller()


def credentials(headers, cookies) -> tuple[str | None, str | None]:
    """Return (Bearer token, session cookie) of a request; a token wins over a cookie."""
    header = headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip(), None
    return None, cookies.get(SESSION_COOKIE) or None


def identify(conn, token: str | None, session: str | None) -> Caller:
    """Return who holds this API token or session cookie (ANONYMOUS when nobody does)."""
    if token is not None:
        user = sessions.token_user(conn, token)
        return Caller(user, via_token=user is not None)
    if session:
        found = sessions.session_user(conn, session)
        if found:
            return Caller(*found)
    return ANONYMOUS


def anonymous(request, database) -> bool:
    """Tell whether nobody is logged in: no credentials, or none that hold (rate limits,
    load bounds).  Costs a query only when the request carries credentials."""
    token, session = credentials(request.headers, request.cookies)
    if token is None and session is None:
        return True
    return caller_of(request, database).user is None


def caller_of(request, database) -> Caller:
    """Return who sent `request` (a Werkzeug request), asking `database` once per request.

    Costs a query only when the request carries a Bearer token or a session cookie.
    """
    known = request.environ.get(_ENVIRON_KEY)
    if known is None:
        token, session = credentials(request.headers, request.cookies)
        if token is None and session is None:
            known = ANONYMOUS
        else:
            with database.connection() as conn:
                known = identify(conn, token, session)
        request.environ[_ENVIRON_KEY] = known
    return known
