"""Recurring failures: the sliding window, what counts as an incident, the tenancy door,
and the patterns injected into a realistic background (tests/insights/recurring_data.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from mutualis.insights.filters import filtered_tickets
from mutualis.insights.recurring import Grouping, Sameness, recurring, recurring_table
from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Asset
from mutualis.servicedesk.models import IncidentType, Ticket, TicketState
from tests.conftest import Cast
from tests.factories import MembershipFactory, SiteFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

from .recurring_data import DEFECTIVE_MODEL, FAULT_EVERY_DAYS, SCREEN_TAG, Fleet, build_fleet

pytestmark = pytest.mark.django_db


def scope_of(user: User) -> Scope:
    return Scope.for_membership(Membership.objects.get(user=user))


def period(fleet: Fleet, **more: object) -> dict[str, object]:
    return {"start": fleet.start.isoformat(), "end": fleet.end.isoformat(), **more}


def _tickets_at(cast: Cast, incident_type: IncidentType, days: list[float], *, site=None) -> list[Ticket]:  # type: ignore[no-untyped-def]
    site = site or cast.site_a
    base = timezone.now() - dt.timedelta(days=200)
    first = (Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    tickets = [
        Ticket(
            operator=cast.operator,
            number=first + i,
            member=site.member,
            site=site,
            incident_type=incident_type,
            category=incident_type.category,
            title="Panne",
            created_at=base + dt.timedelta(days=day),
        )
        for i, day in enumerate(days)
    ]
    Ticket.objects.bulk_create(tickets)
    return tickets


def test_the_window_slides_and_its_bounds_are_exact(cast: Cast) -> None:
    kind = IncidentTypeFactory(category=CategoryFactory(operator=cast.operator))
    _tickets_at(cast, kind, [0, 50, 100, 160])
    tickets = Ticket.objects.visible_to(scope_of(cast.olivia))

    def peak(window: int, min_count: int = 2) -> int | None:
        rows = recurring(tickets, grouping=Grouping.SITE, window_days=window, min_count=min_count)
        return rows[0].peak if rows else None

    # 0-50, 50-100 and 100-160 are pairs: at most 2 within 90 days, never 3.
    assert peak(90) == 2
    assert peak(90, min_count=3) is None
    # 0, 50, 100 are less than 101 days apart, not less than 100 (exactly 100 days).
    assert peak(100, min_count=3) is None
    assert peak(101, min_count=3) == 3
    # The window starts at any incident, not at a calendar quarter nor at "today - N".
    assert peak(111, min_count=4) is None
    assert peak(161, min_count=4) == 4
    row = recurring(tickets, grouping=Grouping.SITE, window_days=400, min_count=3, tickets_per_row=20)[0]
    assert row.last_at == Ticket.objects.order_by("-created_at").first().created_at  # type: ignore[union-attr]
    assert (row.subject, row.peak, row.total) == (cast.site_a, 4, 4)
    assert [t.number for t in row.tickets] == sorted((t.number for t in row.tickets), reverse=True)


def test_same_type_or_same_category(cast: Cast) -> None:
    category = CategoryFactory(operator=cast.operator, name="Réseau")
    wifi = IncidentTypeFactory(category=category, name="Wi-Fi")
    line = IncidentTypeFactory(category=category, name="Ligne")
    _tickets_at(cast, wifi, [0, 20])
    _tickets_at(cast, line, [10])
    tickets = Ticket.objects.visible_to(scope_of(cast.olivia))
    assert recurring(tickets, grouping=Grouping.SITE, same=Sameness.INCIDENT_TYPE) == []
    [row] = recurring(tickets, grouping=Grouping.SITE, same=Sameness.CATEGORY)
    assert (row.kind, row.peak) == (category, 3)


def test_duplicates_and_cancelled_tickets_do_not_count(cast: Cast) -> None:
    kind = IncidentTypeFactory(category=CategoryFactory(operator=cast.operator))
    first, second, _third = _tickets_at(cast, kind, [0, 5, 10])
    tickets = Ticket.objects.visible_to(scope_of(cast.olivia))
    assert recurring(tickets, grouping=Grouping.SITE)[0].peak == 3
    Ticket.objects.filter(pk=second.pk).update(merged_into=first)
    assert recurring(tickets, grouping=Grouping.SITE) == []
    Ticket.objects.filter(pk=second.pk).update(merged_into=None, state=TicketState.CANCELLED)
    assert recurring(tickets, grouping=Grouping.SITE) == []


def test_the_network_site_is_first_for_the_network_category(cast: Cast) -> None:
    fleet = build_fleet(cast)
    scope = scope_of(cast.olivia)
    tickets = filtered_tickets(scope, period(fleet, category=fleet.network.pk))
    rows = recurring(tickets, grouping=Grouping.SITE, same=Sameness.CATEGORY)
    first = rows[0]
    assert first.subject == fleet.network_site
    assert first.kind == fleet.network
    # A fault every 21 days: five of them (days 0, 21, 42, 63, 84) within 90 days.
    assert first.peak == 90 // FAULT_EVERY_DAYS + 1 == 5
    assert first.total == fleet.network_faults
    assert all(r.peak < first.peak for r in rows[1:])  # the background stays below
    # The faults alternate between two types: by type, the site recurs less.
    by_type = recurring(tickets, grouping=Grouping.SITE, same=Sameness.INCIDENT_TYPE)
    assert max(r.peak for r in by_type if r.subject == fleet.network_site) == 3


def test_the_broken_screen_is_first_among_recurring_equipment(cast: Cast) -> None:
    fleet = build_fleet(cast)
    scope = scope_of(cast.olivia)
    tickets = filtered_tickets(scope, period(fleet))
    rows = recurring(
        tickets, grouping=Grouping.ASSET, assets=Asset.objects.visible_to(scope), tickets_per_row=20
    )
    first = rows[0]
    assert first.subject.inventory_tag == SCREEN_TAG
    assert (str(first.kind.name), first.peak) == ("Écran cassé", 4)
    assert len(first.tickets) == first.total >= 4
    assert all(r.peak < 4 for r in rows[1:])


def test_the_defective_model_is_first_among_recurring_models(cast: Cast) -> None:
    fleet = build_fleet(cast)
    scope = scope_of(cast.olivia)
    tickets = filtered_tickets(scope, period(fleet, category=fleet.tablet_category.pk))
    rows = recurring(tickets, grouping=Grouping.MODEL, same=Sameness.CATEGORY)
    assert rows[0].subject.name == DEFECTIVE_MODEL
    assert rows[0].total == fleet.events[DEFECTIVE_MODEL]
    assert rows[0].peak > rows[1].peak


def test_member_users_and_site_contacts_see_their_own(cast: Cast) -> None:
    fleet = build_fleet(cast)
    charlie = scope_of(cast.charlie)
    rows = recurring(
        filtered_tickets(charlie, period(fleet)), grouping=Grouping.SITE, same=Sameness.CATEGORY, min_count=2
    )
    assert rows  # member B has recurring sites of its own…
    assert {r.subject.member_id for r in rows} == {cast.member_b.pk}  # …and only those
    assets = recurring(
        filtered_tickets(charlie, period(fleet)),
        grouping=Grouping.ASSET,
        min_count=1,
        assets=Asset.objects.visible_to(charlie),
    )
    assert {r.subject.site.member_id for r in assets} == {cast.member_b.pk}
    # A site contact of the network site sees it, and no other site.
    contact = MembershipFactory(member=cast.member_a, role=Role.SITE_CONTACT)
    contact.sites.add(fleet.network_site)
    scope = Scope.for_membership(contact)
    rows = recurring(filtered_tickets(scope, period(fleet)), grouping=Grouping.SITE, same=Sameness.CATEGORY)
    assert [r.subject for r in rows] == [fleet.network_site]
    # Another operator's staff: nothing at all.
    assert recurring(filtered_tickets(scope_of(cast.oscar), period(fleet)), grouping=Grouping.SITE) == []


def test_an_asset_named_outside_the_fleet_given_names_nothing(cast: Cast) -> None:
    kind = IncidentTypeFactory(category=CategoryFactory(operator=cast.operator))
    tickets = _tickets_at(cast, kind, [0, 5, 10])
    for ticket in tickets:
        ticket.assets.add(cast.asset_a)
    olivia = Ticket.objects.visible_to(scope_of(cast.olivia))
    assert recurring(olivia, grouping=Grouping.ASSET)[0].subject == cast.asset_a
    elsewhere = Asset.objects.filter(site=SiteFactory(member=cast.member_b))
    assert recurring(olivia, grouping=Grouping.ASSET, assets=elsewhere) == []


def test_a_page_of_rows_comes_with_the_count_of_them_all(cast: Cast) -> None:
    category = CategoryFactory(operator=cast.operator)
    wifi, line = IncidentTypeFactory(category=category), IncidentTypeFactory(category=category)
    other = SiteFactory(member=cast.member_a)
    _tickets_at(cast, wifi, [0, 10, 20, 30])  # site A: two kinds, two rows
    _tickets_at(cast, line, [0, 10, 20])
    _tickets_at(cast, wifi, [0, 10, 20], site=other)
    tickets = Ticket.objects.visible_to(scope_of(cast.olivia))
    every = recurring(tickets, grouping=Grouping.SITE)
    assert (every[0].subject, every[0].peak) == (cast.site_a, 4)
    assert len(every) == 3
    first = recurring_table(tickets, grouping=Grouping.SITE, limit=2)
    rest = recurring_table(tickets, grouping=Grouping.SITE, limit=2, offset=2)
    assert (first.count, first.things, rest.count, rest.things) == (3, 2, 3, 2)
    assert first.rows + rest.rows == every
    assert all(r.tickets == [] for r in every)  # none read unless asked
    beyond = recurring_table(tickets, grouping=Grouping.SITE, limit=2, offset=4)
    assert (beyond.rows, beyond.count) == ([], 0)


def test_the_tickets_behind_the_rows_are_read_in_bounded_chunks() -> None:
    """Each query of the tickets behind the rows asks for every pair of its things and
    kinds: the chunks keep that product under PAIRS_PER_QUERY, and cover every row once,
    in order."""
    from mutualis.insights.recurring import PAIRS_PER_QUERY, RecurringRow, _chunks

    now = timezone.now()
    rows = [
        RecurringRow(grouping="site", subject_id=s, kind_id=k, peak=3, total=3, last_at=now)
        for s in range(60)
        for k in (s % 13, (s * 7) % 29)
    ]
    chunks = list(_chunks(rows))
    assert [row for chunk in chunks for row in chunk] == rows
    assert len(chunks) > 1
    for chunk in chunks:
        assert len({r.subject_id for r in chunk}) * len({r.kind_id for r in chunk}) <= PAIRS_PER_QUERY
