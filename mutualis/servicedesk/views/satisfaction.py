"""Satisfaction pages: the box on the ticket page and its form, the survey reached by the
signed link of the "resolved" email (no login), and the results for the operator's staff."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mutualis.lib.tabular import export_response
from mutualis.people.models import User
from mutualis.people.tenancy import ScopedRequest
from mutualis.web.decorators import member_area, operator_staff_only
from mutualis.web.exports import export_request

from ..models import RatingChannel, SatisfactionRating, Ticket
from ..satisfaction import RATE_WITHIN_DAYS, LinkError, may_rate, rate, refusal, ticket_for_token
from ..satisfaction.box import initial
from ..satisfaction.forms import PeriodForm, RatingForm
from ..satisfaction.results import EXPORT_COLUMNS, export_rows, results
from .common import visible_ticket
from .ticket import ticket_page, to_ticket


@member_area
@require_POST
def rate_ticket(request: ScopedRequest, number: int) -> HttpResponse:
    """A member's user rates a resolved ticket from its page."""
    scope = request.scope
    ticket = visible_ticket(scope, number)
    if not may_rate(scope, ticket):
        raise PermissionDenied
    form = RatingForm(request.POST)
    if _saved(form, ticket, by=request.user, channel=RatingChannel.WEB):
        messages.success(request, _("Thank you: your rating is saved."))
        return to_ticket(ticket, "satisfaction")
    return ticket_page(request, ticket, rating=form)


def _saved(form: RatingForm, ticket: Ticket, *, by: User | None, channel: str) -> bool:
    """Rate from a posted form; False (with the errors on the form) when refused."""
    if not form.is_valid():
        return False
    try:
        rate(
            ticket=ticket,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            by=by,
            channel=channel,
        )
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return False
    return True


def _link_refused(request: HttpRequest, exc: LinkError) -> HttpResponse:
    # 410: a genuine link that is too old; 400: one that is not ours (tampered, truncated).
    return render(
        request,
        "servicedesk/satisfaction/link_refused.html",
        {"expired": exc.expired, "days": RATE_WITHIN_DAYS},
        status=410 if exc.expired else 400,
    )


def _no_index(response: HttpResponse) -> HttpResponse:
    # The link is the key to the page: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey of one ticket for its requester, with the signed link as the only key:
    it shows the ticket's number and title, nothing else of it."""
    try:
        target = ticket_for_token(token)
    except LinkError as exc:
        return _no_index(_link_refused(request, exc))
    ticket = target.ticket
    rating = SatisfactionRating.objects.filter(ticket=ticket).first()
    why = refusal(ticket, rated=rating is not None)
    form = None
    status = 200
    if why is None and request.method == "POST":
        form = RatingForm(request.POST)
        if _saved(form, ticket, by=ticket.requester, channel=RatingChannel.EMAIL_LINK):
            return redirect("servicedesk:satisfaction-thanks", token=token)
    elif why is None:
        form = RatingForm(initial=initial(rating))
    elif request.method == "POST":
        status = 409  # the ticket's state refuses the answer; the page says why
    context = {
        "ticket": ticket,
        "rating": rating,
        "form": form,
        "why": why,
        "error_forms": [form] if form is not None and form.errors else [],
    }
    return _no_index(render(request, "servicedesk/satisfaction/survey.html", context, status=status))


@never_cache
@require_GET
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = ticket_for_token(token)
    except LinkError as exc:
        return _no_index(_link_refused(request, exc))
    ticket = target.ticket
    rating = SatisfactionRating.objects.filter(ticket=ticket).first()
    context = {
        "ticket": ticket,
        "rating": rating,
        "token": token,
        "may_change": rating is not None and refusal(ticket, rated=True) is None,
    }
    return _no_index(render(request, "servicedesk/satisfaction/thanks.html", context))


@operator_staff_only
def results_page(request: ScopedRequest) -> HttpResponse:
    """Per team and month of resolution: resolved tickets, ratings, response rate, mean,
    distribution, and the latest comments; CSV or XLSX with `?export=`."""
    scope = request.scope
    form = PeriodForm(scope, request.GET)
    start, end, team = form.period()
    found = results(scope, start, end, team)
    asked = export_request(request, form)
    if asked.fmt:
        return export_response(EXPORT_COLUMNS, export_rows(found), title=_("Satisfaction"), fmt=asked.fmt)
    params = request.GET.copy()
    params.pop("export", None)
    return render(
        request,
        "servicedesk/satisfaction/results.html",
        {"form": form, "results": found, "team": team, "query": params.urlencode()},
        status=asked.status,
    )
