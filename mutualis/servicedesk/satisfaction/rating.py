"""Who may rate a resolved ticket, when, and the one verb that writes a rating.

The rules, in one place:
- a ticket is rated once it is *resolved* or *closed*; never a cancelled ticket, nor a
  duplicate merged into another (its rating belongs to the ticket that went on);
- while the ticket is *resolved*, the rating may be given and changed as often as the
  person likes (the last answer counts);
- once the ticket is *closed*, a rating already given is final; a ticket closed without
  one may still be rated for the first time within `RATE_WITHIN_DAYS` of its resolution
  (the time the email's link stays valid), so an answer that comes late still counts;
- who: the requester (from the portal, or without logging in through the signed link of
  the "resolved" email), or another user of the ticket's member who may write for it (a
  member agent; a site contact for their sites). Elected officials and the operator's
  staff read the rating, they never give it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualis.lib.numbers import whole_number
from mutualis.people.models import Membership
from mutualis.people.roles import OPERATOR_ROLES, Role

from ..models import (
    RatingChannel,
    SatisfactionRating,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketState,
)
from ..models.satisfaction import COMMENT_MAX_LENGTH, RATING_MAX, RATING_MIN
from ..permissions import DECLARING_MEMBER_ROLES
from ..services.records import locked, record, touch

if TYPE_CHECKING:
    from mutualis.people.models import User
    from mutualis.people.tenancy import Scope

# How long after its resolution a ticket closed without a rating may still be rated, and
# how long the email's link is valid: a month covers a holiday away from one's mailbox.
RATE_WITHIN_DAYS = 30
RATED_STATES = frozenset({TicketState.RESOLVED, TicketState.CLOSED})


class RatingRefused(ValidationError):  # noqa: N818 - a refusal, shown as a form error
    """A rating the ticket's state or the person's role does not allow."""


def first_rating_deadline(ticket: Ticket) -> datetime | None:
    if ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=RATE_WITHIN_DAYS)


def refusal(ticket: Ticket, *, rated: bool, now: datetime | None = None) -> str | None:
    """Why `ticket` cannot be rated now (`rated`: it already has a rating, which would be
    changed), in a sentence for the person; None when it can."""
    if ticket.merged_into_id is not None:
        return _("This request was merged into another one: it is that one that will be rated.")
    if ticket.state == TicketState.CANCELLED:
        return _("This request was cancelled: there is nothing to rate.")
    if ticket.state not in RATED_STATES:
        return _("This request is not resolved yet: you can rate it once it is.")
    if ticket.state == TicketState.CLOSED:
        if rated:
            return _("This request is closed: its rating can no longer be changed.")
        deadline = first_rating_deadline(ticket)
        if deadline is None or (now or timezone.now()) > deadline:
            return _("This request was closed too long ago to be rated.")
    return None


def may_rate_as(user: User | None, ticket: Ticket) -> bool:
    """Whether `user` answers for the member on this ticket: its requester (unless they are
    the operator's own staff, who typed in a phone call), or one of the member's users who
    may declare for the ticket's site."""
    if user is None:
        return False
    memberships = Membership.objects.active().filter(user=user)
    if ticket.requester_id == user.pk:
        return not memberships.filter(operator_id=ticket.operator_id, role__in=OPERATOR_ROLES).exists()
    return (
        memberships.filter(member_id=ticket.member_id, role__in=DECLARING_MEMBER_ROLES)
        .filter(~Q(role=Role.SITE_CONTACT) | Q(sites=ticket.site_id))
        .exists()
    )


def may_rate(scope: Scope, ticket: Ticket) -> bool:
    """For the portal, without a query: a member's user who may write for the ticket's
    member, on a ticket they see (the caller got it through the tenancy door, which keeps
    a site contact to their sites). The verb asks `may_rate_as` again; whether the state
    allows it is `refusal`'s answer."""
    return (
        not scope.is_operator_staff
        and scope.can_write
        and scope.role in DECLARING_MEMBER_ROLES
        and scope.member_id == ticket.member_id
    )


def _field_error(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def _checked_rating(rating: object) -> int:
    wrong = _field_error("rating", _("Choose a rating from 1 to 5."), "invalid")
    # A bool is an int to Python; True is no rating.
    if isinstance(rating, bool) or not isinstance(rating, int | str):
        raise wrong
    if isinstance(rating, str):
        # whole_number, not str.isdigit(): "²" is a digit to isdigit() and no number to int().
        number = whole_number(rating.strip())
        if number is None:
            raise wrong
        rating = number
    if not RATING_MIN <= rating <= RATING_MAX:
        raise _field_error("rating", _("Choose a rating from 1 to 5."), "out_of_range")
    return rating


def team_at_resolution(ticket: Ticket) -> int | None:
    """The team the ticket had when it was resolved: its team now, with the moves made
    since its resolution undone (the API may still route a resolved ticket)."""
    team_id = ticket.team_id
    if ticket.resolved_at is None:
        return team_id
    moves = (
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.TEAM, at__gt=ticket.resolved_at)
        .order_by("-at", "-id")
        .values_list("old_value", flat=True)
    )
    for old in moves:
        team_id = int(old) if old.isdigit() else None
    return team_id


@transaction.atomic
def rate(
    *,
    ticket: Ticket,
    rating: int,
    comment: str = "",
    by: User | None,
    channel: str = RatingChannel.WEB,
) -> SatisfactionRating:
    """Give or change the satisfaction rating of a resolved ticket (see the rules above).
    Refused with a ValidationError saying why; the timeline records each answer."""
    value = _checked_rating(rating)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise _field_error(
            "comment",
            _("Keep the comment under %(max)s characters (it has %(length)s).")
            % {"max": COMMENT_MAX_LENGTH, "length": len(comment)},
            "too_long",
        )
    if channel not in RatingChannel.values:
        raise _field_error("channel", _("Unknown channel."), "invalid")
    current = locked(ticket)  # two answers at once: one after the other, the last counts
    existing = SatisfactionRating.objects.filter(ticket=current).first()
    why = refusal(current, rated=existing is not None)
    if why is not None:
        raise RatingRefused(why, code="not_now")
    if not may_rate_as(by, current):
        raise RatingRefused(
            _("Only the person who declared this request, or their colleagues, can rate it."),
            code="not_allowed",
        )
    now = timezone.now()
    old = str(existing.rating) if existing else ""
    if existing is None:
        existing = SatisfactionRating.objects.create(
            ticket=current,
            rating=value,
            comment=comment,
            rated_by=by,
            channel=channel,
            team_id=team_at_resolution(current),
            created_at=now,
            updated_at=now,
        )
    else:
        existing.rating, existing.comment, existing.rated_by = value, comment, by
        existing.channel, existing.updated_at = channel, now
        # Reopened and resolved again since the first answer: the team that resolved it last.
        existing.team_id = team_at_resolution(current)
        existing.save(update_fields=["rating", "comment", "rated_by", "channel", "team", "updated_at"])
    touch(current, at=now)  # a line of its timeline: the ticket's "last change", as for every event
    record(current, TicketEventKind.RATED, by=by, old=old, new=str(value), at=now)
    return existing
