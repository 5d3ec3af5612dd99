"""Declaring an incident, in three steps a person can bookmark or go back through:
the site (`?site=`), the incident type from that site's catalogue (`&type=`), the form.

The service desk declares the same way for a caller (channel "phone"), for any site of
the operator, naming the caller among the member's people.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mutualis.lib.numbers import whole_number
from mutualis.lib.search import folded_contains
from mutualis.people.tenancy import ScopedRequest
from mutualis.registry.models import Site
from mutualis.web.decorators import member_area

from .. import services
from ..answers import answer_form_class, answers_from
from ..catalogue import catalogue, offered_types
from ..forms import DeclareForm, ask_files_again
from ..models import IncidentType, TicketChannel
from ..permissions import can_declare

# Up to this many sites are listed to pick from; beyond, the person searches by name
# (the service desk picks among thousands).
SITES_LISTED = 30


def _id(value: str) -> int:
    # whole_number, not str.isdigit(): "²" is a digit to isdigit() and no number to int()
    # (a 500 on ?site=²).
    number = whole_number(value)
    if number is None:
        raise Http404
    return number


@member_area
def declare(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    if not can_declare(scope):
        raise PermissionDenied
    sites = Site.objects.visible_to(scope).filter(is_active=True).select_related("kind", "member")
    if not request.GET.get("site"):
        return _pick_site(request, sites)
    # With its commune: the declaration's deadlines count the holidays of its region.
    site = get_object_or_404(sites.select_related("commune"), pk=_id(request.GET["site"]))

    def one_site() -> bool:
        """Whether the person has this site only (the pages then skip the site step);
        asked only by the pages shown, not by a declaration that goes through."""
        return sites.order_by()[:2].count() == 1

    if not request.GET.get("type"):
        return _pick_type(request, site, one_site())
    types = offered_types(site).prefetch_related("fields")
    incident_type = get_object_or_404(types, pk=_id(request.GET["type"]))
    return _fill(request, site, incident_type, one_site)


def _pick_site(request: ScopedRequest, sites: QuerySet[Site]) -> HttpResponse:
    total = sites.count()
    if total == 1:
        return redirect(f"{reverse('servicedesk:declare')}?site={sites.get().pk}")
    # A NUL is in no name, and PostgreSQL refuses it in a query (a 500): left out.
    query = request.GET.get("site_q", "").replace("\x00", "").strip()[:100]
    shown = sites
    if query:
        shown = sites.filter(folded_contains("name", query) | folded_contains("member__name", query))
    elif total > SITES_LISTED:
        shown = sites.none()
    listed = list(shown.order_by("name", "pk")[: SITES_LISTED + 1])
    return render(
        request,
        "servicedesk/declare_site.html",
        {
            "sites": listed[:SITES_LISTED],
            "truncated": len(listed) > SITES_LISTED,
            "searchable": total > SITES_LISTED or bool(query),
            "query": query,
            "total": total,
        },
    )


def _pick_type(request: ScopedRequest, site: Site, one_site: bool) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "servicedesk/declare_type.html",
        {"site": site, "sections": catalogue(site, query), "query": query, "one_site": one_site},
    )


def _fill(
    request: ScopedRequest, site: Site, incident_type: IncidentType, one_site: Callable[[], bool]
) -> HttpResponse:
    scope = request.scope
    posted = request.method == "POST"
    form = DeclareForm(
        scope, site, incident_type, request.POST if posted else None, request.FILES if posted else None
    )
    answers = answer_form_class(incident_type, site)(request.POST if posted else None, prefix="answer")
    if posted:
        # Both forms are validated, so every problem is listed at once.
        valid = [form.is_valid(), answers.is_valid()]
        if all(valid):
            stored, assets = answers_from(answers, incident_type)
            if form.cleaned_data.get("asset"):
                assets.append(form.cleaned_data["asset"])
            try:
                declared = services.declare(
                    scope=scope,
                    site=site,
                    incident_type=incident_type,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    answers=stored,
                    assets=assets,
                    files=form.cleaned_data["files"],
                    by=request.user,
                    requester=form.cleaned_data.get("requester"),
                    channel=TicketChannel.PHONE if scope.is_operator_staff else TicketChannel.WEB,
                )
            except ValidationError as exc:
                _show_refusal(form, exc)
            else:
                number = declared.ticket.number
                if declared.resent:
                    # Sent twice (back and send again, a second press): one ticket, not two.
                    messages.info(
                        request,
                        _(
                            "This request was already recorded a moment ago as n° %(number)s, and is kept once. To add to it, write a reply."
                        )
                        % {"number": number},
                    )
                else:
                    messages.success(
                        request, _("Your request n° %(number)s is recorded.") % {"number": number}
                    )
                return redirect("servicedesk:ticket-detail", number=number)
    if posted:
        ask_files_again(form)
    return render(
        request,
        "servicedesk/declare_form.html",
        {
            "site": site,
            "incident_type": incident_type,
            "form": form,
            "answers": answers,
            "error_forms": [f for f in (form, answers) if f.errors],
            "one_site": one_site(),
        },
    )


def _show_refusal(form: forms.Form, exc: ValidationError) -> None:
    """Put the verb's refusal next to the field it is about, or above the form."""
    errors: dict[str, Any] = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    for name, problems in errors.items():
        field = {"assets": "asset"}.get(name, name)
        form.add_error(field if field in form.fields else None, problems)
