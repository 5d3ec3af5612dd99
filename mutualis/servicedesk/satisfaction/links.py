"""The signed link of the "resolved" email: the requester rates without logging in.

The link carries the ticket and its requester, signed with the project's secret and a
salt of its own (django.core.signing, timestamped). Whoever holds it may rate that ticket
as its requester and see its number and title, nothing else; it stops working after
`RATE_WITHIN_DAYS`, when the ticket changes requester, or when the secret changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from mutualis.people.models import Membership
from mutualis.people.roles import OPERATOR_ROLES

from ..models import Ticket
from .rating import RATE_WITHIN_DAYS

SALT = "mutualis.servicedesk.satisfaction"
MAX_AGE = timedelta(days=RATE_WITHIN_DAYS)


class LinkError(Exception):
    """A survey link that cannot be used: `expired` (a true link, too old) or not."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def token_for(ticket: Ticket) -> str:
    if ticket.requester_id is None:
        raise ValueError("A ticket without a requester has nobody to ask.")
    return signing.dumps({"t": ticket.pk, "r": ticket.requester_id}, salt=SALT)


def _asks_nobody(ticket: Ticket) -> bool:
    """No requester, or the operator's own staff as requester (a phone call typed in for a
    member without an account): the survey would be the operator rating itself."""
    if ticket.requester_id is None:
        return True
    return (
        Membership.objects.active()
        .filter(user_id=ticket.requester_id, operator_id=ticket.operator_id, role__in=OPERATOR_ROLES)
        .exists()
    )


def survey_url(ticket: Ticket) -> str:
    """The absolute address of the ticket's survey for its requester, to put in the
    "resolved" email; empty when the ticket has nobody to ask (see `_asks_nobody`)."""
    if _asks_nobody(ticket):
        return ""
    path = reverse("servicedesk:satisfaction-survey", kwargs={"token": token_for(ticket)})
    return f"{settings.SITE_URL}{path}"


@dataclass(frozen=True)
class SurveyTarget:
    ticket: Ticket
    requester_id: int


def ticket_for_token(token: str) -> SurveyTarget:
    """The ticket a link names, when the link is genuine, young enough and still bound to
    the ticket's requester; LinkError otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkError(expired=True) from exc
    except signing.BadSignature as exc:  # tampered, truncated, another salt or secret
        raise LinkError(expired=False) from exc
    if not isinstance(data, dict) or not isinstance(data.get("t"), int) or not isinstance(data.get("r"), int):
        raise LinkError(expired=False)
    ticket = (
        Ticket.objects.select_related("requester", "merged_into")
        .defer("search_vector", "search_vector_internal", "search_text", "search_internal")
        .filter(pk=data["t"], requester_id=data["r"])
        .first()
    )
    if ticket is None:  # deleted, or the ticket now has another requester
        raise LinkError(expired=False)
    return SurveyTarget(ticket=ticket, requester_id=data["r"])
