"""The app under Granian's RSGI interface: bodies read on the event loop, requests on threads.

Under Granian's WSGI interface a request reaches a worker thread as soon as its
headers are in, and that thread then blocks reading the body, with no time limit
(Granian has no body read timeout): 16 connections that sent a few bytes of a
declared 2 KB body and stalled held all 8 threads of `make run` (2 workers x 4),
and /healthz stopped answering until they closed.  Here each worker's asyncio
loop reads a request's body first, at no thread's cost, under a deadline:
``MAPSERVER_BODY_TIMEOUT_S`` for each next piece, and the whole body at
``MIN_BODY_RATE`` bytes a second on average.  A body that misses it gets 408 and
the connection is closed.  Only a complete request goes to one of the worker's
``MAPSERVER_THREADS`` threads, which run the WSGI app unchanged (the tile fast
path included).  Bodies up to ``SPOOL_BYTES`` stay in memory, larger ones
(uploads) go to a temporary file; a body declared larger than the upload limit
is not read and the app answers 413.

Answers stream back in batches of ``BATCH_BYTES``: a thread makes the next batch,
the loop sends it, so a slow reader of a download holds no thread either.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

MIN_BODY_RATE = 16 * 1024
SPOOL_BYTES = 1024 * 1024
BATCH_BYTES = 256 * 1024
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

log = logging.getLogger(__name__)


class _Refused(Exception):
    """A request body that is not handed to the app: its status and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class RsgiBridge:
    """An RSGI application that runs a WSGI app on a bounded pool of threads."""

    def __init__(self, wsgi_app, *, threads: int, body_timeout_s: float, max_body: int,
                 at_once=None):
        self.wsgi_app = wsgi_app
        # at_once(method, path, query, if_none_match) -> (status, headers, body) or None:
        # an answer made on the loop without waiting (a cached tile), or None.
        self.at_once = at_once
        self.threads = threads
        self.body_timeout_s = body_timeout_s
        self.max_body = max_body
        self._pool: ThreadPoolExecutor | None = None
        self._base = {
            "SCRIPT_NAME": "", "SERVER_SOFTWARE": "Granian (RSGI) + mapserver",
            "wsgi.version": (1, 0), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.input_terminated": True,
        }

    def __rsgi_init__(self, loop) -> None:
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="mapserver")

    def __rsgi_del__(self, loop) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def __rsgi__(self, scope, protocol) -> None:
        if scope.proto != "http":
            protocol.close(403)   # no websockets here
            return
        if self._pool is None:
            self.__rsgi_init__(None)
        if self.at_once is not None:
            found = self.at_once(scope.method, scope.path, scope.query_string,
                                 scope.headers.get("if-none-match", ""))
            if found is not None:
                protocol.response_bytes(*found)
                return
        environ = self._environ(scope)
        try:
            await self._read_body(scope, protocol, environ)
        except _Refused as refused:
            _refuse(protocol, refused)
            return
        loop = asyncio.get_running_loop()
        try:
            status, headers, first, rest = await loop.run_in_executor(
                self._pool, _start, self.wsgi_app, environ)
        except Exception:   # noqa: BLE001 - Flask answers its own errors; this is below it
            log.exception("the app failed before answering")
            _refuse(protocol, _Refused(500, "ServerError", "the server failed to answer; "
                                       "the error was logged"))
            return
        if rest is None:
            protocol.response_bytes(status, headers, first)
            return
        try:
            transport = protocol.response_stream(status, headers)
            chunk = first
            while chunk:
                await transport.send_bytes(chunk)
                chunk = await loop.run_in_executor(self._pool, _batch, rest)
        except Exception:   # noqa: BLE001 - the client went away mid-stream
            log.info("stream to %s ended early", environ.get("REMOTE_ADDR"))
        finally:
            await loop.run_in_executor(self._pool, _close, rest)

    def _environ(self, scope) -> dict:
        host, _, port = scope.server.rpartition(":")
        environ = dict(self._base)
        environ.update({
            "REQUEST_METHOD": scope.method,
            # RSGI gives the path percent-decoded as UTF-8; WSGI wants its bytes as latin-1.
            "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": host.strip("[]"), "SERVER_PORT": port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": scope.client.rpartition(":")[0].strip("[]"),
            "wsgi.url_scheme": scope.scheme,
        })
        for name, value in scope.headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
                continue
            key = "HTTP_" + key
            if key in environ:
                environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                environ[key] = value
        return environ

    async def _read_body(self, scope, protocol, environ: dict) -> None:
        """Put the whole body in environ['wsgi.input'], read under the deadline."""
        declared = _declared_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and (declared or 0) == 0 and scope.method not in _BODY_METHODS:
            environ["wsgi.input"] = io.BytesIO()
            return
        if declared is not None and declared > self.max_body:
            environ["wsgi.input"] = io.BytesIO()   # not read: the app answers 413
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        received = 0
        pieces = protocol.__aiter__()
        try:
            while declared is None or received < declared:
                # The whole body must come at MIN_BODY_RATE on average, each piece in time.
                allowed = self.body_timeout_s + max(declared or 0, received) / MIN_BODY_RATE
                wait = min(self.body_timeout_s, started + allowed - loop.time())
                if wait <= 0:
                    raise TimeoutError
                try:
                    piece = await asyncio.wait_for(pieces.__anext__(), wait)
                except StopAsyncIteration:
                    break
                if not piece:
                    break
                received += len(piece)
                if received > self.max_body:
                    raise _Refused(413, "RequestEntityTooLarge", "the request body is larger "
                                   f"than the upload limit of {self.max_body // 2**20} MB")
                spool.write(piece)
        except TimeoutError:
            spool.close()
            raise _Refused(408, "RequestTimeout", "the request body came too slowly; nothing "
                           "was done. Fix: send the whole body at once") from None
        except _Refused:
            spool.close()
            raise
        if declared is not None and received < declared:
            spool.close()
            raise _Refused(400, "BadRequest", "the request body ended before its "
                           "Content-Length")
        spool.seek(0)
        environ["wsgi.input"] = spool
        environ["CONTENT_LENGTH"] = str(received)
        environ.pop("HTTP_TRANSFER_ENCODING", None)


