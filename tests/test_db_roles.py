"""Least-privilege database roles (migration 014), proven on the real PostGIS.

The public read role must not reach a staff-only column, an account, the audit
log or the server's files, whatever SQL it is made to run; the application role
must not be able to rewrite the audit log; and the public endpoints must run on
the public role.  Each refusal is checked after proving the thing refused exists.
"""

from __future__ import annotations

import io
import json
import re
import stat
import subprocess
import threading
from importlib import resources

import psycopg2
import psycopg2.errors
import pytest
import requests
from werkzeug.serving import make_server

from mapserver import create_app
from mapserver.auth import sessions, users
from mapserver.db import connect
from mapserver.db_roles import enable_logins, role_name, url_as
from mapserver.errors import SetupError
from mapserver.ingest.pipeline import load_layer
from mapserver.layers import edits
from mapserver.layers import manifest as manifests
from mapserver.migrations import migrate
from mapserver.settings import Settings
from tests.conftest import MAPSERVER, ROOT, _free_port

DENIED = psycopg2.errors.InsufficientPrivilege
SERVER_TABLES = ["mapserver.users", "mapserver.sessions", "mapserver.api_tokens",
                 "mapserver.login_failures", "mapserver.audit_log", "mapserver.layer_versions",
                 "mapserver.schema_migrations"]


