"""What the service desk's pages share: finding a ticket, paging and exporting lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from mutualis.lib.tabular import Column, choice_label, export_response
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
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


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


def _name(person: Any) -> str:
    return (person.full_name or person.email) if person else ""


TICKET_COLUMNS = [
    Column(_("Number"), lambda t: t.number),
    Column(_("Title"), lambda t: t.title),
    Column(_("State"), choice_label("state")),
    Column(_("Priority"), choice_label("priority")),
    Column(_("Member"), lambda t: t.member.name),
    Column(_("Site"), lambda t: t.site.name),
    Column(_("Kind of site"), lambda t: t.site.kind.name),
    Column(_("Category"), lambda t: t.category.name),
    Column(_("Incident type"), lambda t: t.incident_type.name),
    Column(_("Team"), lambda t: t.team.name if t.team else ""),
    Column(_("Assigned to"), lambda t: _name(t.assignee)),
    Column(_("Declared by"), lambda t: _name(t.requester)),
    Column(_("Channel"), choice_label("channel")),
    Column(_("Declared"), lambda t: t.created_at),
    Column(_("Last change"), lambda t: t.updated_at),
    Column(_("Resolved"), lambda t: t.resolved_at),
]
# What the export reads (keep beside TICKET_COLUMNS): not the description, answers and
# search texts, most of a ticket row's bytes, which no column shows.
TICKET_EXPORT_FIELDS = (
    "number",
    "title",
    "state",
    "priority",
    "member__name",
    "site__name",
    "site__kind__name",
    "category__name",
    "incident_type__name",
    "team__name",
    "assignee__full_name",
    "assignee__email",
    "requester__full_name",
    "requester__email",
    "channel",
    "created_at",
    "updated_at",
    "resolved_at",
)


def export(tickets: QuerySet[Ticket], fmt: str) -> HttpResponse:
    """The whole filtered list as a download (`web.exports.export_request` says when),
    streamed in chunks so a list of a million tickets does not sit in memory."""
    rows = (
        tickets.with_list_related()  # type: ignore[attr-defined]
        .select_related("requester")
        .only(*TICKET_EXPORT_FIELDS)
        .order_by("-pk")
    )
    return export_response(TICKET_COLUMNS, rows.iterator(chunk_size=2000), filename="tickets", fmt=fmt)
