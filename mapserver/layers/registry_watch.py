"""A worker's copy of the published layers, reloaded as soon as PostGIS says the registry changed.

The tile path is hot: asking the registry for every tile was most of a cached
tile's time (a round trip and a JSON parse, ~0.5 ms).  Each worker process keeps
the registry's rows instead and LISTENs on ``mapserver_layers``, which a trigger on
``mapserver.layers`` notifies at the commit of any change (load, publish, describe,
rollback, or an operator's own SQL).  Before each lookup the worker reads its
listening socket without blocking (about a microsecond, no round trip); a
notification means reload.  Notifications reach the socket tens of microseconds
after the commit (a few milliseconds on a busy machine), so unpublishing takes
effect at once for people; the worker that made a change reloads without waiting.

Workers stay stateless: the copy is a cache of PostGIS, never written to, and is
rebuilt at least every ``MAX_AGE`` seconds, and whenever the listening connection
breaks, in case a notification was lost.  Validity windows (``valid_from`` /
``valid_to``) are checked at each lookup, not when the copy was taken.
Notifications do not cross to read replicas: the listener connects to the primary.
It connects as the public read role (create_app): it only reads the registry.

When PostGIS cannot be reached, lookups go on from the last copy read (which
already knows what was unpublished, and windows are still checked at each
lookup), so tiles in the disk cache are served through an outage; the database
is tried again every ``RETRY_S`` seconds.  A worker that never read the registry
has no copy and answers 503.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg2

from mapserver.db import connect
from mapserver.errors import MapServerError, NotFound
from mapserver.layers import registry
from mapserver.params import LAYER_ID_MAX

CHANNEL = "mapserver_layers"
MAX_AGE = 60.0
RETRY_S = 2.0          # while the database is unreachable, how often to try it again
CONNECT_TIMEOUT_S = 2  # a database host that drops packets must not hold lookups long

log = logging.getLogger(__name__)


class RegistryWatch:
    """The loaded layers of one database, kept current by LISTEN/NOTIFY."""

    def __init__(self, url: str, *, max_age: float = MAX_AGE):
        self.url = url
        self.max_age = max_age
        self._lock = threading.Lock()
        self._listener = None
        self._records: dict[str, registry.LayerRecord] | None = None
        self._last: dict[str, registry.LayerRecord] | None = None   # kept through outages
        self._loaded_at = 0.0
        self._retry_at = 0.0
        # True while lookups are answered from the last copy because PostGIS is unreachable.
        self.degraded = False
        # How many times this process read the registry (tests read it).
        self.reloads = 0

    def public_layer(self, layer_id: str, copy: dict | None = None) -> registry.LayerRecord:
        """Return a layer anybody may see, or raise NotFound, as `registry.public_layer` does.

        `copy` is a copy already taken with `records` or `records_at_once`.
        """
        copy = self.records() if copy is None else copy
        record = copy.get(layer_id) if isinstance(layer_id, str) else None
        if record is None or not registry.is_public(record):
            raise NotFound(f"no published layer '{str(layer_id)[:LAYER_ID_MAX]}'",
                           fix="see /layers (or /ogc/collections) for the published layers")
        return record

    def invalidate(self) -> None:
        """Reload before the next lookup: this worker has just changed the registry itself.

        The notification of its own commit would arrive too, a little later; a worker
        must not answer its own next request from the copy it has just outdated.
        """
        with self._lock:
            self._records = None

    def records(self) -> dict[str, registry.LayerRecord]:
        """Return the registry's loaded layers by id, reloaded first if they changed."""
        with self._lock:
            if self._stale():
                self._reload()
            return self._records

    def records_at_once(self) -> dict[str, registry.LayerRecord] | None:
        """Return the copy if it is current and at hand, else None; never waits or reads.

        For an event loop, which must not block: None sends the caller to a thread,
        where `records` reloads (a stale copy is marked so that it does).
        """
        if not self._lock.acquire(blocking=False):
            return None   # another thread is reloading
        try:
            if self._stale():
                self._records = None   # what made it stale (a notification) is consumed
                return None
            return self._records
        finally:
            self._lock.release()

    def _stale(self) -> bool:
        if self._records is None:
            return True
        if self.degraded:
            return time.monotonic() >= self._retry_at
        if time.monotonic() - self._loaded_at > self.max_age:
            return True
        try:
            self._listener.poll()
            # A server ending the session (restart, failover, terminate) first sends a
            # FATAL message, which psycopg2 files under notices: the socket is not yet
            # seen as closed, but notifications will no longer come.
            ended = bool(self._listener.notices)
        except psycopg2.Error:
            ended = True
        if ended:
            log.warning("lost the registry listener; reconnecting")
            self._close()
            return True
        if self._listener.notifies:
            self._listener.notifies.clear()
            return True
        return False

    def _reload(self) -> None:
        try:
            try:
                rows = self._read()
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                # The session died unnoticed (a restart, a failover): once more, on a new one.
                log.warning("the registry listener's session had ended; reconnecting")
                self._close()
                rows = self._read()
        except (MapServerError, psycopg2.Error):
            if self._last is None:
                raise
            if not self.degraded:
                log.warning("PostGIS is unreachable: serving from the last copy of the "
                            "registry, trying again every %s s", RETRY_S)
            self._close()
            self._records = self._last
            self.degraded = True
            self._retry_at = time.monotonic() + RETRY_S
            return
        self._records = self._last = {r.id: r for r in rows}
        self.degraded = False
        self._loaded_at = time.monotonic()
        self.reloads += 1

    def _read(self) -> list[registry.LayerRecord]:
        if self._listener is None:
            self._listener = connect(self.url, application_name="mapserver-watch",
                                     connect_timeout_s=CONNECT_TIMEOUT_S)
            self._listener.autocommit = True
            with self._listener.cursor() as cur:
                cur.execute(f"LISTEN {CHANNEL}")
        # Listening starts before the read, so a change committed meanwhile is not missed.
        self._listener.notifies.clear()
        del self._listener.notices[:]
        try:
            return registry.list_all(self._listener)
        except psycopg2.Error:
            self._close()
            raise

    def _close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except psycopg2.Error:
                pass
        self._listener = None
        self._records = None
