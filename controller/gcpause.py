"""Pause Python's cycle collector around work that makes many long-lived objects and almost no
cycles (loading a catalog, reading a history): its passes over them cost a quarter to a half of
the time."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The collector paused inside."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
