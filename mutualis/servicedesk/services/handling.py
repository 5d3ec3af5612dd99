"""The operator's handling of tickets: the life cycle, assignment, routing, reclassifying,
equipment links, merging duplicates. Every change is an event on the ticket's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualis.people.models import Membership
from mutualis.people.roles import OPERATOR_ROLES
from mutualis.registry.models import Asset

from .. import lifecycle
from ..lifecycle import IllegalTransition
from ..mail import notifications
from ..models import (
    Category,
    DeskSettings,
    IncidentType,
    Priority,
    Team,
    Ticket,
    TicketEventKind,
    TicketState,
)
from ..models.tickets import OPEN_STATES
from ..permissions import member_transition_allowed
from . import deadlines
from .conversation import post_comment
from .records import apply_state, locked, record, refresh_search, touch

if TYPE_CHECKING:
    from mutualis.people.models import User


@transaction.atomic
def transition(*, ticket: Ticket, to: str, by: User | None, as_staff: bool, note: str = "") -> Ticket:
    """Move a ticket to state `to`; refused (IllegalTransition) when the life cycle or the
    person's side does not allow it. `note` becomes a public reply with the change."""
    current = locked(ticket)
    lifecycle.check_transition(current.state, to)
    if not as_staff and not member_transition_allowed(current, to, by):
        raise IllegalTransition(_member_refusal(current, to), code="not_allowed")
    apply_state(current, to, by=by)
    if note.strip():
        comment = post_comment(current, note, by=by, internal=False, as_staff=as_staff)
        refresh_search(current)
        notifications.announce_reply(current, comment, by=by, as_staff=as_staff)
    return current


def _member_refusal(ticket: Ticket, target: str) -> str:
    if target == TicketState.CANCELLED and ticket.state == TicketState.NEW:
        return _("Only the person who declared this ticket can cancel it.")
    if target == TicketState.CANCELLED:
        return _("The operator has started handling this ticket: reply to it instead of cancelling it.")
    if ticket.state == TicketState.RESOLVED:
        return _(
            "This ticket was resolved too long ago to be reopened: declare a new incident, mentioning n° %(number)s."
        ) % {"number": ticket.number}
    return _("Only the operator can make this change.")


def _check_staff(user: User | None, ticket: Ticket) -> None:
    if user is None:
        return
    is_staff = Membership.objects.active().filter(
        user=user, operator_id=ticket.operator_id, member__isnull=True, role__in=OPERATOR_ROLES
    )
    if not is_staff.exists():
        raise ValidationError(
            {"assignee": _("%(name)s is not on the operator's staff.") % {"name": user.full_name}}
        )


@transaction.atomic
def assign(*, ticket: Ticket, assignee: User | None, by: User | None, team: Team | None = None) -> Ticket:
    """Give the ticket to a technician (and their team), or take it back (None)."""
    current = locked(ticket)
    if not current.is_open:
        raise IllegalTransition(
            _("A ticket that is %(state)s cannot be assigned.") % {"state": lifecycle.label(current.state)}
        )
    _check_staff(assignee, current)
    if team is not None and team.operator_id != current.operator_id:
        raise ValidationError({"team": _("This team belongs to another operator.")})
    now = timezone.now()
    if team is not None and team.pk != current.team_id:
        _record_team(current, team, by=by, at=now)
    if (assignee.pk if assignee else None) != current.assignee_id:
        old = current.assignee
        touch(current, first_response=assignee is not None, at=now, assignee=assignee)
        record(
            current,
            TicketEventKind.ASSIGNEE,
            by=by,
            old=str(old.pk) if old else "",
            new=str(assignee.pk) if assignee else "",
            old_label=old.full_name if old else "",
            new_label=assignee.full_name if assignee else "",
            at=now,
        )
        notifications.announce_assigned(current, assignee=assignee, by=by)
    if assignee is not None and current.state == TicketState.NEW:
        apply_state(current, TicketState.ASSIGNED, by=by, at=now)
    elif assignee is None and current.state == TicketState.ASSIGNED:
        apply_state(current, TicketState.NEW, by=by, at=now)
    return current


