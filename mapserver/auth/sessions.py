"""Login sessions and API tokens: random secrets given to the client, hashes kept in PostGIS."""

from __future__ import annotations

import hashlib
import secrets

from mapserver.auth.users import User

SESSION_HOURS = 8  # a session's absolute end
IDLE_MINUTES = 30  # ... and its end after this long without a request
TOUCH_SECONDS = 60  # last_seen is written at most this often per session


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(conn, user: User) -> tuple[str, str]:
    """Start a session; return (cookie value, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.sessions WHERE expires_at < now()")
        cur.execute("INSERT INTO mapserver.sessions (token_hash, user_id, csrf_token, expires_at)"
                    f" VALUES (%s, %s, %s, now() + interval '{SESSION_HOURS} hours')",
                    (_hash(token), user.id, csrf))
    return token, csrf


def session_user(conn, token: str) -> tuple[User, str] | None:
    """Return (user, CSRF token) of a live session (neither expired nor idle), or None.

    Using the session keeps it alive: last_seen moves on, at most once a minute.
    """
    with conn.cursor() as cur:
        cur.execute("SELECT u.id, u.username, u.role, s.csrf_token,"
                    " s.last_seen < now() - %s * interval '1 second'"
                    " FROM mapserver.sessions s JOIN mapserver.users u ON u.id = s.user_id"
                    " WHERE s.token_hash = %s AND s.expires_at > now() AND u.active"
                    " AND s.last_seen > now() - %s * interval '1 minute'",
                    (TOUCH_SECONDS, _hash(token), IDLE_MINUTES))
        row = cur.fetchone()
        if row and row[4]:
            cur.execute("UPDATE mapserver.sessions SET last_seen = now() WHERE token_hash = %s",
                        (_hash(token),))
    return (User(row[0], row[1], row[2]), row[3]) if row else None


def close_session(conn, token: str) -> None:
    """End a session (log out)."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.sessions WHERE token_hash = %s", (_hash(token),))


def issue_token(conn, user: User, name: str) -> str:
    """Create an API token for scripts; the value is shown once, only its hash is kept."""
    token = "ms_" + secrets.token_urlsafe(32)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.api_tokens (token_hash, user_id, name)"
                    " VALUES (%s, %s, %s)", (_hash(token), user.id, name))
    return token


def token_user(conn, token: str) -> User | None:
    """Return the user an API token belongs to, or None."""
    with conn.cursor() as cur:
        cur.execute("UPDATE mapserver.api_tokens t SET last_used = now()"
                    " FROM mapserver.users u WHERE t.token_hash = %s AND u.id = t.user_id"
                    " AND u.active RETURNING u.id, u.username, u.role", (_hash(token),))
        row = cur.fetchone()
    return User(*row) if row else None
