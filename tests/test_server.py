"""``jingwu.server``: what the served application does at start-up."""

from __future__ import annotations

import gc

from jingwu import server


def test_start_up_objects_are_frozen_out_of_later_full_collections() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        server.freeze_startup_objects()
        frozen = gc.get_freeze_count()
        # Every module and URL pattern of the process: far more than a collection leaves young.
        assert frozen > 50_000, frozen
        gc.collect()
        assert gc.get_freeze_count() == frozen  # a collection does not thaw them
    finally:
        gc.unfreeze()
