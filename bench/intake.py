"""Benchmark: incident intake through a real server process, and live-event delivery.

Run with ``.venv/bin/python -m bench.intake`` (both databases) or ``--db sqlite`` /
``--db postgresql``; ``--workers N`` server processes (default: one per CPU),
``--threads T`` request threads per process, ``--open-rate R`` for the open-loop run
(default 100 calls/s, 0 to skip). For each database it loads the demo into a fresh database (SQLite: a file in a temporary directory; PostgreSQL:
``jingwu_bench_intake`` on 127.0.0.1:5432 as ``postgres``, dropped afterwards), starts
``jingwu serve`` on a free port and measures from the same machine, with a minimal keep-alive
HTTP/1.1 client (httpx costs more CPU per request than the server's ``/healthz``, and the
client shares the two cores with the server):

1. baseline: ``GET /healthz`` from 64 connections for 10 s (no database, no auth);
2. intake, closed loop: ``POST /api/v1/incidents`` from 64 connections, each sending its next
   call when the last is answered, for 30 s; each call with its own ``Idempotency-Key``
   (bearer token of the 110 platform account): throughput, p50/p99;
3. intake, open loop: calls sent at a fixed rate whatever the answers, latency counted from
   the moment each was due (the closed loop's figures follow Little's law: 64 clients at
   X calls/s wait 64/X s on average, so p99 <= 200 ms needs well over 320 calls/s);
4. events: 100 unit status changes (``POST /api/v1/units/{id}/status``, bearer token), each
   timed from just before the request until the ``unit.updated`` event reaches an SSE client
   logged in by session on ``/events/`` — once on an idle server and once while 32 clients
   keep posting incidents.

Each load prints the server's CPU time per answered request (all its processes, from /proc)
and the load average: the machine is shared, so compare figures of one run.

Goals (issue 4): intake p99 <= 200 ms at 64 clients; event delivery p99 <= 1 s. The server
answers requests on a few threads per process and writes the intake through one writer thread
per process, many calls to a commit (jingwu.server, jingwu.writes); SQLite admits one writer
at a time in any case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "jingwu-bench"
PG_NAME = "jingwu_bench_intake"
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


@dataclass
class Run:
    """Latencies (seconds) of the successful requests, and counts."""

    name: str
    seconds: float
    ok: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu_ms: float = float("nan")  # per successful request (``_timed``)
    client_cpu_ms: float = float("nan")

    def line(self) -> str:
        if not self.ok:
            return f"{self.name:<34} no successful request ({self.errors} errors {self.statuses})"
        q = statistics.quantiles(self.ok, n=100) if len(self.ok) > 1 else [self.ok[0]] * 99
        return (
            f"{self.name:<34} {len(self.ok) / self.seconds:8.1f} req/s   "
            f"p50 {q[49] * 1000:7.1f} ms   p99 {q[98] * 1000:7.1f} ms   "
            f"n={len(self.ok)} errors={self.errors}" + (f" {self.statuses}" if self.errors else "")
        )

    @property
    def rate(self) -> float:
        return len(self.ok) / self.seconds

    def p(self, pct: int) -> float:
        return statistics.quantiles(self.ok, n=100)[pct - 1] if len(self.ok) > 1 else float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JINGWU_", "DJANGO_"))}
    env.update(JINGWU_ENV="dev", JINGWU_DATA_DIR=str(data_dir), JINGWU_DEMO_PASSWORD=PASSWORD)
    if database_url:
        env["JINGWU_DATABASE_URL"] = database_url
    return env


def _load_demo(env: dict[str, str]) -> None:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "jingwu.cli", "demo", "load"],
        env=env,
        check=True,
        capture_output=True,
    )
    print(f"  demo loaded in {time.perf_counter() - start:.1f} s")


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG_ADMIN) as conn:  # type: ignore[arg-type]
        conn.execute(sql)


class Server:
    """One ``jingwu serve`` process on a free port."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        port = self.url.rsplit(":", 1)[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jingwu.cli", "serve", "--port", port,
             "--workers", str(workers)],
            env=env, stdout=self.log, stderr=self.log,
        )  # fmt: skip
        for _ in range(300):
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()  # no orphan server (or its workers) left behind
        raise RuntimeError("server did not start; see " + str(log))

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes."""
        total, todo = 0.0, [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def token(url: str, username: str) -> dict[str, str]:
    r = httpx.post(
        url + "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


class Conn:
    """One keep-alive HTTP/1.1 connection: a minimal client, cheap on the shared CPU.

    httpx spends more CPU per request than the server's ``/healthz``; on a two-core machine
    shared with the server that caps the figures. This client writes the request bytes and
    reads the status line, headers and ``Content-Length`` body, nothing more.
    """

    def __init__(
        self, host: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.host, self.reader, self.writer = host, reader, writer

    @classmethod
    async def open(cls, url: str) -> Conn:
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        return cls(host, *await asyncio.open_connection(host, int(port)))

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> int:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        length, chunked = 0, False
        for line in raw.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
            elif line.lower() == b"transfer-encoding: chunked":
                chunked = True
        if not chunked:
            await self.reader.readexactly(length)
        while chunked:
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            await self.reader.readexactly(size + 2)
            chunked = size > 0
        return int(raw[9:12])

    def close(self) -> None:
        self.writer.close()


def _request(n: int, headers: dict[str, str] | None, body: Any) -> tuple[dict[str, str], bytes]:
    h = dict(headers or {})
    if body is None:
        return h, b""
    h["Idempotency-Key"] = f"bench-{os.getpid()}-{time.time_ns()}-{n}"
    h["Content-Type"] = "application/json"
    return h, json.dumps(body(n), ensure_ascii=False).encode("utf-8")


async def hammer(
    url: str, name: str, *, clients: int, seconds: float, method: str, path: str,
    headers: dict[str, str] | None = None, body: Any = None, stop: asyncio.Event | None = None,
) -> Run:  # fmt: skip
    """Closed loop: ``clients`` connections sending requests back to back for ``seconds``."""
    run = Run(name, seconds)
    counter = iter(range(10**9))
    conns = [await Conn.open(url) for _ in range(clients)]
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(conn: Conn) -> None:
        while time.perf_counter() < deadline and not (stop and stop.is_set()):
            h, data = _request(next(counter), headers, body)
            t0 = time.perf_counter()
            try:
                status = await asyncio.wait_for(conn.request(method, path, h, data), 30)
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                run.errors += 1
                conn.close()
                conn = await Conn.open(url)
                continue
            run.statuses[status] = run.statuses.get(status, 0) + 1
            if status < 300:
                run.ok.append(time.perf_counter() - t0)
            else:
                run.errors += 1
        conn.close()

    await asyncio.gather(*(worker(c) for c in conns))
    run.seconds = time.perf_counter() - started
    return run


async def open_loop(
    url: str, name: str, *, rate: float, seconds: float, path: str,
    headers: dict[str, str] | None = None, body: Any = None,
) -> Run:  # fmt: skip
    """Open loop: requests sent at ``rate`` per second whatever the answers; each latency is
    counted from the moment its request was due (a slow server is not let off by sending
    less)."""
    run = Run(name, seconds)
    idle: list[Conn] = []
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)

    async def one(n: int) -> None:
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        h, data = _request(n, headers, body)
        conn, reused = (idle.pop(), True) if idle else (await Conn.open(url), False)
        try:
            try:
                status = await asyncio.wait_for(conn.request("POST", path, h, data), 30)
            except asyncio.IncompleteReadError:
                if not reused:
                    raise
                # The server closed this idle keep-alive connection (its keep-alive timeout)
                # before the request reached it: send it again on a new one (same key).
                conn.close()
                conn = await Conn.open(url)
                status = await asyncio.wait_for(conn.request("POST", path, h, data), 30)
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            run.errors += 1
            run.statuses[type(exc).__name__] = run.statuses.get(type(exc).__name__, 0) + 1  # type: ignore[index]
            conn.close()
            return
        idle.append(conn)
        run.statuses[status] = run.statuses.get(status, 0) + 1
        if status < 300:
            run.ok.append(time.perf_counter() - due)
        else:
            run.errors += 1

    await asyncio.gather(*(one(n) for n in range(total)))
    run.seconds = time.perf_counter() - start
    for conn in idle:
        conn.close()
    return run


def call(n: int) -> dict[str, Any]:
    """A plausible 110 call near one of the five workstations."""
    posts = [
        (26.0995, 119.3362),
        (26.1130, 119.3170),
        (26.0722, 119.3522),
        (26.1600, 119.3000),
        (26.0850, 119.3950),
    ]
    lat, lon = posts[n % 5]
    return {
        "lat": lat + ((n * 37) % 41 - 20) * 1e-4, "lon": lon + ((n * 53) % 41 - 20) * 1e-4,
        "type": ["盗窃", "纠纷", "求助", "噪音扰民", "交通事故"][n % 5], "priority": f"P{n % 4 + 1}",
        "caller_name": "压测", "caller_phone": "13800000000", "description": "bench", "source": "110",
    }  # fmt: skip


async def session_client(url: str, username: str) -> httpx.AsyncClient:
    """A client logged in by session (the SSE endpoint is for people in a browser)."""
    client = httpx.AsyncClient(base_url=url, timeout=None)
    page = await client.get("/login/")
    csrf = client.cookies.get("csrftoken") or re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text
    ).group(1)  # type: ignore[union-attr]
    r = await client.post(
        "/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": url + "/login/"},
    )
    if r.status_code not in (200, 302) or "sessionid" not in client.cookies:
        raise RuntimeError(f"session log-in failed: {r.status_code}")
    return client


async def event_latency(url: str, n: int, headers: dict[str, str]) -> Run:
    """Time from a unit status change (request sent) to its event at an SSE client."""
    run = Run("status change → SSE event", 1.0)
    sse = await session_client(url, "commander_jinan")
    waiting: dict[tuple[int, str], asyncio.Future[float]] = {}
    connected = asyncio.Event()

    async def listen() -> None:
        async with sse.stream("GET", "/events/") as resp:
            kind = ""
            async for line in resp.aiter_lines():
                if line.startswith(": connected"):
                    connected.set()
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind == "unit.updated":
                    d = json.loads(line[5:])
                    fut = waiting.pop((d["id"], d["status"]), None)
                    if fut and not fut.done():
                        fut.set_result(time.perf_counter())

    task = asyncio.create_task(listen())
    await asyncio.wait_for(connected.wait(), 10)
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as api:
        units = [
            u
            for u in (await api.get("/api/v1/units")).json()
            if u["status"] == "available" and u["on_duty"]
        ][:10]
        for i in range(n):
            u = units[i % len(units)]
            to = "off_duty" if u["status"] == "available" else "available"
            fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting[(u["id"], to)] = fut
            t0 = time.perf_counter()
            r = await api.post(f"/api/v1/units/{u['id']}/status", json={"to": to})
            if r.status_code != 200:
                run.errors += 1
                waiting.pop((u["id"], to), None)
                continue
            u["status"] = to
            try:
                run.ok.append(await asyncio.wait_for(fut, 10) - t0)
            except TimeoutError:
                run.errors += 1
        for u in units:  # leave the fleet as it was
            if u["status"] != "available":
                await api.post(f"/api/v1/units/{u['id']}/status", json={"to": "available"})
    task.cancel()
    await sse.aclose()
    return run


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


async def _timed(server: Server, coro: Any) -> Run:
    """Run a load and print it with the server's and the client's CPU milliseconds per
    successful request (the two share the cores)."""
    before, client_before = server.cpu_seconds(), time.process_time()
    run: Run = await coro
    n = max(1, len(run.ok))
    run.server_cpu_ms = (server.cpu_seconds() - before) * 1000 / n
    run.client_cpu_ms = (time.process_time() - client_before) * 1000 / n
    print(
        f"  {run.line()}   server CPU {run.server_cpu_ms:.2f} ms/req, "
        f"client {run.client_cpu_ms:.2f}   {_load()}"
    )
    return run


async def measure(server: Server, seconds: float, clients: int, open_rate: float) -> dict[str, Run]:
    url = server.url
    platform, commander = token(url, "platform_110"), token(url, "commander_jinan")
    out: dict[str, Run] = {}
    print(f"  {_load()} (before)")
    out["healthz"] = await _timed(
        server,
        hammer(url, f"GET /healthz ({clients} clients)", clients=clients, seconds=10,
               method="GET", path="/healthz"),
    )  # fmt: skip
    out["intake"] = await _timed(
        server,
        hammer(url, f"POST /api/v1/incidents ({clients})", clients=clients, seconds=seconds,
               method="POST", path="/api/v1/incidents", headers=platform, body=call),
    )  # fmt: skip
    if open_rate > 0:
        out["open"] = await _timed(
            server,
            open_loop(url, f"POST, open loop {open_rate:.0f}/s", rate=open_rate,
                      seconds=min(seconds, 20), path="/api/v1/incidents", headers=platform,
                      body=call),
        )  # fmt: skip
    out["events_idle"] = await event_latency(url, 100, commander)
    print("  " + out["events_idle"].line().replace("req/s", "chg/s") + "   (idle server)")
    stop = asyncio.Event()
    load = asyncio.create_task(
        hammer(url, "intake (32, background)", clients=32, seconds=120, method="POST",
               path="/api/v1/incidents", headers=platform, body=call, stop=stop)
    )  # fmt: skip
    await asyncio.sleep(2)
    out["events_load"] = await event_latency(url, 100, commander)
    stop.set()
    background = await load
    print(
        "  "
        + out["events_load"].line().replace("req/s", "chg/s")
        + f"   (under intake load: {background.rate:.0f} calls/s)"
    )
    print(f"  {_load()} (after)")
    return out


def bench(
    db: str, seconds: float, clients: int, workers: int, open_rate: float, threads: int = 0
) -> dict[str, Run]:
    print(
        f"\n== {db} ({workers} server process{'es' if workers > 1 else ''}"
        + (f", {threads} request threads each" if threads else "")
        + ") =="
    )
    with tempfile.TemporaryDirectory(prefix="jingwu-bench-") as tmp:
        url = None
        if db == "postgresql":
            _pg(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            _pg(f'CREATE DATABASE "{PG_NAME}"')
            url = f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"
        env = _env(Path(tmp), url)
        if threads:
            env["JINGWU_THREADS"] = str(threads)
        try:
            _load_demo(env)
            server = Server(env, Path(tmp) / "server.log", workers)
            try:
                return asyncio.run(measure(server, seconds, clients, open_rate))
            finally:
                server.stop()
                log = (Path(tmp) / "server.log").read_text(errors="replace").strip().splitlines()
                if len(log) > 1:
                    print("  server log (last lines):\n    " + "\n    ".join(log[-12:]))
        finally:
            if db == "postgresql":
                _pg(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument(
        "--workers", type=int, default=0,
        help="server processes (default: one per CPU)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, default=0,
        help="request threads per server process (default: the server's, JINGWU_THREADS)",
    )  # fmt: skip
    parser.add_argument(
        "--open-rate", type=float, default=100.0,
        help="also an open-loop intake run at this many calls/s (0: none)",
    )  # fmt: skip
    args = parser.parse_args()
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"{os.cpu_count()} CPUs, {_load()}")
    results = {
        db: bench(
            db, args.seconds, args.clients,
            args.workers or os.cpu_count() or 1, args.open_rate, args.threads,
        )
        for db in dbs
    }  # fmt: skip
    print("\n== summary ==")
    for db, r in results.items():
        intake, base = r["intake"], r["healthz"]
        ev = max(r["events_idle"].p(99), r["events_load"].p(99))
        print(
            f"{db:<10} intake {intake.rate:7.1f}/s  p50 {intake.p(50) * 1000:6.1f} ms  p99 {intake.p(99) * 1000:6.1f} ms "
            f"(goal ≤ 200 ms: {'met' if intake.p(99) <= 0.2 else 'NOT met'}); "
            f"{intake.rate / base.rate:.3f}× the /healthz throughput ({base.rate:.0f}/s); "
            f"event p99 {ev * 1000:.1f} ms (goal ≤ 1 s: {'met' if ev <= 1.0 else 'NOT met'})"
        )
        if "open" in r:
            o = r["open"]
            print(
                f"{'':<10} open loop at {args.open_rate:.0f} calls/s: p50 {o.p(50) * 1000:6.1f} ms"
                f"  p99 {o.p(99) * 1000:6.1f} ms  errors {o.errors}"
            )
    print(_load())


if __name__ == "__main__":
    main()
