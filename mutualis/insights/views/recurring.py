"""The recurring-failures page: recurring equipment, sites and models, and the models that
fail abnormally often; every table as CSV or XLSX with `?export=csv|xlsx&table=…`.

Everything read goes through the tenancy door: the tickets of `InsightFilter` (that is,
`Ticket.objects.visible_to`) and `Asset.objects.visible_to` for the fleet's exposure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mutualis.lib.tabular import Column, export_response
from mutualis.people.tenancy import ScopedRequest
from mutualis.registry.models import Asset
from mutualis.web.decorators import member_area
from mutualis.web.exports import export_request

from ..charts import Chart, bar_chart
from ..failure_rates import ModelRate, failure_rates
from ..filters import InsightFilter
from ..recurring import (
    DEFAULT_MIN_COUNT,
    DEFAULT_WINDOW_DAYS,
    Grouping,
    RecurringRow,
    Sameness,
    recurring,
)

# A page lists this many rows per table; the export takes them all (up to EXPORT_LIMIT).
PAGE_ROWS = 100
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
    """One recurring table: its rows (one more than shown tells there are more)."""

    grouping: str
    rows: list[RecurringRow]
    truncated: bool
    things: int  # distinct assets, sites or models named


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


def _subject_name(row: RecurringRow) -> str:
    return str(row.subject) if row.subject is not None else "–"


def _kind_name(row: RecurringRow) -> str:
    return str(row.kind) if row.kind is not None else "–"


def _recurring_columns(grouping: str, window: int) -> list[Column]:
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
        Column(gettext_lazy("Tickets"), lambda r: ", ".join(str(t.number) for t in r.tickets)),
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

    def rows_for(grouping: str, limit: int) -> list[RecurringRow]:
        return recurring(
            tickets,
            grouping=grouping,
            same=same,
            window_days=window,
            min_count=min_count,
            assets=fleet,
            limit=limit,
        )

    def rates() -> list[ModelRate]:
        return failure_rates(tickets, fleet, start=values["start"], end=values["end"])

    asked = export_request(request, filters, recurrence)
    if asked.fmt:
        table = request.GET.get("table", "")
        columns: list[Column]
        rows: list[Any]
        if table == "rates":
            columns, rows = RATE_COLUMNS, rates()
        elif table in TABLES:
            columns, rows = _recurring_columns(TABLES[table], window), rows_for(TABLES[table], EXPORT_LIMIT)
        else:
            raise Http404
        return export_response(columns, rows, filename=f"recurring-{table}", fmt=asked.fmt)

    sections = {}
    for name, grouping in TABLES.items():
        found = rows_for(grouping, PAGE_ROWS + 1)
        sections[name] = Section(
            grouping=grouping,
            rows=found[:PAGE_ROWS],
            truncated=len(found) > PAGE_ROWS,
            things=len({r.subject_id for r in found}),
        )
    model_rates = rates()
    params = request.GET.copy()
    for name in ("export", "table"):
        params.pop(name, None)
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
            "sections": sections,
            "rates": model_rates,
            "abnormal": [r for r in model_rates if r.abnormal],
            "chart": _rates_chart(model_rates),
            "query": params.urlencode(),
            "is_staff": scope.is_operator_staff,
            "filter_errors": bool(filters.errors or recurrence.errors),
        },
        status=asked.status,
    )
