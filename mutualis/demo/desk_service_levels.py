"""The demo operator's service levels: three business calendars (office hours, 24/7,
school days), four policies, members' contracts, and each demo ticket's deadlines and
missed deadlines as the verbs and the sweep would have left them.

Deadlines are computed in memory while the tickets are written (desk_tickets.write_lives
asks `DemoClocks.fields` for each row): no ticket is read back or updated, and the
calendar's days are turned into instants once for all 15,000 tickets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mutualis.registry.models import Member, Operator
from mutualis.servicedesk.calendars import Schedule, holiday_region
from mutualis.servicedesk.models import (
    AlertLevel,
    BusinessCalendar,
    Category,
    CategoryServiceLevel,
    Closure,
    EscalationAction,
    EscalationRule,
    OpeningRange,
    Priority,
    ServiceContract,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    Target,
    Team,
    TicketEventKind,
)
from mutualis.servicedesk.models.tickets import TicketState as S
from mutualis.servicedesk.services.deadlines import ENDED_STATES, STOPPED_STATES, ZERO, Clock

from .context import DemoContext
from .desk_calendar import school_holidays
from .desk_life import Life
from .desk_specs import DESK_TEAM
from .members import DemoMembers

P1, P2, P3, P4 = Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW
# Business minutes (take charge, resolve) per priority. Office hours are 7 h a day.
POLICIES: dict[str, dict[str, Any]] = {
    "Standard": {
        "calendar": "Heures de bureau",
        "default": True,
        "warn_percent": 75,
        "targets": {P1: (60, 420), P2: (120, 1260), P3: (240, 2100), P4: (480, 4200)},
    },
    "Renforcé": {
        "calendar": "Heures de bureau",
        "warn_percent": 75,
        "warn_minutes_before": 60,
        "targets": {P1: (30, 240), P2: (60, 840), P3: (180, 1400), P4: (420, 2800)},
    },
    "Établissements scolaires": {
        "calendar": "Jours de classe",
        "warn_percent": 75,
        "targets": {P1: (60, 420), P2: (120, 1260), P3: (240, 2100), P4: (480, 4200)},
    },
    "Vidéoprotection 24/7": {
        "calendar": "24 h/24, 7 j/7",
        "warn_percent": 80,
        "targets": {P1: (30, 240), P2: (60, 720), P3: (240, 2880), P4: (480, 5760)},
    },
}
# Categories handled on the 24/7 policy whatever the member's contract.
ROUND_THE_CLOCK_CATEGORIES = ("Vidéoprotection", "Alarme intrusion")


def build_service_levels(ctx: DemoContext, members: DemoMembers) -> None:
    operator = ctx.operator
    office = _calendar(operator, "Heures de bureau", _week([(510, 720), (810, 1050)], weekdays=5))
    Closure.objects.bulk_create(
        Closure(calendar=office, label="Fermeture de fin d’année", first_day=first, last_day=last)
        for first, last in _christmas_weeks(ctx.today)
    )
    _calendar(operator, "24 h/24, 7 j/7", always_open=True)
    school_week = _week([(480, 720), (810, 1020)], weekdays=5)
    school_week[2] = [(480, 720)]  # no class on Wednesday afternoon
    school = _calendar(operator, "Jours de classe", school_week)
    Closure.objects.bulk_create(
        Closure(calendar=school, label=label, first_day=first, last_day=last)
        for label, first, last in _school_closures(ctx.today)
    )
    calendars = {c.name: c for c in BusinessCalendar.objects.filter(operator=operator)}
    policies = {}
    for name, spec in POLICIES.items():
        policy = SlaPolicy.objects.create(
            operator=operator,
            name=name,
            calendar=calendars[spec["calendar"]],
            is_default=spec.get("default", False),
            warn_percent=spec.get("warn_percent"),
            warn_minutes_before=spec.get("warn_minutes_before"),
        )
        SlaTarget.objects.bulk_create(
            SlaTarget(policy=policy, priority=p, take_charge_minutes=take, resolve_minutes=resolve)
            for p, (take, resolve) in spec["targets"].items()
        )
        policies[name] = policy
    desk = Team.objects.filter(operator=operator, code=DESK_TEAM).first()
    rules = [
        EscalationRule(
            policy=p, level=AlertLevel.WARNING, target=Target.RESOLVE, action=EscalationAction.NOTIFY
        )
        for p in policies.values()
    ]
    rules += [
        EscalationRule(policy=p, level=AlertLevel.BREACH, target=t, action=EscalationAction.NOTIFY)
        for p in policies.values()
        for t in Target
    ]
    video = policies["Vidéoprotection 24/7"]
    rules.append(
        EscalationRule(
            policy=video,
            level=AlertLevel.BREACH,
            target=Target.TAKE_CHARGE,
            action=EscalationAction.RAISE_PRIORITY,
        )
    )
    if desk is not None:
        rules.append(
            EscalationRule(
                policy=policies["Renforcé"],
                level=AlertLevel.BREACH,
                target=Target.TAKE_CHARGE,
                action=EscalationAction.ROUTE,
                team=desk,
            )
        )
    EscalationRule.objects.bulk_create(rules)
    CategoryServiceLevel.objects.bulk_create(
        CategoryServiceLevel(category=category, policy=video)
        for category in Category.objects.filter(operator=operator, name__in=ROUND_THE_CLOCK_CATEGORIES)
    )
    since = ctx.today.replace(year=ctx.today.year - 3, month=1, day=1)
    contracts: list[tuple[Member, str]] = [(m, "Renforcé") for m in members.departements.values()]
    contracts += [(members.sdis, "Renforcé"), (members.institute, "Renforcé")]
    contracts += [(m, "Renforcé") for m in members.ehpads]
    contracts += [(m, "Établissements scolaires") for m in members.colleges]
    contracts += [(m, "Standard") for m in members.epcis.values()]
    ServiceContract.objects.bulk_create(
        ServiceContract(member=member, policy=policies[name], starts_on=since, reference=f"CT-{index:04d}")
        for index, (member, name) in enumerate(contracts, start=1)
    )
    ctx.progress.say(
        f"Service levels: {len(calendars)} calendars, {len(policies)} policies, {len(contracts)} contracts"
    )


def _week(spans: list[tuple[int, int]], *, weekdays: int) -> list[list[tuple[int, int]]]:
    return [list(spans) if day < weekdays else [] for day in range(7)]


def _calendar(
    operator: Operator,
    name: str,
    week: list[list[tuple[int, int]]] | None = None,
    *,
    always_open: bool = False,
) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(
        operator=operator, name=name, always_open=always_open, public_holidays=not always_open
    )
    OpeningRange.objects.bulk_create(
        OpeningRange(calendar=calendar, weekday=day, starts_at=_time(start), ends_at=_time(end))
        for day, spans in enumerate(week or [])
        for start, end in spans
    )
    return calendar


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60 % 24, minutes % 60)


def _christmas_weeks(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The office closes between Christmas and New Year's Day, the demo's years and next."""
    return [(dt.date(year, 12, 26), dt.date(year, 12, 31)) for year in range(today.year - 3, today.year + 1)]


