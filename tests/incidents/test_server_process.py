"""With a real server process: nothing acknowledged is lost when the server is killed mid-burst,
and two server processes sharing one database never hand one unit to two incidents.

The database is a copy of the test database with the demo loaded: on SQLite a file made with
SQLite's backup API, on PostgreSQL a new database made from the test database as a template.
The servers are ``jingwu serve`` (uvicorn, one worker) on free localhost ports.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _ensure_demo
from tests.incidents.servers import Server, server_database

# The servers use their own copy; the mark only makes pytest-django create the test database.
pytestmark = pytest.mark.django_db

BURST = 500
KILL_AFTER = 150


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
        with server_database(tmp) as env:
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
