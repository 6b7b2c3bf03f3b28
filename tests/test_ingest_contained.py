"""Ingest runs in a contained child: a crash, a memory hog or a refusal costs one child only."""

from __future__ import annotations

import os
import signal
import time

import pytest

from mapserver.admin import uploads
from mapserver.errors import Conflict, InvalidData, ServiceUnavailable
from mapserver.ingest import contained


def _refuse(kind):
    if kind == "data":
        raise InvalidData("x.geojson", "is odd", fix="make it even")
    raise Conflict("changed by someone else", fix="reload")


def _crash():
    os.kill(os.getpid(), signal.SIGSEGV)


def _hog():
    return bytearray(contained.MEMORY_BYTES + 1)


def _lose_database():
    import psycopg2

    raise psycopg2.OperationalError("server closed the connection unexpectedly")


def _answer(value):
    return {"pid": os.getpid(), "value": value}


def test_a_result_comes_back_from_another_process():
    result = contained.run(_answer, 42, name="f")
    assert result["value"] == 42 and result["pid"] != os.getpid()


@pytest.mark.parametrize(("kind", "error", "text"), [
    ("data", InvalidData, "x.geojson: is odd. Fix: make it even."),
    ("conflict", Conflict, "changed by someone else. Fix: reload."),
])
def test_errors_for_people_cross_back_intact(kind, error, text):
    with pytest.raises(error) as caught:
        contained.run(_refuse, kind, name="f")
    assert caught.value.description == text


def test_a_crash_costs_the_child_only():
    with pytest.raises(InvalidData, match="stopped the reader"):
        contained.run(_crash, name="crash.geojson")
    assert contained.run(_answer, 1, name="f")["value"] == 1  # the parent carries on


def test_memory_is_bounded():
    with pytest.raises(InvalidData, match="GB of memory"):
        contained.run(_hog, name="big.gpkg")


def test_a_lost_database_is_a_503_saying_nothing_changed():
    with pytest.raises(ServiceUnavailable, match="nothing was changed"):
        contained.run(_lose_database, name="f")


def test_stale_upload_folders_are_swept(settings):
    folder = settings.var_dir / "uploads"
    old, fresh = folder / "old-one", folder / "fresh-one"
    for path in (old, fresh):
        path.mkdir(parents=True, exist_ok=True)
        (path / "part.geojson").write_text("{")
    an_hour_ago = time.time() - 2 * contained.WALL_SECONDS - 60
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert uploads.sweep_stale(settings) >= 1
    assert not old.exists() and fresh.exists()
