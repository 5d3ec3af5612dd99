"""What every verb shares: locking a ticket, writing its events, keeping its search text."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import F
from django.utils import timezone

from mutualis.insights import ticket_facts
from mutualis.lib.search import normalise, vector_of

from ..mail import notifications
from ..models import Comment, Ticket, TicketCounter, TicketEvent, TicketEventKind, TicketState
from . import deadlines

if TYPE_CHECKING:
    from mutualis.people.models import User


def next_number(operator_id: int) -> int:
    """The operator's next ticket number. The UPDATE takes the counter row's lock until the
    transaction ends, so two tickets declared at once never share a number; RETURNING
    (PostgreSQL, and SQLite since 3.35) reads it in the same statement."""
    table = TicketCounter._meta.db_table
    with connection.cursor() as cursor:
        sql = f"UPDATE {table} SET last = last + 1 WHERE operator_id = %s RETURNING last"  # noqa: S608 - our table name
        cursor.execute(sql, [operator_id])
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    TicketCounter.objects.get_or_create(operator_id=operator_id)  # the operator's first ticket
    TicketCounter.objects.filter(operator_id=operator_id).update(last=F("last") + 1)
    return TicketCounter.objects.values_list("last", flat=True).get(operator_id=operator_id)


def locked(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock: verbs decide on its current state, not on what
    a page showed a minute ago."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def record(
    ticket: Ticket,
    kind: str,
    *,
    by: User | None,
    old: str = "",
    new: str = "",
    old_label: str = "",
    new_label: str = "",
    public: bool = True,
    at: datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=by,
        old_value=old[:100],
        new_value=new[:100],
        old_label=old_label[:250],
        new_label=new_label[:250],
        public=public,
        at=at or timezone.now(),
    )


def touch(
    ticket: Ticket, *, first_response: bool = False, at: datetime | None = None, **fields: object
) -> None:
    """Save changed fields and the time of the change in one UPDATE."""
    now = at or timezone.now()
    fields["updated_at"] = now
    if first_response and ticket.first_response_at is None:
        fields["first_response_at"] = now
        deadlines.on_first_response(ticket, now)
    for name, value in fields.items():
        setattr(ticket, name, value)
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    # An UPDATE sends no signal: incidentology's copy of the ticket follows here, in the
    # verb's transaction (insights.ticket_facts).
    ticket_facts.ticket_changed(ticket.pk, fields)


def public_text(ticket: Ticket, *, with_comments: bool = True) -> str:
    answers = " ".join(str(a.get("display", "")) for a in ticket.answers or [])
    replies = (
        Comment.objects.filter(ticket=ticket, internal=False).values_list("body", flat=True)
        if with_comments
        else []
    )
    return " ".join([str(ticket.number), ticket.title, ticket.description, answers, *replies])


def refresh_search(ticket: Ticket, *, new: bool = False) -> None:
    """Re-index the ticket's text after a change of title, description or comments
    (`new`: a ticket just declared, which has no comments to read yet)."""
    public = normalise(public_text(ticket, with_comments=not new))
    internal = ""
    if not new:
        notes = Comment.objects.filter(ticket=ticket, internal=True).values_list("body", flat=True)
        internal = normalise(" ".join(notes))
    Ticket.objects.filter(pk=ticket.pk).update(
        search_text=public,
        search_internal=internal,
        search_vector=vector_of(public),
        search_vector_internal=vector_of(internal),
    )


# The operator "takes charge" when a ticket leaves this state (first response).
NOT_YET_HANDLED = frozenset({TicketState.NEW})


def apply_state(ticket: Ticket, target: str, *, by: User | None, at: datetime | None = None) -> None:
    """Write a state change (already checked) with its timestamps and its event."""
    now = at or timezone.now()
    fields: dict[str, object] = {"state": target}
    if target == TicketState.RESOLVED:
        fields["resolved_at"] = now
    elif target == TicketState.CLOSED:
        fields["closed_at"] = now
    elif ticket.state == TicketState.RESOLVED:
        fields["resolved_at"] = None  # reopened: no longer resolved
    if target == TicketState.NEW:
        fields["assignee"] = None
    old = ticket.state
    fields.update(deadlines.on_state_change(ticket, old, target, now))
    touch(ticket, first_response=old in NOT_YET_HANDLED and target != TicketState.CANCELLED, at=now, **fields)
    record(ticket, TicketEventKind.STATE, by=by, old=old, new=target, at=now)
    notifications.announce_state(ticket, old=old, new=target, by=by)
