"""Holding the cyclic garbage collector during the hub's bulk work (a batch request, an
ingestion batch).

A batch allocates tens of thousands of small dicts and lists that all stay alive until it
ends, so the collector kept running and walking them, and every object of the process, for
nothing: measured, a third of a batch's CPU time inside the write verb (docs/benchmarks-history.md),
and a fifth more of the request's CPU when the parsing and the normalization of the body
were held as well. What a batch builds has no reference cycles and is freed by reference
counting; anything else waits for the collector's next run, after the batch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_held() -> Iterator[None]:
    """The collector off for the block. Only the caller that found it on turns it back on,
    so nested or concurrent batches leave it as they found it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
