"""The dashboard's heavy panels read the tickets' narrow copies (insights.ticket_facts).

On varied tickets (every state, late and running deadlines, reopenings, merges, category,
team, site and member changes, sub-categories, breaches, ratings), changed through the
service desk's verbs as in production, every panel built from the copies is exactly the
panel the direct computation over the tickets gives: for the operator, a member and a site
contact, under every filter, step and breakdown. Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from mutualis.insights import ticket_facts
from mutualis.insights.filters import InsightFilter, copies_for_values
from mutualis.insights.models import TicketFact
from mutualis.insights.views.dashboard_panels import PANELS, Context, dimensions_for
from mutualis.people.roles import Role
from mutualis.people.tenancy import Scope
from mutualis.servicedesk import services
from mutualis.servicedesk.models import (
    Category,
    SatisfactionRating,
    SlaBreach,
    Target,
    Ticket,
    TicketState,
)
from tests.conftest import Cast
from tests.factories import MembershipFactory, SiteKindFactory
from tests.servicedesk.conftest import Desk
from tests.servicedesk.factories import TeamFactory

from .dashboard_world import at, desk, make_ticket  # noqa: F401 - the desk fixture

# The panels that read the copies; the others read the tickets and are not concerned.
COPIED_PANELS = ("volumes", "breakdown", "durations", "sla", "reopen")
S = TicketState


class Direct(Context):
    """The reference: the same panels computed over the tickets themselves."""

    def copies(self) -> Any:
        return self.tickets()


@dataclass
class Varied:
    cast: Cast
    desk: Desk
    screens: Category  # a sub-category of the tablets'
    site_contact: Scope


def _random_ticket(
    rng: random.Random, cast: Cast, the_desk: Desk, teams: list[Any], categories: list[Any]
) -> Ticket:
    site = rng.choice([the_desk.college, the_desk.station, cast.site_a, cast.site_b])
    incident_type = the_desk.broken_screen if site == the_desk.college else the_desk.camera_offline
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 560))
    # Near midnight too: the period's bounds and the months are days of Paris time.
    created = at(day, rng.choice([0, 1, 9, 12, 17, 23])) + dt.timedelta(minutes=rng.randrange(60))
    state = rng.choice(list(S.values))
    done = state in (S.RESOLVED, S.CLOSED)
    response = None if state == S.NEW or rng.random() < 0.1 else dt.timedelta(minutes=rng.randrange(1, 5000))
    resolution = dt.timedelta(hours=rng.randrange(1, 900)) if done else None
    sla = rng.random()
    # No service level, deadlines far past (met or missed), or far ahead (still running).
    take_in = None if sla < 0.2 else dt.timedelta(hours=rng.choice([1, 4, 8, 24, 24 * 365 * 8]))
    resolve_in = None if sla < 0.2 else dt.timedelta(hours=rng.choice([24, 72, 240, 24 * 365 * 8]))
    return make_ticket(
        site=site,
        incident_type=incident_type,
        created=created,
        state=state,
        response=response,
        resolution=resolution,
        take_charge_in=take_in,
        resolve_in=resolve_in,
        team=rng.choice(teams),
        category=rng.choice(categories),
    )


@pytest.fixture
def varied(cast: Cast, desk: Desk) -> Varied:  # noqa: F811 - the imported fixture
    rng = random.Random(5)
    tablets, video = desk.broken_screen.category, desk.camera_offline.category
    screens = Category.objects.create(operator=cast.operator, parent=tablets, name="Écrans")
    network = Category.objects.create(operator=cast.operator, name="Réseau")
    other_team = TeamFactory(operator=cast.operator, name="Réseau", code="reseau")
    teams = [None, desk.team, other_team]
    tickets = [_random_ticket(rng, cast, desk, teams, [tablets, screens, video, network]) for _ in range(150)]
    by = desk.tess
    # Through the verbs, as the desk does: resolved, reopened, resolved again.
    candidates = [t for t in tickets if t.state in (S.NEW, S.ASSIGNED)]
    started = candidates[:24]
    for ticket in started:
        services.transition(ticket=ticket, to=S.IN_PROGRESS, by=by, as_staff=True)
        services.transition(ticket=ticket, to=S.RESOLVED, by=by, as_staff=True)
    for ticket in started[:12]:
        services.transition(ticket=ticket, to=S.IN_PROGRESS, by=by, as_staff=True)
    for ticket in started[:5]:
        services.transition(ticket=ticket, to=S.RESOLVED, by=by, as_staff=True)
    for ticket in candidates[24:28]:
        services.transition(ticket=ticket, to=S.CANCELLED, by=by, as_staff=True)
    for ticket in tickets[:30:3]:
        services.reclassify(ticket=ticket, by=by, category=rng.choice([tablets, screens, network]))
        services.route_to_team(ticket=Ticket.objects.get(pk=ticket.pk), team=other_team, by=by)
    open_ones = list(Ticket.objects.filter(pk__in=[t.pk for t in tickets], state__in=[S.NEW, S.ASSIGNED]))
    by_member: dict[int, list[Ticket]] = {}
    for ticket in open_ones:
        by_member.setdefault(ticket.member_id, []).append(ticket)
    for same in by_member.values():
        for duplicate, into in zip(same[:3], same[3:6], strict=False):
            services.merge(duplicate=duplicate, into=into, by=by)
    # Declared today through the verb (in the default period), one taken and answered.
    for i in range(4):
        new = services.open_ticket(
            site=desk.station, incident_type=desk.camera_offline, title=f"Caméra {i}", by=cast.alice
        )
        if i % 2:
            services.take(ticket=new, by=by)
            services.reply(ticket=Ticket.objects.get(pk=new.pk), body="On regarde.", by=by, as_staff=True)
    # Moved to another site and member in the back-office (a save, not a verb).
    moved = tickets[40]
    moved.site, moved.member = cast.site_b, cast.member_b
    moved.save()
    # Breaches recorded and ratings given (read from their own tables, through the copies).
    for ticket in tickets[50:70:2]:
        if ticket.resolve_due:
            SlaBreach.objects.get_or_create(
                ticket=ticket,
                target=Target.RESOLVE,
                defaults={"due_at": ticket.resolve_due, "breached_at": ticket.resolve_due, "priority": 3},
            )
    for ticket, rating in zip(tickets[70:90], [1, 2, 3, 4, 5] * 4, strict=True):
        SatisfactionRating.objects.create(ticket=ticket, rating=rating, channel="web")
    # The registry changes under the copies: a site changes kind, a category moves.
    desk.station.kind = SiteKindFactory(code="ehpad", name="EHPAD")
    desk.station.save()
    network.parent = video
    network.save()
    contact = MembershipFactory(member=cast.member_a, role=Role.SITE_CONTACT)
    contact.sites.add(desk.college, cast.site_a)
    return Varied(cast, desk, screens, Scope.for_membership(contact))


def _scope(user: Any) -> Scope:
    return Scope.for_membership(user.memberships.get())


def _filters(v: Varied, scope: Scope) -> list[dict[str, str]]:
    year = {"start": "2024-01-01", "end": "2025-07-31"}
    found: list[dict[str, str]] = [
        {},  # the last twelve months (today's tickets)
        {"start": "2023-06-01", "end": timezone.localdate().isoformat(), "step": "month"},
        {**year, "step": "week"},
        {"start": "2024-03-01", "end": "2024-04-30", "step": "day"},
        {**year, "category": str(v.desk.broken_screen.category_id)},
        {**year, "category": str(v.screens.pk)},
    ]
    if scope.is_operator_staff:
        found += [
            {**year, "member": str(v.cast.member_a.pk)},
            {**year, "site_kind": str(v.desk.college_kind.pk)},
            {**year, "team": str(v.desk.team.pk)},
            {**year, "member": str(v.cast.member_b.pk), "category": str(v.desk.camera_offline.category_id)},
        ]
    else:
        found.append({**year, "site": str(v.desk.college.pk)})
    return found


def _compare(scope: Scope, data: dict[str, str]) -> int:
    """Every copied panel of every breakdown equal to the direct one; the checks made."""
    values = InsightFilter(scope, data).values()
    today, now = timezone.localdate(), timezone.now()
    checked = 0
    for by in dimensions_for(scope):
        fast = Context(scope=scope, values=values, today=today, now=now, by=by)
        direct = Direct(scope=scope, values=values, today=today, now=now, by=by)
        assert fast.copies().model is TicketFact  # every one of these filters is copied
        for name in COPIED_PANELS:
            if name != "breakdown" and by != "category":
                continue  # only the breakdown depends on `by`
            assert PANELS[name].build(fast) == PANELS[name].build(direct), (name, by, data)
            checked += 1
    return checked


@pytest.mark.django_db
def test_the_copies_equal_the_tickets_after_the_verbs(varied: Varied) -> None:
    assert ticket_facts.differences() == 0
    assert TicketFact.objects.count() == Ticket.objects.count() == 154
    assert TicketFact.objects.filter(reopened=True).count() == 12
    assert TicketFact.objects.filter(merged_into__isnull=False).count() > 0


@pytest.mark.django_db
def test_every_panel_from_the_copies_is_the_direct_computation(varied: Varied) -> None:
    cast = varied.cast
    for scope in (_scope(cast.olivia), _scope(cast.alice), varied.site_contact):
        checked = sum(_compare(scope, data) for data in _filters(varied, scope))
        assert checked >= 6 * 5
    # The figures are not empty: the comparisons compared something.
    values = InsightFilter(_scope(cast.olivia), {"start": "2024-01-01", "end": "2025-07-31"}).values()
    ctx = Context(scope=_scope(cast.olivia), values=values, today=timezone.localdate(), now=timezone.now())
    durations = PANELS["durations"].build(ctx)
    assert durations.facts[2].value > 50
    reopen = PANELS["reopen"].build(ctx)
    assert reopen.facts[1].value == 12


@pytest.mark.django_db
def test_a_write_around_the_verbs_is_found_and_the_rebuild_repairs_it(varied: Varied) -> None:
    # An UPDATE that no verb made (a bulk load, a fix in SQL) leaves the copies stale…
    Ticket.objects.filter(state=S.NEW).update(state=S.CANCELLED)
    stale = Ticket.objects.filter(state=S.CANCELLED).count()
    assert ticket_facts.differences() > 0
    # …until the rebuild, which is idempotent.
    call_command("insights_rollups", "--rebuild")
    assert ticket_facts.differences() == 0
    assert ticket_facts.rebuild() == Ticket.objects.count()
    assert ticket_facts.differences() == 0
    assert TicketFact.objects.filter(state=S.CANCELLED).count() == stale


@pytest.mark.django_db
def test_a_deleted_ticket_loses_its_copy(varied: Varied) -> None:
    ticket = Ticket.objects.filter(duplicates__isnull=True, merged_into__isnull=True).first()
    assert ticket is not None
    ticket.events.all().delete()
    SlaBreach.objects.filter(ticket=ticket).delete()
    SatisfactionRating.objects.filter(ticket=ticket).delete()
    ticket.delete()
    assert not TicketFact.objects.filter(ticket_id=ticket.pk).exists()
    assert ticket_facts.differences() == 0


@pytest.mark.django_db
def test_what_the_copies_cannot_answer_reads_the_tickets(cast: Cast) -> None:
    scope = _scope(cast.olivia)
    values = InsightFilter(scope, {}).values()
    assert copies_for_values(scope, values).model is TicketFact
    assert copies_for_values(scope, {**values, "state": "open"}).model is TicketFact
    # Not copied: the assignee. Nor another time zone than the copies' days.
    assert copies_for_values(scope, {**values, "assignee": "none"}).model is Ticket
    with timezone.override("UTC"):
        assert copies_for_values(scope, values).model is Ticket
