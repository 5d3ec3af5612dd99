"""The members' ticket list: theirs, their sites', their member's; filtered, paged, exported."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from mutualis.people.tenancy import Scope, ScopedRequest
from mutualis.web.decorators import member_area
from mutualis.web.exports import chosen_tab, export_request

from ..forms import TicketFilterForm
from ..models import Ticket
from ..permissions import can_declare
from ..selectors import View, default_view, filter_tickets, tickets_for
from .common import export, listing


def views_for(scope: Scope) -> list[tuple[str, str]]:
    """The views a person can switch between, their default first."""
    if scope.is_operator_staff:
        return [(View.ALL, _("All tickets"))]
    whole = (
        (View.SITES, _("My sites")) if scope.site_ids is not None else (View.MEMBER, _("All of my member"))
    )
    if not can_declare(scope):  # elected officials declare nothing: "mine" would be empty
        return [whole]
    return [whole, (View.MINE, _("Declared by me"))]


@member_area
def ticket_list(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    views = views_for(scope)
    form = TicketFilterForm(scope, request.GET or None)
    default = default_view(scope)
    view = chosen_tab(request, form, "view", default=default, shown=dict(views)[default])
    if view and view not in dict(views):
        # A tab this person does not have ("mine" for an elected official, who declares
        # nothing; a link from someone else): said like a filter's wrong value, so that an
        # export of the default tab is not taken for that one's.
        form.add_error(
            None,
            _("This tab is not one of yours: the tab “%(shown)s” is shown.")
            % {"shown": dict(views)[default]},
        )
    if view not in dict(views):
        view = default
    tickets = filter_tickets(tickets_for(scope, view), form.filters() if request.GET else {}, scope=scope)
    asked = export_request(request, form)
    if asked.fmt:
        return export(tickets, asked.fmt)
    return render(
        request,
        "servicedesk/ticket_list.html",
        {
            "form": form,
            "listing": listing(request, tickets, rows_from=Ticket.objects.for_ticket_list()),
            "views": views,
            "view": view,
            "keep": [("view", view)],
            "can_declare": can_declare(scope),
        },
        status=asked.status,
    )
