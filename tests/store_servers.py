"""Real PostgreSQL, Redis and nginx servers on free loopback ports, for the scale-out tests.

Nothing is installed here: the Debian packages `postgresql`, `redis-server` and `nginx` come from
`.ci/run` (or the developer's machine). Each server runs from a fresh temporary folder with its
own data, sockets, pid file and logs, so it never touches a system-wide service or another test.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import BIN, MODEL, ROOT, free_port, wait_http
from tests.test_endpoints import load_endpoints

# Two Rasa servers load their models at once; on a busy 2-core machine that took over 4 minutes.
RASA_START_TIMEOUT = float(os.environ.get("RASA_START_TIMEOUT", "600"))
POSTGRES_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def postgres_bin(name: str) -> Path | None:
    """A PostgreSQL server program (Debian keeps them off PATH, under /usr/lib/postgresql)."""
    for directory in POSTGRES_BIN_DIRS:
        if (directory / name).exists():
            return directory / name
    found = shutil.which(name)
    return Path(found) if found else None


def missing_programs() -> list[str]:
    """Server programs the scale-out tests need and this machine lacks."""
    wanted = {
        "postgres (Debian postgresql)": postgres_bin("postgres") and postgres_bin("initdb"),
        "redis-server (Debian redis-server)": shutil.which("redis-server"),
        "nginx (Debian nginx)": shutil.which("nginx") or Path("/usr/sbin/nginx").exists(),
    }
    return [name for name, found in wanted.items() if not found]


def wait_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-4000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(
        f"nothing listened on port {port} in {timeout} s:\n{log.read_text()[-4000:]}"
    )


def stop_process(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Stop one process we started, by its own pid, and reap it."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class Postgres:
    """A throw-away PostgreSQL cluster with a password-protected user and database."""

    user: str = "rasa"
    password: str = "test-secret-Pw1"
    database: str = "rasa"
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mbc-pg-")))
    process: subprocess.Popen | None = None

    def _as_owner(self) -> dict[str, Any]:
        """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
        if os.geteuid() != 0:
            return {}
        owner = pwd.getpwnam("postgres")
        return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}

    def init(self) -> Postgres:
        """initdb with scram-sha-256 passwords, so the test covers DB_PASSWORD for real."""
        as_owner = self._as_owner()
        # mkdtemp makes a 0700 folder owned by us; the server's user must own its data.
        if as_owner:
            os.chown(self.folder, as_owner["user"], as_owner["group"])
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        if as_owner:
            os.chown(pwfile, as_owner["user"], as_owner["group"])
        subprocess.run(
            [
                str(postgres_bin("initdb")),
                "-D",
                str(self.folder / "data"),
                "-U",
                self.user,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
            **as_owner,
        )
        pwfile.unlink()
        return self

    def start(self) -> Postgres:
        """Start the server on 127.0.0.1 only, sockets and log in its own folder."""
        log = self.folder / "postgres.log"
        self.process = subprocess.Popen(
            [
                str(postgres_bin("postgres")),
                "-D",
                str(self.folder / "data"),
                "-p",
                str(self.port),
                "-k",
                str(self.folder),
                "-c",
                "listen_addresses=127.0.0.1",
                # Durability is not what these tests check; skipping fsync keeps them quick.
                "-c",
                "fsync=off",
            ],
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            **self._as_owner(),
        )
        wait_port(self.port, self.process, log)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        """The port opens before the server takes logins; wait for a real login."""
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(**self.login("postgres")).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def login(self, database: str | None = None) -> dict[str, Any]:
        """psycopg2 connection arguments."""
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": database or self.database,
        }

    def create_database(self) -> None:
        """Create the assistant's database before two Rasa servers race to create it."""
        import psycopg2

        connection = psycopg2.connect(**self.login("postgres"))
        connection.autocommit = True  # CREATE DATABASE can't run inside a transaction
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.database}"')
        connection.close()

    def query(self, sql: str, *params: Any) -> list[tuple]:
        """Run one query on the assistant's database."""
        import psycopg2

        connection = psycopg2.connect(**self.login())
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open connections are cut, as when a database host dies."""
        stop_process(self.process, signal.SIGINT)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def environment(self) -> dict[str, str]:
        """The store variables of the README's configuration table, pointing at this server."""
        return {
            "TRACKER_STORE": "postgresql",
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.port),
            "DB_NAME": self.database,
            "DB_USER": self.user,
            "DB_PASSWORD": self.password,
        }