def _refuse(protocol, refused: _Refused) -> None:
    """Answer in the one error shape, and close the connection."""
    body = json.dumps({"code": refused.code, "description": refused.message}).encode()
    protocol.response_bytes(refused.status, [
        ("content-type", "application/json"), ("connection", "close"),
        ("x-content-type-options", "nosniff")], body)


def _declared_length(environ: dict) -> int | None:
    raw = environ.get("CONTENT_LENGTH", "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit():
        return 0   # hyper refuses such requests before they get here
    return int(raw)


def _start(app, environ: dict):
    """Run the app until its answer starts; return status, headers, first batch, the rest.

    The rest is None when the whole answer is in the first batch (most answers).
    """
    started = {}

    def start_response(status, headers, exc_info=None):
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"], started["headers"] = status, headers
        return _no_write

    result = app(environ, start_response)
    if isinstance(result, (list, tuple)):
        body = b"".join(result)
        _close(result)
        return _status(started), started["headers"], body, None
    iterator = iter(result)
    first = _batch(iterator)
    if "status" not in started:   # an app may call start_response with its first chunk
        raise RuntimeError("the WSGI app did not start its response")
    if len(first) < BATCH_BYTES:
        _close(result)
        return _status(started), started["headers"], first, None
    return _status(started), started["headers"], first, _Rest(result, iterator)


class _Rest:
    """What is left of a streamed answer: the app's iterable and its iterator."""

    def __init__(self, result, iterator):
        self.result, self.iterator = result, iterator


def _batch(source) -> bytes:
    """Return the next ~BATCH_BYTES of an answer (b'' at its end)."""
    iterator = source.iterator if isinstance(source, _Rest) else source
    parts, size = [], 0
    for chunk in iterator:
        if chunk:
            parts.append(chunk)
            size += len(chunk)
            if size >= BATCH_BYTES:
                break
    return b"".join(parts)


def _close(result) -> None:
    target = result.result if isinstance(result, _Rest) else result
    close = getattr(target, "close", None)
    if close is not None:
        close()


def _status(started: dict) -> int:
    return int(started["status"].split(" ", 1)[0])


def _no_write(data: bytes) -> None:
    raise RuntimeError("the write() callable is not supported; return an iterable")


def create_server():
    """Return the app as an RSGI application (Granian's --factory target)."""
    from mapserver import create_app

    app = create_app()
    settings = app.extensions["mapserver.settings"]
    return RsgiBridge(app, threads=settings.threads, body_timeout_s=settings.body_timeout_s,
                      max_body=app.config["MAX_CONTENT_LENGTH"],
                      at_once=getattr(app.wsgi_app, "cached", None))
