"""A ticket's service level: which policy holds it, its deadlines, and the clock that stops
while the ticket waits for the member or a third party (or stands resolved).

Called by the verbs, never by pages: `for_new_ticket` by open_ticket, `on_first_response`
by records.touch, `on_state_change` by records.apply_state, `recompute` by change_priority
and reclassify. A deadline is `created_at` plus the target's business minutes plus the
business time the clock stood still; on resuming, what was left when it stopped is counted
again from the moment it resumes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from mutualis.registry.models import Commune, Site

from ..calendars import NeverOpen, Schedule, region_of_commune
from ..models import (
    Category,
    ServiceContract,
    ServiceLevelRevision,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    Target,
    Ticket,
    TicketEventKind,
    TicketState,
)
from ..models.tickets import WAITING_STATES

if TYPE_CHECKING:
    from mutualis.people.models import User

# The clock stands still while the ball is in someone else's court, and while the ticket
# stands resolved (a reopened ticket gets back the time it had left).
STOPPED_STATES = WAITING_STATES | {TicketState.RESOLVED}
ENDED_STATES = frozenset({TicketState.CLOSED, TicketState.CANCELLED})
ZERO = dt.timedelta(0)


@dataclass
class _Read:
    """What this process has read of the service levels while the database's revision token
    (ServiceLevelRevision) stays `token`: each declaration asked the same few policies,
    calendars and contracts again, five to eight queries and 4.6 ms of a 24 ms declaration
    at a million tickets (docs/benchmarks-history.md, ninth session). The token is read once
    per use, and any write to those tables changes it (database triggers), so a change made
    through another process is seen by the next declaration."""

    token: str
    chains: dict[int, int | None] = field(default_factory=dict)  # category → its nearest level's policy
    contracts: dict[tuple[int, dt.date], int | None] = field(default_factory=dict)
    defaults: dict[int, int | None] = field(default_factory=dict)  # operator → default policy
    policies: dict[int, SlaPolicy] = field(default_factory=dict)
    schedules: dict[int, Schedule] = field(default_factory=dict)  # policy → its calendar's

    def policy_for(
        self, *, operator_id: int, member_id: int, category_id: int, on: dt.date
    ) -> SlaPolicy | None:
        """The policy a ticket is held to: its category's (or a parent category's), else the
        member's contract in force on `on`, else the operator's default; None without any."""
        policy_id = self.level_of_category(category_id)
        if policy_id is None:
            policy_id = self.contract_policy(member_id, on)
        if policy_id is None:
            policy_id = self.default_policy(operator_id)
        return None if policy_id is None else self.policy(policy_id)

    def level_of_category(self, category_id: int) -> int | None:
        if category_id not in self.chains:
            # The category's own level, its parent's, its grandparent's: one row, nearest first.
            chain = (
                Category.objects.filter(pk=category_id)
                .values_list(
                    "service_level__policy_id",
                    "parent__service_level__policy_id",
                    "parent__parent__service_level__policy_id",
                )
                .first()
            )
            self.chains[category_id] = next((p for p in chain or () if p is not None), None)
        return self.chains[category_id]

    def contract_policy(self, member_id: int, on: dt.date) -> int | None:
        key = (member_id, on)
        if key not in self.contracts:
            if len(self.contracts) >= MAX_CONTRACTS_KEPT:
                self.contracts.clear()
            self.contracts[key] = (
                ServiceContract.objects.in_force(on)
                .filter(member_id=member_id)
                .order_by("-starts_on", "-pk")
                .values_list("policy_id", flat=True)
                .first()
            )
        return self.contracts[key]

    def default_policy(self, operator_id: int) -> int | None:
        if operator_id not in self.defaults:
            self.defaults[operator_id] = (
                SlaPolicy.objects.filter(operator_id=operator_id, is_default=True)
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
        return self.defaults[operator_id]

    def policy(self, policy_id: int) -> SlaPolicy:
        """The policy with its calendar's hours and closures and its targets (four queries
        the first time)."""
        found = self.policies.get(policy_id)
        if found is None:
            found = (
                SlaPolicy.objects.select_related("calendar")
                .prefetch_related("calendar__opening_ranges", "calendar__closures", "targets")
                .get(pk=policy_id)
            )
            self.policies[policy_id] = found
        return found

    def clock(self, policy: SlaPolicy, region: str) -> Clock:
        schedule = self.schedules.get(policy.pk)
        if schedule is None:
            schedule = self.schedules[policy.pk] = Schedule.of(policy.calendar)
        return Clock(policy, schedule, region)


# Contracts are kept by member and day: a bound, so that a long-lived process does not keep
# every day it was asked about.
MAX_CONTRACTS_KEPT = 20_000
_read: _Read | None = None


def _current() -> _Read:
    """This process's reading of the service levels, started again when the token changed."""
    global _read
    token = ServiceLevelRevision.objects.order_by("pk").values_list("token", flat=True).first()
    if token is None:  # a database emptied by a test's flush has no revision row: start one
        token = ServiceLevelRevision.objects.create(token=uuid.uuid4().hex).token
    read = _read
    if read is None or read.token != token:
        read = _read = _Read(token)
    return read


