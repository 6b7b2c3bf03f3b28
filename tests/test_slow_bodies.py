"""Slow or stalled request bodies cannot hold the server's threads (`mapserver serve`).

Regression: under Granian's WSGI interface a request reached a worker thread as
soon as its headers were in and the thread then waited for the body with no time
limit: 16 connections sending a few bytes of a declared 2 KB body and stalling held
all 8 threads of `make run` (2 workers x 4), and /healthz stopped answering until
they closed.  Bodies are now read on each worker's event loop under a deadline.
"""

from __future__ import annotations

import json
import os
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import production_server

STALLED = 16
TIMEOUT_S = 3   # MAPSERVER_BODY_TIMEOUT_S of the server under test


@pytest.fixture(scope="module")
def server(database_env, settings, demo_city):
    env = dict(os.environ, **database_env, MAPSERVER_HOME=str(settings.home),
               MAPSERVER_BODY_TIMEOUT_S=str(TIMEOUT_S), MAPSERVER_MAX_UPLOAD_MB="2")
    env.pop("PYTHONWARNINGS", None)
    with production_server(env, workers=2, threads=4) as base:
        yield base


def _address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    assert parts.hostname == "127.0.0.1"   # loopback only
    return parts.hostname, parts.port


def _stall(base: str, declared: int = 2048, sent: bytes = b"score=1") -> socket.socket:
    """Open a connection that declares a body, sends a few bytes of it, and stops."""
    sock = socket.create_connection(_address(base), timeout=30)
    sock.sendall(b"POST /api/feedback/score HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n"
                 b"Accept: application/json\r\n"
                 + f"Content-Length: {declared}\r\n\r\n".encode() + sent)
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict, bytes]:
    """Read one whole answer and the end of the connection (bounded by the socket timeout)."""
    data = b""
    while True:
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def test_stalled_bodies_hold_no_thread_and_end_in_408(server):
    stalled = [_stall(server) for _ in range(STALLED)]
    try:
        time.sleep(0.5)   # every stalled request has reached the server by now
        # Everything else still answers, over and over, while the 16 bodies stall.
        for _ in range(5):
            health = requests.get(f"{server}/healthz", timeout=10)
            assert health.status_code == 200 and health.json()["status"] == "ok"
        assert requests.get(f"{server}/tiles/streets/15/9913/12119.mvt",
                            timeout=10).status_code == 200
        stored = requests.post(f"{server}/api/feedback/score", data={"score": "8"},
                               headers={"Accept": "application/json"}, timeout=10)
        assert stored.status_code in (201, 429), stored.text   # 429: the feedback limit
        # The stalled ones are answered 408 in the one error shape, and closed.
        for sock in stalled:
            status, headers, body = _answer(sock)
            assert status == 408 and headers["connection"] == "close"
            assert set(json.loads(body)) == {"code", "description"}
    finally:
        for sock in stalled:
            sock.close()


def test_a_slow_but_steady_body_is_read(server):
    body = b"score=7&comment=" + b"x" * 300
    sock = _stall(server, declared=len(body), sent=body[:10])
    try:
        for start in range(10, len(body), 100):   # pieces well inside the deadline
            time.sleep(0.3)
            sock.sendall(body[start:start + 100])
        status, _, answer = _answer_keepalive(sock)
    finally:
        sock.close()
    assert status in (201, 429), answer


def _answer_keepalive(sock: socket.socket) -> tuple[int, dict, bytes]:
    """Read one answer on a connection that stays open (up to its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


def test_a_body_declared_over_the_upload_limit_is_answered_unread(server):
    # Nothing of the 5 MB is sent: had the server waited for it, this would be a 408.
    # The feedback view refuses bodies over its own 16 KB limit with a 400.
    sock = _stall(server, declared=5 * 1024 * 1024, sent=b"")
    try:
        status, _, body = _answer_keepalive(sock)
    finally:
        sock.close()
    assert status == 400 and set(json.loads(body)) == {"code", "description"}


def test_a_chunked_body_over_the_upload_limit_is_cut_at_the_limit(server):
    sock = socket.create_connection(_address(server), timeout=30)
    try:
        sock.sendall(b"POST /api/feedback/score HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 65536
        for _ in range(40):   # 2.5 MB against a limit of 2 MB
            try:
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            except OSError:
                break   # the server answered and closed: enough
        status, _, body = _answer(sock)
    finally:
        sock.close()
    assert status == 413 and set(json.loads(body)) == {"code", "description"}


def test_the_bridge_hands_the_app_whole_requests(server, database_url):
    """Uploads, headers, HEAD and odd paths reach the WSGI app as any WSGI server gives them."""
    import psycopg2

    from mapserver.auth import sessions, users

    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.users WHERE username = 't-bridge'")
        token = sessions.issue_token(conn, users.create(conn, "t-bridge", "a long enough "
                                                        "password", "planner"), "tests")
    conn.close()
    auth = {"Authorization": f"Bearer {token}"}

    def upload(count: int):
        features = [{"type": "Feature", "properties": {"note": "n" * 2000},
                     "geometry": {"type": "Point", "coordinates": [-71.1 + i / 1e4, 42.37]}}
                    for i in range(count)]
        body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
        return len(body), requests.post(f"{server}/admin/api/layers/t-bridge-upload/upload",
                                        headers=auth, files={"file": ("notes.geojson", body)},
                                        timeout=120)

    # Larger than what the bridge keeps in memory (1 MB): spooled to a file, then loaded.
    size, uploaded = upload(700)
    assert 1024 * 1024 < size < 2 * 1024 * 1024
    assert uploaded.status_code == 201 and uploaded.json()["loaded"] == 700, uploaded.text
    # Declared larger than the upload limit (2 MB): not read, the app answers 413.
    size, refused = upload(1200)
    assert size > 2 * 1024 * 1024
    assert refused.status_code == 413 and set(refused.json()) == {"code", "description"}

    head = requests.head(f"{server}/tiles/streets/15/9913/12119.mvt", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) > 0
    odd = requests.get(f"{server}/ogc/collections/caf%C3%A9%20x/items", timeout=10)
    assert odd.status_code == 404 and "café x" in odd.json()["description"]
