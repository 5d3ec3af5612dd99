"""The dashboard's panels: each turns measures (insights.measures) into figures, charts and
tables, every number linked to the tickets behind it when the lists can show exactly them
(filters.drill_down_url), else to the tickets it was computed from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.db.models import QuerySet
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mutualis.people.tenancy import Scope
from mutualis.servicedesk.models import Target, Ticket, TicketState
from mutualis.servicedesk.satisfaction.forms import month_label

from .. import durations, measures
from ..charts import Chart, bar_chart, line_chart, number
from ..figures import duration_text, percent
from ..filters import DAY, DIMENSIONS, MONTH, WEEK, copies_for_values, drill_down_url, tickets_for_values
from ..measures import BY_CATEGORY, BY_MEMBER, BY_SITE, BY_SITE_KIND, BY_TEAM

# A breakdown's chart shows this many values; its table and export list them all.
TOP_VALUES = 15
TOP_LINES = 5


@dataclass(frozen=True)
class Fact:
    label: str
    value: Any  # the number, for exports
    shown: str  # as people read it
    link: str | None = None
    # The unit of `value` in the exports ("%", hours), where the label does not say it: the
    # exported 0.49 of a median time was a number of nothing.
    unit: str = ""


@dataclass
class PanelData:
    name: str
    title: str
    intro: str = ""
    facts: list[Fact] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    link: str | None = None  # the tickets every figure of the panel was computed from
    link_text: str = ""
    # (the whole query string of the choice, label, current)
    choices: list[tuple[str, str, bool]] = field(default_factory=list)
    # Said in place of the charts when the period holds nothing to draw: charts of nothing
    # but zeros, or of no bar at all, left a reader guessing whether the figures had failed.
    # The charts' tables still export (their URLs stay valid), with their zeros.
    empty: str = ""


@dataclass
class Context:
    scope: Scope
    values: dict[str, Any]  # InsightFilter.values()
    today: dt.date
    now: dt.datetime
    by: str = BY_CATEGORY
    query: str = ""  # the filter's query string, for links between views of a panel

    @property
    def staff(self) -> bool:
        return self.scope.is_operator_staff

    @property
    def start(self) -> dt.date:
        return self.values["start"]

    @property
    def end(self) -> dt.date:
        return self.values["end"]

    @property
    def step(self) -> str:
        return self.values["step"]

    def tickets(self) -> QuerySet[Ticket]:
        return tickets_for_values(self.scope, self.values)

    def copies(self) -> QuerySet[Any]:
        """The same tickets, from their narrow copies (insights.ticket_facts): for the
        panels that read every ticket of the period (volumes, breakdowns, durations,
        service levels, reopenings)."""
        return copies_for_values(self.scope, self.values)

    def query_with(self, **override: str) -> str:
        """This filter's query string with `override` in place of the same names: a link
        to another view of a panel (each name once, where appending repeated it)."""
        kept = [
            (name, value)
            for name, value in parse_qsl(self.query, keep_blank_values=True)
            if name not in override
        ]
        return urlencode([*kept, *override.items()])

    def drill(self, **filters: Any) -> str:
        """The list of the tickets behind a figure: this filter's, narrowed by `filters`."""
        base = {k: v for k, v in self.values.items() if k in ("start", "end", *DIMENSIONS)}
        return drill_down_url(self.scope, **{**base, **filters})


def period_label(first_day: dt.date, step: str) -> str:
    if step == MONTH:
        return month_label(first_day)
    if step == WEEK:
        return _("week of %(date)s") % {"date": formats.date_format(first_day, "SHORT_DATE_FORMAT")}
    return formats.date_format(first_day, "SHORT_DATE_FORMAT")


def _period_links(ctx: Context, firsts: list[dt.date], **filters: Any) -> list[str | None]:
    links: list[str | None] = []
    for first in firsts:
        since, until = measures.period_bounds(first, ctx.step, ctx.start, ctx.end)
        links.append(ctx.drill(start=since, end=until, **filters))
    return links


