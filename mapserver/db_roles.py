"""Which database role does what, and the URL each part of the server connects with.

Migration 014 makes three roles named after the database (``<db>_owner``,
``<db>_app``, ``<db>_public``), so that an injection in a public request reaches
only what a resident may see anyway:

* DATABASE_URL: a superuser or the owner role; only the migrations (CLI) use it;
* DATABASE_APP_URL: the application role, for the admin and the CLI's writes;
* DATABASE_PUBLIC_URL: the public read role, for the public endpoints and the
  registry listener.

Without DATABASE_URL the project's own cluster (mapserver/devdb.py) supplies what
is not set.  With DATABASE_URL and without the other two the server refuses to
start rather than serve the public as the owner (README.md, "Using your own PostGIS").
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from psycopg2 import sql

from mapserver.errors import SetupError

LOGIN_KINDS = ("app", "public")  # the owner needs no login of its own on the own cluster


@dataclass(frozen=True)
class DatabaseUrls:
    """The logins the server works with (the migrations use `resolved_database_url`)."""

    app: str
    public: str


def urls(settings) -> DatabaseUrls:
    """Return the app and public roles' URLs from the settings, or from the own cluster.

    A web server needs only these two: it can run without DATABASE_URL at all.
    """
    app, public = settings.database_app_url, settings.database_public_url
    if app and public:
        return DatabaseUrls(app, public)
    if settings.database_url:
        missing = [name for name, value in (("DATABASE_APP_URL", app),
                                            ("DATABASE_PUBLIC_URL", public)) if not value]
        raise SetupError(
            f"DATABASE_URL is set but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not: the server does not serve the "
            "public with the owner's rights",
            fix="create the login roles <database>_app and <database>_public and set "
            "DATABASE_APP_URL and DATABASE_PUBLIC_URL to them (README.md, \"Using your "
            "own PostGIS\")")
    from mapserver.devdb import Cluster

    cluster = Cluster(settings.var_dir / "pg")
    return DatabaseUrls(app or cluster.role_url("app"), public or cluster.role_url("public"))


def role_name(cur, kind: str) -> str:
    """Return the name of this database's `owner`, `app` or `public` role (migration 014)."""
    cur.execute("SELECT mapserver.db_role(%s)", (kind,))
    return cur.fetchone()[0]


def enable_logins(conn, passwords: dict[str, str]) -> dict[str, str]:
    """Let roles log in with the passwords given by kind; return their names by kind.

    Needs a superuser (or CREATEROLE): the project's own cluster and the tests use it.
    """
    names = {}
    with conn.cursor() as cur:
        for kind, password in passwords.items():
            names[kind] = role_name(cur, kind)
            cur.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD %s").format(
                sql.Identifier(names[kind])), (password,))
    conn.commit()
    return names


def url_as(url: str, user: str, password: str) -> str:
    """Return `url` with another user and password (same host, port and database)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    login = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return parts._replace(netloc=f"{login}@{host}").geturl()
