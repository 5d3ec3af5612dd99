"""Tickets of known dates, states and durations for the dashboard's tests.

Member A (Versailles) in 2024: two incidents a month, ten in September (the surge), every
one answered within an hour and resolved within two days (two of September's late, in
five days); December's two are still open (one assigned to tess, one to nobody) and past
their deadlines; one of October's was reopened; three were rated 5, 4 and 2. Member B
(Nanterre): three incidents in March 2024. Every title is "INS-<number>", to find the
tickets on a list page.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from mutualis.people.models import User
from mutualis.registry.models import Site
from mutualis.servicedesk.models import (
    Category,
    IncidentType,
    SatisfactionRating,
    SlaBreach,
    Target,
    Team,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketState,
)
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk, desk  # noqa: F401 - the fixture, for the tests importing world

PARIS = ZoneInfo("Europe/Paris")
YEAR = 2024
START, END = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}
_numbers = itertools.count(9000)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)


def make_ticket(
    *,
    site: Site,
    incident_type: IncidentType,
    created: dt.datetime,
    state: str = TicketState.RESOLVED,
    response: dt.timedelta | None = dt.timedelta(hours=1),
    resolution: dt.timedelta | None = dt.timedelta(days=2),
    take_charge_in: dt.timedelta | None = dt.timedelta(hours=4),
    resolve_in: dt.timedelta | None = dt.timedelta(days=3),
    team: Team | None = None,
    assignee: User | None = None,
    category: Category | None = None,
) -> Ticket:
    number = next(_numbers)
    # Durations are elapsed time: added in UTC, not in Paris wall time (which would gain or
    # lose an hour across a change of summer time).
    created = created.astimezone(dt.UTC)
    return Ticket.objects.create(
        operator_id=site.operator_id,
        number=number,
        member_id=site.member_id,
        site=site,
        incident_type=incident_type,
        category=category or incident_type.category,
        title=f"INS-{number}",
        state=state,
        team=team,
        assignee=assignee,
        created_at=created,
        updated_at=created,
        first_response_at=created + response if response is not None else None,
        resolved_at=created + resolution if resolution is not None else None,
        take_charge_due=created + take_charge_in if take_charge_in is not None else None,
        resolve_due=created + resolve_in if resolve_in is not None else None,
    )


@dataclass
class World:
    cast: Cast
    desk: Desk
    a: list[Ticket] = field(default_factory=list)  # member A's 2024 tickets
    b: list[Ticket] = field(default_factory=list)  # member B's
    by_month: dict[int, list[Ticket]] = field(default_factory=dict)  # A's, by month
    open: list[Ticket] = field(default_factory=list)
    reopened: Ticket | None = None
    late: list[Ticket] = field(default_factory=list)
    screens: Category | None = None  # a sub-category of "Tablette"


@pytest.fixture
def world(cast: Cast, desk: Desk) -> World:  # noqa: F811 - the imported fixture
    w = World(cast, desk)
    tablets = desk.broken_screen.category
    w.screens = Category.objects.create(operator=cast.operator, parent=tablets, name="Écrans")
    for month in range(1, 13):
        count = 10 if month == 9 else 2
        for i in range(count):
            day = dt.date(YEAR, month, 1 + i)
            kind = {}
            if i % 2 == 0:
                site, incident_type = desk.college, desk.broken_screen
                if i == 2:  # one of the tablets' in a sub-category: counted under "Tablette"
                    kind = {"category": w.screens}
            else:
                site, incident_type = desk.station, desk.camera_offline
            if month == 12:
                ticket = make_ticket(
                    site=site,
                    incident_type=incident_type,
                    created=at(day),
                    state=TicketState.ASSIGNED if i == 0 else TicketState.NEW,
                    response=None,
                    resolution=None,
                    assignee=desk.tess if i == 0 else None,
                    team=desk.team if i == 0 else None,
                    **kind,  # type: ignore[arg-type]
                )
                w.open.append(ticket)
            elif month == 9 and i in (3, 4):
                ticket = make_ticket(
                    site=site,
                    incident_type=incident_type,
                    created=at(day),
                    resolution=dt.timedelta(days=5),
                    **kind,  # type: ignore[arg-type]
                )
                w.late.append(ticket)
            else:
                ticket = make_ticket(site=site, incident_type=incident_type, created=at(day), **kind)  # type: ignore[arg-type]
            w.a.append(ticket)
            w.by_month.setdefault(month, []).append(ticket)
    w.reopened = w.by_month[10][0]
    for old, new, hours in (("resolved", "in_progress", 50), ("in_progress", "resolved", 60)):
        TicketEvent.objects.create(
            ticket=w.reopened,
            kind=TicketEventKind.STATE,
            old_value=old,
            new_value=new,
            at=w.reopened.created_at + dt.timedelta(hours=hours),
        )
    for ticket, rating in zip(w.by_month[5], (5, 4), strict=True):
        SatisfactionRating.objects.create(
            ticket=ticket, rating=rating, channel="web", created_at=at(dt.date(2024, 5, 20))
        )
    SatisfactionRating.objects.create(ticket=w.by_month[6][0], rating=2, channel="web")
    late = w.late[0]
    SlaBreach.objects.create(
        ticket=late,
        target=Target.RESOLVE,
        due_at=late.resolve_due,
        breached_at=late.resolve_due,
        priority=late.priority,
    )
    for day in (4, 5, 6):
        w.b.append(
            make_ticket(
                site=cast.site_b, incident_type=desk.camera_offline, created=at(dt.date(YEAR, 3, day))
            )
        )
    return w


TITLE = re.compile(r"INS-\d+")


def titles(html: str) -> set[str]:
    """The tickets a page lists (or shows anywhere), by title."""
    return set(TITLE.findall(html))


def names(tickets: list[Ticket]) -> set[str]:
    return {t.title for t in tickets}