NOTHING_DECLARED = gettext_lazy("No incident was declared in this period.")
NOTHING_OPEN = gettext_lazy("None of the incidents declared in this period is still open.")

STEP_WORDS = {MONTH: gettext_lazy("per month"), WEEK: gettext_lazy("per week"), DAY: gettext_lazy("per day")}


def volumes_panel(ctx: Context) -> PanelData:
    rows = measures.volumes(ctx.copies(), ctx.start, ctx.end, ctx.step)
    labels = [period_label(p, ctx.step) for p, _n in rows]
    counts = [n for _p, n in rows]
    series_name = _("Incidents declared")
    chart = bar_chart(
        title=_("Incidents declared %(step)s") % {"step": STEP_WORDS[ctx.step]},
        labels=labels,
        series={series_name: counts},
        value_label=_("incidents"),
        label_header=_("Period"),
        links={series_name: _period_links(ctx, [p for p, _n in rows])},
    )
    total = sum(counts)
    facts = [Fact(_("Incidents declared"), total, number(total), ctx.drill())]
    if total:
        peak = max(range(len(rows)), key=lambda i: (counts[i], -i))
        facts.append(
            Fact(
                _("Busiest period"),
                labels[peak],
                f"{labels[peak]} ({number(counts[peak])})",
                chart.links[peak][1],
            )
        )
    intro = _("Incidents declared from %(start)s to %(end)s.") % {
        "start": formats.date_format(ctx.start, "SHORT_DATE_FORMAT"),
        "end": formats.date_format(ctx.end, "SHORT_DATE_FORMAT"),
    }
    steps = [(s, capfirst(str(STEP_WORDS[s])), s == ctx.step) for s in (MONTH, WEEK, DAY)]
    return PanelData(
        "volumes",
        str(PANELS["volumes"].title),
        intro,
        facts,
        [chart],
        ctx.drill(),
        _("See these incidents"),
        choices=[(ctx.query_with(step=s), label, current) for s, label, current in steps],
        empty="" if total else str(NOTHING_DECLARED),
    )


def dimensions_for(scope: Scope) -> dict[str, str]:
    if scope.is_operator_staff:
        return {
            BY_CATEGORY: _("category"),
            BY_SITE_KIND: _("kind of site"),
            BY_MEMBER: _("member"),
            BY_TEAM: _("team"),
        }
    return {BY_CATEGORY: _("category"), BY_SITE: _("site")}


def breakdown_panel(ctx: Context) -> PanelData:
    dimensions = dimensions_for(ctx.scope)
    by = ctx.by if ctx.by in dimensions else BY_CATEGORY
    found = measures.breakdown(ctx.copies(), by, ctx.start, ctx.end, ctx.step)
    nobody = _("No team") if by == BY_TEAM else _("Unknown")
    names = [name or nobody for _key, name, _n in found.totals]
    # The list filters a team, not "no team": that bar has no link of its own.
    links = [ctx.drill(**{by: key}) if key is not None else None for key, _name, _n in found.totals]
    series_name = _("Incidents declared")
    title = _("Incidents by %(dimension)s") % {"dimension": dimensions[by]}
    totals = bar_chart(
        title=title,
        labels=names,
        series={series_name: [n for _k, _name, n in found.totals]},
        value_label=_("incidents"),
        horizontal=True,
        label_header=capfirst(dimensions[by]),
        links={series_name: links},
    )
    if len(found.totals) > TOP_VALUES:  # the chart shows the first ones, the table all
        top = bar_chart(
            title=title,
            labels=names[:TOP_VALUES],
            series={series_name: [n for _k, _name, n in found.totals[:TOP_VALUES]]},
            value_label=_("incidents"),
            horizontal=True,
            label_header=capfirst(dimensions[by]),
            links={series_name: links[:TOP_VALUES]},
        )
        totals = Chart(title=title, svg=top.svg, columns=totals.columns, rows=totals.rows, links=totals.links)
    firsts = measures.periods(ctx.start, ctx.end, ctx.step)
    lines = {
        (name or nobody): [found.by_period.get(key, {}).get(p, 0) for p in firsts]
        for key, name, _n in found.totals[:TOP_LINES]
    }
    over_time = line_chart(
        title=_("The %(count)d most frequent, %(step)s")
        % {"count": len(lines), "step": STEP_WORDS[ctx.step]},
        x_labels=[period_label(p, ctx.step) for p in firsts],
        series=lines,
        value_label=_("incidents"),
        label_header=_("Period"),
    )
    choices = [(ctx.query_with(by=code), capfirst(label), code == by) for code, label in dimensions.items()]
    return PanelData(
        "breakdown",
        str(PANELS["breakdown"].title),
        _("Incidents declared in the period, by %(dimension)s.") % {"dimension": dimensions[by]},
        charts=[totals, over_time] if lines else [totals],
        link=ctx.drill(),
        link_text=_("See these incidents"),
        choices=choices,
        empty="" if found.totals else str(NOTHING_DECLARED),
    )


