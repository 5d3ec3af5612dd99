"""The filters every figure of incidentology shares, and the link to the tickets behind one.

A figure counts the tickets of `filtered_tickets(scope, data)`: the tenancy door
(`Ticket.objects.visible_to`), then the service desk's own list filters
(`servicedesk.selectors.filter_tickets`) under the names the desk and the members' list
use. So `drill_down_url` only has to repeat those names for the desk (staff) or the
members' list to show exactly the tickets counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from mutualis.lib.urls import cached_reverse
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Member, Site, SiteKind
from mutualis.servicedesk.forms import catalogue_categories
from mutualis.servicedesk.models import Category, Team, Ticket
from mutualis.servicedesk.satisfaction.forms import add_months
from mutualis.servicedesk.selectors import filter_tickets
from mutualis.web.date_fields import CalendarDateField

DAY, WEEK, MONTH = "day", "week", "month"
STEP_CHOICES = [(MONTH, _("month")), (WEEK, _("week")), (DAY, _("day"))]
# Beyond this, a day-by-day chart has more bars than a screen shows and its query more
# groups than a panel's time allows: the step widens to weeks.
MAX_DAYS_BY_DAY = 92
# A period is at most ten years: bounds the groups of any "by month" query.
MAX_PERIOD_DAYS = 3660
# The names `filter_tickets` (and so the desk's and the list's forms) read, per our field.
LIST_NAMES = {
    "start": "created_after",
    "end": "created_before",
    "member": "member",
    "site_kind": "site_kind",
    "site": "site",
    "category": "category",
    "team": "team",
    "state": "state",
    "assignee": "assignee",
    "priority": "priority",
}
DIMENSIONS = ("member", "site_kind", "site", "category", "team")


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    today = today or timezone.localdate()
    return add_months(today.replace(day=1), -11), today


class InsightFilter(forms.Form):
    """Period and dimensions of the figures (GET). Staff filter by member, kind of site and
    team; a member's users by their sites. Every choice comes through a tenancy door, so a
    tampered value is invalid and ignored, like one that does not exist."""

    start = CalendarDateField(label=_("From"), required=False)
    end = CalendarDateField(label=_("To"), required=False)
    member = forms.ModelChoiceField(
        label=_("Member"), required=False, queryset=Member.objects.none(), empty_label=_("All")
    )
    site_kind = forms.ModelChoiceField(
        label=_("Kind of site"), required=False, queryset=SiteKind.objects.all(), empty_label=_("All")
    )
    site = forms.ModelChoiceField(
        label=_("Site"), required=False, queryset=Site.objects.none(), empty_label=_("All")
    )
    category = forms.ModelChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.none(), empty_label=_("All")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("All")
    )
    step = forms.ChoiceField(label=_("Volumes by"), required=False, choices=STEP_CHOICES)

    def __init__(self, scope: Scope, data: Mapping[str, Any] | None = None, *, today: dt.date | None = None):
        self.scope = scope
        self.default_start, self.default_end = default_period(today)
        super().__init__(data if data is not None else {})
        self.fields["start"].widget.attrs["placeholder"] = self.default_start.isoformat()
        self.fields["category"].queryset = catalogue_categories(scope)  # type: ignore[attr-defined]
        if scope.is_operator_staff:
            del self.fields["site"]
            self.fields["member"].queryset = Member.objects.visible_to(scope).only("id", "name")  # type: ignore[attr-defined]
            self.fields["team"].queryset = Team.objects.visible_to(scope)  # type: ignore[attr-defined]
        else:
            # The members' list filters by site, not by member (theirs), kind or team.
            for name in ("member", "site_kind", "team"):
                del self.fields[name]
            self.fields["site"].queryset = Site.objects.visible_to(scope).only("id", "name")  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The valid values with the defaults filled in; an invalid value (a tampered URL)
        is dropped, not an error page."""
        self.is_valid()
        values = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        start = values.get("start") or self.default_start
        end = values.get("end") or self.default_end
        if start > end:
            start, end = end, start
        if (end - start).days > MAX_PERIOD_DAYS:
            start = end - dt.timedelta(days=MAX_PERIOD_DAYS)
        values["start"], values["end"] = start, end
        step = values.get("step") or MONTH
        if step == DAY and (end - start).days >= MAX_DAYS_BY_DAY:
            step = WEEK
        values["step"] = step
        return values

    def period_notes(self) -> list[str]:
        """What became of the period asked, when the figures are not of it: its two days
        the wrong way round, or more than ten years. The date fields keep what was typed,
        so without a word a reader took a count since 2010 for one since 2016."""
        values = self.values()
        asked = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        start = asked.get("start") or self.default_start
        end = asked.get("end") or self.default_end
        notes = []
        if start > end:
            notes.append(str(_("The start date was after the end date: the two have been swapped.")))
            start, end = end, start
        if values["start"] != start:
            notes.append(
                str(_("A period covers ten years at most: the figures are from %(start)s to %(end)s."))
                % {
                    "start": formats.date_format(values["start"], "SHORT_DATE_FORMAT"),
                    "end": formats.date_format(values["end"], "SHORT_DATE_FORMAT"),
                }
            )
        return notes

    def tickets(self) -> QuerySet[Ticket]:
        return tickets_for_values(self.scope, self.values())

    def query(self, **override: Any) -> str:
        """This filter's query string (for panel URLs, exports), with `override` applied."""
        values = {**self.values(), **override}
        return _encode({k: v for k, v in values.items() if k in self.fields})