@transaction.atomic
def take(*, ticket: Ticket, by: User) -> Ticket:
    """A technician takes a ticket: assigned to them and in progress."""
    current = assign(ticket=ticket, assignee=by, by=by)
    if current.state in (TicketState.NEW, TicketState.ASSIGNED):
        apply_state(current, TicketState.IN_PROGRESS, by=by)
    return current


@transaction.atomic
def bulk_assign(
    *,
    tickets: QuerySet[Ticket],
    assignee: User | None,
    by: User | None,
    team: Team | None = None,
    keep_assignee: bool = False,
) -> tuple[int, list[str]]:
    """Assign many tickets at once; closed ones are skipped and named, not silently.
    `keep_assignee`: give the tickets to `team` and leave each one's technician as it is
    (the desk sorting a pile between teams), rather than assigning them to `assignee`."""
    if keep_assignee and team is None:
        raise ValidationError({"team": _("Choose the team to give the tickets to.")})
    done, skipped = 0, []
    for ticket in tickets.order_by("pk"):
        if not ticket.is_open:
            skipped.append(
                _("n° %(number)s is %(state)s")
                % {"number": ticket.number, "state": lifecycle.label(ticket.state)}
            )
            continue
        if keep_assignee and team is not None:
            route_to_team(ticket=ticket, team=team, by=by)
        else:
            assign(ticket=ticket, assignee=assignee, by=by, team=team)
        done += 1
    return done, skipped


def _record_team(ticket: Ticket, team: Team | None, *, by: User | None, at: datetime) -> None:
    old = ticket.team
    touch(ticket, at=at, team=team)
    record(
        ticket,
        TicketEventKind.TEAM,
        by=by,
        old=str(old.pk) if old else "",
        new=str(team.pk) if team else "",
        old_label=old.name if old else "",
        new_label=team.name if team else "",
        at=at,
    )


@transaction.atomic
def route_to_team(*, ticket: Ticket, team: Team, by: User | None) -> Ticket:
    current = locked(ticket)
    if team.operator_id != current.operator_id:
        raise ValidationError({"team": _("This team belongs to another operator.")})
    if team.pk != current.team_id:
        _record_team(current, team, by=by, at=timezone.now())
    return current


@transaction.atomic
def change_priority(*, ticket: Ticket, priority: int, by: User | None) -> Ticket:
    current = locked(ticket)
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority from P1 to P4.")})
    if priority != current.priority:
        old = current.priority
        touch(current, priority=priority)
        record(current, TicketEventKind.PRIORITY, by=by, old=str(old), new=str(priority))
        deadlines.recompute(current, by=by)
    return current


@transaction.atomic
def reclassify(
    *,
    ticket: Ticket,
    by: User | None,
    incident_type: IncidentType | None = None,
    category: Category | None = None,
) -> Ticket:
    """Correct what the ticket is about: its incident type (and with it, its category), or
    its category alone."""
    current = locked(ticket)
    if incident_type is not None and incident_type.pk != current.incident_type_id:
        if incident_type.operator_id != current.operator_id:
            raise ValidationError({"incident_type": _("This incident type belongs to another operator.")})
        old = current.incident_type
        touch(current, incident_type=incident_type)
        record(
            current,
            TicketEventKind.INCIDENT_TYPE,
            by=by,
            old=str(old.pk),
            new=str(incident_type.pk),
            old_label=old.name,
            new_label=incident_type.name,
        )
        category = category or incident_type.category
    if category is not None and category.pk != current.category_id:
        if category.operator_id != current.operator_id:
            raise ValidationError({"category": _("This category belongs to another operator.")})
        old_category = current.category
        touch(current, category=category)
        record(
            current,
            TicketEventKind.CATEGORY,
            by=by,
            old=str(old_category.pk),
            new=str(category.pk),
            old_label=old_category.path,
            new_label=category.path,
        )
        deadlines.recompute(current, by=by)  # the new category may have its own service level
    return current