def _school_closures(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    names = ("Vacances de la Toussaint", "Vacances de Noël", "Vacances d’hiver", "Vacances de printemps")
    closures = []
    for year in range(today.year - 3, today.year + 1):
        holidays = school_holidays(year)
        for (start, resume), name in zip(holidays, (*names, "Vacances d’été"), strict=True):
            closures.append((f"{name} {year}-{year + 1}", start, resume - dt.timedelta(days=1)))
    return closures


@dataclass
class DemoClocks:
    """Each demo ticket's policy and deadlines, and its missed deadlines, worked out from its
    drawn life as services.deadlines and the sweep would have: policies read once."""

    now: dt.datetime
    by_category: dict[int, SlaPolicy]
    by_member: dict[int, SlaPolicy]
    default: SlaPolicy | None
    clocks: dict[tuple[int, str], Clock] = field(default_factory=dict)
    breaches: list[tuple[int, SlaBreach]] = field(default_factory=list)  # (id of the draft, breach)
    seen: set[tuple[int, str]] = field(default_factory=set)

    @classmethod
    def load(cls, operator: Operator, now: dt.datetime) -> DemoClocks:
        policies = {
            p.pk: p
            for p in SlaPolicy.objects.filter(operator=operator)
            .select_related("calendar")
            .prefetch_related("targets", "calendar__opening_ranges", "calendar__closures")
        }
        by_category = {}
        for row in CategoryServiceLevel.objects.filter(category__operator=operator):
            by_category[row.category_id] = policies[row.policy_id]
        for pk, parent in Category.objects.filter(operator=operator, parent__isnull=False).values_list(
            "pk", "parent_id"
        ):
            if parent in by_category and pk not in by_category:
                by_category[pk] = by_category[parent]
        contracts = ServiceContract.objects.filter(member__operator=operator).order_by("starts_on")
        by_member = {c.member_id: policies[c.policy_id] for c in contracts}
        default = next((p for p in policies.values() if p.is_default), None)
        return cls(now, by_category, by_member, default)

    def _clock(self, policy: SlaPolicy, region: str) -> Clock:
        key = (policy.pk, region)
        if key not in self.clocks:
            # One Schedule per policy and region: its days are computed once for all tickets.
            self.clocks[key] = Clock(policy, Schedule.of(policy.calendar), region)
        return self.clocks[key]

    def fields(self, life: Life) -> dict[str, Any]:
        draft = life.draft
        policy = (
            self.by_category.get(draft.incident_type.category_id)
            or self.by_member.get(draft.site.member_id)
            or self.default
        )
        if policy is None:
            return {}
        clock = self._clock(policy, holiday_region(draft.site.departement))
        schedule, region = clock.schedule, clock.region
        values = clock.deadlines(draft.created_at, life.priority)
        values.update(sla_policy_id=policy.pk, sla_paused_at=None, sla_paused_time=ZERO)
        taken = life.first_response_at
        for at, kind, _actor, _old, new, *_rest in life.events:
            if kind != TicketEventKind.STATE:
                continue
            due = values["resolve_due"]
            if new == S.RESOLVED and due is not None and at > due:
                self._breach(draft, life, policy, Target.RESOLVE, due, at)
            stopped = values["sla_paused_at"]
            if new in STOPPED_STATES and stopped is None:
                values["sla_paused_at"] = at
            elif new not in STOPPED_STATES and new not in ENDED_STATES and stopped is not None:
                values["sla_paused_time"] += max(ZERO, schedule.between(stopped, at, region))
                values["sla_paused_at"] = None
                for target in (Target.RESOLVE,) if taken and taken <= at else tuple(Target):
                    due = values[f"{target}_due"]
                    left = schedule.between(stopped, due, region) if due is not None else ZERO
                    if left > ZERO:
                        values[f"{target}_due"] = schedule.add(at, left, region)
                        warn = values[f"{target}_warn_at"]
                        warn_left = schedule.between(stopped, warn, region)
                        values[f"{target}_warn_at"] = (
                            schedule.add(at, warn_left, region) if warn_left > ZERO else at
                        )
        take_due = values["take_charge_due"]
        if taken is not None and take_due is not None and taken > take_due:
            self._breach(draft, life, policy, Target.TAKE_CHARGE, take_due, taken)
        if life.state in (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_MEMBER, S.WAITING_THIRD_PARTY):
            self._sweep(draft, life, policy, values)
        return values

    def _sweep(self, draft: Any, life: Life, policy: SlaPolicy, values: dict[str, Any]) -> None:
        """What the sweep would have recorded on a ticket still open: its misses, and the
        warnings it gave (so the first real sweep does not repeat them)."""
        if values["sla_paused_at"] is not None:
            return
        pending = [Target.RESOLVE] if life.first_response_at else [Target.TAKE_CHARGE, Target.RESOLVE]
        for target in pending:
            due, warn = values[f"{target}_due"], values[f"{target}_warn_at"]
            if due is not None and due <= self.now:
                self._breach(draft, life, policy, target, due, due)
            elif warn is not None and warn <= self.now:
                values[f"{target}_warned_for"] = due

    def _breach(
        self, draft: Any, life: Life, policy: SlaPolicy, target: str, due: dt.datetime, at: dt.datetime
    ) -> None:
        if (id(draft), target) in self.seen:
            return  # once per ticket and deadline (a reopened ticket resolved late again)
        self.seen.add((id(draft), target))
        breach = SlaBreach(
            target=target,
            due_at=due,
            breached_at=at,
            recorded_at=min(max(at, due), self.now),
            priority=life.priority,
            policy_id=policy.pk,
        )
        self.breaches.append((id(draft), breach))

    def write_breaches(self, pks: dict[int, int]) -> int:
        rows = []
        for key, breach in self.breaches:
            breach.ticket_id = pks[key]
            rows.append(breach)
        SlaBreach.objects.bulk_create(rows, batch_size=1000)
        return len(rows)


def reset_service_levels(operator: Operator) -> None:
    """Delete the operator's service levels (its tickets are gone already)."""
    ServiceContract.objects.filter(member__operator=operator).delete()
    CategoryServiceLevel.objects.filter(category__operator=operator).delete()
    policies = SlaPolicy.objects.filter(operator=operator)
    EscalationRule.objects.filter(policy__in=policies).delete()
    policies.delete()
    BusinessCalendar.objects.filter(operator=operator).delete()
