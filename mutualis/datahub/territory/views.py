"""The territory dashboards (issue 7, clause 4): /territory/ and its commune, member and
sensor pages, for the operator's staff, members' users and elected officials.

Every read goes through `selectors.visible_sensors(scope)` (the tenancy door); a commune,
member or sensor the scope may not see is a 404, the same as one that does not exist. Each
page's tables and charts download as CSV or XLSX with `?export=csv|xlsx&table=<name>`.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mutualis.insights.charts import Chart
from mutualis.lib.query_strings import single_value
from mutualis.lib.storable_text import is_storable
from mutualis.lib.tabular import EXPORT_FORMATS, Column, export_response
from mutualis.people.tenancy import ScopedRequest, get_visible_or_404
from mutualis.registry.models import Commune, Member, MemberKind
from mutualis.web.decorators import member_area

from ..models import Entity
from . import figures, mapview, presentation, summaries
from .periods import PeriodForm
from .selectors import Sensor, State, communes_visible, load_sensors, thresholds, visible_sensors
from .sensor_page import sensor_page


def _export(
    found: dict[str, presentation.Table | Chart], name: str | None, fmt: str, place: str
) -> HttpResponse:
    """The table or chart `name` (None: several were asked for) as a file; 404 for no such one."""
    target = found.get(name) if name is not None else None
    if target is None:
        raise Http404
    # A table and a chart's data alike: headers and rows.
    columns = [Column(header, itemgetter(i)) for i, header in enumerate(target.columns)]
    return export_response(columns, target.rows, title=f"{place} – {target.title}", fmt=fmt)


def _commune_points(communes: list[Commune], sensors: list[Sensor], *, link: bool) -> list[mapview.Point]:
    attention = {s.commune.pk for s in sensors if s.commune and s.state == State.ATTENTION}
    counts: dict[int, int] = {}
    for s in sensors:
        if s.commune:
            counts[s.commune.pk] = counts.get(s.commune.pk, 0) + 1
    points = []
    for commune in communes:
        if commune.latitude is None or commune.longitude is None:
            continue
        count = counts.get(commune.pk, 0)
        if not count and len(communes) > 1:
            # A département's 259 communes, most without a sensor, would bury the map in names.
            continue
        title = ngettext("%(name)s: %(count)s sensor", "%(name)s: %(count)s sensors", count) % {
            "name": commune.name,
            "count": count,
        }
        if commune.pk in attention:
            title += " – " + _("some need attention")
        points.append(
            mapview.Point(
                lon=float(commune.longitude),
                lat=float(commune.latitude),
                label=commune.name,
                url=reverse("territory:commune", args=[commune.code]) if link else "",
                state=State.ATTENTION if commune.pk in attention else State.OK,
                title=title,
            )
        )
    return points


def _dashboard(
    request: ScopedRequest,
    *,
    rows: QuerySet[Entity],
    title: str,
    communes: list[Commune],
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    scope = request.scope
    now = timezone.now()
    form = PeriodForm(request.GET or None)
    period = form.chosen(now)
    sensors = load_sensors(rows, now)
    if not sensors:
        return render(
            request,
            "datahub/territory/dashboard.html",
            {
                "title": title,
                "sensor_count": 0,
                "no_sensors": _("%(place)s has no connected sensor on Mutualis yet.") % {"place": title},
                **(extra or {}),
            },
        )
    board = figures.dashboard(sensors, period, thresholds(scope.operator_id, sensors), now)
    board_sections = presentation.sections(board)
    sensor_table = presentation.sensor_table(sensors)
    found = presentation.exportable(board_sections, [sensor_table])
    fmt = request.GET.get("export", "")
    if fmt in EXPORT_FORMATS:
        return _export(found, single_value(request.GET, "table"), fmt, title)
    kinds = sorted({s.sdm.name for s in sensors}, key=lambda k: list(mapview.SHAPES).index(k))
    territory_map = mapview.draw_for_screens(
        title=_("Map of %(place)s") % {"place": title},
        communes=_commune_points(communes, sensors, link=False),
        sites=presentation.site_points(sensors),
        sensors=presentation.map_points(sensors),
    )
    return render(
        request,
        "datahub/territory/dashboard.html",
        {
            "title": title,
            "form": form,
            "period": period,
            "summary": summaries.summary(board),
            "sections": board_sections,
            "sensor_table": sensor_table,
            "territory_map": territory_map,
            "legend": mapview.legend(kinds),
            "sensor_count": len(sensors),
            "attention": [s for s in sensors if s.state == State.ATTENTION],
            "query": period.query(),
            **(extra or {}),
        },
    )


def _in_commune(commune: Commune) -> Q:
    """Sensors of a commune: at a site in it, or (without a site) of the commune's own tenant."""
    return Q(site__commune=commune) | Q(
        site__isnull=True, tenant__member__kind=MemberKind.COMMUNE, tenant__member__commune=commune
    )


