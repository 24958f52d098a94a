"""Service-window capacity: the Erlang C (M/M/N) queue and the fewest windows for a target.

Arrivals are Poisson, handling times exponential, every window serves any waiting citizen and
nobody leaves the queue. With offered load ``A = λ·h`` (Erlangs) on ``N`` windows:

- probability of waiting ``Pw = C(N, A)``, computed from the Erlang B recursion
  ``B(0) = 1, B(n) = A·B(n-1) / (n + A·B(n-1))`` and ``C = N·B / (N - A·(1 - B))``. The
  recursion never forms ``A^N`` or ``N!``, so it stays exact to rounding for thousands of
  windows where the textbook sum overflows;
- service level (share served within ``t``) ``1 - Pw·exp(-(N - A)·t / h)``;
- mean wait ``Pw·h / (N - A)``; occupancy ``A / N``.

With ``N <= A`` the queue grows without bound: ``Pw = 1``, service level 0, mean wait inf.
Times are in any one unit (the caller's); the functions never mix units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: The search for the fewest windows gives up above this many (a configuration error upstream).
MAX_SERVERS = 100_000


@dataclass(frozen=True)
class QueueFigures:
    """Erlang C figures for one number of windows; times in the caller's unit."""

    servers: int
    offered_load: float
    prob_wait: float
    service_level: float
    mean_wait: float
    occupancy: float


def _check(name: str, value: float, *, positive: bool = False) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(
            f"{name} must be a finite {'positive' if positive else 'non-negative'} number"
        )
    return value


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/M/N/N loss system (the Erlang B formula), by recursion."""
    if servers < 0:
        raise ValueError("servers must be >= 0")
    load = _check("load", load)
    b = 1.0
    for n in range(1, servers + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits (the Erlang C formula); 1 when ``servers <= load``."""
    load = _check("load", load)
    if servers < 0:
        raise ValueError("servers must be >= 0")
    if load == 0:
        return 0.0
    if servers <= load:
        return 1.0
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1.0 - b))


def figures(servers: int, load: float, handling_time: float, target_time: float) -> QueueFigures:
    """All Erlang C figures for ``servers`` windows at offered ``load`` (Erlangs)."""
    load = _check("load", load)
    handling_time = _check("handling_time", handling_time, positive=True)
    target_time = _check("target_time", target_time)
    if servers < 0:
        raise ValueError("servers must be >= 0")
    return _figures_from_b(servers, load, erlang_b(servers, load), handling_time, target_time)


def _figures_from_b(
    servers: int, load: float, b: float, handling_time: float, target_time: float
) -> QueueFigures:
    if load == 0:
        return QueueFigures(servers, 0.0, 0.0, 1.0, 0.0, 0.0)
    if servers <= load:
        return QueueFigures(
            servers, load, 1.0, 0.0, math.inf, load / servers if servers else math.inf
        )
    gap = servers - load
    pw = servers * b / (servers - load * (1.0 - b))
    service_level = 1.0 - pw * math.exp(-gap * target_time / handling_time)
    return QueueFigures(servers, load, pw, service_level, pw * handling_time / gap, load / servers)


def fewest_servers(
    *,
    arrival_rate: float,
    handling_time: float,
    target_time: float,
    service_level: float,
    min_servers: int = 1,
    max_occupancy: float = 1.0,
) -> QueueFigures:
    """The fewest windows whose service level within ``target_time`` reaches ``service_level``.

    ``arrival_rate`` is per unit of time of ``handling_time`` and ``target_time`` (e.g. per
    minute with minutes). ``max_occupancy`` < 1 also caps how busy each window may be.
    Service level grows with every added window, so the first N that meets both is the answer.
    """
    rate = _check("arrival_rate", arrival_rate)
    handling_time = _check("handling_time", handling_time, positive=True)
    target_time = _check("target_time", target_time)
    goal = _check("service_level", service_level)
    if goal >= 1.0 and rate > 0:
        raise ValueError("service_level must be below 1 (a queue never serves everyone at once)")
    max_occupancy = _check("max_occupancy", max_occupancy, positive=True)
    load = rate * handling_time
    n = max(min_servers, math.floor(load / max_occupancy) + 1 if load > 0 else min_servers)
    # Walk N upward carrying Erlang B along, so the whole search costs O(N), not O(N²).
    b = erlang_b(n, load)
    while n <= MAX_SERVERS:
        f = _figures_from_b(n, load, b, handling_time, target_time)
        if f.service_level >= goal and f.occupancy <= max_occupancy:
            return f
        n += 1
        b = load * b / (n + load * b)
    raise ValueError(f"more than {MAX_SERVERS} servers would be needed")


def servers_per_period(
    arrival_rates: Sequence[float],
    *,
    handling_time: float,
    target_time: float,
    service_level: float,
) -> list[QueueFigures]:
    """``fewest_servers`` for each period's arrival rate (a period without arrivals needs 0)."""
    return [
        fewest_servers(
            arrival_rate=rate,
            handling_time=handling_time,
            target_time=target_time,
            service_level=service_level,
            min_servers=0 if rate == 0 else 1,
        )
        for rate in arrival_rates
    ]
