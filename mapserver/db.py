"""Database connections: one lazily made pool per process, every query time-bounded.

Web workers keep no state of their own: everything shared (layers, counters,
sessions) lives in PostGIS, so any number of workers can run side by side.
The pool is made on first use, after the server has forked its workers, never at import.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.pool

from mapserver.errors import ServiceUnavailable


def connect(url: str, *, statement_timeout_ms: int | None = None, application_name="mapserver",
            connect_timeout_s: int | None = None):
    """Open one connection; the statement timeout bounds every query on it."""
    options = f"-c statement_timeout={int(statement_timeout_ms)}" if statement_timeout_ms else ""
    extra = {"connect_timeout": int(connect_timeout_s)} if connect_timeout_s else {}
    try:
        return psycopg2.connect(url, options=options, application_name=application_name,
                                **extra)
    except psycopg2.OperationalError as exc:
        raise ServiceUnavailable(
            "the database cannot be reached",
            fix="check that PostGIS runs (`make run` starts it) and DATABASE_URL",
        ) from exc


class Database:
    """A pool of connections to one PostGIS database."""

    def __init__(self, url: str, *, pool_size: int = 8, statement_timeout_ms: int | None = None,
                 application_name: str = "mapserver-web"):
        self.url = url
        self.pool_size = pool_size
        self.statement_timeout_ms = statement_timeout_ms
        self.application_name = application_name
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> psycopg2.pool.ThreadedConnectionPool:
        with self._lock:
            if self._pool is None:
                options = (f"-c statement_timeout={self.statement_timeout_ms}"
                           if self.statement_timeout_ms else "")
                try:
                    self._pool = psycopg2.pool.ThreadedConnectionPool(
                        0, self.pool_size, self.url, options=options,
                        application_name=self.application_name)
                    # psycopg2 closes every returned connection beyond `minconn`: with 0,
                    # each request paid a new connection (~50 ms).  Raised after creation,
                    # connections still open lazily but are kept, up to pool_size.
                    self._pool.minconn = self.pool_size
                except psycopg2.OperationalError as exc:
                    raise ServiceUnavailable("the database cannot be reached",
                                             fix="check that PostGIS runs") from exc
            return self._pool

    @contextmanager
    def connection(self, *, read_only: bool = False) -> Iterator[psycopg2.extensions.connection]:
        """Lend a connection for one unit of work: committed on success, rolled back else.

        `read_only` work runs without BEGIN/COMMIT (autocommit): two round trips fewer,
        which matters on the tile path. Safe for reading served layer tables, which
        never change once a version is live (a change is always a new table).
        """
        pool = self._get_pool()
        conn = self._checkout(pool)
        broken = False
        if read_only:
            conn.autocommit = True
        try:
            yield conn
            if not read_only:
                conn.commit()
        except psycopg2.errors.QueryCanceled as exc:
            conn.rollback()
            raise ServiceUnavailable("the query took too long",
                                     fix="ask for less (a smaller bbox or limit)") from exc
        except psycopg2.OperationalError as exc:
            broken = True
            raise ServiceUnavailable("the database connection was lost",
                                     fix="try again in a moment") from exc
        except BaseException:
            if not conn.closed and not read_only:
                conn.rollback()
            raise
        finally:
            if read_only and not conn.closed:
                conn.autocommit = False
            pool.putconn(conn, close=broken or bool(conn.closed))

    def _checkout(self, pool) -> psycopg2.extensions.connection:
        """Take a pooled connection that is still alive, replacing dead ones on the way.

        A session ended by the server (pg_terminate_backend, a restart, a failover) is
        only noticed by psycopg2 when next used, which made the next requests fail with
        503.  An idle connection has nothing to read; a FATAL message or EOF waiting on
        its socket means the server has ended it: close it and take another.  The
        check is one non-blocking poll (microseconds), no round trip.
        """
        for _ in range(self.pool_size + 1):
            try:
                conn = pool.getconn()
            except psycopg2.pool.PoolError as exc:
                raise ServiceUnavailable("the server is busy",
                                         fix="try again in a moment") from exc
            except psycopg2.OperationalError as exc:
                raise ServiceUnavailable("the database cannot be reached",
                                         fix="check that PostGIS runs") from exc
            if self._idle_and_alive(conn):
                return conn
            pool.putconn(conn, close=True)
        raise ServiceUnavailable("the database keeps ending new sessions",
                                 fix="check the PostGIS log")

    @staticmethod
    def _idle_and_alive(conn) -> bool:
        """Tell whether a pooled connection is open and the server has sent it nothing."""
        if conn.closed:
            return False
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)   # readable while idle: an error message, or EOF

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None
