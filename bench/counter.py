"""Benchmark: 1,000 concurrent booking attempts for the same 20 slots through a real server.

Run with ``.venv/bin/python -m bench.counter`` (add ``--sqlite-only`` to skip PostgreSQL).
For each database — a temporary SQLite file in WAL mode, then PostgreSQL when one answers at
127.0.0.1:5432 (a database ``jingwu_bench_counter`` is created and dropped) — it loads the
demo, starts ``jingwu serve`` (uvicorn) on a free localhost port and, with httpx and asyncio:

1. baseline: 100 slot searches one at a time, then 1,000 slot searches
   (``GET /api/v1/counter/slots``) all launched at once over 50 connections;
2. 1,000 booking attempts (``POST /api/v1/counter/appointments``) all launched at once over
   50 connections, spread over 20 slots; 5 % of the people try a second slot the same day.

Then it reads the database directly and counts overbooked places (appointments beyond a
slot's capacity, ``booked`` beyond capacity, ``booked`` differing from the appointments) and
people with two bookings that day. It prints throughput, p50/p99 latency, the ratios against
the slot-search baseline, and exits 1 if anything was overbooked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from jingwu.engine.idnumber import make_id_number

ROOT = Path(__file__).resolve().parents[1]
JINGWU = ROOT / ".venv" / "bin" / "jingwu"
ATTEMPTS = 1_000
SEARCHES = 1_000
SLOTS = 20
# At most this many requests are in the server at once: under ASGI each in-flight request holds
# its own database connection, and PostgreSQL's default max_connections (100) is shared with
# everything else on the machine (other test databases, other benchmarks).
CONNECTIONS = 50
DUPLICATE_SHARE = 0.05
SERVICES = ["travel_endorsement", "residence_permit", "id_card_renewal", "address_change"]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_NAME = "jingwu_bench_counter"
SEED = 20251001


@dataclass
class Run:
    """Latencies (s) and status codes of one batch of requests, and its wall time."""

    name: str
    latencies: list[float]
    statuses: Counter[int | str]
    wall: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self) -> str:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items(), key=str))
        return (
            f"  {self.name:<22} {len(self.latencies):>5} requests in {self.wall:6.2f} s = "
            f"{self.throughput:7.1f}/s   p50 {self.pct(50) * 1000:7.1f} ms   "
            f"p99 {self.pct(99) * 1000:7.1f} ms   [{codes}]"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    proc = subprocess.Popen(
        [str(JINGWU), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pick_slots(base: str) -> tuple[int, list[dict[str, Any]]]:
    """The 龙头 hall and 20 open slots on the first working days that have them."""
    points = httpx.get(f"{base}/api/v1/counter/service-points").json()
    hall = next(p for p in points if p["kind"] == "hall" and "龙头" in p["name"])
    chosen: list[dict[str, Any]] = []
    day = date.today()
    for _ in range(15):
        day += timedelta(days=1)
        for service in SERVICES:
            r = httpx.get(
                f"{base}/api/v1/counter/slots",
                params={"workstation_id": hall["id"], "service": service, "date": day.isoformat()},
            )
            if r.status_code == 200:
                chosen += [{**s, "date": day.isoformat()} for s in r.json() if s["remaining"]]
        if len(chosen) >= SLOTS:
            return hall["id"], chosen[:SLOTS]
    raise RuntimeError(f"only {len(chosen)} open slots found")


async def _timed(
    client: httpx.AsyncClient, method: str, url: str, **kw: Any
) -> tuple[float, int | str]:
    """Latency and status; a transport error counts under its exception's name."""
    start = time.perf_counter()
    try:
        r = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        return time.perf_counter() - start, type(exc).__name__
    return time.perf_counter() - start, r.status_code


async def _batch(base: str, name: str, requests: list[tuple[str, str, dict[str, Any]]]) -> Run:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        start = time.perf_counter()
        results = await asyncio.gather(*(_timed(client, m, u, **kw) for m, u, kw in requests))
        wall = time.perf_counter() - start
    return Run(name, [t for t, _ in results], Counter(c for _, c in results), wall)


