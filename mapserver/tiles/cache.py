"""A disk cache of rendered tiles, keyed by layer version, safe across worker processes.

Layout: ``<root>/<layers>/<version>/<z>/<x>/<y>.mvt`` where ``<layers>`` is a layer
id (or several joined by commas, for a composite tile) and ``<version>`` the layer's
version (``3``, or ``3-7-1`` for a composite).  Loading a new version changes the
path, so old tiles become unreachable at once; the first tile written for a new
version also deletes the older versions' folders, so a front server cannot serve them.
Because the path holds only what the URL holds (the tile URLs of TileJSON carry
``?v=<version>``), a front web server can serve hits itself, e.g. nginx:
``try_files /cache/$layers/$arg_v/$z/$x/$y.mvt @mapserver;``.

An empty tile is stored as an empty ``<y>.empty`` marker instead, so a front server
finds no ``.mvt`` and passes the request on: empty tiles are answered by the
server the same way (204) whether cached or not.  Tiles are written to a temporary file
and renamed over the final name (``os.replace``), so a reader sees a whole tile
or none.  Concurrent requests for the same missing tile render it once: the
renderer holds an exclusive ``flock`` on one of ``LOCK_BUCKETS`` lock files chosen
by the tile's path, which works between threads and between worker processes
(each open() has its own lock); the others wait, then read the file it wrote.
The web server hands the writing to a thread (`write_behind`) and answers at
once; the lock is released only when the file is there.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import secrets
import shutil
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LOCK_BUCKETS = 1024
MAX_NAME = 200
_KEY = re.compile(r"[a-z0-9][a-z0-9,-]{0,600}")
_VERSION = re.compile(r"[0-9][0-9-]{0,200}")

log = logging.getLogger(__name__)


class TileCache:
    """Tiles on disk under one root folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._root = str(self.root)
        self._state_lock = threading.Lock()   # guards `renders` and the writer thread
        self._locks_ready = False
        self._executor: ThreadPoolExecutor | None = None
        # How many tiles this process rendered (tests and the log read it).
        self.renders = 0

    def path(self, key: str, version: str, z: int, x: int, y: int) -> Path:
        """Return where tile z/x/y of `key` at `version` is stored."""
        return Path(self._file(key, version, z, x, y))

    def _file(self, key: str, version: str, z: int, x: int, y: int) -> str:
        # Plain strings, not Path: this runs on every tile request, hits included.
        if not _KEY.fullmatch(key) or not _VERSION.fullmatch(str(version)):
            raise ValueError(f"bad tile cache key {key!r} / {version!r}")
        if len(key) > MAX_NAME:
            # A folder name may not exceed 255 bytes: long composites get a digest instead
            # (a front server then passes them on to the app).
            key = "composite-" + hashlib.sha256(key.encode()).hexdigest()[:32]
        version = str(version)
        if len(version) > MAX_NAME:
            version = "v-" + hashlib.sha256(version.encode()).hexdigest()[:32]
        return f"{self._root}/{key}/{version}/{int(z)}/{int(x)}/{int(y)}.mvt"

    def read(self, key: str, version: str, z: int, x: int, y: int) -> bytes | None:
        """Return the cached tile (b'' for an empty one), or None when it is not cached."""
        return _read_tile(self._file(key, version, z, x, y))

    def get_or_render(self, key: str, version: str, z: int, x: int, y: int,
                      render: Callable[[], bytes], *,
                      write_behind: bool = False) -> tuple[bytes, bool]:
        """Return (tile, was_cached): the stored tile, or render it once and store it.

        With `write_behind` the tile is returned as soon as it is rendered and a
        writer thread stores it (creating a file costs 0.1-0.4 ms, a third of a
        small tile's time); the render lock is held until the file is there, so a
        concurrent request for the same tile still waits and reads it.
        """
        target = self._file(key, version, z, x, y)
        data = _read_tile(target)
        if data is not None:
            return data, True
        lock = self._lock(target).acquire()
        handed_over = False
        try:
            data = _read_tile(target)   # another worker may have written it while we waited
            if data is not None:
                return data, True
            data = render()
            with self._state_lock:
                self.renders += 1
            if write_behind:
                self._writer().submit(self._store, key, version, target, data, lock)
                handed_over = True
            else:
                self._store(key, version, target, data)
            return data, False
        finally:
            if not handed_over:
                lock.release()

    def flush(self) -> None:
        """Wait until every tile handed to the writer thread is on disk."""
        with self._state_lock:
            writer = self._executor
        if writer is not None:
            writer.submit(lambda: None).result()

    def _writer(self) -> ThreadPoolExecutor:
        with self._state_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="tile-writer")
            return self._executor

    def _store(self, key: str, version: str, target: str, data: bytes,
               lock: _FileLock | None = None) -> None:
        try:
            version_folder = os.path.dirname(os.path.dirname(os.path.dirname(target)))
            first_of_version = not os.path.isdir(version_folder)
            _write_atomically(target if data else _empty_marker(target), data)
            if first_of_version:
                # A new version is served: remove the old tiles so that a front server
                # reading the folders cannot serve them either.
                self.drop_other_versions(key, version)
        except OSError as exc:
            if lock is None:
                raise   # a seed must know that its tiles were not stored
            # Served anyway, the next request renders it again (e.g. the folder was purged).
            log.warning("could not store tile %s: %s", target, exc)
        finally:
            if lock is not None:
                lock.release()

    def _lock(self, target: str):
        bucket = zlib.crc32(target[len(self._root) + 1:].encode()) % LOCK_BUCKETS
        folder = self.root / ".locks"
        if not self._locks_ready:
            self._prepare_locks(folder)
        return _FileLock(folder / f"{bucket:04d}.lock")

    def _prepare_locks(self, folder: Path) -> None:
        """Create every lock file once: creating a file costs ~0.4 ms, opening one ~0.01 ms."""
        ready = folder / "ready"
        if not ready.exists():
            folder.mkdir(parents=True, exist_ok=True)
            for bucket in range(LOCK_BUCKETS):
                os.close(os.open(folder / f"{bucket:04d}.lock", os.O_RDWR | os.O_CREAT, 0o644))
            ready.touch()
        self._locks_ready = True

    def drop_layer(self, layer_id: str) -> list[str]:
        """Delete every cached tile of a layer, alone or in a composite; return the folders.

        Needed when a layer is hidden: a front web server serving this folder directly
        does not ask the registry. Composites too long for a folder name are stored
        under a digest and cannot be told apart, so those are dropped as well.
        """
        self.flush()   # a tile rendered just before must not land after the drop
        dropped = []
        if self.root.is_dir():
            for child in self.root.iterdir():
                if child.is_dir() and (layer_id in child.name.split(",")
                                       or child.name.startswith("composite-")):
                    shutil.rmtree(child, ignore_errors=True)
                    dropped.append(child.name)
        return dropped

    def drop_other_versions(self, key: str, version: str) -> list[str]:
        """Delete the cached tiles of `key` at every version but `version`; return those."""
        keep = self.path(key, version, 0, 0, 0).parents[2]
        folder = keep.parent
        dropped = []
        if folder.is_dir():
            for child in folder.iterdir():
                if child.is_dir() and child.name != keep.name:
                    shutil.rmtree(child, ignore_errors=True)
                    dropped.append(child.name)
        return dropped


class _FileLock:
    """An exclusive flock from `acquire` to `release`; the lock file itself is kept."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> _FileLock:
        """Take the lock (blocking); `release` gives it back, from any thread."""
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:   # somebody emptied the cache folder meanwhile
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def release(self) -> None:
        """Give the lock back and close its file."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)
            self.fd = None


def _empty_marker(target: str) -> str:
    return target[:-len(".mvt")] + ".empty"


def _read_tile(target: str) -> bytes | None:
    try:
        with open(target, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return b"" if os.path.exists(_empty_marker(target)) else None


def _write_atomically(target: str, data: bytes) -> None:
    folder, name = os.path.split(target)
    temporary = f"{folder}/.{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        try:
            handle = open(temporary, "wb")
        except FileNotFoundError:   # the first tile of its column: make the folders
            os.makedirs(folder, exist_ok=True)
            handle = open(temporary, "wb")
        with handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