AGE_WORDS = {
    (0, 1): gettext_lazy("today or yesterday"),
    (2, 7): gettext_lazy("2 to 7 days"),
    (8, 30): gettext_lazy("8 to 30 days"),
    (31, 90): gettext_lazy("31 to 90 days"),
    (91, None): gettext_lazy("more than 90 days"),
}


def backlog_panel(ctx: Context) -> PanelData:
    found = measures.backlog(ctx.tickets(), ctx.today)
    facts = [Fact(_("Open incidents"), found.total, number(found.total), ctx.drill(state="open"))]
    facts += [
        Fact(str(capfirst(TicketState(state).label)), n, number(n), ctx.drill(state=state))
        for state, n in found.by_state.items()
        if n
    ]
    labels, counts, links = [], [], []
    for (first, last), n in found.by_age:
        labels.append(str(AGE_WORDS[(first, last)]))
        counts.append(n)
        since = ctx.today - dt.timedelta(days=last) if last is not None else None
        until = ctx.today - dt.timedelta(days=first)
        since = max(since, ctx.start) if since else ctx.start
        until = min(until, ctx.end)
        links.append(ctx.drill(state="open", start=since, end=until) if since <= until else None)
    series_name = _("Open incidents")
    chart = bar_chart(
        title=_("Open incidents by age"),
        labels=labels,
        series={series_name: counts},
        value_label=_("incidents"),
        label_header=_("Declared"),
        links={series_name: links},
    )
    return PanelData(
        "backlog",
        str(PANELS["backlog"].title),
        _("Incidents declared in the period and not resolved yet, by how long ago they were declared."),
        facts,
        [chart],
        ctx.drill(state="open"),
        _("See the open incidents"),
        empty="" if found.total else str(NOTHING_OPEN),
    )


def _hours_label(low: float, high: float | None) -> str:
    def text(hours: float) -> str:
        return duration_text(hours * 3600)

    if not low:
        return _("less than %(duration)s") % {"duration": text(high or 0)}
    if high is None:
        return _("more than %(duration)s") % {"duration": text(low)}
    return _("%(low)s to %(high)s") % {"low": text(low), "high": text(high)}