@dataclass
class Clock:
    """What computing one ticket's deadlines needs, read once."""

    policy: SlaPolicy
    schedule: Schedule
    region: str
    _targets: dict[int, SlaTarget] | None = field(default=None, repr=False)

    def minutes(self, target: str, priority: int) -> int | None:
        if self._targets is None:
            self._targets = {row.priority: row for row in self.policy.targets.all()}
        row = self._targets.get(priority)
        return row.minutes(target) if row is not None else None

    def deadlines(
        self,
        start: dt.datetime,
        priority: int,
        stopped: dt.timedelta = ZERO,
        only: tuple[str, ...] = tuple(Target),
    ) -> dict[str, Any]:
        """Each target's deadline and warning time, `stopped` business time later than
        from `start` alone; None for a target the policy does not set."""
        fields: dict[str, Any] = {}
        for target in only:
            minutes = self.minutes(target, priority)
            due = warn = None
            if minutes:
                try:
                    due = self.schedule.add(start, dt.timedelta(minutes=minutes) + stopped, self.region)
                    warning = dt.timedelta(minutes=self.policy.warning_minutes(minutes)) + stopped
                    warn = self.schedule.add(start, warning, self.region) if warning > ZERO else start
                except NeverOpen:
                    due = warn = None
            fields[f"{target}_due"] = due
            fields[f"{target}_warn_at"] = warn
        return fields


def region_of(site: Site) -> str:
    """The holiday region of a site, by its commune's INSEE code."""
    if Site._meta.get_field("commune").is_cached(site):
        return region_of_commune(site.commune.code)
    code = Commune.objects.filter(pk=site.commune_id).values_list("code", flat=True).first()
    return region_of_commune(code or "")


def clock_of(ticket: Ticket) -> Clock | None:
    """The ticket's policy, calendar and holiday region."""
    if ticket.sla_policy_id is None:
        return None
    read = _current()
    return read.clock(read.policy(ticket.sla_policy_id), region_of(ticket.site))


def for_new_ticket(*, site: Site, category_id: int, priority: int, created_at: dt.datetime) -> dict[str, Any]:
    """The service-level fields of a ticket about to be declared."""
    read = _current()
    policy = read.policy_for(
        operator_id=site.operator_id,
        member_id=site.member_id,
        category_id=category_id,
        on=timezone.localdate(created_at),
    )
    if policy is None:
        return {}
    clock = read.clock(policy, region_of(site))
    return {"sla_policy": policy, **clock.deadlines(created_at, priority)}


def _breach(ticket: Ticket, target: str, due: dt.datetime, at: dt.datetime) -> None:
    # Once per ticket and deadline (the constraint): the sweep may have seen it first.
    SlaBreach.objects.bulk_create(
        [
            SlaBreach(
                ticket_id=ticket.pk,
                target=target,
                due_at=due,
                breached_at=at,
                priority=ticket.priority,
                policy_id=ticket.sla_policy_id,
            )
        ],
        ignore_conflicts=True,
    )


def on_first_response(ticket: Ticket, at: dt.datetime) -> None:
    """The operator takes charge: late, when after its deadline."""
    if ticket.take_charge_due is not None and at > ticket.take_charge_due:
        _breach(ticket, Target.TAKE_CHARGE, ticket.take_charge_due, at)


