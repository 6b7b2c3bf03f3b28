"""An upload can neither read another file on the server nor make the server fetch a URL.

Each supported type is tried with a GDAL indirection document (an OGR VRT
naming a planted secret file, or a web address) hidden behind a first line
that passes the content check; a local HTTP listener counts every request
that reaches it.  Refusing the file is fine, loading its own bytes is fine;
the secret in any answer or stored row, or one request at the listener, is not.
"""

from __future__ import annotations

import http.server
import io
import threading
import zipfile

import psycopg2
import pyogrio
import pytest

from mapserver.auth import sessions, users
from mapserver.ingest.gdal_lockdown import ALLOWED, lock_down

CANARY = "CANARY-7f3a91-do-not-disclose"


@pytest.fixture(scope="module")
def token(database_url, demo_city):
    with psycopg2.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 't-contain'")
        user = users.create(conn, "t-contain", "a long enough password", "planner")
        return sessions.issue_token(conn, user, "containment")


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secret")
    path = folder / "secret.csv"
    path.write_text(f'wkt,secret\n"POINT(-71.1 42.37)",{CANARY}\n')
    return path


@pytest.fixture(scope="module")
def listener():
    """A local HTTP server that records every request; yields (base URL, hits)."""
    hits: list[str] = []

    class Record(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'GEOGCS["x",DATUM["y",SPHEROID["z",1,0]],PRIMEM["g",0],'
                             b'UNIT["d",1]]')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Record)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def vrt(source: str) -> str:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{source}</SrcDataSource>'
            '<GeometryType>wkbPoint</GeometryType></OGRVRTLayer></OGRVRTDataSource>')


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def disguised(source: str) -> dict[str, bytes]:
    """Return one file per supported type whose first bytes pass and whose rest is a VRT."""
    doc = vrt(source).encode()
    shp = b"\x00\x00\x27\x0a" + b"\x00" * 96 + doc
    return {
        "evil.csv": b"wkt,name\n" + doc + b"\n",
        "evil.geojson": b"{\n" + doc,
        "evil.json": b'{"type": "Topology",\n' + doc,
        "evil.topojson": b'{"type": "Topology",\n' + doc,
        "evil.kml": b"<!-- <kml> -->\n" + doc,
        "evil.gpkg": b"SQLite format 3\x00" + doc,
        "evil.zip": zipped({"evil.shp": shp, "evil.dbf": doc}),
        "evil-geojson.zip": zipped({"inner.geojson": b"{\n" + doc}),
    }


def upload(client, token, layer_id, name, data):
    return client.post(f"/admin/api/layers/{layer_id}/upload",
                       headers={"Authorization": f"Bearer {token}"},
                       data={"file": (io.BytesIO(data), name)})


def stored_text(database_url, layer_id) -> str:
    """Every value of the layer's served table as text ('' when nothing was stored)."""
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM mapserver.layers WHERE id = %s", (layer_id,))
        row = cur.fetchone()
        if row is None:
            return ""
        cur.execute(f'SELECT coalesce(string_agg(t::text, \'\n\'), \'\') FROM layers."{row[0]}" t')
        return cur.fetchone()[0]


def test_gdal_that_reads_uploads_has_only_the_allowed_drivers():
    lock_down()
    assert set(pyogrio.list_drivers()) <= ALLOWED
    assert {"OGR_VRT", "LIBKML", "WFS", "OAPIF", "HTTP", "GML"}.isdisjoint(pyogrio.list_drivers())


@pytest.mark.parametrize("name", sorted(disguised("/x")))
def test_no_upload_discloses_another_file(client, token, secret, database_url, name):
    layer_id = "t-leak-" + name.replace(".", "-")
    response = upload(client, token, layer_id, name, disguised(str(secret))[name])
    assert response.status_code < 500
    assert CANARY not in response.get_data(as_text=True)
    assert str(secret) not in response.get_data(as_text=True)
    assert CANARY not in stored_text(database_url, layer_id)


def test_no_upload_reaches_a_url(client, token, listener, database_url):
    base, hits = listener
    files = {f"url-{name}": data for name, data in disguised(f"/vsicurl/{base}/vrt").items()}
    files["crs-link.geojson"] = (
        b'{"type": "FeatureCollection", "crs": {"type": "link", "properties": '
        b'{"href": "' + base.encode() + b'/crs.prj", "type": "esriwkt"}}, "features": '
        b'[{"type": "Feature", "properties": {"a": 1}, '
        b'"geometry": {"type": "Point", "coordinates": [-71.1, 42.37]}}]}')
    files["crs-name.geojson"] = files["crs-link.geojson"].replace(
        b'"type": "link", "properties": {"href"', b'"type": "name", "properties": {"name"')
    files["network-link.kml"] = (
        b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        b"<NetworkLink><Link><href>" + base.encode() + b"/more.kml</href></Link></NetworkLink>"
        b"<Placemark><name>a</name><Point><coordinates>-71.1,42.37</coordinates></Point>"
        b"</Placemark></Document></kml>")
    for name, data in files.items():
        response = upload(client, token, "t-fetch-" + name.replace(".", "-"), name, data)
        assert response.status_code < 500, (name, response.json)
    assert hits == []
    linked = upload(client, token, "t-fetch-crs-link", "crs-link.geojson",
                    files["crs-link.geojson"])
    assert linked.status_code == 422
    assert "web address" in linked.json["description"] and base not in linked.json["description"]
