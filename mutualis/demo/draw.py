"""What the seeded generator draws: dates, times, positions, samples, identifiers.

Every function takes the one `random.Random` of the run, so the same seed and the same
reference date give the same draws in the same order.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from mutualis.registry.identifiers import luhn_ok

T = TypeVar("T")
PARIS = ZoneInfo("Europe/Paris")
# About 350 m at the latitude of Versailles (1° of latitude is ~111 km, 1° of longitude
# ~73 km at 48.8° N): sites stay in the town, not on top of each other.
LATITUDE_JITTER = 0.0032
LONGITUDE_JITTER = 0.0048
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day in [start, end]; `start` when the range is empty."""
    span = (end - start).days
    return start + dt.timedelta(days=rng.randint(0, span)) if span > 0 else start


def working_time(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment of the working day (08:30-17:30, Paris time) on `day`."""
    minutes = rng.randint(8 * 60 + 30, 17 * 60 + 30)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=PARIS)


def weighted_sample(rng: random.Random, items: Sequence[T], weights: Sequence[float], k: int) -> list[T]:
    """`k` distinct items, heavier ones more likely (Efraimidis–Spirakis keys), in the
    order of their keys; all items when `k` is larger."""
    keyed = sorted(
        ((rng.random() ** (1.0 / w) if w > 0 else 0.0, i) for i, w in enumerate(weights)),
        key=lambda pair: (-pair[0], pair[1]),
    )
    return [items[i] for _key, i in keyed[:k]]


def jitter(
    rng: random.Random, latitude: Decimal | None, longitude: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """A position a few hundred metres around (latitude, longitude), to the micro-degree."""
    if latitude is None or longitude is None:
        return None, None
    lat = float(latitude) + rng.uniform(-LATITUDE_JITTER, LATITUDE_JITTER)
    lon = float(longitude) + rng.uniform(-LONGITUDE_JITTER, LONGITUDE_JITTER)
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def luhn_complete(digits: str) -> str:
    """`digits` followed by the check digit that makes the whole pass the Luhn test."""
    for check in "0123456789":
        if luhn_ok(digits + check):
            return digits + check
    raise AssertionError("A Luhn check digit always exists.")  # pragma: no cover


class Identifiers:
    """Draws SIREN and UAI numbers that are valid and never drawn twice in a run."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.taken = set(taken)

    def siren(self, prefix: str) -> str:
        """A valid SIREN starting with `prefix` (public bodies' SIRENs start with 1 or 2)."""
        while True:
            body = prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(8 - len(prefix)))
            value = luhn_complete(body)
            if value not in self.taken:
                self.taken.add(value)
                return value

    def uai(self, departement: str) -> str:
        """A school's UAI (ex-RNE): 0 + département + 4 digits + a check letter, the
        7-digit number modulo 23 read in the alphabet without I, O and Q."""
        while True:
            digits = f"0{departement}{self.rng.randint(0, 9999):04d}"
            value = digits + UAI_LETTERS[int(digits) % 23]
            if value not in self.taken:
                self.taken.add(value)
                return value
