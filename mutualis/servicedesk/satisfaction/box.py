"""The satisfaction box of the ticket page: the rating given, and the form for those who
may rate (views/ticket.py puts it in the page's context, _satisfaction.html shows it)."""

from __future__ import annotations

from typing import Any

from django import forms

from mutualis.people.tenancy import Scope

from ..models import SatisfactionRating, Ticket
from .forms import RatingForm
from .rating import RATED_STATES, may_rate, refusal


def initial(rating: SatisfactionRating | None) -> dict[str, Any]:
    return {"rating": rating.rating, "comment": rating.comment} if rating else {}


def satisfaction_box(scope: Scope, ticket: Ticket, bound: forms.Form | None = None) -> dict[str, Any] | None:
    """What the ticket page shows about satisfaction: nothing before the ticket is
    resolved (and no query); then the rating given, and the form for those who may rate."""
    if ticket.state not in RATED_STATES or ticket.merged_into_id is not None:
        return None
    rating = SatisfactionRating.objects.filter(ticket=ticket).select_related("rated_by").first()
    why = refusal(ticket, rated=rating is not None)
    form = None
    if may_rate(scope, ticket) and why is None:
        form = bound or RatingForm(initial=initial(rating))
    if rating is None and form is None and not scope.is_operator_staff:
        return None  # too late to rate, or not theirs to rate: nothing to say
    return {"rating": rating, "form": form, "staff": scope.is_operator_staff}