@dataclass
class Redis:
    """A throw-away Redis server with a password and no persistence."""

    password: str = "redis-test-secret"
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mbc-redis-")))
    process: subprocess.Popen | None = None

    def start(self) -> Redis:
        log = self.folder / "redis.log"
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                self.password,
            ],
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_port(self.port, self.process, log)
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def environment(self) -> dict[str, str]:
        return {
            "LOCK_STORE": "redis",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.port),
            "REDIS_PASSWORD": self.password,
            "REDIS_DB": "1",
        }


NGINX_CONFIG = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$request_uri $status $upstream_addr';
    access_log {folder}/access.log upstream;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream rasa {{
        # Round robin, the default. A server that refuses a connection is skipped for 10 s
        # and the request goes to the next one (a refused connection sent nothing, so even a
        # POST is safe to pass on).
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://rasa;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    """nginx in the foreground, round robin over the given Rasa ports."""

    upstream_ports: list[int]
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mbc-nginx-")))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;"
            for port in self.upstream_ports
        )
        config = self.folder / "nginx.conf"
        config.write_text(NGINX_CONFIG.format(folder=self.folder, servers=servers, port=self.port))
        # As root the workers run as `nobody`; they only need to read the temp folders' parent.
        self.folder.chmod(0o755)
        log = self.folder / "stdout.log"
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        # -e: the start-up error log goes here too, not to /var/log/nginx.
        command = [
            nginx,
            "-p",
            str(self.folder),
            "-c",
            str(config),
            "-e",
            str(self.folder / "e.log"),
        ]
        self.process = subprocess.Popen(command, stdout=log.open("a"), stderr=subprocess.STDOUT)
        wait_port(self.port, self.process, log)
        return self

    def upstreams_used(self) -> list[str]:
        """The upstream address of every proxied request so far, from the access log."""
        log = self.folder / "access.log"
        if not log.exists():
            return []
        return [line.split()[-1] for line in log.read_text().splitlines() if line.strip()]

    def remove(self) -> None:
        stop_process(self.process, signal.SIGQUIT)  # graceful: finish requests, then leave
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _python(*args: str) -> list[str]:
    return [str(BIN / "python"), *args]


@dataclass
class Cluster:
    """One action server and several Rasa servers sharing PostgreSQL and Redis."""

    workdir: Path
    env: dict[str, str]
    rasa_ports: list[int]
    action_port: int = field(default_factory=free_port)
    action: subprocess.Popen | None = None
    rasa: dict[int, subprocess.Popen] = field(default_factory=dict)

    def endpoints_file(self) -> Path:
        """Written by the project's own generator from the store variables."""
        settings = {**self.env, "ACTION_PORT": str(self.action_port)}
        return load_endpoints().write_endpoints(self.workdir / "endpoints.yml", settings)

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.env, "SANIC_HOST": "127.0.0.1"}
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        return env

    def start(self) -> Cluster:
        """Start everything at once (each Rasa server takes half a minute or more to load)."""
        endpoints = self.endpoints_file()
        log = self.workdir / "actions.log"
        self.action = subprocess.Popen(
            _python("-m", "rasa_sdk", "--actions", "actions", "--port", str(self.action_port)),
            cwd=ROOT,
            env=self._env(),
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        try:
            for port in self.rasa_ports:
                self.start_rasa(port, endpoints, wait=False)
            wait_http(f"http://127.0.0.1:{self.action_port}/health", self.action, log)
            for port in self.rasa_ports:
                self.wait_rasa(port)
        except Exception:
            self.stop()
            raise
        return self

    def start_rasa(self, port: int, endpoints: Path | None = None, wait: bool = True) -> None:
        log = self.workdir / f"rasa-{port}.log"
        self.rasa[port] = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "--model",
                str(MODEL),
                "--port",
                str(port),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--endpoints",
                str(endpoints or self.workdir / "endpoints.yml"),
            ],
            cwd=ROOT,
            env=self._env(),
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        if wait:
            self.wait_rasa(port)

    def wait_rasa(self, port: int) -> None:
        """Wait for one Rasa server; generous, because two load their model side by side."""
        log = self.workdir / f"rasa-{port}.log"
        wait_http(f"http://127.0.0.1:{port}/", self.rasa[port], log, timeout=RASA_START_TIMEOUT)

    def stop_rasa(self, port: int) -> None:
        """Stop one Rasa server the way an orchestrator does: SIGTERM, then wait."""
        stop_process(self.rasa.pop(port, None))

    def stop(self) -> None:
        for port in list(self.rasa):
            self.stop_rasa(port)
        stop_process(self.action)
        self.action = None