@pytest.fixture
def public_conn(public_url):
    """A connection as the public read role, each statement on its own."""
    conn = connect(public_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def app_conn(app_url):
    """A connection as the application role, each statement on its own."""
    conn = connect(app_url)
    conn.autocommit = True
    yield conn
    conn.close()


def fetch(conn, statement: str, *args):
    with conn.cursor() as cur:
        cur.execute(statement, args)
        return cur.fetchall()


def refused(conn, statement: str, error=DENIED) -> str:
    """Run a statement that must be refused; return the server's message."""
    with pytest.raises(error) as failure, conn.cursor() as cur:
        cur.execute(statement)
    return failure.value.diag.message_primary


def served_table(conn, layer_id: str) -> str:
    return fetch(conn, "SELECT table_name FROM mapserver.layers WHERE id = %s", layer_id)[0][0]


def test_the_roles_are_named_after_the_database_and_have_no_powers(database_url):
    with psycopg2.connect(database_url) as conn:
        names = {kind: role_name(conn.cursor(), kind) for kind in ("owner", "app", "public")}
        assert names == {"owner": "mapserver_owner", "app": "mapserver_app",
                         "public": "mapserver_public"}
        rows = fetch(conn, "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication,"
                           " rolbypassrls FROM pg_roles WHERE rolname = ANY(%s)",
                     list(names.values()))
        assert sorted(rows) == sorted((n, False, False, False, False, False)
                                      for n in names.values())
        for role in (names["app"], names["public"]):
            for other in (names["owner"], "pg_read_server_files", "pg_write_server_files",
                          "pg_execute_server_program", "pg_read_all_data"):
                assert fetch(conn, "SELECT pg_has_role(%s, %s, 'MEMBER')", role, other) == [
                    (False,)], (role, other)
        assert fetch(conn, "SELECT pg_has_role('mapserver_public', 'mapserver_app', 'MEMBER')"
                     ) == [(False,)]


def test_the_public_role_cannot_read_a_staff_column_of_the_served_parcels(demo_city, app_conn,
                                                                          public_conn):
    table = served_table(app_conn, "parcels")
    # The canary is really there, and the application role (staff's reads) sees it.
    assert fetch(app_conn, f'SELECT count(*) FROM layers."{table}" WHERE editor = %s',
                 "KJL")[0][0] > 0
    for statement in (f'SELECT editor FROM layers."{table}"',
                      f'SELECT edit_date FROM layers."{table}"',
                      f'SELECT * FROM layers."{table}"',
                      f'SELECT t::text FROM layers."{table}" t',
                      f'SELECT fid FROM layers."{table}" WHERE editor = \'KJL\'',
                      f'SELECT fid FROM layers."{table}" ORDER BY editor LIMIT 1'):
        assert "permission denied" in refused(public_conn, statement), statement
    # The stable view has no staff column at all.
    columns = [c for (c,) in fetch(public_conn, "SELECT column_name FROM information_schema"
                                   ".columns WHERE table_schema = 'layers' AND table_name ="
                                   " 'parcels'")]
    assert "editor" not in columns and "edit_date" not in columns and "ml" in columns


def test_the_public_role_reads_the_public_columns_and_the_view(demo_city, public_conn):
    table = served_table(public_conn, "parcels")
    rows = fetch(public_conn, f'SELECT fid, ml, ST_AsText(geom), ST_SRID(geom_3857)'
                              f' FROM layers."{table}" ORDER BY fid LIMIT 2')
    assert len(rows) == 2 and rows[0][2].startswith("MULTIPOLYGON") and rows[0][3] == 3857
    assert fetch(public_conn, 'SELECT count(*) FROM layers."parcels"') == [(13115,)]
    assert fetch(public_conn, 'SELECT count(*) FROM layers."public-buildings"')[0][0] > 0


@pytest.mark.parametrize("table", SERVER_TABLES)
def test_the_public_role_cannot_read_accounts_the_audit_log_or_the_history(public_conn, table):
    assert "permission denied" in refused(public_conn, f"SELECT count(*) FROM {table}")


def test_personal_data_of_feedback_is_written_but_never_read_back(public_conn):
    refused(public_conn, "SELECT contact FROM mapserver.dataset_requests")
    refused(public_conn, "SELECT comment FROM mapserver.feedback_scores")
    refused(public_conn, "UPDATE mapserver.dataset_requests SET status = 'published'")
    refused(public_conn, "DELETE FROM mapserver.feedback_scores")
    refused(public_conn, "UPDATE mapserver.layers SET published = false")


def test_the_public_role_cannot_reach_the_servers_files_or_programs(public_conn):
    assert open("/etc/passwd").read()  # the file is there to be refused
    refused(public_conn, "SELECT pg_read_file('/etc/passwd')")
    refused(public_conn, "SELECT pg_read_binary_file('/etc/passwd')")
    refused(public_conn, "SELECT pg_ls_dir('/')")
    refused(public_conn, "SELECT lo_import('/etc/passwd')")
    refused(public_conn, "COPY mapserver.feedback_rate FROM '/etc/passwd'")
    refused(public_conn, "COPY (SELECT 1) TO PROGRAM 'id'")
    refused(public_conn, "SET session_replication_role = replica")


@pytest.mark.parametrize("statement", [
    "CREATE TABLE layers.intruder (a int)",
    "CREATE TABLE mapserver.intruder (a int)",
    "CREATE TABLE public.intruder (a int)",
    "CREATE TEMPORARY TABLE intruder (a int)",
    "CREATE SCHEMA intruder",
    "CREATE VIEW layers.intruder AS SELECT 1",
    "CREATE FUNCTION public.intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "SET ROLE mapserver_app",
    "SET ROLE mapserver_owner",
])
def test_the_public_role_can_create_nothing_and_become_nobody(public_conn, statement):
    refused(public_conn, statement)


def test_the_public_role_has_a_statement_timeout_of_its_own(public_conn):
    # No options on this connection: the role's own setting applies (the app's pool
    # sets MAPSERVER_STATEMENT_TIMEOUT_MS on its connections as well).
    assert fetch(public_conn, "SHOW statement_timeout") == [("10s",)]


def test_the_public_role_writes_only_its_counters_and_feedback(public_conn, database_url):
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.feedback_rate")
    with public_conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.dataset_requests (what, contact, lang)"
                    " VALUES ('bike racks', 'me@example.org', 'en') RETURNING id")
        assert cur.fetchone()[0] > 0
        cur.execute("INSERT INTO mapserver.usage_counts (kind, count) VALUES ('search', 1)"
                    " ON CONFLICT (day, kind, detail) DO UPDATE"
                    " SET count = mapserver.usage_counts.count + 1")
    refused(public_conn, "INSERT INTO mapserver.audit_log (actor, action) VALUES ('x', 'y')")
    refused(public_conn, "INSERT INTO mapserver.users (username, password_hash, role)"
                         " VALUES ('intruder', 'x', 'admin')")
    refused(public_conn, "INSERT INTO mapserver.layers (id, manifest) VALUES ('intruder', '{}')")


