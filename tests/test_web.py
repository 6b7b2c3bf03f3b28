"""The minimal app over real HTTP: health, the layer list, the one error shape."""

from __future__ import annotations

import requests

from mapserver import create_app
from mapserver.settings import Settings
from tests.conftest import DEMO_LAYERS


def test_healthz_reports_database_and_layer_versions(live_server):
    response = requests.get(f"{live_server}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert set(DEMO_LAYERS) <= set(body["versions"])
    assert all(isinstance(v, int) and v >= 1 for v in body["versions"].values())


def test_layer_list_describes_public_fields_only(live_server):
    response = requests.get(f"{live_server}/layers", timeout=10)
    assert response.status_code == 200
    layers = {layer["id"]: layer for layer in response.json()["layers"]}
    assert set(DEMO_LAYERS) <= set(layers)
    parcels = layers["parcels"]
    assert parcels["feature_count"] == 13115 and parcels["category"] == "cadastre"
    assert parcels["title"]["ro"] == "Parcele cadastrale"
    names = [f["name"] for f in parcels["fields"]]
    assert "address" in names and "editor" not in names and "edit_date" not in names
    assert "editor" not in response.text and "Initials" not in response.text


def test_draft_layers_are_not_listed(live_server, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM mapserver.layers WHERE NOT published")
        drafts = {row[0] for row in cur.fetchall()}
    listed = {layer["id"] for layer in requests.get(f"{live_server}/layers",
                                                    timeout=10).json()["layers"]}
    assert not drafts & listed


def test_unknown_path_gets_the_json_error_shape(live_server):
    response = requests.get(f"{live_server}/no/such/page", timeout=10)
    assert response.status_code == 404
    assert set(response.json()) == {"code", "description"}
    assert response.json()["code"] == "NotFound"


def test_wrong_method_gets_the_json_error_shape(live_server):
    response = requests.delete(f"{live_server}/healthz", timeout=10)
    assert response.status_code == 405
    assert set(response.json()) == {"code", "description"}


def unreachable(url: str) -> dict:
    """Return the three database settings, all pointing at `url` (nothing listens there)."""
    return {"DATABASE_URL": url, "DATABASE_APP_URL": url, "DATABASE_PUBLIC_URL": url}


def test_healthz_says_503_when_the_database_is_unreachable():
    settings = Settings.from_env(unreachable("postgresql://nobody:x@127.0.0.1:9/none"))
    client = create_app(settings).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert "nobody" not in response.text and "password" not in response.text.lower()


def test_create_app_touches_no_database():
    # No database listens on port 9: building the app must still succeed.
    settings = Settings.from_env(unreachable("postgresql://x:y@127.0.0.1:9/none"))
    assert create_app(settings).url_map is not None
