"""Replies (public) and internal notes, with their files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..attachments import CheckedFile
from ..lifecycle import IllegalTransition
from ..mail import notifications
from ..models import Comment, Ticket, TicketChannel, TicketState
from ..permissions import member_transition_allowed
from ..selectors import resent_comment
from .files import keep_files
from .records import apply_state, locked, refresh_search, touch

if TYPE_CHECKING:
    from mutualis.people.models import User

FINAL_STATES = frozenset({TicketState.CLOSED, TicketState.CANCELLED})


def post_comment(
    ticket: Ticket,
    body: str,
    *,
    by: User | None,
    internal: bool,
    as_staff: bool,
    channel: str = TicketChannel.WEB,
) -> Comment:
    """Write a comment on an already-locked ticket (verbs call this; views call reply/add_note)."""
    now = timezone.now()
    comment = Comment.objects.create(
        ticket=ticket, author=by, body=body.strip(), internal=internal, channel=channel, created_at=now
    )
    touch(ticket, at=now, first_response=as_staff and not internal)
    return comment


@transaction.atomic
def reply(
    *,
    ticket: Ticket,
    body: str,
    by: User | None,
    as_staff: bool,
    files: list[CheckedFile] | None = None,
    channel: str = TicketChannel.WEB,
) -> Comment:
    """A public reply. A member replying to a ticket waiting for them hands it back to the
    operator; replying to a resolved ticket reopens it while the delay allows. The same
    reply sent again (selectors.resent_comment) records and announces nothing: the reply
    already recorded is answered. Two sent at once are queued on the ticket's lock."""
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    current = locked(ticket)
    if current.state in FINAL_STATES:
        if current.merged_into_id:
            message = _("This ticket was merged into n° %(number)s: reply there.") % {
                "number": current.merged_into.number if current.merged_into else ""
            }
        else:
            message = _("This ticket is %(state)s: declare a new incident, mentioning n° %(number)s.") % {
                "state": TicketState(current.state).label,
                "number": current.number,
            }
        raise IllegalTransition(message, code="closed")
    # An email is a message of its own: one received twice is known by its Message-ID.
    if channel != TicketChannel.EMAIL:
        resent = resent_comment(current, body=body, by=by, internal=False, file_digests=_digests(files))
        if resent is not None:
            return resent
    if not as_staff and current.state in (TicketState.WAITING_MEMBER, TicketState.RESOLVED):
        if not member_transition_allowed(current, TicketState.IN_PROGRESS, by):
            raise IllegalTransition(
                _(
                    "This ticket was resolved too long ago to be reopened: declare a new incident, mentioning n° %(number)s."
                )
                % {"number": current.number},
                code="too_late",
            )
        apply_state(current, TicketState.IN_PROGRESS, by=by)
    comment = post_comment(current, body, by=by, internal=False, as_staff=as_staff, channel=channel)
    if files:
        keep_files(current, files, by=by, comment=comment)
    refresh_search(current)
    notifications.announce_reply(current, comment, by=by, as_staff=as_staff)
    return comment


@transaction.atomic
def add_note(
    *, ticket: Ticket, body: str, by: User | None, files: list[CheckedFile] | None = None
) -> Comment:
    """An internal note: seen by the operator's staff only, never by the member; recorded
    once when sent twice, as a reply is."""
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    current = locked(ticket)
    resent = resent_comment(current, body=body, by=by, internal=True, file_digests=_digests(files))
    if resent is not None:
        return resent
    comment = post_comment(current, body, by=by, internal=True, as_staff=True)
    if files:
        keep_files(current, files, by=by, comment=comment, internal=True)
    refresh_search(current)
    return comment


def _digests(files: list[CheckedFile] | None) -> list[str]:
    return [f.sha256 for f in files or []]
