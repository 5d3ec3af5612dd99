"""What the service desk's pages share: finding a ticket, paging and exporting lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from mutualis.lib.numbers import whole_number
from mutualis.lib.tabular import Column, choice, export_queryset, field
from mutualis.people.tenancy import Scope

from ..models import Ticket
from ..selectors import Page, capped_count, keyset_page

PAGE_SIZE = 50


def visible_ticket(scope: Scope, number: int) -> Ticket:
    """The ticket numbered `number` among those the scope may see; 404 otherwise, the same
    for another member's ticket as for one that does not exist."""
    tickets = (
        Ticket.objects.visible_to(scope)
        .with_list_related()
        .select_related(
            "requester", "merged_into", "category__parent", "incident_type__category", "site__commune"
        )
    )
    return get_object_or_404(tickets, number=number)


def error_text(exc: ValidationError) -> str:
    """A refusal of a verb, as one sentence (or a few) to show on the page."""
    return " ".join(str(m) for m in exc.messages)


def _cursor(request: HttpRequest, name: str) -> int | None:
    return whole_number(request.GET.get(name, ""))


@dataclass
class Listing:
    """One keyset page of a filtered list, with its capped count and its links' query."""

    page: Page
    total: int
    more: bool  # more than `total` (the count stops at the cap)
    query: str  # the filters, without the page cursor: what paging and export links keep


def listing(
    request: HttpRequest, tickets: QuerySet[Ticket], *, rows_from: QuerySet[Ticket] | None = None
) -> Listing:
    """`rows_from`: how the page's rows are read (default: what every list shows)."""
    page = keyset_page(
        tickets,
        rows_from=Ticket.objects.for_lists() if rows_from is None else rows_from,
        after=_cursor(request, "after"),
        before=_cursor(request, "before"),
        size=PAGE_SIZE,
        count_all=bool(request.GET.get("q")),
    )
    if page.total is not None:
        total, more = page.total, False
    elif page.next_cursor is None and page.previous_cursor is None:
        # The whole list fits on this page: it is its own count.
        total, more = len(page.rows), False
    else:
        total, more = capped_count(tickets)
    params = request.GET.copy()
    for name in ("after", "before", "export"):
        params.pop(name, None)
    return Listing(page=page, total=total, more=more, query=params.urlencode())


def _person(prefix: str, header: Any) -> Column:
    """A person's name, or their email when they gave no name."""
    name, email = f"{prefix}__full_name", f"{prefix}__email"
    return Column(header, lambda row: row[name] or row[email] or "", fields=(name, email))


TICKET_COLUMNS = [
    field(_("Number"), "number"),
    field(_("Title"), "title"),
    choice(_("State"), Ticket, "state"),
    choice(_("Priority"), Ticket, "priority"),
    field(_("Member"), "member__name"),
    field(_("Site"), "site__name"),
    field(_("Kind of site"), "site__kind__name"),
    field(_("Category"), "category__name"),
    field(_("Incident type"), "incident_type__name"),
    field(_("Team"), "team__name"),
    _person("assignee", _("Assigned to")),
    _person("requester", _("Declared by")),
    choice(_("Channel"), Ticket, "channel"),
    field(_("Declared"), "created_at"),
    field(_("Last change"), "updated_at"),
    field(_("Resolved"), "resolved_at"),
]


def export(tickets: QuerySet[Ticket], fmt: str) -> HttpResponse:
    """The whole filtered list as a download (`web.exports.export_request` says when),
    streamed in chunks so a list of a million tickets does not sit in memory; read as the
    values its columns show, not the description, answers and search texts, most of a
    ticket row's bytes."""
    return export_queryset(TICKET_COLUMNS, tickets.order_by("-pk"), title=_("Requests"), fmt=fmt)
