"""NGSI-LD DateTime values (4.6.3 / 4.8): ISO 8601, UTC, with a Z."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from mutualis.lib.calendar_bounds import EARLIEST, LATEST, holds

from .errors import BadRequestData


def format_instant(moment: datetime) -> str:
    """UTC, millisecond precision, "Z": the form every timestamp the hub emits takes."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_instant(text: object, *, field: str) -> datetime:
    """A DateTime a client sent; naive times are refused (the spec requires UTC)."""
    if not isinstance(text, str):
        raise BadRequestData(f"{field} must be a DateTime string (ISO 8601, UTC), not {text!r}.")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise BadRequestData(f"{field} is not an ISO 8601 DateTime: {text!r}.") from None
    if moment.tzinfo is None:
        raise BadRequestData(f"{field} must carry a time zone (e.g. a final Z for UTC): {text!r}.")
    utc: datetime | None
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved across midnight by its offset
        utc = None
    if utc is None or not holds(utc.date()):
        raise BadRequestData(
            f"{field} must lie between {EARLIEST.isoformat()}T00:00:00Z and {LATEST.isoformat()}T23:59:59Z: {text!r}."
        )
    return utc


# How far ahead of the hub's clock an observedAt may lie. NGSI-LD 4.8 defines observedAt
# as the moment a value "became valid or was observed"; received now, a value observed
# later than now is a device's clock gone wrong. A clock a few minutes fast is common and
# harmless; beyond this it does harm: an observed attribute's current value is the latest
# by observedAt (`services.batch._observe`, so that a late reading never rolls it back), so
# one value stamped next year would keep every true value after it out of the entity's
# state (and of its alert rules) until then. The one rule for every way in: the compact
# readings (`ingestion.compact.check_not_ahead`), the NGSI-LD payloads (`normalize`) and
# the choice of the current value (`_observe`).
MAX_AHEAD = timedelta(minutes=10)


class AheadOfClock(BadRequestData):
    """An observedAt further ahead of the hub's clock than a clock drifts (MQTT ingestion
    keeps it as a dead letter `future_time`, the API answers 400 BadRequestData, 5.5.2)."""


def ahead_of_clock(moment: datetime, now: datetime) -> str | None:
    """Why `moment` cannot be when a value received at `now` was observed (it lies more than
    MAX_AHEAD ahead, by how much), or None when it can."""
    ahead = moment - now
    if ahead <= MAX_AHEAD:
        return None
    return (
        f"observedAt {format_instant(moment)} is {_duration(ahead)} ahead of the hub's clock "
        f"({format_instant(now)})"
    )


@lru_cache(maxsize=64)
def horizon(now: datetime) -> str:
    """The latest observedAt a value received at `now` may carry, as the hub writes instants:
    fixed-width text, so that a stored instant is compared to it as text, no parsing."""
    return format_instant(now + MAX_AHEAD)


def _duration(delta: timedelta) -> str:
    if delta >= timedelta(days=2):
        return f"{delta.days} days"
    if delta >= timedelta(hours=2):
        return f"{int(delta.total_seconds() // 3600)} hours"
    return f"{int(delta.total_seconds() // 60)} minutes"
