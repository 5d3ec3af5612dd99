"""The recurring-failures page: recurring equipment, sites and models, and the models that
fail abnormally often; every table as CSV or XLSX with `?export=csv|xlsx&table=…`.

Everything read goes through the tenancy door: the tickets of `InsightFilter` (that is,
`Ticket.objects.visible_to`) and `Asset.objects.visible_to` for the equipment named and the
fleet's exposure.

Each row gives its counts and links to the ticket list filtered to exactly the tickets it
counted (`_tickets_link`); the tickets themselves are not on the page, which stays a few
queries and a few dozen kilobytes whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mutualis.lib.numbers import whole_number
from mutualis.lib.query_strings import single_value
from mutualis.lib.tabular import Column, export_response
from mutualis.lib.urls import cached_reverse
from mutualis.people.tenancy import ScopedRequest
from mutualis.registry.models import Asset
from mutualis.servicedesk.selectors import COUNTED_INCIDENTS
from mutualis.web.decorators import member_area
from mutualis.web.exports import export_request

from ..charts import Chart, bar_chart
from ..failure_rates import ModelRate, failure_rates
from ..filters import LIST_NAMES, InsightFilter
from ..recurring import (
    DEFAULT_MIN_COUNT,
    DEFAULT_WINDOW_DAYS,
    TICKETS_PER_ROW,
    Grouping,
    RecurringRow,
    RecurringTable,
    Sameness,
    recurring_table,
)

# A table shows this many rows per page (its own pages: `?assets_page=2`); the export takes
# them all (up to EXPORT_LIMIT).
PAGE_ROWS = 25
EXPORT_LIMIT = 10_000
# The chart names this many models; the table below it lists them all.
CHART_MODELS = 12


class RecurrenceForm(forms.Form):
    """What "recurring" means on this page: how many incidents of the same kind, in how
    many days."""

    window_days = forms.IntegerField(
        label=gettext_lazy("Within (days)"), required=False, min_value=1, max_value=730
    )
    min_count = forms.IntegerField(
        label=gettext_lazy("At least (incidents)"), required=False, min_value=2, max_value=100
    )
    same = forms.ChoiceField(label=gettext_lazy("Of the same"), required=False, choices=Sameness.choices)

    def values(self) -> tuple[int, int, str]:
        """Window, minimum count and sameness; an invalid value falls back to the default."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return (
            data.get("window_days") or DEFAULT_WINDOW_DAYS,
            data.get("min_count") or DEFAULT_MIN_COUNT,
            data.get("same") or Sameness.INCIDENT_TYPE,
        )


@dataclass
class Section:
    """One recurring table: a page of its rows, each with the link to its tickets."""

    grouping: str
    lines: list[tuple[RecurringRow, str]]
    count: int  # rows in all
    things: int  # distinct assets, sites or models named by all the rows
    page: int
    param: str  # the query parameter of its page number
    query: str  # the page's query without it, to append it to ("…&" or "")

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // PAGE_ROWS))

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_ROWS + 1

    @property
    def last(self) -> int:
        return self.first + len(self.lines) - 1


def _fleet(request: ScopedRequest, values: dict[str, Any]) -> QuerySet[Asset]:
    """The assets whose exposure counts: through the door, then the page's member, site or
    kind of site (the category filter is about incidents, not equipment)."""
    assets = Asset.objects.visible_to(request.scope)
    if values.get("member"):
        assets = assets.filter(site__member=values["member"])
    if values.get("site"):
        assets = assets.filter(site=values["site"])
    if values.get("site_kind"):
        assets = assets.filter(site__kind=values["site_kind"])
    return assets


# The ticket list's filter naming a row's thing, and its kind, per grouping and sameness.
ROW_FILTERS = {Grouping.ASSET: "asset", Grouping.SITE: "site", Grouping.MODEL: "model"}
KIND_FILTERS = {Sameness.INCIDENT_TYPE: "incident_type", Sameness.CATEGORY: "exact_category"}


def _tickets_link(values: Mapping[str, Any], grouping: str, same: str) -> Callable[[RecurringRow], str]:
    """The address of the ticket list showing exactly the tickets a row counted: the page's
    filters (`InsightFilter.values()`) under the list's names (filters.LIST_NAMES), the
    incidents only (no merged duplicate, no cancelled ticket), the row's thing and kind.

    The list reads them with `servicedesk.selectors.filter_tickets`, as the page does, for
    everyone (the operator's staff too: the desk has no filter by equipment). The row's
    category is the kind without the categories under it, and is within the page's
    category filter, which it replaces."""
    thing, kind = ROW_FILTERS[Grouping(grouping)], KIND_FILTERS[Sameness(same)]
    shared: dict[str, Any] = {}
    for name, value in values.items():
        if name in LIST_NAMES and value not in (None, "") and LIST_NAMES[name] != thing:
            shared[LIST_NAMES[name]] = value.pk if isinstance(value, Model) else value
    if kind == "exact_category":
        shared.pop("category", None)
    shared["counted"] = COUNTED_INCIDENTS
    prefix = f"{cached_reverse('servicedesk:ticket-list')}?{urlencode(shared)}"
    return lambda row: f"{prefix}&{thing}={row.subject_id}&{kind}={row.kind_id}"


