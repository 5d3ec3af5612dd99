"""Anticipation pages (issue 5, item 3): the forecast of requests per category with its
intervals and past accuracy, and the equipment likely to fail soon. Operator staff only:
forecasts are computed for the operator's whole activity (docs/insights-method.md says why
members get none); a member's user gets a 403 like on any staff page.

Both pages read what the job `insights.forecast` stored (fast); the button queues a new
computation. Every table exports with `?export=csv|xlsx&table=…`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mutualis.lib.query_strings import single_value
from mutualis.lib.tabular import EXPORT_FORMATS, Column, export_response
from mutualis.people.tenancy import Scope, ScopedRequest
from mutualis.registry.models import AssetType, Member, SiteKind
from mutualis.web.decorators import operator_staff_only
from mutualis.web.exports import export_request

from .. import forecast_texts
from ..charts import Chart, line_chart
from ..forecast_batches import latest_batch, pending_batch, request_forecast
from ..models import AssetRisk, ForecastBatch, ForecastRun

# The chart shows this much history before the forecast.
CHART_HISTORY_WEEKS = 52
ASSETS_PER_PAGE = 50
TABLES = ("summary", "weekly", "monthly", "backtest")
# Each export's sheet and file are named as the page's download links name them.
TABLE_TITLES = {
    "summary": gettext_lazy("Forecasts"),
    "weekly": gettext_lazy("weekly forecasts"),
    "monthly": gettext_lazy("monthly forecasts"),
    "backtest": gettext_lazy("backtest points"),
}


def _week_label(iso: str) -> str:
    return formats.date_format(dt.date.fromisoformat(iso), "SHORT_DATE_FORMAT")


def _month_label(iso: str) -> str:
    return formats.date_format(dt.date.fromisoformat(iso), "YEAR_MONTH_FORMAT")


def forecast_chart(run: ForecastRun) -> Chart:
    """History (the last year), then the forecast and its 95 % interval."""
    history = run.history[-CHART_HISTORY_WEEKS:]
    weekly = run.weekly
    labels = [_week_label(h["week"]) for h in history] + [_week_label(w["week"]) for w in weekly]
    gap: list[float | None] = [None] * len(weekly)
    observed: list[float | None] = [float(h["count"]) for h in history]
    observed += gap
    # The forecast line starts at the last observed week, so the two lines join.
    joined: list[float | None] = [None] * max(len(history) - 1, 0)
    if history:
        joined.append(observed[len(history) - 1])
    predicted = joined + [round(w["mean"], 1) for w in weekly]
    has_band = bool(weekly) and "lo95" in weekly[0]
    band = (
        (
            [None] * len(history) + [w["lo95"] for w in weekly],
            [None] * len(history) + [w["hi95"] for w in weekly],
        )
        if has_band
        else None
    )
    return line_chart(
        title=_("Requests per week: %(series)s") % {"series": run.name},
        x_labels=labels,
        series={_("Observed"): observed, _("Forecast"): predicted},
        value_label=_("requests"),
        band=band,
        band_label=_("95 % interval"),
    )


def _summary_columns() -> list[Column]:
    return [
        Column(_("Series"), lambda r: r.name),
        Column(_("Method"), lambda r: forecast_texts.METHODS.get(r.method, r.method)),
        Column(_("Next 4 weeks (forecast)"), lambda r: round(sum(w["mean"] for w in r.weekly[:4]), 1)),
        Column(_("Next month (forecast)"), lambda r: round(r.monthly[0]["mean"], 1) if r.monthly else None),
        Column(_("Mean error (forecast)"), lambda r: _round(r.backtest.get("mae"))),
        Column(_("Mean error (naive)"), lambda r: _round(r.backtest.get("mae_naive"))),
        Column(_("MASE (forecast)"), lambda r: _round(r.backtest.get("mase"), 2)),
        Column(_("MASE (naive)"), lambda r: _round(r.backtest.get("mase_naive"), 2)),
    ]


def _round(value: Any, places: int = 1) -> float | None:
    return round(float(value), places) if value is not None else None


def _interval_columns() -> list[Column]:
    return [
        Column(_("Forecast"), lambda r: _round(r[1]["mean"])),
        Column(_("80 % interval, low"), lambda r: r[1].get("lo80")),
        Column(_("80 % interval, high"), lambda r: r[1].get("hi80")),
        Column(_("95 % interval, low"), lambda r: r[1].get("lo95")),
        Column(_("95 % interval, high"), lambda r: r[1].get("hi95")),
        Column(_("Same period last year"), lambda r: _round(r[1].get("last_year"))),
    ]


def _export(request: ScopedRequest, runs: list[ForecastRun]) -> HttpResponse | None:
    fmt, table = request.GET.get("export"), single_value(request.GET, "table", "summary")
    if fmt not in EXPORT_FORMATS:
        return None
    if table not in TABLES:
        raise Http404
    series = Column(_("Series"), lambda r: r[0].name)
    if table == "weekly":
        columns = [
            series,
            Column(_("Week of"), lambda r: dt.date.fromisoformat(r[1]["week"])),
            *_interval_columns(),
        ]
        rows: list[Any] = [(run, w) for run in runs for w in run.weekly]
    elif table == "monthly":
        columns = [
            series,
            Column(_("Month"), lambda r: dt.date.fromisoformat(r[1]["month"])),
            *_interval_columns(),
        ]
        rows = [(run, m) for run in runs for m in run.monthly]
    elif table == "backtest":
        columns = [
            series,
            Column(_("Forecast made on"), lambda r: dt.date.fromisoformat(r[1]["origin"])),
            Column(_("Week of"), lambda r: dt.date.fromisoformat(r[1]["week"])),
            Column(_("Weeks ahead"), lambda r: r[1]["h"]),
            Column(_("Observed"), lambda r: r[1]["actual"]),
            Column(_("Forecast"), lambda r: r[1]["forecast"]),
            Column(_("Naive forecast"), lambda r: r[1]["naive"]),
            Column(_("95 % interval, low"), lambda r: r[1]["lo95"]),
            Column(_("95 % interval, high"), lambda r: r[1]["hi95"]),
        ]
        rows = [(run, p) for run in runs for p in run.backtest.get("rows", [])]
    else:
        columns, rows = _summary_columns(), runs
    return export_response(columns, rows, title=capfirst(TABLE_TITLES[table]), fmt=fmt)


@operator_staff_only
def forecast_page(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    batch = latest_batch(scope)
    runs = list(ForecastRun.objects.visible_to(scope).filter(batch=batch)) if batch else []
    download = _export(request, runs)
    if download is not None:
        return download
    chosen = next((r for r in runs if r.series_key == request.GET.get("series")), runs[0] if runs else None)
    summary_columns = _summary_columns()
    return render(
        request,
        "insights/forecast.html",
        {
            "batch": batch,
            "pending": pending_batch(scope),
            "runs": runs,
            "summary_headers": [c.header for c in summary_columns],
            "summary_rows": [(run, [c.value(run) for c in summary_columns]) for run in runs],
            "chosen": chosen,
            "chart": forecast_chart(chosen) if chosen and chosen.weekly else None,
            "method": forecast_texts.METHODS.get(chosen.method, "") if chosen else "",
            "notes": [forecast_texts.NOTES.get(n, n) for n in chosen.notes] if chosen else [],
            "weekly": [(_week_label(w["week"]), w) for w in chosen.weekly] if chosen else [],
            "monthly": [(_month_label(m["month"]), m) for m in chosen.monthly] if chosen else [],
            "backtest": chosen.backtest if chosen else {},
            "backtest_sentence": forecast_texts.backtest_sentence(chosen.backtest) if chosen else "",
            "query": f"series={chosen.series_key}" if chosen else "",
        },
    )


@require_POST
@operator_staff_only
def compute(request: ScopedRequest) -> HttpResponse:
    """Queue a computation now (the daily one runs anyway); a second click while one is
    waiting or running queues nothing more."""
    operator = request.scope.operator
    if operator is None:  # operator staff always act for an operator
        raise Http404
    request_forecast(operator=operator, by=request.user)
    messages.success(request, _("The forecast is being computed; this page shows it when it is done."))
    return redirect(reverse("insights:forecast"))


class AssetRiskFilter(forms.Form):
    asset_type = forms.ModelChoiceField(
        label=gettext_lazy("Type of equipment"), queryset=AssetType.objects.none(), required=False
    )
    member = forms.ModelChoiceField(
        label=gettext_lazy("Member"), queryset=Member.objects.none(), required=False
    )
    site_kind = forms.ModelChoiceField(
        label=gettext_lazy("Kind of site"), queryset=SiteKind.objects.none(), required=False
    )

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["asset_type"].queryset = AssetType.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["member"].queryset = Member.objects.visible_to(scope).order_by("name")  # type: ignore[attr-defined]
        self.fields["site_kind"].queryset = SiteKind.objects.filter(is_active=True)  # type: ignore[attr-defined]

    def apply(self, risks: Any) -> Any:
        if not self.is_bound or not self.is_valid():
            return risks
        data = self.cleaned_data
        if data.get("asset_type"):
            risks = risks.filter(asset__asset_type=data["asset_type"])
        if data.get("member"):
            risks = risks.filter(asset__site__member=data["member"])
        if data.get("site_kind"):
            risks = risks.filter(asset__site__kind=data["site_kind"])
        return risks


def _asset_columns() -> list[Column]:
    return [
        Column(_("Inventory tag"), lambda r: r.asset.inventory_tag),
        Column(_("Type"), lambda r: r.asset.asset_type),
        Column(_("Model"), lambda r: r.asset.model or ""),
        Column(_("Site"), lambda r: r.asset.site),
        Column(_("Member"), lambda r: r.asset.site.member),
        Column(_("Expected incidents in 90 days"), lambda r: round(r.expected, 2)),
        Column(_("Probability of an incident in 90 days (%)"), lambda r: round(100 * r.probability, 1)),
        Column(_("Why"), lambda r: "; ".join(forecast_texts.explanation(r.factors))),
    ]


@operator_staff_only
def assets_page(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    batch: ForecastBatch | None = latest_batch(scope)
    form = AssetRiskFilter(scope, request.GET or None)
    risks = form.apply(
        AssetRisk.objects.with_list_related()
        .filter(batch=batch)
        .visible_to(scope)
        .order_by("-expected", "asset_id")
        if batch
        else AssetRisk.objects.none()
    )
    asked = export_request(request, form)
    if asked.fmt:
        return export_response(
            _asset_columns(),
            risks.iterator(chunk_size=1000),
            title=_("Equipment likely to fail soon"),
            fmt=asked.fmt,
        )
    page = Paginator(risks, ASSETS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    asset_model = batch.asset_model if batch else {}
    return render(
        request,
        "insights/forecast_assets.html",
        {
            "batch": batch,
            "pending": pending_batch(scope),
            "form": form,
            "page": page,
            "start": (page.number - 1) * ASSETS_PER_PAGE,
            "rows": [(risk, forecast_texts.explanation(risk.factors)) for risk in page.object_list],
            "query": query.urlencode(),
            "asset_model": asset_model,
            "asset_notes": [forecast_texts.ASSET_NOTES.get(n, n) for n in asset_model.get("notes", [])],
        },
        status=asked.status,
    )