def durations_panel(ctx: Context) -> PanelData:
    take, done = durations.take_charge_and_resolution(ctx.copies())
    facts = []
    for name, stats in ((_("taking charge"), take), (_("resolution"), done)):
        facts += [
            Fact(
                _("Median time to %(what)s") % {"what": name},
                _hours(stats.median),
                duration_text(stats.median),
                unit=_("hours"),
            ),
            Fact(
                _("90th percentile, %(what)s") % {"what": name},
                _hours(stats.p90),
                duration_text(stats.p90),
                unit=_("hours"),
            ),
            Fact(_("Incidents measured, %(what)s") % {"what": name}, stats.count, number(stats.count)),
        ]
    chart = bar_chart(
        title=_("Time to take charge and to resolve"),
        labels=[_hours_label(*bounds) for bounds, _n in take.histogram],
        series={
            capfirst(_("taking charge")): [n for _b, n in take.histogram],
            capfirst(_("resolution")): [n for _b, n in done.histogram],
        },
        value_label=_("incidents"),
        label_header=_("Time taken"),
    )
    intro = _(
        "Elapsed time from the declaration to the first response and to the resolution, "
        "for the incidents declared in the period (half took less than the median, nine in ten "
        "less than the 90th percentile)."
    )
    return PanelData(
        "durations",
        str(PANELS["durations"].title),
        intro,
        facts,
        [chart],
        ctx.drill(),
        _("See these incidents"),
        empty=""
        if take.count or done.count
        else _("No incident declared in this period has been taken charge of or resolved yet."),
    )


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def sla_panel(ctx: Context) -> PanelData:
    levels = measures.service_levels(ctx.copies(), ctx.now)
    facts = []
    for name, deadlines, target in (
        (_("take charge"), levels.take_charge, Target.TAKE_CHARGE),
        (_("resolve"), levels.resolve, Target.RESOLVE),
    ):
        share = deadlines.share_met
        facts += [
            Fact(
                _("Deadlines to %(what)s met") % {"what": name},
                None if share is None else round(share, 1),
                "–"
                if share is None
                else _("%(share)s%% (%(met)s of %(decided)s)")
                % {
                    "share": percent(share),
                    "met": number(deadlines.met),
                    "decided": number(deadlines.met + deadlines.missed),
                },
                unit="%",
            ),
            Fact(
                _("Missed deadlines recorded, %(what)s") % {"what": name},
                levels.breaches.get(target, 0),
                number(levels.breaches.get(target, 0)),
            ),
        ]
    met, missed, running = _("Met"), _("Missed"), _("Not yet due")
    chart = bar_chart(
        title=_("Deadlines met and missed"),
        labels=[capfirst(_("take charge")), capfirst(_("resolve"))],
        series={
            met: [levels.take_charge.met, levels.resolve.met],
            missed: [levels.take_charge.missed, levels.resolve.missed],
            running: [levels.take_charge.running, levels.resolve.running],
        },
        value_label=_("incidents"),
        horizontal=True,
        label_header=_("Deadline"),
    )
    intro = _(
        "For the incidents declared in the period with a service level: deadlines met, missed "
        "(late, or past due and still waiting), and not yet due. Cancelled incidents are left out."
    )
    measured = sum(d.met + d.missed + d.running for d in (levels.take_charge, levels.resolve))
    return PanelData(
        "sla",
        str(PANELS["sla"].title),
        intro,
        facts,
        [chart],
        ctx.drill(),
        _("See these incidents"),
        empty="" if measured else _("No incident declared in this period has a service level."),
    )


def reopen_panel(ctx: Context) -> PanelData:
    rows = measures.reopen_rates(ctx.copies(), ctx.start, ctx.end, ctx.step)
    resolved = sum(r for _p, r, _o in rows)
    reopened = sum(o for _p, _r, o in rows)
    rate = 100.0 * reopened / resolved if resolved else None
    facts = [
        Fact(_("Incidents resolved at least once"), resolved, number(resolved)),
        Fact(_("Reopened after being resolved"), reopened, number(reopened)),
        Fact(
            _("Reopen rate"),
            None if rate is None else round(rate, 1),
            "–" if rate is None else f"{percent(rate)} %",
            unit="%",
        ),
    ]
    chart = line_chart(
        title=_("Reopen rate %(step)s (%%)") % {"step": STEP_WORDS[ctx.step]},
        x_labels=[period_label(p, ctx.step) for p, _r, _o in rows],
        series={_("Reopened (%)"): [round(100.0 * o / r, 1) if r else None for _p, r, o in rows]},
        value_label=_("% reopened"),
        label_header=_("Period"),
    )
    return PanelData(
        "reopen",
        str(PANELS["reopen"].title),
        _("Share of the resolved incidents that were put back in progress (by period of declaration)."),
        facts,
        [chart],
        ctx.drill(),
        _("See these incidents"),
        empty="" if resolved else _("No incident declared in this period has been resolved yet."),
    )


