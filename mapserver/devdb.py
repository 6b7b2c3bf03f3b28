"""A private PostGIS cluster owned by the project, for `make run` and the tests.

PostgreSQL refuses to run as root, and port 5432 may belong to somebody else,
so the cluster runs as an unprivileged system user, listens only on loopback,
on the first free port from 54320 up, and keeps everything in one folder
(``var/pg`` for `make run`, a temporary folder for the tests).
The server itself logs in as the roles migration 014 makes (mapserver/db_roles.py),
each with a generated password kept beside the superuser's, readable only by us.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from mapserver.errors import SetupError

SERVICE_USER = "mapserver-pg"
FIRST_PORT = 54320
START_ATTEMPTS = 5
SUPERUSER = "mapserver"
DATABASE = "mapserver"
ROLES_FILE = "roles.json"  # {kind: {"user", "password"}} of the server's own roles

# Settings for a small server on a 2-core machine; JIT only slows the short
# queries a map server runs.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "shared_buffers": "'256MB'",
    "work_mem": "'16MB'",
    "maintenance_work_mem": "'256MB'",
    "jit": "off",
    "max_connections": "200",
    "logging_collector": "off",
}
# A throwaway test cluster need not survive a power cut.
UNDURABLE_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def find_bindir() -> Path:
    """Return the bin folder of the newest PostgreSQL that has PostGIS installed."""
    override = os.environ.get("MAPSERVER_PG_BINDIR")
    if override:
        return Path(override)
    candidates = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        version = bindir.parent.name
        control = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
        if (bindir / "pg_ctl").exists() and control.exists() and version.isdigit():
            candidates.append((int(version), bindir))
    if not candidates:
        raise SetupError(
            "no PostgreSQL with PostGIS found under /usr/lib/postgresql",
            fix="run `make deps` (it installs postgresql and postgis), "
            "or set DATABASE_URL to an existing PostGIS database",
        )
    return max(candidates)[1]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port(preferred: int | None) -> int:
    if preferred and _port_is_free(preferred):
        return preferred
    for port in range(FIRST_PORT, FIRST_PORT + 200):
        if _port_is_free(port):
            return port
    raise SetupError("no free TCP port between 54320 and 54519", fix="stop another PostgreSQL")


def _ensure_service_user() -> str | None:
    """Return the user to run PostgreSQL as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SERVICE_USER],
            check=True,
        )
    return SERVICE_USER