@transaction.atomic
def link_asset(*, ticket: Ticket, asset: Asset, by: User | None) -> Ticket:
    """Link equipment of the ticket's member, so the asset's page lists this incident."""
    current = locked(ticket)
    if asset.site.member_id != current.member_id:
        raise ValidationError(
            {
                "asset": _("%(tag)s is not equipment of %(member)s.")
                % {"tag": asset.inventory_tag, "member": current.member}
            }
        )
    if not current.assets.filter(pk=asset.pk).exists():
        current.assets.add(asset)
        touch(current)
        record(current, TicketEventKind.ASSET_LINKED, by=by, new=str(asset.pk), new_label=asset.inventory_tag)
    return current


@transaction.atomic
def unlink_asset(*, ticket: Ticket, asset: Asset, by: User | None) -> Ticket:
    current = locked(ticket)
    if current.assets.filter(pk=asset.pk).exists():
        current.assets.remove(asset)
        touch(current)
        record(
            current, TicketEventKind.ASSET_UNLINKED, by=by, old=str(asset.pk), old_label=asset.inventory_tag
        )
    return current


MERGEABLE_STATES = OPEN_STATES | {TicketState.RESOLVED}


@transaction.atomic
def merge(*, duplicate: Ticket, into: Ticket, by: User | None) -> Ticket:
    """Close `duplicate` as a duplicate of `into` (same member): its equipment moves over,
    both timelines say so, and the duplicate's page points to the ticket that goes on."""
    first, second = sorted([duplicate, into], key=lambda t: t.pk)  # lock in a fixed order
    locked(first), locked(second)
    duplicate, into = Ticket.objects.get(pk=duplicate.pk), Ticket.objects.get(pk=into.pk)
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    if duplicate.member_id != into.member_id:
        raise ValidationError({"into": _("Only tickets of the same member can be merged.")})
    if duplicate.state not in MERGEABLE_STATES:
        raise IllegalTransition(
            _("n° %(number)s is %(state)s: it cannot be merged.")
            % {"number": duplicate.number, "state": lifecycle.label(duplicate.state)}
        )
    if not into.is_open and into.state != TicketState.RESOLVED:
        raise IllegalTransition(
            _("n° %(number)s is %(state)s: merge into an open ticket.")
            % {"number": into.number, "state": lifecycle.label(into.state)}
        )
    now = timezone.now()
    for asset in duplicate.assets.exclude(pk__in=into.assets.values("pk")):
        into.assets.add(asset)
        record(
            into,
            TicketEventKind.ASSET_LINKED,
            by=by,
            new=str(asset.pk),
            new_label=asset.inventory_tag,
            at=now,
        )
    old_state = duplicate.state
    touch(duplicate, at=now, state=TicketState.CLOSED, closed_at=now, merged_into=into)
    record(duplicate, TicketEventKind.STATE, by=by, old=old_state, new=TicketState.CLOSED, at=now)
    record(duplicate, TicketEventKind.MERGED_INTO, by=by, new=str(into.number), new_label=into.title, at=now)
    record(
        into, TicketEventKind.MERGED_FROM, by=by, new=str(duplicate.number), new_label=duplicate.title, at=now
    )
    touch(into, at=now)
    return into


def close_resolved(*, now: datetime | None = None) -> int:
    """Close tickets resolved longer ago than their operator's delay (a scheduled job)."""
    now = now or timezone.now()
    closed = 0
    operator_ids = (
        Ticket.objects.filter(state=TicketState.RESOLVED).values_list("operator_id", flat=True).distinct()
    )
    for operator_id in list(operator_ids):
        settings = DeskSettings.for_operator(operator_id)
        due = Ticket.objects.filter(
            operator_id=operator_id,
            state=TicketState.RESOLVED,
            resolved_at__lt=now - timedelta(days=settings.close_after_days),
        )
        for ticket in due.iterator():
            with transaction.atomic():
                current = locked(ticket)
                if current.state == TicketState.RESOLVED:
                    apply_state(current, TicketState.CLOSED, by=None, at=now)
                    closed += 1
    return closed
