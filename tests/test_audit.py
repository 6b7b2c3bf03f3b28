"""The audit log holds what a reviewer needs (who, from where, which request, which file)
and nothing private: an edited staff-only value is named by its field, never copied."""

from __future__ import annotations

import hashlib
import io
import json

import psycopg2
import pytest

from mapserver.auth import sessions, users
from tests.conftest import layer_state

SECRET_VALUE = "Jane Q. Owner-7731"


@pytest.fixture(scope="module")
def token(database_url, demo_city):
    with psycopg2.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 't-auditor'")
        user = users.create(conn, "t-auditor", "a long enough password", "planner")
        return sessions.issue_token(conn, user, "audit")


def last_entry(database_url, action, target):
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT actor, details FROM mapserver.audit_log WHERE action = %s AND "
                    "target = %s ORDER BY id DESC LIMIT 1", (action, target))
        return cur.fetchone()


def test_an_upload_entry_names_the_file_by_checksum_address_and_request(client, token,
                                                                        database_url):
    body = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"a": 1},
        "geometry": {"type": "Point", "coordinates": [-71.1, 42.37]}}]}).encode()
    response = client.post("/admin/api/layers/t-audit-upload/upload",
                           headers={"Authorization": f"Bearer {token}"},
                           data={"file": (io.BytesIO(body), "points.geojson")},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 201
    actor, details = last_entry(database_url, "upload", "t-audit-upload")
    assert actor == "t-auditor" and details["status"] == 201
    assert details["sha256"] == hashlib.sha256(body).hexdigest()
    assert details["address"] == "203.0.113.9" and len(details["request_id"]) == 16


def test_an_edited_staff_value_is_named_not_copied(client, token, database_url):
    version, _ = layer_state(database_url, "parcels")
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute('SELECT min(fid) FROM layers."parcels"')
        fid = cur.fetchone()[0]
    edited = client.patch(f"/admin/api/layers/parcels/features/{fid}",
                          headers={"Authorization": f"Bearer {token}"},
                          json={"properties": {"editor": SECRET_VALUE},
                                "expected_version": version})
    assert edited.status_code == 200, edited.json
    _, details = last_entry(database_url, "edit-feature", "parcels")
    assert details["fields"] == ["editor"] and details["fid"] == fid
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM mapserver.audit_log WHERE details::text LIKE %s",
                    (f"%{SECRET_VALUE}%",))
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM mapserver.layer_versions WHERE load_report::text "
                    "LIKE %s", (f"%{SECRET_VALUE}%",))
        assert cur.fetchone()[0] == 0
    rolled = client.post("/admin/api/layers/parcels/rollback",
                         headers={"Authorization": f"Bearer {token}"}, json={"version": version})
    assert rolled.status_code == 200
