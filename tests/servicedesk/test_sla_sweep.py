"""The service-level sweep: warnings once, breaches once, escalation through the verbs,
and a bounded number of queries whatever the number of tickets."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualis.servicedesk import services
from mutualis.servicedesk.models import (
    AlertLevel,
    EscalationAction,
    EscalationRule,
    SlaBreach,
    Target,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketState,
)
from mutualis.servicedesk.selectors import timeline
from mutualis.servicedesk.sla import SlaAlert, sweep
from tests.conftest import Cast

from .conftest import Desk
from .factories import TeamFactory
from .pages import broken_screen
from .service_levels import P2, P4, Clock, Levels, at


def test_a_deadline_is_warned_about_once_then_missed_once(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    ticket = broken_screen(cast, desk)  # Tuesday 09:00, P3: take charge before 14:30, warned at 12:00
    clock.set("2026-03-10T11:59")
    assert sweep() == []
    clock.set("2026-03-10T13:40")
    assert sweep() == [
        SlaAlert(
            ticket_id=ticket.pk,
            ticket_number=ticket.number,
            operator_id=cast.operator.pk,
            target=Target.TAKE_CHARGE,
            level=AlertLevel.WARNING,
            due_at=at("2026-03-10T14:30"),
            team_id=desk.team.pk,
            assignee_id=None,
        )
    ]
    assert sweep() == []  # idempotent
    clock.set("2026-03-10T14:31")
    alerts = sweep()
    assert [(a.target, a.level) for a in alerts] == [(Target.TAKE_CHARGE, AlertLevel.BREACH)]
    assert sweep() == []
    breach = SlaBreach.objects.get()
    assert (breach.due_at, breach.breached_at, breach.recorded_at) == (
        at("2026-03-10T14:30"),
        at("2026-03-10T14:30"),
        at("2026-03-10T14:31"),
    )


def test_the_resolution_deadline_is_watched_once_taken_charge(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    ticket = broken_screen(cast, desk)
    services.take(ticket=ticket, by=desk.tess)
    clock.set("2026-03-20T10:00")  # resolution was due on Monday 16 at 15:30
    assert [(a.target, a.level) for a in sweep()] == [(Target.RESOLVE, AlertLevel.BREACH)]


def test_tickets_with_a_stopped_clock_or_done_are_left_alone(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    waiting, cancelled, resolved = (broken_screen(cast, desk) for _ in range(3))
    services.transition(ticket=waiting, to=TicketState.WAITING_MEMBER, by=desk.tess, as_staff=True)
    services.transition(ticket=cancelled, to=TicketState.CANCELLED, by=cast.alice, as_staff=False)
    services.transition(ticket=resolved, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    clock.set("2026-04-30T10:00")
    assert sweep() == []
    assert not SlaBreach.objects.exists()


def test_a_deadline_moved_is_warned_about_again(cast: Cast, desk: Desk, levels: Levels, clock: Clock) -> None:
    ticket = broken_screen(cast, desk)
    clock.set("2026-03-10T13:40")
    assert len(sweep()) == 1
    services.change_priority(ticket=ticket, priority=P4, by=cast.olivia)  # 8 h: due Wednesday 09:30
    assert sweep() == []  # its warning (75 %: 6 h) is at 16:30
    clock.set("2026-03-10T16:45")
    assert [(a.level, a.due_at) for a in sweep()] == [(AlertLevel.WARNING, at("2026-03-11T09:30"))]


def test_escalation_rules_act_through_the_verbs_and_show_in_the_timeline(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    night = TeamFactory(operator=cast.operator, name="Astreinte", code="astreinte")
    rule = {"policy": levels.standard, "target": Target.TAKE_CHARGE}
    EscalationRule.objects.create(**rule, level=AlertLevel.WARNING, action=EscalationAction.RAISE_PRIORITY)
    EscalationRule.objects.create(**rule, level=AlertLevel.BREACH, action=EscalationAction.ROUTE, team=night)
    EscalationRule.objects.create(**rule, level=AlertLevel.BREACH, action=EscalationAction.NOTIFY)
    ticket = broken_screen(cast, desk)
    clock.set("2026-03-10T13:40")
    [warning] = sweep()
    assert not warning.notify
    raised = Ticket.objects.get(pk=ticket.pk)
    assert raised.priority == P2  # and its deadlines with it: 2 hours, due at 11:00, missed
    assert raised.take_charge_due == at("2026-03-10T11:00")
    assert sweep()[0].level == AlertLevel.BREACH  # the new deadline is missed: not warned again
    routed = Ticket.objects.get(pk=ticket.pk)
    assert (routed.team, routed.priority) == (night, P2)  # raised once only
    kinds = list(TicketEvent.objects.filter(ticket=ticket, actor=None).values_list("kind", flat=True))
    assert kinds == [
        TicketEventKind.PRIORITY,
        TicketEventKind.DEADLINE,
        TicketEventKind.TEAM,
        TicketEventKind.ESCALATED,
    ]
    # The member sees the priority and the deadlines move, not the internal escalation.
    assert TicketEventKind.ESCALATED not in [e.event.kind for e in timeline(ticket, staff=False) if e.event]
    assert TicketEventKind.ESCALATED in [e.event.kind for e in timeline(ticket, staff=True) if e.event]
    assert sweep() == []


def _count_sweep_queries(count: int, cast: Cast, desk: Desk, clock: Clock) -> int:
    clock.set("2026-03-10T09:00")
    for _ in range(count):
        broken_screen(cast, desk)
    clock.set("2026-03-10T13:40")
    with CaptureQueriesContext(connection) as warned:
        assert len(sweep()) == count
    return len(warned)


def test_the_sweep_reads_the_same_number_of_queries_for_3_or_30_tickets(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    few = _count_sweep_queries(3, cast, desk, clock)
    Ticket.objects.update(state=TicketState.CANCELLED)
    many = _count_sweep_queries(30, cast, desk, clock)
    assert few == many <= 10
