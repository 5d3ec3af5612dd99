"""The incidentology dashboard (/insights/): the operator's staff see their operator's
figures, a member's users and elected officials their member's (a site contact, their
sites'), all through the tenancy door. Each panel is also a page of its own
(/insights/panel/<name>/, a whole page with its title taking the same filters, and its tables
as CSV or XLSX with ?export=csv|xlsx), so that each can be opened, timed and downloaded alone;
the dashboard includes them all on the server, and works without script."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualis.lib.query_strings import single_value
from mutualis.lib.tabular import Column, export_response
from mutualis.lib.urls import cached_reverse
from mutualis.people.tenancy import ScopedRequest
from mutualis.web.decorators import member_area
from mutualis.web.exports import export_request

from ..figures import member_month, sentences
from ..filters import InsightFilter
from .dashboard_panels import PANELS, Context, PanelData, dimensions_for, panels_for


def _context(request: ScopedRequest, form: InsightFilter) -> Context:
    return Context(
        scope=request.scope,
        values=form.values(),
        today=timezone.localdate(),
        now=timezone.now(),
        by=_chosen_dimension(request),
        query=form.query(),
    )


def _chosen_dimension(request: ScopedRequest) -> str:
    """The breakdown's dimension `?by=` asks for, when it is one of the person's; else ""
    (the breakdown by category, which its title then says). Only a known code is written
    back into the panels' links: any other text would be carried into them as it came."""
    values = request.GET.getlist("by")
    if len(values) != 1:
        return ""
    return values[0] if values[0] in dimensions_for(request.scope) else ""


def _dashboard_page(request: ScopedRequest, form: InsightFilter, *, status: int = 200) -> HttpResponse:
    scope = request.scope
    ctx = _context(request, form)
    panels = [PANELS[name].build(ctx) for name in panels_for(scope)]
    month = member_month(scope, ctx.today)
    return render(
        request,
        "insights/dashboard.html",
        {
            "form": form,
            "panels": panels,
            "query": ctx.query,
            "month_sentences": sentences(month),
            "by": ctx.by,
            "period_notes": form.period_notes(),
            # Also shown at a panel's address (a refused export): the filters go to the dashboard.
            "action": cached_reverse("insights:dashboard"),
        },
        status=status,
    )


@member_area
def dashboard(request: ScopedRequest) -> HttpResponse:
    return _dashboard_page(request, InsightFilter(request.scope, request.GET))


@member_area
def panel(request: ScopedRequest, name: str) -> HttpResponse:
    scope = request.scope
    if name not in panels_for(scope):
        raise Http404
    form = InsightFilter(scope, request.GET)
    asked = export_request(request, form)
    if asked.refused:
        # A panel's downloads are links of the dashboard: the dashboard answers, with the errors.
        return _dashboard_page(request, form, status=asked.status)
    ctx = _context(request, form)
    data = PANELS[name].build(ctx)
    if asked.fmt:
        return export(data, single_value(request.GET, "table"), asked.fmt)
    return render(
        request,
        "insights/panel.html",
        {"panel": data, "query": ctx.query, "by": ctx.by, "form": form, "period_notes": form.period_notes()},
    )


def export(data: PanelData, table: str | None, fmt: str) -> HttpResponse:
    """One of the panel's tables: its key figures ("facts") or its n-th chart's data (the
    first when none is named); None, several named, is none of them."""
    if table is None:
        raise Http404
    if table == "facts":
        columns = [
            Column(_("Figure"), lambda f: f.label),
            Column(_("Value"), lambda f: f.value),
            Column(_("Unit"), lambda f: f.unit),
        ]
        return export_response(
            columns, data.facts, title=_("%(title)s: key figures") % {"title": data.title}, fmt=fmt
        )
    try:
        chart = data.charts[int(table or 0)]
    except (ValueError, IndexError) as exc:
        raise Http404 from exc
    chart_columns = [Column(header, itemgetter(i)) for i, header in enumerate(chart.columns)]
    rows: list[Any] = chart.rows
    return export_response(chart_columns, rows, title=chart.title, fmt=fmt)
