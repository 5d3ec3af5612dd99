"""The operator's desk: queues by team with filters and bulk assignment, and a preview of
the catalogue each kind of site is offered."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mutualis.people.tenancy import ScopedRequest
from mutualis.registry.models import Site
from mutualis.web.decorators import operator_staff_only
from mutualis.web.exports import chosen_tab, export_request

from .. import services
from ..catalogue import catalogue
from ..forms import BulkAssignForm, CataloguePreviewForm, DeskFilterForm
from ..models import FormField, Team
from ..permissions import can_handle
from ..selectors import View, filter_tickets, tickets_for
from ..sla import next_deadline
from .common import error_text, export, listing

ALL = "all"


def queues_for(request: ScopedRequest) -> dict[str, tuple[str, dict[str, Any]]]:
    """The tabs of the desk: code → (name, the filter it applies)."""
    teams = Team.objects.visible_to(request.scope).filter(members=request.user, is_active=True)
    return {
        ALL: (_("All"), {}),
        "mine": (_("My tickets"), {"assignee": "me"}),
        **{f"team-{team.pk}": (team.name, {"team": team}) for team in teams},
        "unassigned": (_("Unassigned"), {"assignee": "none"}),
    }


@operator_staff_only
def queue(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    queues = queues_for(request)
    data = request.GET.copy()
    # A queue shows what is still to do unless the person asks for another state. That
    # state is the queue's own, not a filter the person chose: as the form's initial value
    # it does not count as a change, so the filter box is not marked "active" and stays
    # folded on a phone (includes/filters.html), where it pushed the list a screen down.
    if "state" not in data:
        data["state"] = "open"
    form = DeskFilterForm(scope, data, initial={"state": "open"})
    code = chosen_tab(request, form, "queue", default=ALL, shown=queues[ALL][0])
    if code not in queues:
        # Another team's queue (one left, one of another operator): said like a filter's
        # wrong value, so that an export of "all" is not taken for that team's.
        form.add_error(None, _("This queue is not one of yours: all tickets are shown."))
        code = ALL
    tickets = filter_tickets(tickets_for(scope, View.ALL), queues[code][1], scope=scope)
    tickets = filter_tickets(tickets, form.filters(), scope=scope)
    asked = export_request(request, form)
    if asked.fmt:
        return export(tickets, asked.fmt)
    found = listing(request, tickets)
    now = timezone.now()
    for row in found.page.rows:
        row.deadline = next_deadline(row, now)  # from the row's own columns, no query
    handling = can_handle(scope)
    return render(
        request,
        "servicedesk/desk.html",
        {
            "form": form,
            "listing": found,
            "queues": [(c, name) for c, (name, _filter) in queues.items()],
            "queue": code,
            "keep": [("queue", code)],
            "bulk_form": BulkAssignForm(scope) if handling else None,
            "back": found.query,
        },
        status=asked.status,
    )


@operator_staff_only
@require_POST
def bulk_assign(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    if not can_handle(scope):
        raise PermissionDenied
    # Back to the same queue and filters; only a query string of ours, never a URL. The
    # fragment names the bulk form: web/mutualis.js puts the message beside it, where the
    # person was, rather than above the filters.
    query = QueryDict(request.POST.get("back", "")).urlencode()
    back = f"{reverse('servicedesk:desk')}?{query}#bulk"
    form = BulkAssignForm(scope, request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        done, skipped = services.bulk_assign(
            tickets=form.cleaned_data["tickets"],
            assignee=form.person,
            by=request.user,
            team=form.cleaned_data["team"],
            keep_assignee=not form.cleaned_data["assignee"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(back)
    text = ngettext("%(count)d ticket assigned.", "%(count)d tickets assigned.", done) % {"count": done}
    if skipped:
        text += " " + _("Not assigned: %(tickets)s.") % {"tickets": ", ".join(skipped)}
    messages.success(request, text)
    return redirect(back)


@operator_staff_only
def catalogue_preview(request: ScopedRequest) -> HttpResponse:
    """What a site of a given kind is offered, as its people see it when declaring."""
    scope = request.scope
    form = CataloguePreviewForm(scope, request.GET or None)
    sections = None
    if request.GET and form.is_valid():
        operator_id = scope.operator_id
        if operator_id is None:  # cannot happen: only the operator's staff get here
            raise PermissionDenied
        # A site never saved, standing for any site of that kind (of that member, when
        # one is chosen): the catalogue reads only its kind, member and operator.
        site = Site(kind=form.cleaned_data["site_kind"], operator_id=operator_id)
        if form.cleaned_data["member"] is not None:
            site.member = form.cleaned_data["member"]
        sections = catalogue(site, form.cleaned_data["q"])
        questions: dict[int, list[str]] = {}
        type_ids = [t.pk for section in sections for t in section.types]
        # Every type's questions in one query, rather than one per type.
        for type_id, label in FormField.objects.filter(incident_type__in=type_ids).values_list(
            "incident_type_id", "label"
        ):
            questions.setdefault(type_id, []).append(label)
        for section in sections:
            for incident_type in section.types:
                incident_type.questions = questions.get(incident_type.pk, [])  # type: ignore[attr-defined]
    return render(request, "servicedesk/catalogue_preview.html", {"form": form, "sections": sections})