@member_area
def territory(request: ScopedRequest) -> HttpResponse:
    """The operator's staff: their territory's communes; a member's people: their member."""
    scope = request.scope
    if not scope.is_operator_staff and scope.member is not None:
        return _member_dashboard(request, scope.member)
    return _overview(request)


def _overview(request: ScopedRequest) -> HttpResponse:
    scope = request.scope
    now = timezone.now()
    sensors = load_sensors(visible_sensors(scope), now)
    by_commune: dict[int, list[Sensor]] = {}
    members: dict[int, int] = {}
    for sensor in sensors:
        if sensor.commune is not None:
            by_commune.setdefault(sensor.commune.pk, []).append(sensor)
        if sensor.member_id is not None:
            members[sensor.member_id] = members.get(sensor.member_id, 0) + 1
    communes = sorted({s.commune.pk: s.commune for s in sensors if s.commune}.values(), key=lambda c: c.name)
    commune_table = presentation.Table(
        "communes",
        _("Communes with sensors"),
        [_("Commune"), _("Sensors"), _("Needing attention"), _("Without recent data")],
        [
            [
                c.name,
                len(by_commune[c.pk]),
                sum(1 for s in by_commune[c.pk] if s.state == State.ATTENTION),
                sum(1 for s in by_commune[c.pk] if s.state == State.SILENT),
            ]
            for c in communes
        ],
        [reverse("territory:commune", args=[c.code]) for c in communes],
    )
    member_rows = list(Member.objects.visible_to(scope).filter(pk__in=list(members)).order_by("name"))
    member_table = presentation.Table(
        "members",
        _("Members with sensors"),
        [_("Member"), _("Sensors")],
        [[m.name, members[m.pk]] for m in member_rows],
        [reverse("territory:member", args=[m.pk]) for m in member_rows],
    )
    attention = [s for s in sensors if s.state == State.ATTENTION]
    attention_table = presentation.sensor_table(attention)
    attention_table.name, attention_table.title = "attention", _("Sensors needing attention")
    fmt = request.GET.get("export", "")
    if fmt in EXPORT_FORMATS:
        tables = {t.name: t for t in (commune_table, member_table, attention_table)}
        return _export(tables, single_value(request.GET, "table"), fmt, _("Territory"))  # type: ignore[arg-type]
    territory_map = mapview.draw_for_screens(
        title=_("Map of the communes with sensors"),
        communes=_commune_points(communes, sensors, link=True),
        sites=[],
        sensors=[],
    )
    return render(
        request,
        "datahub/territory/overview.html",
        {
            "territory_map": territory_map,
            "tables": [commune_table, member_table, attention_table],
            "sensor_count": len(sensors),
            "attention_count": len(attention),
        },
    )


def _member_dashboard(request: ScopedRequest, member: Member) -> HttpResponse:
    rows = visible_sensors(request.scope).filter(Q(tenant__member=member) | Q(site__member=member))
    communes = list(member.territory_communes().order_by("name")[:300])
    return _dashboard(
        request,
        rows=rows,
        title=member.name,
        communes=communes,
        extra={"member": member},
    )


@member_area
def member(request: ScopedRequest, pk: int) -> HttpResponse:
    return _member_dashboard(request, get_visible_or_404(Member, request.scope, pk=pk))


@member_area
def commune(request: ScopedRequest, code: str) -> HttpResponse:
    # No commune's code holds a NUL, which PostgreSQL refuses in a query (a 500).
    if not is_storable(code):
        raise Http404
    place = communes_visible(request.scope).filter(code=code).first()
    if place is None:
        raise Http404
    rows = visible_sensors(request.scope).filter(_in_commune(place))
    return _dashboard(
        request,
        rows=rows,
        title=place.name,
        communes=[place],
        extra={"commune": place},
    )


@member_area
def sensor(request: ScopedRequest, pk: int) -> HttpResponse:
    now = timezone.now()
    found = load_sensors(visible_sensors(request.scope).filter(pk=pk), now)
    if not found:
        raise Http404
    return sensor_page(request, found[0], now)
