"""Hourly partial sums rolled up into the buckets a page shows (see periods.py for why the
database groups by hour and local-time buckets are built from those hours)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from .indices import energy_level
from .selectors import Partial


@dataclass
class Bucket:
    count: int = 0
    total: float = 0.0
    low: float | None = None
    high: float | None = None
    energy: float = 0.0
    # The largest hourly mean in the bucket (ATMO compares gases by their worst hour).
    max_hourly_mean: float | None = None

    def add(self, part: Partial) -> None:
        self.count += part.count
        self.total += part.total
        self.energy += part.energy
        self.low = part.low if self.low is None else min(self.low, part.low)
        self.high = part.high if self.high is None else max(self.high, part.high)
        hourly = part.total / part.count if part.count else None
        if hourly is not None:
            self.max_hourly_mean = (
                hourly if self.max_hourly_mean is None else max(self.max_hourly_mean, hourly)
            )

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def level(self) -> float | None:
        """The energy-averaged level (decibels)."""
        return energy_level(self.energy, self.count)


K = TypeVar("K", bound=Hashable)


def roll(partials: Iterable[Partial], key: Callable[[dt.datetime], K]) -> dict[K, Bucket]:
    """The partials grouped by `key(hour)`."""
    buckets: dict[K, Bucket] = {}
    for part in partials:
        buckets.setdefault(key(part.hour), Bucket()).add(part)
    return buckets