def sequential(base: str, requests: list[tuple[str, str, dict[str, Any]]]) -> Run:
    """One request at a time: the server's own latency without any queue in front of it."""
    with httpx.Client(base_url=base, timeout=60) as client:
        latencies, statuses = [], Counter[int | str]()
        start = time.perf_counter()
        for method, url, kw in requests:
            t = time.perf_counter()
            statuses[client.request(method, url, **kw).status_code] += 1
            latencies.append(time.perf_counter() - t)
        return Run("slot search, one by one", latencies, statuses, time.perf_counter() - start)


def searches(hall: int, slots: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", "/api/v1/counter/slots",
         {"params": {"workstation_id": hall, "service": s["service"], "date": s["date"]}})
        for s in (slots[i % len(slots)] for i in range(SEARCHES))
    ]  # fmt: skip


def bookings(slots: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """1,000 attempts over the 20 slots; 5 % reuse a person already trying another slot."""
    rng = random.Random(SEED)
    people = [
        make_id_number("350111", date(1960, 1, 1) + timedelta(days=i), i % 500, "male")
        for i in range(ATTEMPTS)
    ]
    out = []
    for i in range(ATTEMPTS):
        slot = slots[i % len(slots)]
        person = people[i]
        if rng.random() < DUPLICATE_SHARE:
            person = people[(i + 1) % ATTEMPTS]  # the next attempt's person, on another slot
        body = {"slot_id": slot["id"], "service": slot["service"], "name": f"压测{i:04d}",
                "id_number": person, "phone": f"139{i:08d}"}  # fmt: skip
        out.append(("POST", "/api/v1/counter/appointments", {"json": body}))
    rng.shuffle(out)
    return out


CHECK_SQL = """
SELECT s.id, s.capacity, s.booked,
       (SELECT COUNT(*) FROM counter_appointment a WHERE a.slot_id = s.id AND a.status <> 'cancelled')
FROM counter_slot s WHERE s.id IN ({ids})
"""
DOUBLE_SQL = """
SELECT COUNT(*) FROM (SELECT id_number, date FROM counter_appointment WHERE status <> 'cancelled'
GROUP BY id_number, date HAVING COUNT(*) > 1) d
"""


def check(
    rows: list[tuple[int, int, int, int]], doubles: int, created: int, before: int, lost: int
) -> dict[str, int]:
    """Overbooked places and inconsistencies, from the database's own rows.

    ``before`` is the places already taken when the run started (the demo's own bookings):
    every 201 answer must be a new appointment; beyond them, at most ``lost`` (requests whose
    answer the client never read) may have been booked.
    """
    new = sum(r[3] for r in rows) - before
    return {
        "slots": len(rows),
        "capacity": sum(r[1] for r in rows),
        "booked before": before,
        "appointments": sum(r[3] for r in rows),
        "201 answers": created,
        "acknowledged but missing": max(0, created - new),
        "unexplained extra": max(0, new - created - lost),
        "overbooked places": sum(max(0, r[3] - r[1]) for r in rows),
        "booked over capacity": sum(max(0, r[2] - r[1]) for r in rows),
        "booked != appointments": sum(r[2] != r[3] for r in rows),
        "people booked twice that day": doubles,
    }


def run_backend(label: str, env: dict[str, str], db_rows: Any, workdir: Path) -> dict[str, Any]:
    print(f"\n== {label} ==", flush=True)
    t = time.perf_counter()
    subprocess.run([str(JINGWU), "demo", "load"], env=env, check=True, capture_output=True)
    print(f"  demo loaded in {time.perf_counter() - t:.1f} s", flush=True)
    port = free_port()
    log = workdir / f"server-{label.split()[0].lower()}.log"
    server = start_server(env, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        hall, slots = pick_slots(base)
        print(f"  {len(slots)} slots on {sorted({s['date'] for s in slots})}, "
              f"{sum(s['remaining'] for s in slots)} places", flush=True)  # fmt: skip
        asyncio.run(_batch(base, "warm-up", searches(hall, slots)[:50]))
        one = sequential(base, searches(hall, slots)[:100])
        search = asyncio.run(_batch(base, "slot search (baseline)", searches(hall, slots)))
        book = asyncio.run(_batch(base, "booking attempts", bookings(slots)))
    finally:
        stop_server(server)
    errors = [ln for ln in log.read_text(errors="replace").splitlines() if "Error" in ln]
    rows, doubles = db_rows([s["id"] for s in slots])
    before = sum(s["capacity"] - s["remaining"] for s in slots)
    lost = sum(v for k, v in book.statuses.items() if isinstance(k, str))
    result = check(rows, doubles, book.statuses.get(201, 0), before, lost)
    print(one.line())
    print(search.line())
    print(book.line())
    print(
        f"  booking vs search: throughput x{book.throughput / search.throughput:.2f}, "
        f"p50 x{book.pct(50) / search.pct(50):.2f}, p99 x{book.pct(99) / search.pct(99):.2f}"
    )
    print("  database check: " + ", ".join(f"{k} {v}" for k, v in result.items()))
    transport = {k: v for k, v in book.statuses.items() if isinstance(k, str)}
    if transport:
        # The client never read these answers (e.g. a keep-alive connection the server closed
        # while a CPU-starved client was slow to reuse it): not acknowledged; the database
        # check above still counts whatever they may have booked against the capacity.
        print(f"  transport errors on the client (not acknowledged, not counted): {transport}")
    unexpected = {k for k in book.statuses if isinstance(k, int)} - {201, 409}
    if unexpected:
        print(f"  UNEXPECTED status codes: {sorted(unexpected)}")
        for line, n in Counter(errors).most_common(5):
            print(f"    server log ({n}x): {line[:200]}")
        kept = Path(tempfile.gettempdir()) / f"jingwu-bench-counter-{log.name}"
        shutil.copy(log, kept)
        print(f"    full server log: {kept}")
    return {"search": search, "book": book, **result, "unexpected": len(unexpected)}


def sqlite_backend(workdir: Path) -> dict[str, Any]:
    data = workdir / "sqlite"
    env = {**os.environ, "JINGWU_ENV": "dev", "JINGWU_DATA_DIR": str(data)}
    env.pop("JINGWU_DATABASE_URL", None)
    db = data / "jingwu.sqlite3"

    def rows(ids: list[int]) -> tuple[list[Any], int]:
        con = sqlite3.connect(db)
        try:
            mode = con.execute("PRAGMA journal_mode").fetchone()[0]
            assert mode == "wal", mode
            found = con.execute(CHECK_SQL.format(ids=",".join(map(str, ids)))).fetchall()
            return found, con.execute(DOUBLE_SQL).fetchone()[0]
        finally:
            con.close()

    return run_backend("SQLite (file, WAL, synchronous=FULL)", env, rows, workdir)


def postgres_backend(workdir: Path) -> dict[str, Any] | None:
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"\n== PostgreSQL skipped: {exc}".strip())
        return None
    url = f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_NAME}")
    env = {**os.environ, "JINGWU_ENV": "dev", "JINGWU_DATA_DIR": str(workdir / "pg"),
           "JINGWU_DATABASE_URL": url}  # fmt: skip

    def rows(ids: list[int]) -> tuple[list[Any], int]:
        with psycopg.connect(url) as con:
            found = con.execute(CHECK_SQL.format(ids=",".join(map(str, ids)))).fetchall()
            return found, con.execute(DOUBLE_SQL).fetchone()[0]

    try:
        return run_backend("PostgreSQL", env, rows, workdir)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    print(
        f"bench.counter: {ATTEMPTS} booking attempts ({DUPLICATE_SHARE:.0%} second tries by the "
        f"same person) for {SLOTS} slots vs {SEARCHES} slot searches; {CONNECTIONS} connections; "
        f"one uvicorn process; python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    workdir = Path(tempfile.mkdtemp(prefix="jingwu-bench-counter-"))
    results = []
    try:
        if not args.postgres_only:
            results.append(sqlite_backend(workdir))
        if not args.sqlite_only and (pg := postgres_backend(workdir)) is not None:
            results.append(pg)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    bad = sum(
        r["overbooked places"] + r["booked over capacity"] + r["booked != appointments"]
        + r["people booked twice that day"] + r["unexpected"]
        + r["acknowledged but missing"] + r["unexplained extra"]
        for r in results
    )  # fmt: skip
    print(f"\noverbooking or inconsistency found: {bad}  ->  {'FAIL' if bad else 'OK'}")
    lat = statistics.median(r["book"].pct(99) for r in results) * 1000
    print(f"median p99 booking latency across backends: {lat:.1f} ms")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
