"""Real server processes for tests: ``jingwu serve`` on a copy of the demo-loaded test database.

On SQLite the copy is a file made with SQLite's backup API; on PostgreSQL a new database made
from the test database as a template (dropped afterwards). Each server is a separate process
(uvicorn, one worker) on a free localhost port, as in production.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.db import connection, connections

from tests.conftest import DEMO_PASSWORD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_database(tmp: Path) -> Iterator[dict[str, str]]:
    """Environment for server processes that use a copy of the demo-loaded test database."""
    connection.ensure_connection()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JINGWU_", "DJANGO_"))}
    env.update(JINGWU_ENV="dev", JINGWU_DATA_DIR=str(tmp), PYTHONUNBUFFERED="1")
    if connection.vendor == "sqlite":
        target = sqlite3.connect(tmp / "jingwu.sqlite3")
        connection.connection.backup(target)
        target.close()
        yield env
        return
    import psycopg

    params = connection.get_connection_params()
    source, copy = connection.settings_dict["NAME"], connection.settings_dict["NAME"] + "_srv"
    connections.close_all()
    admin = {k: params[k] for k in ("host", "port", "user", "password") if params.get(k)}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        for _ in range(20):  # an event listener thread may hold the template for a moment
            pg.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [source],
            )
            try:
                pg.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')
                break
            except psycopg.errors.ObjectInUse:
                time.sleep(0.2)
    user = admin.get("user", "postgres")
    auth = f"{user}:{admin['password']}@" if admin.get("password") else f"{user}@"
    env["JINGWU_DATABASE_URL"] = (
        f"postgresql://{auth}{admin.get('host', '127.0.0.1')}:{admin.get('port', 5432)}/{copy}"
    )
    try:
        yield env
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


class Server:
    """One ``jingwu serve`` process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jingwu.cli", "serve", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=self.log,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
            assert self.proc.poll() is None, log.read_text(errors="replace")[-3000:]
        raise AssertionError("server did not start: " + log.read_text(errors="replace")[-3000:])

    def token(self, username: str) -> dict[str, str]:
        r = httpx.post(
            self.url + "/api/v1/auth/token",
            json={"username": username, "password": DEMO_PASSWORD},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
