"""``jingwu.caching``: a copy trusted for FRESH_S, dropped by ``forget``, rechecked by ``expire``."""

from __future__ import annotations

import pytest

from jingwu import caching


def test_a_copy_is_trusted_for_fresh_s_then_read_again_with_the_previous_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(caching, "clock", lambda: clock[0])
    seen: list[object] = []

    def read(previous: int | None) -> int:
        seen.append(previous)
        return (previous or 0) + 1

    cache = caching.Checked(read)
    assert cache.get() == 1 and cache.get() == 1 and seen == [None]
    clock[0] += caching.FRESH_S + 0.1
    assert cache.get() == 2 and seen == [None, 1]  # the read may confirm the previous copy
    cache.expire()
    assert cache.get() == 3 and seen[-1] == 2  # expired: asked again, with the copy
    cache.forget()
    assert cache.get() == 1 and seen[-1] is None  # forgotten: read anew


def test_a_copy_read_while_it_was_forgotten_is_not_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A save in this process while another thread is reading: that read may predate the
    save, so the next use reads again."""
    monkeypatch.setattr(caching, "clock", lambda: 100.0)
    reads = []

    def read(previous: str | None) -> str:
        reads.append(previous)
        if len(reads) == 1:
            cache.forget()  # the save lands during the read
        return f"read {len(reads)}"

    cache = caching.Checked(read)
    assert cache.get() == "read 1"
    assert cache.get() == "read 2"
    assert cache.get() == "read 2" and len(reads) == 2
