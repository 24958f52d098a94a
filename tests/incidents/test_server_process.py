"""With a real server process: nothing acknowledged is lost when the server is killed mid-burst,
and two server processes sharing one database never hand one unit to two incidents.

The database is a copy of the test database with the demo loaded: on SQLite a file made with
SQLite's backup API, on PostgreSQL a new database made from the test database as a template.
The servers are ``jingwu serve`` (uvicorn, one worker) on free localhost ports.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection, connections

from tests.conftest import DEMO_PASSWORD, _ensure_demo

# The servers use their own copy; the mark only makes pytest-django create the test database.
pytestmark = pytest.mark.django_db

BURST = 500
KILL_AFTER = 150


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server_database(tmp: Path) -> Iterator[dict[str, str]]:
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


def _call(i: int) -> dict[str, Any]:
    return {
        "lat": 26.1000 + (i % 20) * 1e-4,
        "lon": 119.3370,
        "type": "求助",
        "priority": "P3",
        "address": f"burst-{i:04d}",
        "source": "110",
    }


@pytest.fixture(scope="module")
def server_env(
    tmp_path_factory: Any, django_db_setup: Any, django_db_blocker: Any
) -> Iterator[tuple[dict[str, str], Path]]:
    tmp = tmp_path_factory.mktemp("server")
    with django_db_blocker.unblock():
        _ensure_demo()
        with _server_database(tmp) as env:
            yield env, tmp


def test_a_server_killed_mid_burst_loses_no_acknowledged_incident(server_env: Any) -> None:
    env, tmp = server_env
    server = Server(env, tmp / "server.log")
    try:
        headers = server.token("platform_110")
        acked: dict[int, int] = {}
        lock = threading.Lock()
        killed = threading.Event()

        def fire(client: httpx.Client, i: int) -> None:
            try:
                r = client.post(
                    "/api/v1/incidents",
                    json=_call(i),
                    headers={**headers, "Idempotency-Key": f"burst-{i}"},
                )
            except httpx.HTTPError:
                return
            if r.status_code == 201:
                with lock:
                    acked[i] = r.json()["id"]
                    if len(acked) >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        server.kill()  # SIGKILL: no shutdown, no flush, mid-burst

        with (
            httpx.Client(base_url=server.url, timeout=10) as client,
            ThreadPoolExecutor(24) as pool,
        ):
            list(pool.map(lambda i: fire(client, i), range(BURST)))
        assert killed.is_set(), f"only {len(acked)} calls were acknowledged before the burst ended"
        assert KILL_AFTER <= len(acked) < BURST
    finally:
        server.stop()

    server = Server(env, tmp / "server.log")  # restart on the same database
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            listed = client.get("/api/v1/incidents?open=true&limit=1000", headers=headers).json()
            stored = {x["id"]: x["address"] for x in listed if x["address"].startswith("burst-")}
            for i, incident_id in acked.items():
                assert stored.get(incident_id) == f"burst-{i:04d}", (i, incident_id)
            assert len(set(stored.values())) == len(stored)  # no call stored twice
            # Retried with their keys, acknowledged calls come back as they were; calls that
            # were never acknowledged are taken now (or found, if they committed unanswered).
            retry = sorted(acked)[:40] + [i for i in range(BURST) if i not in acked][:40]
            for i in retry:
                r = client.post(
                    "/api/v1/incidents",
                    json=_call(i),
                    headers={**headers, "Idempotency-Key": f"burst-{i}"},
                )
                assert r.status_code in (200, 201), r.text
                if i in acked:
                    assert (r.status_code, r.json()["id"]) == (200, acked[i])
                else:
                    assert r.json()["id"] not in acked.values()
            listed = client.get("/api/v1/incidents?open=true&limit=1000", headers=headers).json()
        burst = [x["address"] for x in listed if x["address"].startswith("burst-")]
        assert len(burst) == len(set(burst))  # still no call twice
        assert set(burst) >= {f"burst-{i:04d}" for i in [*acked, *retry]}
    finally:
        server.stop()


def test_two_server_processes_never_give_one_unit_to_two_incidents(server_env: Any) -> None:
    env, tmp = server_env
    a, b = Server(env, tmp / "a.log"), Server(env, tmp / "b.log")
    try:
        ha, hb = a.token("duty_taihe"), b.token("commander_jinan")
        with (
            httpx.Client(base_url=a.url, timeout=30) as ca,
            httpx.Client(base_url=b.url, timeout=30) as cb,
        ):
            units = [u for u in ca.get("/api/v1/units", headers=ha).json()
                     if u["on_duty"] and u["status"] == "available" and u["tier"] <= 3 and u["code"].startswith("TAIHE")]  # fmt: skip
            assert len(units) >= 4
            for u in units:
                i1 = ca.post(
                    "/api/v1/incidents", json={**_call(1), "address": "race"}, headers=ha
                ).json()["id"]
                i2 = cb.post(
                    "/api/v1/incidents", json={**_call(2), "address": "race"}, headers=hb
                ).json()["id"]
                barrier, out = threading.Barrier(2), []

                def go(
                    client: httpx.Client,
                    h: dict[str, str],
                    inc: int,
                    uid: int = u["id"],
                    barrier: threading.Barrier = barrier,
                    out: list[httpx.Response] = out,
                ) -> None:
                    barrier.wait()
                    out.append(
                        client.post(
                            f"/api/v1/incidents/{inc}/assignments", json={"unit_id": uid}, headers=h
                        )
                    )

                ts = [
                    threading.Thread(target=go, args=(ca, ha, i1)),
                    threading.Thread(target=go, args=(cb, hb, i2)),
                ]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
                assert sorted(r.status_code for r in out) == [201, 409], [r.text for r in out]
                loser = next(r for r in out if r.status_code == 409)
                assert "正在处置另一起警情" in loser.json()["detail"][0]["msg"]
                unit = ca.get(f"/api/v1/units/{u['id']}", headers=ha).json()
                winner = next(r for r in out if r.status_code == 201).json()["incident"]["id"]
                assert (unit["status"], unit["current_incident_id"]) == ("dispatched", winner)
    finally:
        a.stop()
        b.stop()
