"""A per-address limit on anonymous public reads: 429 with Retry-After past it.

Counted in PostGIS (`mapserver.read_rate`, migration 020), one upsert per read in
fixed one-minute windows, so the limit holds across workers, processes and hosts
as the feedback limit does (site/feedback.py); the address is stored only as a
salted hash.  Exempt: tiles (a map view asks for dozens, and a cached one must
not wait for PostGIS; limit them in the front server, docs/deploy/nginx-site.conf),
static files, /healthz (load balancers), the admin (logged in, its login is
throttled on its own), and anyone logged in.  Behind a proxy the address is the
client's only with MAPSERVER_TRUSTED_PROXIES (ProxyFix), else every client shares
the proxy's.  When PostGIS cannot be reached nothing is counted: the read itself
then says so, and cached tiles go on being served.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg2
from flask import current_app, request

from mapserver.auth.identify import anonymous
from mapserver.errors import ServiceUnavailable, TooManyRequests
from mapserver.web import public_database

WINDOW_S = 60
EXEMPT_ENDPOINTS = {"tiles.tile", "tiles.ogc_tile", "mapsite.static_file",
                    "mapsite.vendor_file", "mapsite.messages", "health.healthz"}
EXEMPT_BLUEPRINTS = {"admin_pages", "admin_api"}

_COUNT = (
    "INSERT INTO mapserver.read_rate AS r (client_hash, window_start)"
    " SELECT encode(sha256(convert_to(s.salt || ':' || %(client)s, 'UTF8')), 'hex'),"
    " date_bin(%(window)s::interval, now(), 'epoch') FROM mapserver.feedback_salt s"
    " ON CONFLICT (client_hash, window_start) DO UPDATE SET hits = r.hits + 1"
    " RETURNING r.hits, ceil(extract(epoch FROM r.window_start + %(window)s::interval"
    " - now()))::int")
_SWEEP = "DELETE FROM mapserver.read_rate WHERE window_start < now() - %s::interval"

log = logging.getLogger(__name__)


class ReadLimit:
    """Counts of one database; `limit` reads per address and window (0: no limit)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._next_sweep = 0.0
        self._lock = threading.Lock()
        self._warned = False

    def count(self, database, client: str) -> None:
        """Count one read of `client`; raise TooManyRequests past the limit."""
        try:
            with database.connection() as conn, conn.cursor() as cur:
                cur.execute(_COUNT, {"client": client, "window": f"{WINDOW_S} seconds"})
                hits, left = cur.fetchone()
                if self._sweep_due():
                    cur.execute(_SWEEP, (f"{2 * WINDOW_S} seconds",))
        except ServiceUnavailable:
            return   # PostGIS is down or busy: the read itself will say so (or not need it)
        except psycopg2.Error:
            # A missing grant or table (migration 020 not applied): serve, and say it once.
            if not self._warned:
                self._warned = True
                log.exception("the public read limit cannot count; reads are not limited")
            return
        if hits > self.limit:
            raise TooManyRequests(
                f"more than {self.limit} requests in {WINDOW_S} s from your address",
                fix=f"wait {max(left, 1)} s; for whole layers use the downloads",
                retry_after=max(left, 1))

    def _sweep_due(self) -> bool:
        """Tell whether this process should delete old windows now (once per window)."""
        with self._lock:
            now = time.monotonic()
            if now < self._next_sweep:
                return False
            self._next_sweep = now + WINDOW_S
            return True


def init_app(app) -> None:
    """Count every anonymous public read before its view runs."""
    limit = ReadLimit(app.extensions["mapserver.settings"].read_rate_limit)
    app.extensions["mapserver.read_limit"] = limit
    if not limit.limit:
        return

    @app.before_request
    def limit_public_reads():
        if request.method not in ("GET", "HEAD") or request.endpoint in EXEMPT_ENDPOINTS \
                or request.blueprint in EXEMPT_BLUEPRINTS:
            return
        # Who asks is known on the application role (sessions); counting is a public
        # write, on the public read role (migration 020 grants it the table).
        if anonymous(request, current_app.extensions["mapserver.db"]):
            limit.count(public_database(), request.remote_addr or "unknown")
