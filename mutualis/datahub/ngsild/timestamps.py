"""NGSI-LD DateTime values (4.6.3 / 4.8): ISO 8601, UTC, with a Z."""

from __future__ import annotations

from datetime import UTC, datetime

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
