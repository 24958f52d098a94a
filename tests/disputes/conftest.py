"""Fixtures for disputes: demo cases by name, a point per area, the duplicate index reset."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from shapely.geometry import shape

from jingwu.areas.models import Area
from jingwu.disputes.demo import WATER_LEAK_TITLE
from jingwu.disputes.models import Case
from jingwu.disputes.services import duplicates


def point_in(code: str) -> tuple[float, float]:
    """A (lat, lon) inside the area with this code."""
    p = shape(Area.objects.get(code=code).geometry).representative_point()
    return p.y, p.x


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    # Each test rolls its rows back; the per-process index must not remember them.
    duplicates.reset()
    yield
    duplicates.reset()


@pytest.fixture
def water_leak(demo: None) -> Case:
    return Case.objects.get(title=WATER_LEAK_TITLE)


@pytest.fixture
def demo_case(demo: None) -> Any:
    """``demo_case("工地欠薪纠纷")`` → the demo case with that title."""
    return lambda title: Case.objects.get(title=title)