def tickets_for_values(scope: Scope, values: Mapping[str, Any]) -> QuerySet[Ticket]:
    """The tickets of cleaned filter values (InsightFilter.values())."""
    data = {LIST_NAMES[k]: v for k, v in values.items() if k in LIST_NAMES and v not in (None, "")}
    return filter_tickets(Ticket.objects.visible_to(scope), data, scope=scope)


# The list filters the narrow copies of the tickets (TicketFact) answer: the same fields
# under the same names, so `filter_tickets` applies them the same way. Others (priority,
# assignee, equipment, search…) are not copied: a figure filtered by one reads the tickets.
COPIED_FILTERS = frozenset(
    {"created_after", "created_before", "member", "site", "site_kind", "category", "team", "state"}
)


def copies_for_values(scope: Scope, values: Mapping[str, Any]) -> QuerySet[Any]:
    """`tickets_for_values` read from the tickets' narrow copies (insights.ticket_facts):
    the same rows, a tenth of the bytes to read. The tickets themselves when a filter
    is not one of COPIED_FILTERS."""
    from .models import TicketFact  # the models import this module's neighbours

    data = {LIST_NAMES[k]: v for k, v in values.items() if k in LIST_NAMES and v not in (None, "")}
    # The copies' day of declaration is in settings.TIME_ZONE (nothing activates another).
    other_zone = timezone.get_current_timezone_name() != settings.TIME_ZONE
    if other_zone or not COPIED_FILTERS.issuperset(data):
        return tickets_for_values(scope, values)
    return filter_tickets(TicketFact.objects.visible_to(scope), data, scope=scope)  # type: ignore[arg-type]


def filtered_tickets(scope: Scope, data: Mapping[str, Any] | None = None) -> QuerySet[Ticket]:
    """The tickets behind the figures: visible to `scope`, declared in the period (the last
    twelve months by default), of the chosen member, kind of site, site, category (and its
    sub-categories) and team. `data` is what the person sent (request.GET)."""
    return InsightFilter(scope, data).tickets()


def _value(value: Any) -> str:
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _encode(values: Mapping[str, Any]) -> str:
    # What QueryDict.urlencode writes (each pair through quote_plus), without building a
    # QueryDict per link: a breakdown by member links 485 bars to their tickets.
    return urlencode(
        [(key, _value(value)) for key, value in values.items() if value is not None and value != ""]
    )


def drill_down_url(scope: Scope, **filters: Any) -> str:
    """The list of the tickets behind a figure: the desk for the operator's staff, the
    members' list for a member's users, filtered under their names (`LIST_NAMES`).

    `filters` take InsightFilter's names (start, end, member, site_kind, site, category,
    team) and the lists' own (state: "open" or a state; assignee: a user or "none";
    priority). Without a state, every state: the desk shows open tickets unless told."""
    names = {LIST_NAMES.get(k, k): v for k, v in filters.items() if v is not None and v != ""}
    unknown = set(names) - set(LIST_NAMES.values())
    if unknown:
        raise ValueError(f"No list filter named {sorted(unknown)}")
    if scope.is_operator_staff:
        names = {k: v for k, v in names.items() if k != "site"}
        query = _encode(names)
        # The desk reads a missing state as "open": an empty one asks for every state.
        if "state" not in names:
            query = f"{query}&state=" if query else "state="
        return f"{cached_reverse('servicedesk:desk')}?{query}"
    names = {k: v for k, v in names.items() if k not in ("member", "site_kind", "team", "assignee")}
    query = _encode(names)
    path = cached_reverse("servicedesk:ticket-list")
    return f"{path}?{query}" if query else path
