"""Progress of a long generation: stage names, counts and elapsed time."""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    """Reports lines like `Assets: 24,000/37,212 (8.1 s)` through `write`.

    Within a stage a line goes out at most every `every` rows, so that a run at full
    scale prints a few dozen lines, not thousands.
    """

    def __init__(self, write: Callable[[str], object] | None = None, *, every: int = 5000) -> None:
        self.write = write
        self.every = every
        self.started = time.monotonic()
        self._reported: dict[str, int] = {}

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str) -> None:
        if self.write is not None:
            self.write(f"{text} ({self.elapsed():.1f} s)")

    def count(self, stage: str, done: int, total: int) -> None:
        """Report `done` of `total` rows of `stage`: the start, every `every` rows, the end."""
        last = self._reported.get(stage)
        if last is None or done >= total or done - last >= self.every:
            self._reported[stage] = done
            self.say(f"{stage}: {done:,}/{total:,}")
