"""The service-level sweep: run every few minutes (a periodic job), it finds open tickets
whose deadline is near or missed, records each miss once (SlaBreach), applies the
policy's escalation rules through the verbs, and returns what it found so the caller can
tell people (notifications are not written here).

Idempotent: a miss is recorded once per ticket and deadline (a unique constraint), and a
warning is given once per deadline (`*_warned_for` holds the deadline warned about: a
deadline moved by a change of priority or a pause is warned about again). Bounded: four
indexed reads (the partial indexes on open tickets' warning times, see Ticket.Meta), one
read of the rules, a few bulk writes; the escalation verbs then run per ticket escalated.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import (
    AlertLevel,
    EscalationAction,
    EscalationRule,
    SlaBreach,
    Target,
    Ticket,
    TicketEvent,
    TicketEventKind,
)
from .models.tickets import OPEN_STATES

logger = logging.getLogger(__name__)

# The same list, in the same order, as the partial indexes' condition: SQLite uses a partial
# index only for a query that repeats its condition word for word.
OPEN = sorted(OPEN_STATES)


@dataclass(frozen=True)
class SlaAlert:
    """A deadline near or missed, as found by one sweep."""

    ticket_id: int
    ticket_number: int
    operator_id: int
    target: str  # Target: take_charge or resolve
    level: str  # AlertLevel: warning or breach
    due_at: dt.datetime
    team_id: int | None
    assignee_id: int | None
    # An escalation rule of the policy asks to tell the team lead and the supervisors.
    notify: bool = False


def _pending(target: str) -> QuerySet[Ticket]:
    """Open tickets whose clock runs and whose `target` is still to be met."""
    if target == Target.TAKE_CHARGE:
        tickets = Ticket.objects.filter(state__in=OPEN, first_response_at__isnull=True)
    else:
        tickets = Ticket.objects.filter(state__in=OPEN)
    return tickets.filter(sla_paused_at__isnull=True)


def _found(target: str, now: dt.datetime) -> tuple[QuerySet[Ticket], QuerySet[Ticket]]:
    due, warn, warned = f"{target}_due", f"{target}_warn_at", f"{target}_warned_for"
    # Every alert is past its warning time (a deadline without warning has it at the
    # deadline): that bound is what the partial index serves.
    ripe = _pending(target).filter(**{f"{warn}__lte": now})
    breached = ripe.filter(**{f"{due}__lte": now}).exclude(
        Exists(SlaBreach.objects.filter(ticket=OuterRef("pk"), target=target))
    )
    warned_for_this = Q(**{f"{warned}__isnull": False}) & Q(**{warned: F(due)})
    near = ripe.filter(**{f"{due}__gt": now}).exclude(warned_for_this)
    return breached, near


FIELDS = ("pk", "number", "operator_id", "priority", "sla_policy_id", "team_id", "assignee_id")


def sweep(*, now: dt.datetime | None = None) -> list[SlaAlert]:
    """Warn about near deadlines, record missed ones, escalate; return the alerts."""
    now = now or timezone.now()
    alerts: list[SlaAlert] = []
    policies: dict[int, int | None] = {}  # ticket id -> policy id
    with transaction.atomic():
        for target in Target:
            breached, near = _found(target, now)
            due = f"{target}_due"
            rows = list(breached.values_list(*FIELDS, due))
            SlaBreach.objects.bulk_create(
                [
                    SlaBreach(
                        ticket_id=pk,
                        target=target,
                        due_at=due_at,
                        breached_at=due_at,
                        recorded_at=now,
                        priority=priority,
                        policy_id=policy,
                    )
                    for pk, _n, _o, priority, policy, _t, _a, due_at in rows
                ],
                ignore_conflicts=True,  # a verb may have recorded it since the read
            )
            warned = list(near.values_list(*FIELDS, due))
            if warned:
                Ticket.objects.filter(pk__in=[row[0] for row in warned]).update(
                    **{f"{target}_warned_for": F(due)}
                )
            for level, found in ((AlertLevel.BREACH, rows), (AlertLevel.WARNING, warned)):
                for pk, number, operator_id, _priority, policy, team, assignee, due_at in found:
                    policies[pk] = policy
                    alerts.append(SlaAlert(pk, number, operator_id, target, level, due_at, team, assignee))
    if not alerts:
        return alerts
    return _escalate(alerts, policies, now)


def _escalate(alerts: list[SlaAlert], policies: dict[int, int | None], now: dt.datetime) -> list[SlaAlert]:
    """Apply each alert's matching rules of its ticket's policy."""
    rules: dict[tuple[int, str, str], list[EscalationRule]] = {}
    for rule in EscalationRule.objects.filter(
        policy_id__in={p for p in policies.values() if p}
    ).select_related("team"):
        rules.setdefault((rule.policy_id, rule.level, rule.target), []).append(rule)
    result, told = [], []
    for alert in alerts:
        policy = policies[alert.ticket_id]
        matching = rules.get((policy, alert.level, alert.target), []) if policy else []
        notify = False
        for rule in matching:
            if rule.action == EscalationAction.NOTIFY:
                notify = True
            else:
                _act(alert, rule)
        if notify:
            told.append(
                TicketEvent(
                    ticket_id=alert.ticket_id,
                    at=now,
                    kind=TicketEventKind.ESCALATED,
                    old_value=alert.target,
                    new_value=alert.level,
                    old_label=alert.due_at.isoformat(),
                    public=False,
                )
            )
        result.append(replace(alert, notify=True) if notify else alert)
    TicketEvent.objects.bulk_create(told)
    return result


def _act(alert: SlaAlert, rule: EscalationRule) -> None:
    """One escalation through the verbs, by the system (no person): recorded in the
    timeline like any change. A refused one is logged and does not stop the sweep."""
    from . import services  # the verbs; lists (selectors) read this module's filter

    ticket = Ticket.objects.get(pk=alert.ticket_id)
    try:
        if rule.action == EscalationAction.RAISE_PRIORITY and ticket.priority > 1:
            ticket = services.change_priority(ticket=ticket, priority=ticket.priority - 1, by=None)
            # Warned (or breached) already: the deadline the raise moves is not news.
            if alert.level == AlertLevel.WARNING:
                Ticket.objects.filter(pk=ticket.pk).update(
                    **{f"{alert.target}_warned_for": F(f"{alert.target}_due")}
                )
        elif rule.action == EscalationAction.ROUTE and rule.team is not None:
            services.route_to_team(ticket=ticket, team=rule.team, by=None)
    except ValidationError:
        logger.warning("Escalation %s of ticket %s refused", rule.action, alert.ticket_id, exc_info=True)


# The desk's filter: tickets whose running clock is near a deadline, or past one.
NEAR, MISSED = "near", "missed"


def deadline_filter(kind: str, now: dt.datetime) -> Q:
    """Open tickets whose clock runs and which are near a deadline (warning time come, no
    deadline missed) or past one (`MISSED`). Tickets waiting with the clock stopped are in
    neither: the desk cannot act on them."""
    take_charge = Q(first_response_at__isnull=True)
    missed = (take_charge & Q(take_charge_due__lte=now)) | Q(resolve_due__lte=now)
    running = Q(state__in=OPEN, sla_paused_at__isnull=True)
    if kind == MISSED:
        return running & missed
    near = (take_charge & Q(take_charge_warn_at__lte=now)) | Q(resolve_warn_at__lte=now)
    return running & near & ~missed


@dataclass(frozen=True)
class NextDeadline:
    """The next deadline of an open ticket, for a list row (from its own columns: no query)."""

    target: str
    due_at: dt.datetime
    status: str  # running, near, missed, stopped


def next_deadline(ticket: Ticket, now: dt.datetime) -> NextDeadline | None:
    if not ticket.is_open:
        return None
    target = (
        Target.TAKE_CHARGE if ticket.first_response_at is None and ticket.take_charge_due else Target.RESOLVE
    )
    due = getattr(ticket, f"{target}_due")
    if due is None:
        return None
    if ticket.sla_paused_at is not None:
        status = "stopped"
    elif due <= now:
        status = "missed"
    else:
        warn = getattr(ticket, f"{target}_warn_at")
        status = "near" if warn is not None and warn <= now else "running"
    return NextDeadline(target, due, status)
