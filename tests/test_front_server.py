"""The documented nginx front (docs/deploy/mapserver-locations.conf) in front of the app.

nginx answers cached tiles from the app's tile cache without asking the app, and
passes everything else on; this runs the shipped snippet, not a copy of it.
"""

from __future__ import annotations

import dataclasses
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from string import Template

import pytest
import requests
from werkzeug.serving import make_server

from mapserver import create_app
from mapserver.tiles.grid import lonlat_to_tile
from mapserver.tileserver.answer import tile_cache
from tests.conftest import _free_port

SNIPPET = Path(__file__).resolve().parent.parent / "docs" / "deploy" / "mapserver-locations.conf"
WRAPPER = """
daemon off; pid $tmp/nginx.pid; error_log $tmp/error.log warn; user root;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy;
  fastcgi_temp_path $tmp/fcgi; uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
  server { listen 127.0.0.1:$port; include $tmp/mapserver.conf; }
}
"""


@pytest.fixture
def trusting_app(settings, demo_city):
    """The app as deployed behind the front: MAPSERVER_TRUSTED_PROXIES=1."""
    return create_app(dataclasses.replace(settings, trusted_proxies=1))


@pytest.fixture
def app_server(trusting_app):
    """Serve the trusting app over HTTP on a free loopback port; yield its host:port."""
    port = _free_port()
    server = make_server("127.0.0.1", port, trusting_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def front(trusting_app, app_server, tmp_path):
    """Yield the base URL of nginx serving the shipped snippet in front of the app."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (scripts/system-deps.sh installs it)")
    cache = trusting_app.extensions["mapserver.settings"].tiles_cache
    cache.mkdir(parents=True, exist_ok=True)
    snippet = SNIPPET.read_text().replace("${TILE_CACHE}", str(cache)).replace(
        "${APP}", app_server)
    (tmp_path / "mapserver.conf").write_text(snippet)
    port = _free_port()
    (tmp_path / "nginx.conf").write_text(Template(WRAPPER).substitute(tmp=tmp_path, port=port))
    check = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p",
                            str(tmp_path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                               stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(base + "/healthz", timeout=5)
            break
        except requests.ConnectionError:
            assert process.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
    yield base
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=20)


def test_nginx_serves_cached_tiles_itself_and_passes_the_rest_on(trusting_app, front):
    app = trusting_app
    tilejson = requests.get(front + "/tiles/zoning.json", timeout=30).json()
    template = tilejson["tiles"][0]
    assert template.startswith(front + "/tiles/zoning/")   # links name the front, not the app
    z = 15
    x, y = lonlat_to_tile(-71.1037, 42.3656, z)
    url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    tile_cache(app.extensions).drop_layer("zoning")

    first = requests.get(url, timeout=30)
    assert first.status_code == 200 and first.headers["X-Tile-Cache"] == "miss"  # the app
    tile_cache(app.extensions).flush()
    second = requests.get(url, timeout=30)
    assert second.status_code == 200 and "X-Tile-Cache" not in second.headers    # nginx
    assert second.content == first.content
    assert "immutable" in second.headers["Cache-Control"]
    assert second.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"

    atlantic = url.replace(f"/{z}/{x}/{y}.mvt", "/15/10000/12000.mvt")
    assert requests.get(atlantic, timeout=30).status_code == 204
    tile_cache(app.extensions).flush()
    empty = requests.get(atlantic, timeout=30)
    assert empty.status_code == 204 and "X-Tile-Cache" not in empty.headers

    # Unpublishing removes the layer's folders: nginx then asks the app again.
    tile_cache(app.extensions).drop_layer("zoning")
    assert requests.get(url, timeout=30).headers.get("X-Tile-Cache") == "miss"
    # Anything else is the app's, errors included.
    missing = requests.get(front + "/tiles/nowhere/15/1/1.mvt", timeout=30)
    assert missing.status_code == 404 and missing.json()["code"] == "NotFound"
