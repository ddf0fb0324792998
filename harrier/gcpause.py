"""Pausing Python's cyclic garbage collector while a large set of long-lived objects is built.

Building 100k entries allocates enough containers to trigger several full collections, each
of which walks every object the process holds, although nothing built is garbage. Reference
counting still frees what it can while the collector is paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block; re-enable it only if it was enabled."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
