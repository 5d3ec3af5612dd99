"""Who may do what with tickets, by role. Pages and the API ask these, the verbs enforce."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from mutualis.people.models import User
from mutualis.people.roles import Role
from mutualis.people.tenancy import Scope

from .lifecycle import MEMBER_TRANSITIONS
from .models import DeskSettings, Ticket, TicketState

DECLARING_MEMBER_ROLES = frozenset({Role.MEMBER_AGENT, Role.SITE_CONTACT})


def can_declare(scope: Scope) -> bool:
    """Member agents and site contacts declare for their sites; the service desk declares
    for any member (a phone call). Elected officials and read-only tokens read."""
    return scope.can_write and (scope.is_operator_staff or scope.role in DECLARING_MEMBER_ROLES)


def can_handle(scope: Scope) -> bool:
    """Assign, move through the life cycle, reclassify, merge, write internal notes."""
    return scope.can_write and scope.is_operator_staff


def can_reply(scope: Scope) -> bool:
    return can_declare(scope)


def reopen_deadline(ticket: Ticket) -> datetime | None:
    if ticket.state != TicketState.RESOLVED or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=DeskSettings.for_operator(ticket.operator_id).reopen_days)


def member_may(scope: Scope, ticket: Ticket, target: str) -> bool:
    """Whether a member's user (through `scope`) may move `ticket` to `target` themselves."""
    return can_reply(scope) and member_transition_allowed(ticket, target, scope.user)


def member_transition_allowed(ticket: Ticket, target: str, user: User | None) -> bool:
    """The member's side of the life cycle: cancel one's own new ticket, reopen within the
    operator's delay, hand a ticket waiting for the member back by replying."""
    if (ticket.state, target) not in MEMBER_TRANSITIONS:
        return False
    if target == TicketState.CANCELLED:
        return user is not None and ticket.requester_id == user.pk
    if ticket.state == TicketState.RESOLVED:
        deadline = reopen_deadline(ticket)
        return deadline is not None and timezone.now() <= deadline
    return True