def _write_secret(path: Path, text: str) -> None:
    """Write a file only its owner can read, never readable by others even for a moment."""
    scratch = path.with_name(path.name + ".new")
    scratch.unlink(missing_ok=True)
    with os.fdopen(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(text)
    os.replace(scratch, path)


@dataclass
class Cluster:
    """A PostgreSQL cluster living in one folder: data/, port, password, server.log."""

    home: Path
    durable: bool = True

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    @property
    def logfile(self) -> Path:
        return self.datadir / "server.log"

    def _read(self, name: str) -> str | None:
        path = self.home / name
        return path.read_text().strip() if path.exists() else None

    @property
    def port(self) -> int | None:
        value = self._read("port")
        return int(value) if value else None

    @property
    def url(self) -> str:
        password = self._read("password")
        if not password or not self.port:
            raise SetupError(
                f"the project's PostGIS in {self.home} has not been set up",
                fix="run `make run` (or `mapserver db start`), or set DATABASE_URL",
            )
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{DATABASE}"

    def _logins(self) -> dict:
        text = self._read(ROLES_FILE)
        return json.loads(text) if text else {}

    def role_url(self, kind: str) -> str:
        """Return the URL of the server's `app` or `public` role in this cluster."""
        login = self._logins().get(kind)
        if not login:
            raise SetupError(f"the project's PostGIS in {self.home} has no login for the "
                             f"server's {kind} role yet",
                             fix="run `mapserver db start` (or `make run`)")
        from mapserver.db_roles import url_as

        return url_as(self.url, login["user"], login["password"])

    def ensure_role_logins(self) -> None:
        """Let the server's roles log in, each with its own password (after the migrations).

        A password once generated is kept and set again each time, so a database
        made afresh in the same folder gets it too.
        """
        import psycopg2

        from mapserver.db_roles import LOGIN_KINDS, enable_logins

        logins = self._logins()
        passwords = {kind: logins.get(kind, {}).get("password") or secrets.token_urlsafe(24)
                     for kind in LOGIN_KINDS}
        conn = psycopg2.connect(self.url)
        try:
            names = enable_logins(conn, passwords)
        finally:
            conn.close()
        fresh = {kind: {"user": names[kind], "password": passwords[kind]} for kind in LOGIN_KINDS}
        if fresh != logins:
            _write_secret(self.home / ROLES_FILE, json.dumps(fresh, indent=1) + "\n")

    def _run(self, args: list[str], user: str | None, **kwargs) -> subprocess.CompletedProcess:
        if user:
            args = ["runuser", "-u", user, "--", *args]
        return subprocess.run(args, capture_output=True, text=True, **kwargs)

    def is_running(self) -> bool:
        """Tell whether the server of this folder is up."""
        if not (self.datadir / "PG_VERSION").exists():
            return False
        result = self._run([str(find_bindir() / "pg_ctl"), "status", "-D", str(self.datadir)],
                           _ensure_service_user())
        return result.returncode == 0

    def init(self) -> None:
        """Create the cluster folder once; a second call does nothing."""
        if (self.datadir / "PG_VERSION").exists():
            return
        user = _ensure_service_user()
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o755)
        self.datadir.mkdir(mode=0o700, exist_ok=True)
        password = secrets.token_urlsafe(24)
        pwfile = self.home / "initdb.pw"
        pwfile.write_text(password + "\n")
        if user:
            shutil.chown(self.datadir, user)
            shutil.chown(pwfile, user)
        try:
            result = self._run(
                [str(find_bindir() / "initdb"), "-D", str(self.datadir), "-U", SUPERUSER,
                 "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                 f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C.UTF-8"],
                user,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise SetupError(f"initdb failed: {result.stderr.strip()[-500:]}",
                             fix=f"remove {self.home} and try again")
        settings = dict(SERVER_SETTINGS, **({} if self.durable else UNDURABLE_SETTINGS))
        with open(self.datadir / "postgresql.auto.conf", "a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")
        _write_secret(self.home / "password", password + "\n")

    def start(self) -> str:
        """Start the server (initialising it first) and return its database URL."""
        self.init()
        # Another program may take the free port between our check and the server's bind:
        # then try the next one.
        for _attempt in range(START_ATTEMPTS):
            if self.is_running():
                break
            port = _free_port(self.port)
            (self.home / "port").write_text(f"{port}\n")
            result = self._run(
                [str(find_bindir() / "pg_ctl"), "start", "-w", "-t", "60", "-D",
                 str(self.datadir), "-l", str(self.logfile), "-o", f"-p {port}"],
                _ensure_service_user(),
            )
            if result.returncode == 0:
                break
            tail = self.logfile.read_text()[-800:] if self.logfile.exists() else ""
            if "Address already in use" not in tail:
                raise SetupError(f"PostgreSQL did not start: {result.stderr.strip()} {tail}",
                                 fix=f"read {self.logfile}")
            (self.home / "port").write_text(f"{port + 1}\n")
        else:
            raise SetupError("PostgreSQL found no free port to listen on",
                             fix="stop other PostgreSQL servers, or set DATABASE_URL")
        self._ensure_database()
        return self.url

    def _ensure_database(self) -> None:
        import psycopg2

        admin_url = re.sub(r"/[^/]+$", "/postgres", self.url)
        for attempt in range(50):
            try:
                conn = psycopg2.connect(admin_url)
                break
            except psycopg2.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DATABASE}"')
        conn.close()
        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.close()

    def stop(self) -> None:
        """Stop the server if it runs."""
        if self.is_running():
            self._run([str(find_bindir() / "pg_ctl"), "stop", "-m", "fast", "-w", "-D",
                       str(self.datadir)], _ensure_service_user(), check=False)