def on_state_change(ticket: Ticket, old: str, new: str, at: dt.datetime) -> dict[str, Any]:
    """The fields a state change sets on the clock (stopping or resuming it), and a late
    resolution's breach."""
    if ticket.sla_policy_id is None:
        return {}
    fields: dict[str, Any] = {}
    if new == TicketState.RESOLVED and ticket.resolve_due is not None and at > ticket.resolve_due:
        _breach(ticket, Target.RESOLVE, ticket.resolve_due, at)
    if new in STOPPED_STATES and ticket.sla_paused_at is None:
        fields["sla_paused_at"] = at
    elif new not in STOPPED_STATES and new not in ENDED_STATES and ticket.sla_paused_at is not None:
        fields.update(_resume(ticket, at))
    return fields


def _resume(ticket: Ticket, at: dt.datetime) -> dict[str, Any]:
    clock = clock_of(ticket)
    stopped_at = ticket.sla_paused_at
    fields: dict[str, Any] = {"sla_paused_at": None}
    if clock is None or stopped_at is None:
        return fields
    schedule, region = clock.schedule, clock.region
    fields["sla_paused_time"] = ticket.sla_paused_time + max(ZERO, schedule.between(stopped_at, at, region))
    pending = [Target.RESOLVE] if ticket.first_response_at else [Target.TAKE_CHARGE, Target.RESOLVE]
    for target in pending:
        due = getattr(ticket, f"{target}_due")
        if due is None:
            continue
        left = schedule.between(stopped_at, due, region)
        if left <= ZERO:
            continue  # missed before the clock stopped: the deadline stays where it was
        warn = getattr(ticket, f"{target}_warn_at")
        warn_left = schedule.between(stopped_at, warn, region) if warn is not None else ZERO
        try:
            new_due = schedule.add(at, left, region)
            new_warn = schedule.add(at, warn_left, region) if warn_left > ZERO else at
        except NeverOpen:
            # Closed for years from now on (closures added while the ticket waited): no
            # deadline can be given, as when declaring; the member's reply still goes in.
            fields[f"{target}_due"] = fields[f"{target}_warn_at"] = None
            continue
        fields[f"{target}_due"] = new_due
        fields[f"{target}_warn_at"] = new_warn
        if getattr(ticket, f"{target}_warned_for") == due:
            # Warned already about this deadline, which only moved by the time stopped.
            fields[f"{target}_warned_for"] = new_due
    return fields


def _stamp(ticket: Ticket) -> str:
    return ";".join(d.isoformat() if d else "" for d in (ticket.take_charge_due, ticket.resolve_due))


def recompute(ticket: Ticket, *, by: User | None, at: dt.datetime | None = None) -> None:
    """Deadlines again from the declaration, after a change of priority or category: the
    policy is found again (a category may have its own), a deadline already met stays, and
    the timeline keeps the old deadlines."""
    from .records import record, touch  # records calls into this module

    if not ticket.is_open:
        return
    now = at or timezone.now()
    read = _current()
    policy = read.policy_for(
        operator_id=ticket.operator_id,
        member_id=ticket.member_id,
        category_id=ticket.category_id,
        on=timezone.localdate(ticket.created_at),
    )
    fields: dict[str, Any] = {"sla_policy_id": policy.pk if policy else None}
    targets = tuple(t for t in Target if not (t == Target.TAKE_CHARGE and ticket.first_response_at))
    if policy is None:
        fields.update({f"{t}_{suffix}": None for t in targets for suffix in ("due", "warn_at")})
    else:
        clock = read.clock(policy, region_of(ticket.site))
        fields.update(clock.deadlines(ticket.created_at, ticket.priority, ticket.sla_paused_time, targets))
    if ticket.sla_paused_at is not None and policy is None:
        fields["sla_paused_at"] = None
    before = _stamp(ticket)
    changed = {name: value for name, value in fields.items() if getattr(ticket, name) != value}
    if not changed:
        return
    touch(ticket, at=now, **changed)
    after = _stamp(ticket)
    if after != before:
        record(ticket, TicketEventKind.DEADLINE, by=by, old=before, new=after, at=now)
