"""``jingwu serve --workers N``: N processes, each with its own socket on the port, so the
connections spread over them; a dead process is replaced, and none outlives the supervisor."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jingwu import supervisor

pytestmark = pytest.mark.skipif(not supervisor.supported(), reason="SO_REUSEPORT is Linux's")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _established(pid: int, port: int) -> int:
    """Connections to ``port`` that process ``pid`` holds (its sockets in /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local_port = int(cols[1].split(":")[1], 16)
        if local_port == port and cols[3] == "01" and cols[9] in inodes:
            count += 1
    return count


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JINGWU_", "DJANGO_"))}
    env.update(JINGWU_ENV="dev", JINGWU_DATA_DIR=str(tmp_path))
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jingwu.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "serve.log").read_text())
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()


def test_connections_spread_over_both_processes(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = served
    kids = _children(proc.pid)
    assert len(kids) == 2
    time.sleep(1.0)  # both listening (the first answer may have come from one alone)
    conns = []
    for _ in range(40):  # a burst, as a client pool opens them
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        conns.append(s)
    for s in conns:
        assert b"200" in s.recv(4096)
    held = [_established(pid, port) for pid in kids]
    for s in conns:
        s.close()
    assert sum(held) == 40
    assert min(held) >= 8, held  # one shared socket gave one process most of a burst


def test_a_dead_process_is_replaced_and_the_supervisor_stops_them_all(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = served
    first = _children(proc.pid)
    os.kill(first[0], signal.SIGKILL)
    for _ in range(100):
        now = [p for p in _children(proc.pid) if _alive(p)]
        if len(now) == 2 and first[0] not in now:
            break
        time.sleep(0.1)
    assert len(now) == 2 and first[0] not in now and first[1] in now
    for _ in range(100):  # the replacement serves
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert not any(_alive(p) for p in now)


def test_killing_the_supervisor_takes_its_processes_with_it(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, _port = served
    kids = _children(proc.pid)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in kids)


def test_processes_with_unfinished_requests_still_stop_with_the_supervisor(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    """A request that never finishes (a client that stalls mid-body, as an open live-event
    stream never ends) holds a stopping process only for ``GRACEFUL_S``: killing the
    supervisor leaves no server process behind it."""
    from jingwu.cli import GRACEFUL_S

    proc, port = served
    kids = _children(proc.pid)
    time.sleep(1.0)
    stalled = []
    for _ in range(200):  # until each process holds at least one stalled request
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")  # fmt: skip
        stalled.append(s)
        if len(stalled) >= 4 and all(_established(pid, port) for pid in kids):
            break
    assert all(_established(pid, port) for pid in kids)
    try:
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + GRACEFUL_S + 10
        while any(_alive(p) for p in kids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in kids)
    finally:
        for s in stalled:
            s.close()
