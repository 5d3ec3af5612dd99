"""Known tickets for the report tests: member A's October 2026, written straight into the
tables with their dates (the verbs would stamp "now"), so that every figure is known.

October 2026 for member A (Versailles), two sites:
- t1 "Réseau", 3 Oct, taken in charge on time, resolved on time, rated 5 (6 Oct);
- t2 "Réseau", 10 Oct, taken in charge late, resolved late (20 Oct), rated 4 (21 Oct);
- t3 "Réseau", 15 Oct, taken in charge on time, still in progress;
- t4 "Écrans", 28 Oct at the school, no service level, new;
- t5 "Écrans", 30 Oct, cancelled.
Before: one ticket on 1 Aug still assigned, two in September. Member B: three in October.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from mutualis.registry.models import Site
from mutualis.servicedesk.models import Category, IncidentType, SatisfactionRating, Ticket, TicketState
from tests.conftest import Cast
from tests.factories import SiteFactory, SiteKindFactory

PARIS = ZoneInfo("Europe/Paris")
AS_OF = dt.datetime(2026, 11, 15, 12, 0, tzinfo=PARIS)


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=PARIS)


@dataclass
class Known:
    school: Site
    network: Category
    screens: Category


class _Numbers:
    value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


def ticket(
    cast: Cast, known: Known, numbers: _Numbers, *, site: Site | None = None, **fields: object
) -> Ticket:
    site = site or cast.site_a
    category = fields.pop("category", known.network)
    assert isinstance(category, Category)
    incident_type = IncidentType.objects.filter(category=category).first()
    if incident_type is None:
        incident_type = IncidentType.objects.create(
            operator=cast.operator, category=category, name=category.name
        )
    created = fields.get("created_at")
    return Ticket.objects.create(
        operator=site.operator,
        number=numbers.next(),
        member=site.member,
        site=site,
        incident_type=incident_type,
        category=category,
        title=f"Demande {numbers.value}",
        updated_at=created,
        **fields,
    )


def known_month(cast: Cast) -> Known:
    known = Known(
        school=SiteFactory(
            member=cast.member_a, name="École Jules Ferry", kind=SiteKindFactory(code="ecole", name="École")
        ),
        network=Category.objects.create(operator=cast.operator, name="Réseau"),
        screens=Category.objects.create(operator=cast.operator, name="Écrans"),
    )
    n = _Numbers()
    t1 = ticket(
        cast,
        known,
        n,
        created_at=at("2026-10-03"),
        take_charge_due=at("2026-10-03", 12),
        first_response_at=at("2026-10-03", 10),
        resolve_due=at("2026-10-05"),
        resolved_at=at("2026-10-04"),
        state=TicketState.RESOLVED,
        requester=cast.alice,
    )
    t2 = ticket(
        cast,
        known,
        n,
        created_at=at("2026-10-10"),
        take_charge_due=at("2026-10-10", 12),
        first_response_at=at("2026-10-11"),
        resolve_due=at("2026-10-12"),
        resolved_at=at("2026-10-20"),
        state=TicketState.CLOSED,
        closed_at=at("2026-10-25"),
        requester=cast.alice,
    )
    ticket(
        cast,
        known,
        n,
        created_at=at("2026-10-15"),
        take_charge_due=at("2026-10-15", 18),
        first_response_at=at("2026-10-15", 11),
        resolve_due=at("2026-11-30"),
        state=TicketState.IN_PROGRESS,
    )
    ticket(cast, known, n, site=known.school, category=known.screens, created_at=at("2026-10-28"))
    ticket(cast, known, n, category=known.screens, created_at=at("2026-10-30"), state=TicketState.CANCELLED)
    ticket(cast, known, n, created_at=at("2026-08-01"), state=TicketState.ASSIGNED)
    ticket(
        cast, known, n, created_at=at("2026-09-05"), state=TicketState.CLOSED, resolved_at=at("2026-09-06")
    )
    ticket(
        cast,
        known,
        n,
        created_at=at("2026-09-30", 23),
        state=TicketState.CLOSED,
        resolved_at=at("2026-10-01"),
    )
    for day in ("2026-10-02", "2026-10-09", "2026-10-31"):
        ticket(cast, known, n, site=cast.site_b, created_at=at(day))
    SatisfactionRating.objects.create(ticket=t1, rating=5, channel="web", created_at=at("2026-10-06"))
    SatisfactionRating.objects.create(ticket=t2, rating=4, channel="web", created_at=at("2026-10-21"))
    return known