def _subject_name(row: RecurringRow) -> str:
    return str(row.subject) if row.subject is not None else "–"


def _kind_name(row: RecurringRow) -> str:
    return str(row.kind) if row.kind is not None else "–"


def _recurring_columns(grouping: str, window: int, link: Callable[[RecurringRow], str]) -> list[Column]:
    thing = {
        Grouping.ASSET: gettext_lazy("Equipment"),
        Grouping.SITE: gettext_lazy("Site"),
        Grouping.MODEL: gettext_lazy("Model"),
    }[Grouping(grouping)]
    columns = [Column(thing, _subject_name)]
    if grouping == Grouping.ASSET:
        columns += [
            Column(gettext_lazy("Type"), lambda r: r.subject.asset_type.name if r.subject else ""),
            Column(gettext_lazy("Site"), lambda r: r.subject.site.name if r.subject else ""),
            Column(gettext_lazy("Member"), lambda r: r.subject.site.member.name if r.subject else ""),
        ]
    elif grouping == Grouping.SITE:
        columns += [
            Column(gettext_lazy("Kind of site"), lambda r: r.subject.kind.name if r.subject else ""),
            Column(gettext_lazy("Member"), lambda r: r.subject.member.name if r.subject else ""),
        ]
    else:
        columns += [Column(gettext_lazy("Type"), lambda r: r.subject.asset_type.name if r.subject else "")]
    return [
        *columns,
        Column(gettext_lazy("Incidents of the kind"), _kind_name),
        Column(_("Most incidents within %(days)s days") % {"days": window}, lambda r: r.peak),
        Column(gettext_lazy("Incidents in the period"), lambda r: r.total),
        Column(gettext_lazy("Last incident"), lambda r: r.last_at),
        Column(
            _("Latest tickets (%(count)s at most)") % {"count": TICKETS_PER_ROW},
            lambda r: ", ".join(str(t.number) for t in r.tickets),
        ),
        Column(gettext_lazy("All its tickets, in the ticket list"), link),
    ]


def _interval(low: float, high: float) -> str:
    return f"{low:.1f} – {high:.1f}"


RATE_COLUMNS = [
    Column(gettext_lazy("Type"), lambda r: r.model.asset_type.name),
    Column(gettext_lazy("Model"), lambda r: str(r.model)),
    Column(gettext_lazy("Assets"), lambda r: r.assets),
    Column(gettext_lazy("Incidents"), lambda r: r.rate.events),
    Column(gettext_lazy("Asset-years"), lambda r: round(r.rate.years, 2)),
    Column(gettext_lazy("Failures per 100 assets per year"), lambda r: _round(r.rate.per_100)),
    Column(gettext_lazy("95 % interval, low"), lambda r: _round(r.rate.interval[0])),
    Column(gettext_lazy("95 % interval, high"), lambda r: _round(r.rate.interval[1])),
    Column(gettext_lazy("Fleet incidents"), lambda r: r.fleet.events),
    Column(gettext_lazy("Fleet asset-years"), lambda r: round(r.fleet.years, 2)),
    Column(gettext_lazy("Fleet rate"), lambda r: _round(r.fleet.per_100)),
    Column(gettext_lazy("Fleet 95 % interval, low"), lambda r: _round(r.fleet.interval[0])),
    Column(gettext_lazy("Fleet 95 % interval, high"), lambda r: _round(r.fleet.interval[1])),
    Column(gettext_lazy("Ratio to the fleet"), lambda r: _round(r.ratio, 2)),
    Column(gettext_lazy("Ratio 95 % interval, low"), lambda r: _round(r.ratio_interval[0], 2)),
    Column(gettext_lazy("Ratio 95 % interval, high"), lambda r: _round(r.ratio_interval[1], 2)),
    Column(gettext_lazy("p-value (one-sided)"), lambda r: float(f"{r.p_value:.3g}")),
    Column(gettext_lazy("Abnormal"), lambda r: _("yes") if r.abnormal else _("no")),
]


def _round(value: float | None, digits: int = 1) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):  # NaN, ∞
        return None
    return round(value, digits)