def test_the_app_role_cannot_rewrite_or_unprotect_the_audit_log(app_conn, database_url):
    with app_conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.audit_log (actor, action) VALUES ('t', 'roles')")
    assert fetch(app_conn, "SELECT count(*) FROM mapserver.audit_log")[0][0] > 0
    for statement in (
            "ALTER TABLE mapserver.audit_log DISABLE TRIGGER audit_log_append_only",
            "ALTER TABLE mapserver.audit_log DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_log_append_only ON mapserver.audit_log",
            "DROP TABLE mapserver.audit_log",
            "ALTER TABLE mapserver.audit_log RENAME TO old_log",
            "CREATE OR REPLACE FUNCTION mapserver.audit_log_is_append_only() RETURNS trigger"
            " LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'",
            "UPDATE mapserver.audit_log SET actor = 'nobody'",
            "DELETE FROM mapserver.audit_log",
            "TRUNCATE mapserver.audit_log",
            "SET session_replication_role = replica",
            "SET ROLE mapserver_owner",
            "CREATE TABLE mapserver.intruder (a int)",
            "SELECT pg_read_file('/etc/passwd')"):
        refused(app_conn, statement)
    # Only the owner may: shown in a transaction that is then undone.
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET LOCAL ROLE mapserver_owner")
            cur.execute("ALTER TABLE mapserver.audit_log DISABLE TRIGGER audit_log_append_only")
    finally:
        conn.rollback()
        conn.close()


def _tiny_layer(tmp_path, layer_id: str) -> manifests.Manifest:
    source = tmp_path / f"{layer_id}.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a", "secret": "S3CRET"},
         "geometry": {"type": "Point", "coordinates": [-71.1, 42.37]}}]}))
    text = {"en": "t", "ro": "t"}
    return manifests.Manifest(raw={
        "id": layer_id, "title": text, "description": text, "category": "other",
        "licence": {"id": "PDDL-1.0", "url": "https://opendatacommons.org/licenses/pddl/1-0/"},
        "attribution": "test", "sources": [{"path": str(source)}], "geometry": "point",
        "fields": [{"name": "name", "type": "text", "visibility": "public", "description": text},
                   {"name": "secret", "type": "text", "visibility": "staff",
                    "description": text}]}, folder=ROOT)


def test_each_version_grants_the_columns_its_own_manifest_makes_public(tmp_path, app_url,
                                                                       public_conn):
    layer_id = "t-roles"
    conn = connect(app_url)
    try:
        load_layer(conn, _tiny_layer(tmp_path, layer_id), published=False)
        first = served_table(conn, layer_id)
        assert fetch(public_conn, f'SELECT name FROM layers."{first}"') == [("a",)]
        refused(public_conn, f'SELECT secret FROM layers."{first}"')
        # A planner makes `secret` public and `name` staff: a new version, new grants.
        edits.describe(conn, layer_id, {"fields": {"secret": {"visibility": "public"},
                                                   "name": {"visibility": "staff"}}}, "test")
        second = served_table(conn, layer_id)
        assert second != first
        assert fetch(public_conn, f'SELECT secret FROM layers."{second}"') == [("S3CRET",)]
        refused(public_conn, f'SELECT name FROM layers."{second}"')
        assert fetch(public_conn, f'SELECT secret FROM layers."{layer_id}"') == [("S3CRET",)]
        # An edited feature is a copied table: it gets its grants too.
        fid = fetch(public_conn, f'SELECT fid FROM layers."{layer_id}"')[0][0]
        edits.edit_feature(conn, layer_id, fid, {"secret": "other"}, "test")
        assert fetch(public_conn, f'SELECT secret FROM layers."{layer_id}"') == [("other",)]
        # Rolling back serves the first version, whose own manifest keeps `secret` staff.
        edits.rollback(conn, layer_id, 1, "test")
        assert served_table(conn, layer_id) == first
        refused(public_conn, f'SELECT secret FROM layers."{first}"')
        refused(public_conn, f'SELECT secret FROM layers."{layer_id}"',
                psycopg2.errors.UndefinedColumn)   # the view is back to public columns only
        assert fetch(public_conn, f'SELECT name FROM layers."{layer_id}"') == [("a",)]
    finally:
        conn.close()


