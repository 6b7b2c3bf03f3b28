"""Bulkheads: no kind of heavy request can take every thread of a worker.

A worker runs `MAPSERVER_THREADS` requests at once.  Without bounds, 16 slow
anonymous feature queries held all 8 threads of `make run` and a cached tile
waited ~11 s behind them.  Per worker process now:

* costly anonymous reads (OGC items pages, downloads, map features in a box,
  search, the QR sheet) run at most `MAPSERVER_COSTLY_QUERIES` at once; one more is answered
  **503 with Retry-After at once**, never queued, so the threads left answer
  everything else (healthz, pages, the admin) and tiles keep rendering;
* tile renders (cache misses) run at most `MAPSERVER_TILE_RENDERS` at once; one
  more waits up to `RENDER_WAIT_S` for its turn (a map view asks for dozens of
  tiles together, and a shed tile is a hole in the map), then 503 with Retry-After.

Cached tiles need no lane (no database, and the RSGI bridge answers them on its
event loop).  People logged in (a valid session or API token: staff, planners)
are not bounded by the costly lane.  The bounds hold per process: N workers
admit N times as many.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import wraps

from flask import current_app, make_response, request

from mapserver.auth.identify import anonymous
from mapserver.errors import ServiceUnavailable

RETRY_AFTER_S = 1
RENDER_WAIT_S = 2.0


class Lane:
    """At most `limit` holders at once; others wait up to `wait_s` (0: not at all), or 503."""

    def __init__(self, what: str, limit: int, wait_s: float = 0.0):
        self.what = what
        self.limit = limit
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(limit)

    def take(self) -> None:
        """Take a slot, or raise ServiceUnavailable (503 with Retry-After)."""
        taken = (self._slots.acquire(timeout=self.wait_s) if self.wait_s
                 else self._slots.acquire(blocking=False))
        if not taken:
            raise ServiceUnavailable(
                f"the server is busy with other {self.what} ({self.limit} at once per "
                "worker); nothing was done", fix=f"try again in {RETRY_AFTER_S} s",
                retry_after=RETRY_AFTER_S)

    def release(self) -> None:
        """Give a slot back."""
        self._slots.release()

    @contextmanager
    def turn(self):
        """Hold a slot for the duration of a block."""
        self.take()
        try:
            yield
        finally:
            self.release()


class Lanes:
    """The lanes of one worker process, made by create_app."""

    def __init__(self, costly: int, renders: int):
        self.costly = Lane("feature queries and downloads", costly)
        self.render = Lane("tile renders", renders, RENDER_WAIT_S)


def costly(view):
    """Run an anonymous caller's view in the costly lane; a stream holds it until sent."""

    @wraps(view)
    def bounded(*args, **kwargs):
        if not anonymous(request, current_app.extensions["mapserver.db"]):
            return view(*args, **kwargs)
        lane = current_app.extensions["mapserver.lanes"].costly
        lane.take()
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            lane.release()
            raise
        if response.is_streamed and not response.direct_passthrough:
            # A stream (GeoJSON, CSV) queries PostGIS while it is sent: the slot is given
            # back when the server closes it.  Files (send_file) are made already.
            response.call_on_close(lane.release)
        else:
            lane.release()
        return response

    return bounded
