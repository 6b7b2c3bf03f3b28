"""Users: creation with a hashed password, verification, login throttling.

Passwords are hashed with Werkzeug's scrypt; only the hash is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import psycopg2.errors
from werkzeug.security import check_password_hash, generate_password_hash

from mapserver.auth import ROLES
from mapserver.errors import Conflict, InvalidParameter

MIN_PASSWORD = 12
MAX_FAILURES = 5
FAILURE_WINDOW = "15 minutes"


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so a wrong name costs as
    long as a wrong password and timing does not tell which names exist."""
    return generate_password_hash("not a real password", method="scrypt")


@dataclass(frozen=True)
class User:
    """A member of city staff."""

    id: int
    username: str
    role: str


def create(conn, username: str, password: str, role: str) -> User:
    """Create a user; the password must be long enough."""
    if role not in ROLES:
        raise InvalidParameter(f"unknown role '{role}'", fix=f"use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise InvalidParameter(f"the password is shorter than {MIN_PASSWORD} characters",
                               fix="choose a longer one (a few words make a good one)")
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO mapserver.users (username, password_hash, role)"
                        " VALUES (%s, %s, %s) RETURNING id",
                        (username, generate_password_hash(password, method="scrypt"), role))
            user_id = cur.fetchone()[0]
    except psycopg2.errors.UniqueViolation:
        conn.rollback()
        raise Conflict(f"user '{username}' exists already", fix="choose another name") from None
    except psycopg2.errors.CheckViolation:
        conn.rollback()
        raise InvalidParameter(f"'{username}' is not a valid user name",
                               fix="use 2-64 lower-case letters, digits, . _ @ -") from None
    return User(user_id, username, role)


def _failure_key(username: str, client: str) -> str:
    return hashlib.sha256(f"{username}\0{client}".encode()).hexdigest()


def throttled(conn, username: str, client: str) -> bool:
    """Tell whether this name, from this address, failed too often lately."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM mapserver.login_failures WHERE key = %s"
                    f" AND at > now() - interval '{FAILURE_WINDOW}'",
                    (_failure_key(username, client),))
        return cur.fetchone()[0] >= MAX_FAILURES


def verify(conn, username: str, password: str, client: str) -> User | None:
    """Return the user if the password is right; count a failure otherwise."""
    with conn.cursor() as cur:
        cur.execute("SELECT id, username, role, password_hash FROM mapserver.users"
                    " WHERE username = %s AND active", (username,))
        row = cur.fetchone()
        if row and check_password_hash(row[3], password):
            cur.execute("DELETE FROM mapserver.login_failures WHERE key = %s",
                        (_failure_key(username, client),))
            return User(row[0], row[1], row[2])
        if row is None:
            check_password_hash(_dummy_hash(), password)
        cur.execute("INSERT INTO mapserver.login_failures (key) VALUES (%s)",
                    (_failure_key(username, client),))
    return None