def satisfaction_panel(ctx: Context) -> PanelData:
    found = measures.satisfaction(ctx.tickets())
    mean = found.mean
    facts = [
        Fact(_("Ratings"), found.total, number(found.total)),
        Fact(
            _("Mean rating (out of 5)"),
            None if mean is None else round(mean, 2),
            "–" if mean is None else formats.number_format(round(mean, 1), 1),
        ),
    ]
    series_name = _("Ratings")
    chart = bar_chart(
        title=_("Satisfaction ratings"),
        labels=[
            ngettext("%(rating)d star", "%(rating)d stars", r) % {"rating": r} for r in sorted(found.counts)
        ],
        series={series_name: [found.counts[r] for r in sorted(found.counts)]},
        value_label=_("ratings"),
        label_header=_("Rating (1 = very dissatisfied, 5 = very satisfied)"),
    )
    return PanelData(
        "satisfaction",
        str(PANELS["satisfaction"].title),
        _("Ratings given by the requesters of the incidents declared in the period."),
        facts,
        [chart],
        ctx.drill(),
        _("See these incidents"),
        empty="" if found.total else _("No rating was given for the incidents declared in this period."),
    )


def load_panel(ctx: Context) -> PanelData:
    rows = measures.technician_load(ctx.tickets())
    labels = [name if key is not None else _("Unassigned") for key, name, _n in rows]
    links = [ctx.drill(state="open", assignee=key if key is not None else "none") for key, _name, _n in rows]
    series_name = _("Open incidents")
    chart = bar_chart(
        title=_("Open incidents per technician"),
        labels=labels,
        series={series_name: [n for _k, _name, n in rows]},
        value_label=_("open incidents"),
        horizontal=True,
        label_header=_("Assigned to"),
        links={series_name: links},
    )
    return PanelData(
        "load",
        str(PANELS["load"].title),
        _("Open incidents declared in the period, by the person they are assigned to."),
        charts=[chart],
        link=ctx.drill(state="open"),
        link_text=_("See the open incidents"),
        empty="" if rows else str(NOTHING_OPEN),
    )


@dataclass(frozen=True)
class PanelSpec:
    title: Any  # lazy
    build: Callable[[Context], PanelData]
    staff_only: bool = False


# In the dashboard's order.
PANELS: dict[str, PanelSpec] = {
    "volumes": PanelSpec(gettext_lazy("Incidents over time"), volumes_panel),
    "breakdown": PanelSpec(gettext_lazy("Where the incidents are"), breakdown_panel),
    "backlog": PanelSpec(gettext_lazy("Open incidents"), backlog_panel),
    "durations": PanelSpec(gettext_lazy("Time to take charge and to resolve"), durations_panel),
    "sla": PanelSpec(gettext_lazy("Service levels"), sla_panel),
    "reopen": PanelSpec(gettext_lazy("Reopened incidents"), reopen_panel),
    "satisfaction": PanelSpec(gettext_lazy("Satisfaction"), satisfaction_panel),
    "load": PanelSpec(gettext_lazy("Technicians' load"), load_panel, staff_only=True),
}


def panels_for(scope: Scope) -> list[str]:
    return [name for name, spec in PANELS.items() if scope.is_operator_staff or not spec.staff_only]