def test_cli_loads_and_uploads_make_tables_of_the_application_role(tmp_path, cli_env, settings,
                                                                  app_url, database_url):
    # Both run in a contained child, which connects on its own (mapserver/ingest/contained.py).
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a"},
         "geometry": {"type": "Point", "coordinates": [-71.1, 42.37]}}]})
    source = tmp_path / "t-roles-cli.geojson"
    source.write_text(text)
    result = subprocess.run([*MAPSERVER, "load", str(source), "--layer", "t-roles-cli",
                             "--geometry", "point", "--quiet"], env=cli_env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    conn = connect(app_url)
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 't-roles-planner'")
        user = users.create(conn, "t-roles-planner", "a long enough password", "planner")
        token = sessions.issue_token(conn, user, "roles")
        conn.commit()
    finally:
        conn.close()
    upload = create_app(settings).test_client().post(
        "/admin/api/layers/t-roles-up/upload", headers={"Authorization": f"Bearer {token}"},
        data={"file": (io.BytesIO(text.encode()), "up.geojson")})
    assert upload.status_code == 201, upload.json
    with psycopg2.connect(database_url) as conn:
        tables = [served_table(conn, "t-roles-cli"), served_table(conn, "t-roles-up")]
        owners = dict(fetch(conn, "SELECT relname, pg_get_userbyid(relowner) FROM pg_class"
                                  " WHERE relnamespace = 'layers'::regnamespace"
                                  " AND relkind IN ('r', 'v')"))
    assert {owners[t] for t in tables} == {"mapserver_app"}
    assert set(owners.values()) == {"mapserver_app"}   # every version table and view


def test_migration_014_is_idempotent(database_url):
    text = (resources.files("mapserver") / "sql" / "migrations" / "014_db_roles.sql").read_text()
    snapshot = ("SELECT grantee, table_schema, table_name, column_name, privilege_type"
                " FROM information_schema.column_privileges WHERE grantee LIKE 'mapserver\\_%%'"
                " UNION ALL SELECT grantee, table_schema, table_name, '', privilege_type"
                " FROM information_schema.role_table_grants WHERE grantee LIKE 'mapserver\\_%%'"
                " ORDER BY 1, 2, 3, 4, 5")
    owners = ("SELECT c.oid::regclass::text, pg_get_userbyid(c.relowner) FROM pg_class c"
              " WHERE relnamespace IN ('mapserver'::regnamespace, 'layers'::regnamespace)"
              " ORDER BY 1")
    conn = psycopg2.connect(database_url)
    try:
        assert migrate(conn) == []   # applied once, recorded
        before = fetch(conn, snapshot), fetch(conn, owners)
        assert before[0] and before[1]
        with conn.cursor() as cur:   # run again by hand, in a transaction then undone
            cur.execute(text)
        assert (fetch(conn, snapshot), fetch(conn, owners)) == before
    finally:
        conn.rollback()
        conn.close()


def _run_readme_block(title: str, conn) -> None:
    """Run the SQL block of README.md that follows `title` (the operator's recipe)."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(re.escape(title) + r".*?```sql\n(.*?)```", readme, re.S).group(1)
    with conn.cursor() as cur:
        for statement in filter(None, (s.strip() for s in block.split(";"))):
            cur.execute(statement)


@pytest.fixture
def scratch_database(database_url):
    """Drop the databases and roles the operator tests make, before and after."""
    admin = psycopg2.connect(re.sub(r"/[^/]+$", "/postgres", database_url))
    admin.autocommit = True

    def clean():
        with admin.cursor() as cur:
            for name in ("gis", "nocreaterole", "upgrade_test"):
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            for role in ("gis_owner", "gis_app", "gis_public", "t_dbowner", "upgrade_test_owner",
                         "upgrade_test_app", "upgrade_test_public"):
                cur.execute(f"DROP ROLE IF EXISTS {role}")

    clean()
    yield admin
    clean()
    admin.close()


def test_the_readme_recipe_for_your_own_postgis_works_without_a_superuser(
        scratch_database, database_url, tmp_path):
    def as_user(user, password, database="gis"):
        return re.sub(r"//[^@]+@(.*)/[^/]+$", rf"//{user}:{password}@\1/{database}",
                      database_url)

    _run_readme_block("A database administrator runs, once", scratch_database)
    with psycopg2.connect(re.sub(r"/[^/]+$", "/gis", database_url)) as conn:
        _run_readme_block("then, connected to the new database", conn)
    conn.close()
    owner = connect(as_user("gis_owner", "owner-secret"))
    try:
        assert "014_db_roles.sql" in migrate(owner)
        assert fetch(owner, "SELECT pg_get_userbyid(relowner) FROM pg_class"
                            " WHERE oid = 'mapserver.audit_log'::regclass") == [("gis_owner",)]
    finally:
        owner.close()
    app = connect(as_user("gis_app", "app-secret"))
    try:
        load_layer(app, _tiny_layer(tmp_path, "t-recipe"))
        table = served_table(app, "t-recipe")
    finally:
        app.close()
    public = connect(as_user("gis_public", "public-secret"))
    public.autocommit = True
    try:
        assert fetch(public, f'SELECT name FROM layers."{table}"') == [("a",)]
        refused(public, f'SELECT secret FROM layers."{table}"')
        refused(public, "CREATE TEMPORARY TABLE intruder (a int)")
    finally:
        public.close()
    # Two installs on one cluster: this one's public role reads nothing of the other's.
    other = connect(as_user("gis_public", "public-secret", "mapserver"))
    other.autocommit = True
    try:
        refused(other, 'SELECT count(*) FROM layers."parcels"')
        refused(other, "SELECT count(*) FROM mapserver.layers")
    finally:
        other.close()


def test_an_upgrade_grants_the_versions_loaded_before_the_roles(scratch_database,
                                                                database_url, tmp_path):
    with scratch_database.cursor() as cur:
        cur.execute("CREATE DATABASE upgrade_test")
    url = re.sub(r"/[^/]+$", "/upgrade_test", database_url)
    admin = connect(url)
    try:
        with admin.cursor() as cur:
            cur.execute("CREATE EXTENSION postgis")
        migrate(admin)
        names = enable_logins(admin, {"app": "app-pw", "public": "public-pw"})
        app = connect(url_as(url, names["app"], "app-pw"))
        try:
            load_layer(app, _tiny_layer(tmp_path, "t-old"))
            table = served_table(app, "t-old")
        finally:
            app.close()
        # Back to how a load before migration 014 left things: the superuser's table and
        # view, no grants, 014 and later not applied.
        with admin.cursor() as cur:
            for relation in (f'layers."{table}"', 'layers."t-old"'):
                cur.execute(f"REVOKE ALL ON {relation} FROM {names['public']}")
                cur.execute(f"ALTER TABLE {relation} OWNER TO CURRENT_USER")
            cur.execute("DELETE FROM mapserver.schema_migrations WHERE number >= 14")
        admin.commit()
        assert "014_db_roles.sql" in migrate(admin)
        assert fetch(admin, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid ="
                            " %s::regclass", f'layers."{table}"') == [(names["app"],)]
    finally:
        admin.close()
    public = connect(url_as(url, names["public"], "public-pw"))
    public.autocommit = True
    try:
        assert fetch(public, f'SELECT name FROM layers."{table}"') == [("a",)]
        assert fetch(public, 'SELECT name FROM layers."t-old"') == [("a",)]
        refused(public, f'SELECT secret FROM layers."{table}"')
    finally:
        public.close()


def test_migrating_without_the_right_to_make_roles_says_what_to_grant(scratch_database,
                                                                     database_url):
    with scratch_database.cursor() as cur:
        cur.execute("CREATE ROLE t_dbowner LOGIN PASSWORD 'pw'")
        cur.execute("CREATE DATABASE nocreaterole OWNER t_dbowner")
    with psycopg2.connect(re.sub(r"/[^/]+$", "/nocreaterole", database_url)) as conn:
        conn.cursor().execute("CREATE EXTENSION postgis")
    conn.close()
    url = re.sub(r"//[^@]+@(.*)/[^/]+$", r"//t_dbowner:pw@\1/nocreaterole", database_url)
    conn = connect(url)
    try:
        with pytest.raises(SetupError) as failure:
            migrate(conn)
    finally:
        conn.close()
    text = failure.value.description
    assert "nocreaterole_owner is missing" in text and "t_dbowner may not create roles" in text
    assert "ALTER ROLE t_dbowner CREATEROLE" in text and "README.md" in text


def test_the_servers_settings_need_both_role_urls_with_database_url(database_url):
    with pytest.raises(SetupError) as failure:
        create_app(Settings.from_env({"DATABASE_URL": database_url}))
    assert "DATABASE_APP_URL and DATABASE_PUBLIC_URL are not" in failure.value.description
    with pytest.raises(SetupError) as failure:
        create_app(Settings.from_env({"DATABASE_URL": database_url,
                                      "DATABASE_APP_URL": database_url}))
    assert "DATABASE_PUBLIC_URL is not" in failure.value.description


def test_a_web_server_needs_no_owner_login(demo_city, app_url, public_url, tmp_path):
    # As docs/deploy/mapserver.service runs it: the two role URLs, no DATABASE_URL.
    client = create_app(Settings.from_env({"DATABASE_APP_URL": app_url,
                                           "DATABASE_PUBLIC_URL": public_url,
                                           "MAPSERVER_HOME": str(tmp_path)})).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"


def test_the_own_clusters_role_passwords_are_readable_by_us_only(cluster):
    secret = cluster.home / "roles.json"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert set(json.loads(secret.read_text())) == {"app", "public"}


class CountingPool:
    """Wraps a pool and counts the connections lent (the app's role must stay unused)."""

    def __init__(self, pool):
        self.pool, self.lent = pool, 0

    def connection(self, **kwargs):
        self.lent += 1
        return self.pool.connection(**kwargs)


@pytest.fixture(scope="module")
def counted(settings, demo_city):
    """A live app whose application-role pool counts its use; yield (base URL, app)."""
    app = create_app(settings)
    app.extensions["mapserver.db"] = CountingPool(app.extensions["mapserver.db"])
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()


def test_every_public_endpoint_runs_on_the_public_role(counted, database_url):
    base, app = counted
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM mapserver.feedback_rate")
        cur.execute("SELECT table_name FROM mapserver.layers WHERE id = 'public-buildings'")
        cur.execute(f'SELECT min(fid) FROM layers."{cur.fetchone()[0]}"')
        building = cur.fetchone()[0]
        cur.execute("SELECT table_name FROM mapserver.layers WHERE id = 'parcels'")
        cur.execute(f'SELECT min(fid) FROM layers."{cur.fetchone()[0]}"')
        parcel = cur.fetchone()[0]
    gets = ["/healthz", "/layers", "/", "/map/features/public-buildings.geojson?bbox="
            "-71.2,42.3,-71.0,42.45", f"/map/features/public-buildings/{building}.json",
            "/api/search?q=Main", f"/buildings/{building}", "/buildings/qr-sheet", "/feedback",
            "/kpi", "/kpi.json", "/kpi.csv", "/ogc", "/ogc/api", "/ogc/collections",
            "/ogc/collections/parcels", "/ogc/collections/parcels/queryables",
            "/ogc/collections/parcels/items?limit=5", f"/ogc/collections/parcels/items/{parcel}",
            "/ogc/collections/city-boundary/download.geojson",
            "/ogc/collections/city-boundary/download.csv",
            "/ogc/collections/city-boundary/download.gpkg", "/catalog", "/catalog.jsonld",
            "/tiles/streets.json", "/tiles/streets/15/9913/12119.mvt",
            "/tiles/streets,parcels/15/9913/12119.mvt",
            "/ogc/collections/streets/tiles/WebMercatorQuad/15/12119/9913"]
    for path in gets:
        response = requests.get(base + path, timeout=120)
        assert response.status_code == 200, (path, response.text[:300])
    posts = [("/api/feedback/score", {"score": 9}, 201),
             ("/api/feedback/dataset-request", {"what": "trees", "contact": "a@b.c"}, 201),
             ("/api/usage", {"kind": "module_toggle", "detail": "parcels"}, 204)]
    for path, body, status in posts:
        assert requests.post(base + path, json=body, timeout=30).status_code == status, path
    assert app.extensions["mapserver.db"].lent == 0   # the application role was never used
    with app.extensions["mapserver.db.public"].connection() as conn:
        assert fetch(conn, "SELECT current_user") == [("mapserver_public",)]
    with psycopg2.connect(database_url) as conn:
        users_of_pool = fetch(conn, "SELECT DISTINCT usename FROM pg_stat_activity"
                                    " WHERE application_name = 'mapserver-public'"
                                    " AND datname = current_database()")
    assert users_of_pool == [("mapserver_public",)]
    # The registry listener reads as the public role too.
    assert app.extensions["mapserver.registry"].url == app.extensions["mapserver.db.public"].url


def test_staff_read_staff_only_fields_on_the_application_role(counted, app_url):
    base, app = counted
    conn = connect(app_url)
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 't-roles-staff'")
        user = users.create(conn, "t-roles-staff", "a long enough password", "staff")
        token = sessions.issue_token(conn, user, "roles")
        conn.commit()
    finally:
        conn.close()
    before = app.extensions["mapserver.db"].lent
    response = requests.get(f"{base}/ogc/collections/parcels/items?limit=50", timeout=60,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert any(f["properties"].get("editor") for f in response.json()["features"])
    assert app.extensions["mapserver.db"].lent > before
    anonymous = requests.get(f"{base}/ogc/collections/parcels/items?limit=50", timeout=60)
    assert not any("editor" in f["properties"] for f in anonymous.json()["features"])
