"""`{% ticket_rows rows staff %}`: the rows of the members' ticket list (ticket_list.html).

The list is the page members open most, and its 50 rows were a third of its time at a
million tickets: per row, a `{% url %}`, a `{% blocktranslate %}` and a dozen variables
through the template language (11 ms of a 34 ms page; docs/benchmarks-history.md). Here each row
is one string: the ticket's path from a pattern reversed once, the number's label
translated once, every value escaped. The cells are those the template wrote, in the same
order; `tests/servicedesk/test_ticket_rows.py` compares both.

Each cell whose value alone would not say what it is (a priority, a date) carries its
column's name in `data-label`: on a phone the rows are stacked as cards (web/mutualis.css,
"Ticket lists on a phone") and the name is drawn before the value, where the table's
header row is out of sight.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext

from mutualis.lib.urls import cached_reverse
from mutualis.web.templatetags.short_dates import short_date, short_datetime

register = template.Library()

# A ticket number no ticket has, to find where a ticket's number goes in its path.
_PLACEHOLDER = 987654321


def ticket_path_pattern() -> tuple[str, str]:
    """The ticket page's path around its number: ("/tickets/", "/")."""
    before, _sep, after = cached_reverse("servicedesk:ticket-detail", _PLACEHOLDER).rpartition(
        str(_PLACEHOLDER)
    )
    return before, after


@register.simple_tag
def ticket_rows(rows: Iterable[Any], staff: bool) -> SafeString:
    before, after = ticket_path_pattern()
    label = gettext("n° %(number)s")
    # The column names of ticket_list.html's header row, escaped once for the attributes.
    priority, site, category, declared, changed = (
        escape(gettext(name)) for name in ("Priority", "Site", "Category", "Declared", "Last change")
    )
    # Every value here is plain text (no SafeString): the standard library's escape, which
    # Django's wraps (it checked each of the ~600 values of a page for lazy text first).
    e = escape
    lines = []
    for ticket in rows:
        number = ticket.number
        member = f'<br><span class="muted">{e(ticket.member_name)}</span>' if staff else ""
        created = short_date(timezone.localtime(ticket.created_at))
        updated = short_datetime(timezone.localtime(ticket.updated_at))
        lines.append(
            "<tr>"
            f'<td><a href="{e(before)}{number}{e(after)}">{e(label % {"number": number})}</a></td>'
            f'<th scope="row">{e(ticket.title)}</th>'
            f'<td><span class="state state-{e(ticket.state)}">{e(capfirst(ticket.get_state_display()))}</span></td>'
            f'<td data-label="{priority}">{e(ticket.get_priority_display())}</td>'
            f'<td data-label="{site}">{e(ticket.site_name)}{member}</td>'
            f'<td data-label="{category}">{e(ticket.category_name)} <span class="muted">›</span> {e(ticket.incident_type_name)}</td>'
            f'<td data-label="{declared}">{e(created)}</td>'
            f'<td data-label="{changed}">{e(updated)}</td>'
            "</tr>"
        )
    return mark_safe("\n".join(lines))  # noqa: S308 (every value escaped above)
