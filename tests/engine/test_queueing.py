"""Erlang C against the shared reference table, classic values, and its invariants."""

from __future__ import annotations

import csv
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingwu.engine.queueing import (
    erlang_b,
    erlang_c,
    fewest_servers,
    figures,
    servers_per_period,
)

REFERENCE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "queueing_reference"
    / "erlang_c_reference_computed.csv"
)


def reference_rows() -> list[dict[str, str]]:
    with REFERENCE.open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_reference_table_is_there() -> None:
    assert len(reference_rows()) == 10


@pytest.mark.parametrize(
    "row",
    reference_rows(),
    ids=lambda r: f"A{r['offered_load_erlangs']}N{r['servers']}t{r['target_s']}",
)
def test_erlang_c_equals_every_reference_row(row: dict[str, str]) -> None:
    f = figures(
        int(row["servers"]),
        float(row["offered_load_erlangs"]),
        float(row["aht_s"]),
        float(row["target_s"]),
    )
    # The table holds six decimals for probabilities: equal to 1e-6.
    assert f.prob_wait == pytest.approx(float(row["prob_wait"]), abs=1e-6)
    assert f.service_level == pytest.approx(float(row["service_level"]), abs=1e-6)
    assert f.occupancy == pytest.approx(float(row["occupancy"]), abs=1e-6)
    # Mean wait in seconds is printed with four decimals: equal at that precision.
    assert f.mean_wait == pytest.approx(float(row["asa_s"]), abs=0.5e-4 + 1e-9)


def test_the_published_vector_to_full_precision() -> None:
    # PROVENANCE.md: 100 calls per 30 min, 3 min handling, 14 agents, 0.33 min target.
    f = figures(14, 100 / 30 * 3, 3.0, 0.33)
    assert f.prob_wait == pytest.approx(0.1741319335950498, abs=1e-12)
    assert f.service_level == pytest.approx(0.8878526926911569, abs=1e-12)


@pytest.mark.parametrize(
    ("servers", "load", "prob_wait", "mean_wait"),
    [(1, 0.8, 0.8, 4.0), (3, 2.0, 4 / 9, 4 / 9)],
    ids=["M/M/1 rho 0.8", "M/M/3 A 2"],
)
def test_classic_values(servers: int, load: float, prob_wait: float, mean_wait: float) -> None:
    f = figures(servers, load, 1.0, 0.0)
    assert f.prob_wait == pytest.approx(prob_wait, abs=1e-12)
    assert f.mean_wait == pytest.approx(mean_wait, abs=1e-12)


def exact_erlang_c(n: int, a: Fraction) -> Fraction:
    """The textbook sum in exact rational arithmetic (the reference implementation)."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 60), a_milli=st.integers(1, 59_999))
def test_recursion_equals_the_exact_textbook_sum(n: int, a_milli: int) -> None:
    a = Fraction(a_milli, 1000)
    if a >= n:
        assert erlang_c(n, float(a)) == 1.0
        return
    assert erlang_c(n, float(a)) == pytest.approx(float(exact_erlang_c(n, a)), rel=1e-9, abs=1e-12)


def test_thousands_of_windows_do_not_overflow() -> None:
    # a**n / n! overflows a float near n = 170; the recursion does not care.
    f = figures(5_000, 4_900.0, 1.0, 0.05)
    assert 0.0 < f.prob_wait < 1.0
    assert 0.0 < f.service_level < 1.0
    assert math.isfinite(f.mean_wait)
    assert erlang_b(20_000, 19_000.0) == pytest.approx(erlang_b(20_000, 19_000.0))


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 80), a=st.floats(0.01, 79.0))
def test_more_windows_never_hurt(n: int, a: float) -> None:
    if a >= n:
        return
    now, more = figures(n, a, 5.0, 2.0), figures(n + 1, a, 5.0, 2.0)
    assert 0.0 <= more.prob_wait <= now.prob_wait <= 1.0
    assert now.service_level <= more.service_level <= 1.0
    assert more.mean_wait <= now.mean_wait


@settings(max_examples=100, deadline=None)
@given(rate=st.floats(0.01, 5.0), handling=st.floats(0.5, 30.0), goal=st.floats(0.1, 0.99))
def test_fewest_servers_is_the_fewest(rate: float, handling: float, goal: float) -> None:
    best = fewest_servers(
        arrival_rate=rate, handling_time=handling, target_time=15.0, service_level=goal
    )
    assert best.service_level >= goal
    if best.servers > 1:
        fewer = figures(best.servers - 1, rate * handling, handling, 15.0)
        assert fewer.service_level < goal


def test_fewest_servers_for_the_published_vector() -> None:
    # 10 Erlangs, 80 % within 20 s of 180 s handling: 13 windows give 79.6 %, 14 give 88.8 %.
    best = fewest_servers(
        arrival_rate=10 / 180, handling_time=180, target_time=20, service_level=0.8
    )
    assert best.servers == 14
    assert best.prob_wait == pytest.approx(0.174132, abs=1e-6)


def test_an_overloaded_queue_never_settles() -> None:
    f = figures(3, 3.0, 10.0, 15.0)
    assert (f.prob_wait, f.service_level, f.mean_wait) == (1.0, 0.0, math.inf)


def test_no_arrivals_need_no_window_per_period() -> None:
    out = servers_per_period([0.0, 0.02], handling_time=10, target_time=15, service_level=0.8)
    assert [f.servers for f in out] == [0, 1]
    assert out[0].service_level == 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"arrival_rate": -1.0},
        {"arrival_rate": math.nan},
        {"handling_time": 0.0},
        {"service_level": 1.0},
        {"target_time": math.inf},
    ],
)
def test_bad_numbers_are_refused(kwargs: dict[str, float]) -> None:
    args = {"arrival_rate": 1.0, "handling_time": 10.0, "target_time": 15.0, "service_level": 0.8}
    with pytest.raises(ValueError):
        fewest_servers(**(args | kwargs))
