"""The ranking's fast wording and rounding give what ``rules`` and ``round`` give, always.

``_round1`` skips the decimal conversion of ``round(x, 1)`` away from ties; ``_duration`` and
``_distance`` read the texts of whole seconds and metres from tables. Each is held to the slow
function on random values, on values at and next to every tie and on the edges of the tables.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from jingwu.engine.dispatch.ranking import _distance, _duration, _round1
from jingwu.engine.dispatch.rules import distance_text, duration_text

FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-10.0, 5000.0),
    st.integers(-50, 100_000).map(lambda n: n / 20),  # ties of round(x, 1) and of round(x)
    st.integers(-50, 100_000).map(lambda n: math.nextafter(n / 20, math.inf)),
    st.integers(-50, 100_000).map(lambda n: math.nextafter(n / 20, -math.inf)),
    st.integers(900, 100_000).map(lambda n: n * 50.0),  # ties of the kilometres' tenths
    st.integers(900, 100_000).map(lambda n: math.nextafter(n * 50.0, math.inf)),
    st.integers(900, 100_000).map(lambda n: math.nextafter(n * 50.0, -math.inf)),
    st.sampled_from([0.0, -0.0, 0.05, 0.15, 0.25, 2.675, 1e9 / 10, 1e8 + 0.05, 999.5, 3599.5]),
    st.sampled_from([999.95, 1000.0, 1049.99, 1050.0, 1250.0, 98_950.0, 98_999.9, 99_000.0]),
)


@settings(max_examples=3000)
@given(FLOATS)
def test_round1_is_round(x: float) -> None:
    assert repr(_round1(x)) == repr(round(x, 1))


@settings(max_examples=3000)
@given(FLOATS)
def test_texts_equal_the_rules(x: float) -> None:
    assert _duration(x) == duration_text(x)
    assert _distance(x) == distance_text(x)
    for prefix in ("车程约 ", "步行约 ", "用时约 "):  # tables of their own, or none
        assert _duration(x, prefix) == prefix + duration_text(x)
    assert _distance(x, "直线距离 ") == "直线距离 " + distance_text(x)
    assert _distance(x, "距离 ") == "距离 " + distance_text(x)


def test_every_table_entry_and_its_neighbours() -> None:
    for n in range(0, 100_000, 50):  # every tie of a kilometre's tenth, and next to it
        for x in (n, math.nextafter(n, 0), math.nextafter(n, 1e9), n + 0.01, n - 0.01):
            assert _distance(x) == distance_text(x)
    for n in range(-2, 3700):
        for x in (n - 0.5, n, n + 0.5, math.nextafter(n + 0.5, 0), math.nextafter(n + 0.5, 1e9)):
            assert _duration(x) == duration_text(x)
            assert _duration(x, "骑行约 ") == "骑行约 " + duration_text(x)
            assert _distance(x) == distance_text(x)
            assert _distance(x, "直线距离 ") == "直线距离 " + distance_text(x)
            assert repr(_round1(x / 7)) == repr(round(x / 7, 1))
