"""The WSGI fast path answers tile GETs exactly as the Flask route would."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from mapserver.tiles.grid import lonlat_to_tile
from mapserver.tileserver.fastpath import TileFastPath

Z = 16
X, Y = lonlat_to_tile(-71.1037, 42.3656, Z)
COMPARED = ("ETag", "Cache-Control", "Content-Type", "Access-Control-Allow-Origin",
            "X-Tile-Cache")


@pytest.fixture
def doors(app):
    """(through the fast path, Flask alone) as two WSGI clients of the same app."""
    assert isinstance(app.wsgi_app, TileFastPath)
    return Client(app.wsgi_app), Client(app.wsgi_app.wsgi_app)


def _same(doors, url, **headers):
    fast, flask = (client.get(url, headers=headers) for client in doors)
    assert fast.status_code == flask.status_code, url
    assert fast.data == flask.data, url
    for name in COMPARED:
        assert fast.headers.get(name) == flask.headers.get(name), (url, name)
    return fast


def test_tiles_empty_tiles_and_revalidation_match_flask(doors, client):
    full = client.get(f"/tiles/parcels,streets/{Z}/{X}/{Y}.mvt")   # now cached
    assert full.status_code == 200 and full.data
    etag, version = full.headers["ETag"], full.headers["ETag"].split("@")[1].split("/")[0]
    assert _same(doors, f"/tiles/parcels,streets/{Z}/{X}/{Y}.mvt").status_code == 200
    immutable = _same(doors, f"/tiles/parcels,streets/{Z}/{X}/{Y}.mvt?v={version}")
    assert "immutable" in immutable.headers["Cache-Control"]
    assert _same(doors, f"/tiles/parcels,streets/{Z}/{X}/{Y}.mvt",
                 **{"If-None-Match": etag}).status_code == 304
    client.get("/tiles/streets/16/20000/24000.mvt")    # the Atlantic, now cached as empty
    assert _same(doors, "/tiles/streets/16/20000/24000.mvt").status_code == 204


@pytest.mark.parametrize("url, status", [
    ("/tiles/parcels/99/0/0.mvt", 400),
    ("/tiles/parcels,,streets/14/0/0.mvt", 400),
    ("/tiles/nowhere/14/0/0.mvt", 404),
])
def test_errors_are_left_to_flask_and_keep_their_shape(doors, url, status):
    fast = _same(doors, url)
    assert fast.status_code == status
    assert fast.json["code"] in ("InvalidParameterValue", "NotFound") and fast.json["description"]
