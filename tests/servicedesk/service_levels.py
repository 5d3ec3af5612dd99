"""Fixtures of the service-level tests: a clock the tests set, and the operator's
calendars and policies (office hours, 24/7; Standard by default, Renforcé, video 24/7)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from mutualis.servicedesk.models import BusinessCalendar, OpeningRange, Priority, SlaPolicy, SlaTarget
from tests.conftest import Cast

PARIS = ZoneInfo("Europe/Paris")
P1, P2, P3, P4 = Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW


def at(text: str) -> dt.datetime:
    """A moment in Paris time: "2026-05-22T17:55"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)


class Clock:
    """What `timezone.now()` returns, for the verbs, the sweep and the pages alike."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def set(self, text: str) -> dt.datetime:
        self.now = at(text)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock(at("2026-03-10T09:00"))  # a Tuesday
    monkeypatch.setattr(timezone, "now", lambda: found.now.astimezone(dt.UTC))
    return found


@dataclass
class Levels:
    office: BusinessCalendar
    always: BusinessCalendar
    standard: SlaPolicy  # the default, on office hours
    renforce: SlaPolicy
    video: SlaPolicy  # on 24/7


def office_hours(cast: Cast, name: str = "Heures de bureau") -> BusinessCalendar:
    """Monday to Friday, 08:30–12:00 and 13:30–17:30 (7 hours), public holidays off."""
    calendar = BusinessCalendar.objects.create(operator=cast.operator, name=name)
    for day in range(5):
        OpeningRange.objects.create(
            calendar=calendar, weekday=day, starts_at=dt.time(8, 30), ends_at=dt.time(12)
        )
        OpeningRange.objects.create(
            calendar=calendar, weekday=day, starts_at=dt.time(13, 30), ends_at=dt.time(17, 30)
        )
    return calendar


def policy(
    cast: Cast, name: str, calendar: BusinessCalendar, targets: dict[int, tuple[int, int]], **fields: object
) -> SlaPolicy:
    found = SlaPolicy.objects.create(operator=cast.operator, name=name, calendar=calendar, **fields)
    for priority, (take, resolve) in targets.items():
        SlaTarget.objects.create(
            policy=found, priority=priority, take_charge_minutes=take, resolve_minutes=resolve
        )
    return found


@pytest.fixture
def levels(cast: Cast) -> Levels:
    office = office_hours(cast)
    always = BusinessCalendar.objects.create(
        operator=cast.operator, name="24/7", always_open=True, public_holidays=False
    )
    standard = policy(
        cast,
        "Standard",
        office,
        {P1: (60, 420), P2: (120, 840), P3: (240, 2100), P4: (480, 4200)},
        is_default=True,
        warn_percent=75,
    )
    renforce = policy(
        cast, "Renforcé", office, {P1: (30, 240), P2: (60, 420), P3: (120, 840), P4: (240, 2100)}
    )
    video = policy(
        cast, "Vidéo 24/7", always, {P1: (30, 240), P2: (60, 720), P3: (240, 2880), P4: (480, 5760)}
    )
    return Levels(office, always, standard, renforce, video)
