"""Several server processes, each with its own listening socket on the same port.

uvicorn's ``--workers`` has every process accept from one shared socket. The process whose
event loop wakes first accepts every connection waiting, so a burst of connections (64
clients starting together, a proxy opening its pool) lands mostly on one process: measured
here, 44 of 64 on one and 20 on the other. Each process runs on one core (the interpreter
lock), so the loaded one answers twice as slowly while the other idles.

Here each process opens its own socket with ``SO_REUSEPORT`` (Linux, the BSDs): the kernel
spreads new connections over the processes by a hash of their addresses, whatever the
processes are doing. The supervisor starts the processes, restarts one that dies, and stops
them all on SIGINT/SIGTERM; each process also stops when the supervisor dies (Linux's
parent-death signal), so a killed supervisor leaves no process serving behind it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

#: Environment variable that tells a ``jingwu serve`` process it is one of several.
REUSE_PORT_ENV = "JINGWU_REUSE_PORT"
_RESTART_PAUSE_S = 1.0


def supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket that shares ``port`` with the other processes' sockets."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the supervisor dies (Linux prctl)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def supervise(command: list[str], workers: int, say: Callable[[str], None] = print) -> int:
    """Run ``workers`` copies of ``command`` until SIGINT/SIGTERM; return the exit status."""
    env = dict(os.environ, **{REUSE_PORT_ENV: "1"})
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)  # noqa: PLW1509

    procs = [start() for _ in range(workers)]
    started = time.monotonic()
    status = 0
    while not stopping:
        time.sleep(0.2)
        for i, proc in enumerate(procs):
            code = proc.poll()
            if code is None or stopping:
                continue
            if code > 0 and time.monotonic() - started < 5:  # failed at start (port taken,
                # bad settings); a process killed by a signal (code < 0) is just replaced
                say(f"server process {proc.pid} exited at start ({code}); stopping")
                stopping, status = True, code or 1
                break
            say(f"server process {proc.pid} exited ({code}); starting another")
            time.sleep(_RESTART_PAUSE_S)
            procs[i] = start()
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return status
