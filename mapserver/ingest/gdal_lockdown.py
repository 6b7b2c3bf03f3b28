"""Lock the GDAL that reads uploads down to the file drivers the product needs, offline.

GDAL picks a driver by a file's content, and some drivers follow what a file
says: a VRT document opens the files it names (a planted secret comes back in
the upload report), a GeoJSON ``crs`` of type ``link`` makes GDAL fetch a URL.
pyogrio has no allowed-drivers argument, so this works on the GDAL library
pyogrio loaded, through its C API: every driver outside the allow-list is
deregistered (and named in ``GDAL_SKIP``, so a later ``GDALAllRegister`` drops
it again), every HTTP fetch GDAL would make is answered "refused" by a
callback, and the ``/vsicurl/`` family accepts no file name.  A check that the
registered drivers are exactly the allowed ones runs after; if it fails, no
file is read at all.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

from mapserver.ingest.formats import DRIVERS

ALLOWED = frozenset(driver for drivers in DRIVERS.values() for driver in drivers)
NO_CURL_FILE = "/vsicurl/network-access-is-disabled"

_lock = threading.Lock()
_state: dict = {}  # the C callback and the library, kept alive for the process
_fetches = threading.local()  # GDAL fetches in the thread that asked for them


class _HTTPResult(ctypes.Structure):
    """GDAL's CPLHTTPResult (cpl_http.h), as the fetch callback must return it."""

    _fields_ = [("nStatus", ctypes.c_int), ("pszContentType", ctypes.c_void_p),
                ("pszErrBuf", ctypes.c_void_p), ("nDataLen", ctypes.c_int),
                ("nDataAlloc", ctypes.c_int), ("pabyData", ctypes.c_void_p),
                ("papszHeaders", ctypes.c_void_p), ("nMimePartCount", ctypes.c_int),
                ("pasMimePart", ctypes.c_void_p)]


_FETCH = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


def _pyogrio_gdal() -> ctypes.CDLL:
    """Return the GDAL library that pyogrio's extension modules use."""
    import pyogrio

    bundled = sorted((Path(pyogrio.__file__).parent.parent / "pyogrio.libs").glob("libgdal*"))
    if bundled:
        return ctypes.CDLL(str(bundled[0]))  # dlopen returns the handle already loaded
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "/libgdal" in path and "fiona" not in path:
            return ctypes.CDLL(path)
    raise RuntimeError("cannot find the GDAL library pyogrio uses; uploads stay disabled")


def _declare(lib: ctypes.CDLL) -> None:
    lib.GDALGetDriverCount.restype = ctypes.c_int
    lib.GDALGetDriver.restype = ctypes.c_void_p
    lib.GDALGetDriver.argtypes = [ctypes.c_int]
    lib.GDALGetDriverShortName.restype = ctypes.c_char_p
    lib.GDALGetDriverShortName.argtypes = [ctypes.c_void_p]
    lib.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
    lib.VSICalloc.restype = ctypes.c_void_p
    lib.VSICalloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
    lib.CPLStrdup.restype = ctypes.c_void_p
    lib.CPLStrdup.argtypes = [ctypes.c_char_p]
    lib.CPLHTTPSetFetchCallback.argtypes = [_FETCH, ctypes.c_void_p]
    lib.CPLSetConfigOption.argtypes = [ctypes.c_char_p, ctypes.c_char_p]


def _drivers(lib: ctypes.CDLL) -> dict[str, int]:
    return {lib.GDALGetDriverShortName(handle).decode(): handle
            for handle in (lib.GDALGetDriver(i) for i in range(lib.GDALGetDriverCount()))}


def refused_fetches() -> int:
    """Return how many network fetches GDAL attempted (and was refused) in this thread."""
    return getattr(_fetches, "count", 0)


def lock_down() -> None:
    """Leave only the allowed drivers in pyogrio's GDAL and refuse all its network access.

    Cheap once done (one C call checks that no driver came back); raises
    RuntimeError, so that no file is read, if the library cannot be locked.
    """
    lib = _state.get("lib")
    if lib is not None and lib.GDALGetDriverCount() == _state.get("count"):
        return
    with _lock:
        if "lib" not in _state:
            lib = _pyogrio_gdal()
            _declare(lib)
            _refuse_network(lib)
        lib = _state["lib"]
        unwanted = [name for name in _drivers(lib) if name not in ALLOWED]
        # GDAL_SKIP makes a later GDALAllRegister drop them again (names split on spaces).
        lib.CPLSetConfigOption(b"GDAL_SKIP", " ".join(unwanted).encode())
        for name in unwanted:
            lib.GDALDeregisterDriver(_drivers(lib)[name])
        left = set(_drivers(lib))
        if not left <= ALLOWED:
            raise RuntimeError(f"GDAL still has drivers {sorted(left - ALLOWED)}")
        _state["count"] = len(left)


def _refuse_network(lib: ctypes.CDLL) -> None:
    """Answer every HTTP fetch GDAL attempts with an error, and let /vsicurl/ open nothing."""

    def refuse(url, *_):
        _fetches.count = refused_fetches() + 1
        result = lib.VSICalloc(1, ctypes.sizeof(_HTTPResult))  # GDAL frees it
        view = _HTTPResult.from_address(result)
        view.nStatus = 1
        view.pszErrBuf = lib.CPLStrdup(b"network access is disabled while reading uploads")
        return result

    callback = _FETCH(refuse)
    lib.CPLHTTPSetFetchCallback(callback, None)
    lib.CPLSetConfigOption(b"CPL_VSIL_CURL_ALLOWED_FILENAME", NO_CURL_FILE.encode())
    # Should a curl request still be made, it goes to a closed local port, not its target.
    lib.CPLSetConfigOption(b"GDAL_HTTP_PROXY", b"127.0.0.1:9")
    _state.update(lib=lib, callback=callback)