def _rates_chart(rates: list[ModelRate]) -> Chart | None:
    shown = [r for r in rates if r.rate.per_100 is not None][:CHART_MODELS]
    if not shown:
        return None
    return bar_chart(
        title=_("Failures per 100 assets per year, by model and against its fleet"),
        labels=[f"{r.model} ({r.model.asset_type})" for r in shown],
        series={
            _("Model"): [r.rate.per_100 or 0.0 for r in shown],
            _("Rest of the fleet of the type"): [r.fleet.per_100 or 0.0 for r in shown],
        },
        value_label=_("failures per 100 assets per year"),
        horizontal=True,
        label_header=_("Model"),
    )


TABLES: dict[str, str] = {
    "assets": Grouping.ASSET,
    "sites": Grouping.SITE,
    "models": Grouping.MODEL,
}
# Each export's sheet and file are named as the page heads its table.
TABLE_TITLES = {
    "assets": gettext_lazy("Recurring equipment"),
    "sites": gettext_lazy("Recurring sites"),
    "models": gettext_lazy("Recurring models"),
    "rates": gettext_lazy("Models with an abnormal failure rate"),
}


def _page_number(value: str | None) -> int:
    """A table's page from the query; anything but a positive number is the first."""
    number = whole_number(value or "")
    return number if number else 1


@member_area
def recurring_page(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    filters = InsightFilter(scope, request.GET)
    del filters.fields["step"]  # the dashboard's volumes by period: nothing here reads it
    values = filters.values()
    recurrence = RecurrenceForm(request.GET)
    window, min_count, same = recurrence.values()
    tickets = filters.tickets()
    fleet = _fleet(request, values)
    # The equipment the tickets may name: through its door only. The page's member, site
    # and kind of site are the tickets' (as in the ticket list a row links to), not the
    # equipment's; the exposure of the failure rates is the filtered fleet's.
    named = Asset.objects.visible_to(scope)

    def table_of(grouping: str, *, limit: int, offset: int = 0, tickets_per_row: int = 0) -> RecurringTable:
        return recurring_table(
            tickets,
            grouping=grouping,
            same=same,
            window_days=window,
            min_count=min_count,
            assets=named,
            limit=limit,
            offset=offset,
            tickets_per_row=tickets_per_row,
        )

    def rates() -> list[ModelRate]:
        return failure_rates(tickets, fleet, start=values["start"], end=values["end"])

    asked = export_request(request, filters, recurrence)
    if asked.fmt:
        table = single_value(request.GET, "table") or ""
        columns: list[Column]
        rows: list[Any]
        if table == "rates":
            columns, rows = RATE_COLUMNS, rates()
        elif table in TABLES:
            grouping = TABLES[table]
            link = _tickets_link(values, grouping, same)
            columns = _recurring_columns(grouping, window, lambda r: request.build_absolute_uri(link(r)))
            rows = table_of(grouping, limit=EXPORT_LIMIT, tickets_per_row=TICKETS_PER_ROW).rows
        else:
            raise Http404
        return export_response(columns, rows, title=TABLE_TITLES[table], fmt=asked.fmt)

    params = request.GET.copy()
    for name in ("export", "table"):
        params.pop(name, None)
    sections = {}
    for name, grouping in TABLES.items():
        param = f"{name}_page"
        page = _page_number(request.GET.get(param))
        found = table_of(grouping, limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
        if not found.rows and page > 1:  # beyond the last page (the filters changed): the first
            page, found = 1, table_of(grouping, limit=PAGE_ROWS)
        link = _tickets_link(values, grouping, same)
        sections[name] = Section(
            grouping=grouping,
            lines=[(row, link(row)) for row in found.rows],
            count=found.count,
            things=found.things,
            page=page,
            param=param,
            query=_without(params, param),
        )
    model_rates = rates()
    return render(
        request,
        "insights/recurring.html",
        {
            "filters": filters,
            "recurrence": recurrence,
            "window": window,
            "min_count": min_count,
            "same": same,
            "same_label": Sameness(same).label,
            "start": values["start"],
            "end": values["end"],
            "period_notes": filters.period_notes(),
            "sections": sections,
            "rates": model_rates,
            "abnormal": [r for r in model_rates if r.abnormal],
            "chart": _rates_chart(model_rates),
            # The exports take every row: no page number.
            "query": _without(params, *(section.param for section in sections.values())).rstrip("&"),
            "is_staff": scope.is_operator_staff,
            "filter_errors": bool(filters.errors or recurrence.errors),
        },
        status=asked.status,
    )


def _without(params: QueryDict, *names: str) -> str:
    """`params` without `names`, ready to append a value to: "a=1&" (or "")."""
    rest = params.copy()
    for name in names:
        rest.pop(name, None)
    query = rest.urlencode()
    return f"{query}&" if query else ""
