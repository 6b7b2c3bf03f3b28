"""Run an ingest in a child process with CPU-time, memory and wall-clock limits.

GDAL and GEOS are C code reading files strangers made: a crash, a bomb that
slipped past the checks, or a pathological geometry must cost one child, never
a web worker.  Children fork from a *forkserver* that has imported the ingest
stack once, so a child starts in milliseconds and shares none of the parent's
threads, sockets or database connections.  The child opens its own database
connection; if it dies, PostgreSQL rolls its transaction back and the served
version stays.  Errors meant for a person (`MapServerError`) cross back intact.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading

from mapserver.errors import InvalidData, MapServerError, ServiceUnavailable

CPU_SECONDS = 900  # of processor time: a load of the whole demo city takes ~10
WALL_SECONDS = 1800  # of waiting, e.g. behind a lock on the layer, besides the work
MEMORY_BYTES = 8 * 1024**3  # address space; the demo parcels need under 1.5 GB
PRELOAD = ["mapserver.ingest.pipeline", "mapserver.admin.uploads"]

_lock = threading.Lock()
_log = logging.getLogger(__name__)


def _context():
    with _lock:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context


def _limit(kind: int, value: int) -> None:
    hard = resource.getrlimit(kind)[1]
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(kind, (value, hard))


def _child(sender, target, args) -> None:
    """Run target(*args) under the limits and send back what happened."""
    import psycopg2

    _limit(resource.RLIMIT_CPU, CPU_SECONDS)
    _limit(resource.RLIMIT_AS, MEMORY_BYTES)
    try:
        outcome = ("ok", target(*args))
    except MapServerError as exc:
        outcome = ("refused", type(exc), exc.args, dict(exc.__dict__))
    except psycopg2.OperationalError:
        outcome = ("database",)
    except MemoryError:
        outcome = ("memory",)
    except Exception:
        _log.exception("ingest child failed")
        outcome = ("failed",)
    sender.send(outcome)
    sender.close()


def run(target, *args, name: str):
    """Return target(*args) computed in a contained child; `name` is the file, for messages.

    `target` must be a module-level function and its arguments picklable.
    """
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, target, args), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(WALL_SECONDS):
            raise InvalidData(name, f"took longer than {WALL_SECONDS // 60} minutes to load",
                              fix="split the file into smaller ones, or simplify it")
        outcome = receiver.recv()
    except EOFError:  # the child died without a word: a signal, a crash, a limit
        process.join(5)
        raise InvalidData(name, "stopped the reader (it crashed or went past the limits of "
                          f"{CPU_SECONDS // 60} minutes of work and "
                          f"{MEMORY_BYTES // 1024**3} GB of memory)",
                          fix="check the file in a GIS program, or split it") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    return _answer(outcome, name)


def _answer(outcome: tuple, name: str):
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "refused":
        cls, args, state = outcome[1:]
        error = cls.__new__(cls)
        error.args = args
        error.__dict__.update(state)
        raise error
    if kind == "database":
        raise ServiceUnavailable("the connection to the database was lost during the load; "
                                 "nothing was changed", fix="send the file again in a minute")
    if kind == "memory":
        raise InvalidData(name, f"needs more than {MEMORY_BYTES // 1024**3} GB of memory "
                          "to load", fix="split the file into smaller ones")
    raise RuntimeError("the ingest child failed; its log has the details")
