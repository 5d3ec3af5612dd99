"""Service levels: the policy a ticket gets, its deadlines, the clock that stops while the
ticket waits, and deadlines met or missed as the verbs move the ticket along."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from mutualis.servicedesk import services
from mutualis.servicedesk.calendars import add_business_time
from mutualis.servicedesk.models import (
    CategoryServiceLevel,
    Closure,
    EscalationAction,
    EscalationRule,
    ServiceContract,
    SlaBreach,
    SlaTarget,
    Target,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketState,
)
from mutualis.servicedesk.sla import sweep
from tests.conftest import Cast
from tests.factories import AssetFactory, CommuneFactory, MemberFactory, OperatorFactory, SiteFactory

from .conftest import Desk
from .factories import CategoryFactory, IncidentTypeFactory, TeamFactory
from .pages import broken_screen, camera
from .service_levels import P1, P3, P4, Clock, Levels, at, office_hours, policy

H = dt.timedelta(hours=1)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_a_ticket_declared_friday_evening_before_whit_monday(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    clock.set("2026-05-22T17:55")
    ticket = fresh(broken_screen(cast, desk))  # P3 on the Standard policy, by default
    assert ticket.sla_policy == levels.standard
    # 4 business hours: Tuesday 26 (Monday 25 is Whit Monday) 08:30–12:00, then 30 minutes.
    assert ticket.take_charge_due == at("2026-05-26T14:00")
    assert ticket.take_charge_warn_at == at("2026-05-26T11:30")  # 75 % of the time
    # 35 business hours: four days of 7 h 30 from Tuesday's opening, then 5 hours on Monday.
    assert ticket.resolve_due == at("2026-06-01T15:00")


def test_without_any_policy_a_ticket_has_no_deadlines(cast: Cast, desk: Desk) -> None:
    ticket = fresh(broken_screen(cast, desk))
    assert (ticket.sla_policy, ticket.take_charge_due, ticket.resolve_due) == (None, None, None)
    services.take(ticket=ticket, by=desk.tess)
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    assert not SlaBreach.objects.exists()


def test_the_category_then_the_contract_then_the_default_decide(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    ServiceContract.objects.create(
        member=cast.member_a, policy=levels.renforce, starts_on=dt.date(2026, 1, 1)
    )
    CategoryServiceLevel.objects.create(category=desk.camera_offline.category, policy=levels.video)
    assert fresh(broken_screen(cast, desk)).sla_policy == levels.renforce
    assert fresh(camera(cast, desk)).sla_policy == levels.video
    # A sub-category of video protection is on the video policy too.
    domes = CategoryFactory(operator=cast.operator, name="Dômes", parent=desk.camera_offline.category)
    dome = IncidentTypeFactory(category=domes, name="Dôme figé", site_kinds=[desk.station_kind])
    ticket = services.open_ticket(site=desk.station, incident_type=dome, title="Dôme", by=cast.alice)
    assert fresh(ticket).sla_policy == levels.video
    # Two levels down too, and the nearest category with a level of its own wins.
    nights = CategoryFactory(operator=cast.operator, name="Dômes de nuit", parent=domes)
    night_dome = IncidentTypeFactory(
        category=nights, name="Dôme de nuit figé", site_kinds=[desk.station_kind]
    )
    ticket = services.open_ticket(site=desk.station, incident_type=night_dome, title="Dôme", by=cast.alice)
    assert fresh(ticket).sla_policy == levels.video
    CategoryServiceLevel.objects.create(category=domes, policy=levels.renforce)
    ticket = services.open_ticket(site=desk.station, incident_type=night_dome, title="Dôme", by=cast.alice)
    assert fresh(ticket).sla_policy == levels.renforce
    # A contract that ended: the operator's default again.
    ServiceContract.objects.update(ends_on=dt.date(2026, 2, 28))
    assert fresh(broken_screen(cast, desk)).sla_policy == levels.standard


def test_a_24_7_policy_runs_at_night_and_on_sundays(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    CategoryServiceLevel.objects.create(category=desk.camera_offline.category, policy=levels.video)
    clock.set("2026-03-28T23:30")  # Saturday night, before the change of time
    ticket = fresh(camera(cast, desk))  # P2: one hour to take charge
    assert ticket.take_charge_due == at("2026-03-29T00:30")
    clock.set("2026-03-29T01:30")
    ticket = fresh(camera(cast, desk))
    assert ticket.take_charge_due == at("2026-03-29T03:30")  # 02:00–03:00 does not exist that night


def test_sites_in_alsace_moselle_lose_good_friday(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    metz = CommuneFactory(code="57463", name="Metz", departement__code="57", departement__name="Moselle")
    college = SiteFactory(
        member=MemberFactory(operator=cast.operator, commune=metz), kind=desk.college_kind, commune=metz
    )
    tablet = AssetFactory(site=college, asset_type=desk.tablet.asset_type)
    clock.set("2026-04-02T17:00")  # Thursday before Easter
    versailles = fresh(broken_screen(cast, desk))
    moselle = fresh(
        services.open_ticket(
            site=college, incident_type=desk.broken_screen, title="Écran", by=cast.olivia, assets=[tablet]
        )
    )
    # Half an hour on Thursday, then 3 h 30 the next working morning.
    assert versailles.take_charge_due == at("2026-04-03T12:00")  # Good Friday works in Versailles
    assert moselle.take_charge_due == at("2026-04-07T12:00")  # and Easter Monday is off everywhere


def test_waiting_for_the_member_stops_the_clock_and_replying_gives_back_what_was_left(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    ticket = broken_screen(cast, desk)  # Tuesday 10 March 09:00
    due = fresh(ticket).resolve_due
    assert due is not None
    clock.set("2026-03-10T09:30")
    services.take(ticket=ticket, by=desk.tess)
    clock.set("2026-03-10T10:00")
    services.transition(ticket=ticket, to=TicketState.WAITING_MEMBER, by=desk.tess, as_staff=True)
    waiting = fresh(ticket)
    assert waiting.sla_paused_at == at("2026-03-10T10:00")
    clock.set("2026-03-11T10:00")  # a day later: 7 h 30 of business time
    services.reply(ticket=ticket, body="La voici.", by=cast.alice, as_staff=False)
    resumed = fresh(ticket)
    assert resumed.state == TicketState.IN_PROGRESS
    assert resumed.sla_paused_at is None
    assert resumed.sla_paused_time == 7.5 * H
    assert resumed.resolve_due == add_business_time(levels.office, due, 7.5 * H, holiday_region="")
    # Waiting for a third party stops it too.
    clock.set("2026-03-11T11:00")
    services.transition(ticket=ticket, to=TicketState.WAITING_THIRD_PARTY, by=desk.tess, as_staff=True)
    clock.set("2026-03-11T12:00")
    services.transition(ticket=ticket, to=TicketState.IN_PROGRESS, by=desk.tess, as_staff=True)
    assert fresh(ticket).sla_paused_time == 8.5 * H


def test_changing_the_priority_recomputes_from_the_declaration_and_keeps_the_old_deadlines(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    ticket = broken_screen(cast, desk)  # P3, Tuesday 09:00
    old = fresh(ticket)
    clock.set("2026-03-10T09:20")
    services.change_priority(ticket=ticket, priority=P1, by=cast.olivia)
    ticket = fresh(ticket)
    assert ticket.take_charge_due == at("2026-03-10T10:00")
    assert ticket.resolve_due == at("2026-03-10T17:30")  # 7 hours: the whole day
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.DEADLINE)
    assert event.actor == cast.olivia
    assert event.old_value == f"{old.take_charge_due.isoformat()};{old.resolve_due.isoformat()}"  # type: ignore[union-attr]
    assert event.new_value == f"{ticket.take_charge_due.isoformat()};{ticket.resolve_due.isoformat()}"


def test_a_new_priority_counts_the_time_the_clock_stood_still(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    ticket = broken_screen(cast, desk)
    services.take(ticket=ticket, by=desk.tess)
    services.transition(ticket=ticket, to=TicketState.WAITING_MEMBER, by=desk.tess, as_staff=True)
    clock.set("2026-03-11T09:00")  # 7 h 30 of business time later
    services.reply(ticket=ticket, body="Voilà", by=cast.alice, as_staff=False)
    services.change_priority(ticket=ticket, priority=P4, by=cast.olivia)
    ticket = fresh(ticket)
    expected = add_business_time(
        levels.office, at("2026-03-10T09:00"), (4200 + 450) * dt.timedelta(minutes=1), holiday_region=""
    )
    assert ticket.resolve_due == expected
    # Taken charge already: that deadline is history and stays.
    assert ticket.take_charge_due == at("2026-03-10T14:30")


def test_taking_charge_late_is_recorded_once(cast: Cast, desk: Desk, levels: Levels, clock: Clock) -> None:
    ticket = broken_screen(cast, desk)  # take charge before 14:30 (4 h, lunch 12:00–13:30)
    assert fresh(ticket).take_charge_due == at("2026-03-10T14:30")
    clock.set("2026-03-10T15:00")
    assert [a.level for a in sweep()] == ["breach"]
    clock.set("2026-03-10T16:00")
    services.take(ticket=ticket, by=desk.tess)
    breach = SlaBreach.objects.get()
    assert (breach.target, breach.due_at, breach.breached_at, breach.priority) == (
        Target.TAKE_CHARGE,
        at("2026-03-10T14:30"),
        at("2026-03-10T14:30"),  # seen by the sweep, at the deadline
        P3,
    )


def test_a_late_take_charge_without_the_sweep_is_recorded_when_it_happens(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    ticket = broken_screen(cast, desk)
    clock.set("2026-03-10T15:00")
    services.reply(ticket=ticket, body="Nous regardons.", by=desk.tess, as_staff=True)  # a first response
    breach = SlaBreach.objects.get()
    assert (breach.target, breach.breached_at) == (Target.TAKE_CHARGE, at("2026-03-10T15:00"))
    assert sweep() == []


def test_resolving_late_is_a_breach_and_on_time_is_not(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    on_time, late = broken_screen(cast, desk), broken_screen(cast, desk)
    clock.set("2026-03-10T10:00")
    for ticket in (on_time, late):
        services.take(ticket=ticket, by=desk.tess)
    services.transition(ticket=on_time, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    clock.set("2026-03-20T10:00")  # 35 business hours ended on Monday 16 at 15:30
    services.transition(ticket=late, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    assert list(SlaBreach.objects.values_list("ticket_id", "target")) == [(late.pk, Target.RESOLVE)]


def test_reopening_gives_back_the_time_that_was_left(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    ticket = broken_screen(cast, desk)
    services.take(ticket=ticket, by=desk.tess)
    clock.set("2026-03-10T10:00")
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    resolved = fresh(ticket)
    assert resolved.sla_paused_at == at("2026-03-10T10:00")
    clock.set("2026-03-12T10:00")  # two days later, within the delay to reopen
    services.transition(ticket=ticket, to=TicketState.IN_PROGRESS, by=cast.alice, as_staff=False, note="Non")
    reopened = fresh(ticket)
    assert reopened.sla_paused_at is None
    due = resolved.resolve_due
    assert due is not None
    assert reopened.resolve_due == add_business_time(levels.office, due, 15 * H, holiday_region="")


def test_reclassifying_into_a_category_with_its_own_level_recomputes(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    CategoryServiceLevel.objects.create(category=desk.camera_offline.category, policy=levels.video)
    ticket = broken_screen(cast, desk)
    services.reclassify(ticket=ticket, category=desk.camera_offline.category, by=cast.olivia)
    ticket = fresh(ticket)
    assert ticket.sla_policy == levels.video
    assert ticket.take_charge_due == at("2026-03-10T13:00")  # P3 on 24/7: 4 hours
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.DEADLINE).count() == 1


# Checks of the back-office's definitions.


def test_contracts_of_a_member_cannot_overlap(cast: Cast, levels: Levels) -> None:
    ServiceContract.objects.create(
        member=cast.member_a, policy=levels.standard, starts_on=dt.date(2026, 1, 1)
    )
    clash = ServiceContract(member=cast.member_a, policy=levels.renforce, starts_on=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError, match=r"Standard"):
        clash.full_clean()
    backwards = ServiceContract(
        member=cast.member_b,
        policy=levels.renforce,
        starts_on=dt.date(2026, 6, 1),
        ends_on=dt.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        backwards.full_clean()
    assert "ends_on" in exc.value.message_dict


def test_definitions_of_another_operator_are_refused(cast: Cast, desk: Desk, levels: Levels) -> None:
    other = OperatorFactory()
    foreign = policy(cast, "Autre", levels.office, {})
    foreign.operator = other
    with pytest.raises(ValidationError) as exc:
        foreign.full_clean()
    assert "calendar" in exc.value.message_dict
    with pytest.raises(ValidationError):
        ServiceContract(
            member=MemberFactory(operator=other), policy=levels.standard, starts_on=dt.date(2026, 1, 1)
        ).full_clean()
    rule = EscalationRule(
        policy=levels.standard, level="breach", target="resolve", action=EscalationAction.ROUTE
    )
    # As a delete page lists it, French spacing included.
    assert str(rule) == "résolution / échéance dépassée : confier la demande à une équipe"
    with pytest.raises(ValidationError) as route:
        rule.full_clean()
    assert "team" in route.value.message_dict
    rule.team = TeamFactory(operator=other)
    with pytest.raises(ValidationError):
        rule.full_clean()
    target = SlaTarget(policy=levels.standard, priority=P1, take_charge_minutes=60, resolve_minutes=30)
    with pytest.raises(ValidationError) as short:
        target.clean()
    assert "resolve_minutes" in short.value.message_dict
    office_hours(cast, "Autres heures").check_definition()


def test_only_one_default_policy_per_operator(cast: Cast, levels: Levels) -> None:
    second = policy(cast, "Second", levels.office, {})
    second.is_default = True
    with pytest.raises(ValidationError):
        second.validate_constraints()


def test_a_pause_across_ascension_counts_no_holiday_and_a_calendar_closed_for_years_does_not_block_the_reply(
    cast: Cast, desk: Desk, levels: Levels, clock: Clock
) -> None:
    clock.set("2026-05-13T09:00")  # Wednesday; Thursday 14 May 2026 is Ascension
    ticket = broken_screen(cast, desk)
    clock.set("2026-05-13T09:30")
    services.take(ticket=ticket, by=desk.tess)
    clock.set("2026-05-13T16:00")
    services.transition(ticket=ticket, to=TicketState.WAITING_MEMBER, by=desk.tess, as_staff=True)
    clock.set("2026-05-15T10:00")
    services.reply(ticket=ticket, body="La voici.", by=cast.alice, as_staff=False)
    # By hand: Wednesday 16:00–17:30, Thursday closed, Friday 08:30–10:00.
    assert fresh(ticket).sla_paused_time == 3 * H

    clock.set("2026-05-15T11:00")
    services.transition(ticket=ticket, to=TicketState.WAITING_MEMBER, by=desk.tess, as_staff=True)
    # While it waits, the office is closed for years, a closure of under a year at a time.
    for first, last in (
        (dt.date(2026, 5, 16), dt.date(2027, 5, 15)),
        (dt.date(2027, 5, 16), dt.date(2028, 5, 14)),
    ):
        Closure.objects.create(calendar=levels.office, label="Travaux", first_day=first, last_day=last)
    for first, last in (
        (dt.date(2028, 5, 15), dt.date(2029, 5, 14)),
        (dt.date(2029, 5, 15), dt.date(2029, 12, 31)),
    ):
        Closure.objects.create(calendar=levels.office, label="Travaux", first_day=first, last_day=last)
    clock.set("2026-05-18T10:00")
    services.reply(ticket=ticket, body="Toujours en panne.", by=cast.alice, as_staff=False)
    resumed = fresh(ticket)
    assert resumed.state == TicketState.IN_PROGRESS
    assert (resumed.sla_paused_at, resumed.resolve_due, resumed.resolve_warn_at) == (None, None, None)
