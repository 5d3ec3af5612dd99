"""A member's monthly report: what it asked of the service desk in one month, how fast it
was served, and what is still open, in plain words, charts and tables.

Every figure is an aggregate query (COUNT/AVG … GROUP BY) over the member's tickets: the
report reads a handful of rows whatever the number of tickets (bench/: under 3 s at a
million tickets on PostgreSQL). Only the tickets still open at the month's end are read
as rows (the member's backlog then), for the sites, their ages and the oldest.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mutualis.people.models import Membership
from mutualis.people.roles import Role
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Member
from mutualis.servicedesk.models import Ticket, TicketState

from .. import figures as month_figures
from ..models import TicketFact
from . import pdf
from .periods import Period, local_zone, month_label, months_back, previous_month, short_month_label

Progress = Callable[[int], None]
# The open tickets listed one by one: the oldest; the rest are counted by age.
OLDEST_OPEN = 20
CHART_CATEGORIES = 8


def _no_progress(_: int) -> None:
    return None


def deadline_held() -> Q:
    """Tickets whose deadlines someone had to meet: not cancelled, not merged into another
    (the dashboard's `measures.service_levels` leaves out the same, so that a report and
    the dashboard give one share of deadlines met for one period)."""
    return ~Q(state=TicketState.CANCELLED) & Q(merged_into__isnull=True)


def take_charge_on_time() -> Q:
    return deadline_held() & Q(
        take_charge_due__isnull=False,
        first_response_at__isnull=False,
        first_response_at__lte=F("take_charge_due"),
    )


def take_charge_judged(as_of: dt.datetime) -> Q:
    """Tickets whose take-charge deadline can be judged: answered, or past due unanswered.
    A ticket still within its deadline is neither late nor on time yet."""
    return (
        Q(take_charge_due__isnull=False)
        & deadline_held()
        & (Q(first_response_at__isnull=False) | Q(take_charge_due__lt=as_of))
    )


def resolve_on_time() -> Q:
    return deadline_held() & Q(
        resolve_due__isnull=False, resolved_at__isnull=False, resolved_at__lte=F("resolve_due")
    )


def resolve_judged(as_of: dt.datetime) -> Q:
    return (
        Q(resolve_due__isnull=False)
        & deadline_held()
        & (Q(resolved_at__isnull=False) | Q(resolve_due__lt=as_of))
    )


def open_at(moment: dt.datetime) -> Q:
    """Declared before `moment` and neither resolved nor closed by then. A cancelled ticket
    keeps no date of cancelling: it is left out (docs/reports.md)."""
    return (
        Q(created_at__lt=moment)
        & ~Q(state=TicketState.CANCELLED)
        & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=moment))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=moment))
    )


def maybe_open_at(member: Member, moment: dt.datetime) -> QuerySet[TicketFact, Any]:
    """The ids of the member's tickets that `open_at(moment)` may hold, from their narrow
    copies (insights.ticket_facts, kept in the verbs' transactions): all of them, and the
    few closed without being resolved, whose closing the copies do not carry."""
    return (
        TicketFact.objects.filter(member=member, created_at__lt=moment)
        .exclude(state=TicketState.CANCELLED)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=moment))
        .values("ticket_id")
    )


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole) if whole else None


@dataclass(frozen=True)
class MonthPoint:
    month: dt.date
    tickets: int
    on_time_percent: float | None


@dataclass(frozen=True)
class OpenTicket:
    number: int
    title: str
    site: str
    declared: dt.date
    age_days: int
    state: str


@dataclass
class MemberMonthlyFigures:
    member: str
    operator: str
    period: Period
    previous: Period
    tickets: int = 0
    previous_tickets: int = 0
    take_charge_on_time: int = 0
    take_charge_judged: int = 0
    # The dashboard's own figures of the month (insights.figures): the report's sentences,
    # resolution within the deadlines, median time to take charge, satisfaction.
    month: month_figures.MemberMonth | None = None
    months: list[MonthPoint] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_site: list[tuple[str, int, int]] = field(default_factory=list)  # site, declared, open at end
    open_at_end: int = 0
    open_by_age: dict[str, int] = field(default_factory=dict)
    oldest_open: list[OpenTicket] = field(default_factory=list)

    @property
    def delta(self) -> int:
        return self.tickets - self.previous_tickets

    @property
    def take_charge_percent(self) -> float | None:
        return share(self.take_charge_on_time, self.take_charge_judged)

    @property
    def resolve_percent(self) -> float | None:
        share = self.month.on_time_share if self.month else None
        return None if share is None else round(share)

    @property
    def satisfaction_average(self) -> float | None:
        mean = self.month.satisfaction_mean if self.month else None
        return None if mean is None else round(mean, 1)

    @property
    def satisfaction_count(self) -> int:
        return self.month.satisfaction_count if self.month else 0


def member_scope(member: Member) -> Scope:
    """What the member's own users see (all its sites), for figures computed without a
    request: the report is the member's, whoever asks for it."""
    return Scope(membership=Membership(member=member, operator_id=member.operator_id, role=Role.MEMBER_AGENT))


def _local_month(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(local_zone())
        return value.date().replace(day=1)
    return value.replace(day=1)


def compute(member: Member, period: Period, *, as_of: dt.datetime | None = None) -> MemberMonthlyFigures:
    """The figures of `member` for the month `period`, by aggregate queries only."""
    as_of = as_of or timezone.now()
    previous = previous_month(period.start)
    figures = MemberMonthlyFigures(
        member=member.name, operator=member.operator.name, period=period, previous=previous
    )
    tickets = Ticket.objects.filter(member=member)
    in_month = Q(created_at__gte=period.start_at, created_at__lt=period.end_at)
    in_previous = Q(created_at__gte=previous.start_at, created_at__lt=previous.end_at)

    counts = tickets.filter(created_at__gte=previous.start_at, created_at__lt=period.end_at).aggregate(
        tickets=Count("pk", filter=in_month),
        previous_tickets=Count("pk", filter=in_previous),
        take_charge_on_time=Count("pk", filter=in_month & take_charge_on_time()),
        take_charge_judged=Count("pk", filter=in_month & take_charge_judged(as_of)),
    )
    for name, value in counts.items():
        setattr(figures, name, value or 0)

    year = months_back(period, 12)
    series = (
        tickets.filter(created_at__gte=year.start_at, created_at__lt=year.end_at)
        .annotate(month=TruncMonth("created_at", tzinfo=local_zone()))
        .values("month")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=take_charge_on_time()),
            judged=Count("pk", filter=take_charge_judged(as_of)),
        )
        .order_by("month")
    )
    by_month = {_local_month(row["month"]): row for row in series}
    start = year.start
    while start < year.end:
        row = by_month.get(start, {"n": 0, "on_time": 0, "judged": 0})
        figures.months.append(MonthPoint(start, row["n"], share(row["on_time"], row["judged"])))
        start = (start + dt.timedelta(days=32)).replace(day=1)

    categories = (
        tickets.filter(in_month)
        .values("category__name", "category__parent__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__name")
    )
    figures.by_category = [
        (
            f"{row['category__parent__name']} › {row['category__name']}"
            if row["category__parent__name"]
            else row["category__name"],
            row["n"],
        )
        for row in categories
    ]

    # The tickets open at the month's end, read once (a member's backlog: a few hundred
    # rows) for the sites, the ages and the oldest. Found among their copies' candidates
    # (`maybe_open_at`): reading all the member's wide ticket rows three times, once per
    # figure, was 560 of the report's 740 ms for a member of 65,000 tickets at a million.
    end_open = open_at(period.end_at)
    still_open = list(
        tickets.filter(pk__in=maybe_open_at(member, period.end_at))
        .filter(end_open)
        .order_by("created_at", "pk")
        .values_list("number", "title", "site__name", "created_at", "state")
    )
    declared = dict(
        tickets.filter(in_month).values("site__name").annotate(n=Count("pk")).values_list("site__name", "n")
    )
    open_per_site = Counter(row[2] for row in still_open)
    figures.by_site = sorted(
        ((site, declared.get(site, 0), open_per_site[site]) for site in {*declared, *open_per_site}),
        key=lambda row: (-row[1], -row[2], row[0]),
    )

    week_ago = period.end_at - dt.timedelta(days=7)
    month_ago = period.end_at - dt.timedelta(days=30)
    figures.open_at_end = len(still_open)
    figures.open_by_age = {
        _("less than 7 days"): sum(1 for row in still_open if row[3] >= week_ago),
        _("7 to 30 days"): sum(1 for row in still_open if month_ago <= row[3] < week_ago),
        _("more than 30 days"): sum(1 for row in still_open if row[3] < month_ago),
    }
    states = dict(TicketState.choices)
    figures.oldest_open = [
        OpenTicket(
            number=number,
            title=title,
            site=site,
            declared=timezone.localtime(created_at, local_zone()).date(),
            age_days=(period.end_at - created_at).days,
            state=str(states.get(state, state)),
        )
        for number, title, site, created_at, state in still_open[:OLDEST_OPEN]
    ]

    figures.month = month_figures.member_month(member_scope(member), period.start)
    return figures


def summary(figures: MemberMonthlyFigures) -> str:
    """The report in a few sentences a mayor reads aloud, in the active language: the
    dashboard's own sentences (insights.figures), then the deadlines and what is open."""
    said = month_figures.sentences(figures.month, current=False) if figures.month else []
    if figures.take_charge_percent is not None:
        said.insert(
            1,
            _("%(percent)s of the requests of the month were taken in charge within the deadlines.")
            % {"percent": pdf.percent(figures.take_charge_percent)},
        )
    if figures.open_at_end:
        said.append(
            ngettext(
                "%(count)s request was still open at the end of the month.",
                "%(count)s requests were still open at the end of the month.",
                figures.open_at_end,
            )
            % {"count": pdf.number(figures.open_at_end)}
        )
    return pdf.pdf_text(" ".join(said))


def story(figures: MemberMonthlyFigures, text: str) -> list[pdf.Flowable]:
    month = month_label(figures.period.start)
    resolved_on_time = figures.month.resolved_on_time if figures.month else 0
    resolved_with_deadline = figures.month.resolved_with_deadline if figures.month else 0
    median = figures.month.median_take_charge if figures.month else None
    flow: list[pdf.Flowable] = [
        pdf.para(_("Monthly report – %(member)s") % {"member": figures.member}, "title"),
        pdf.para(f"{month.capitalize()} – {figures.operator}", "subtitle"),
        pdf.spacer(),
        pdf.para(_("In short"), "h2"),
        pdf.para(text, "summary"),
        pdf.table(
            [_("Figure"), _("Value")],
            [
                [_("Requests in %(month)s") % {"month": month}, figures.tickets],
                [
                    _("Requests in %(month)s") % {"month": month_label(figures.previous.start)},
                    figures.previous_tickets,
                ],
                [_("Change"), f"{'+' if figures.delta > 0 else ''}{pdf.number(figures.delta)}"],
                [
                    _("Taken in charge within the deadlines"),
                    f"{pdf.percent(figures.take_charge_percent)} ({figures.take_charge_on_time}/{figures.take_charge_judged})",
                ],
                [
                    _("Resolved this month within the deadlines"),
                    f"{pdf.percent(figures.resolve_percent)} ({resolved_on_time}/{resolved_with_deadline})",
                ],
                [_("Median time to take charge"), month_figures.duration_text(median)],
                [
                    _("Satisfaction (out of 5)"),
                    _("%(average)s (%(count)s answers)")
                    % {
                        "average": pdf.number(figures.satisfaction_average, 1),
                        "count": figures.satisfaction_count,
                    },
                ],
                [_("Open at the end of the month"), figures.open_at_end],
            ],
            widths=[100 * pdf.mm, 60 * pdf.mm],
        ),
        pdf.bar_chart(
            _("Requests per month, last 12 months"),
            [short_month_label(p.month) for p in figures.months],
            [p.tickets for p in figures.months],
        ),
        pdf.bar_chart(
            _("Requests taken in charge within the deadlines, per month (%)"),
            [short_month_label(p.month) for p in figures.months],
            [p.on_time_percent for p in figures.months],
            value_format=lambda v: pdf.percent(v),
            max_value=100,
            missing_note=_("–: no request whose deadline to take charge could be judged that month."),
        ),
    ]
    if figures.by_category:
        top = figures.by_category[:CHART_CATEGORIES]
        flow.append(
            pdf.bar_chart(
                _("Requests in %(month)s by category") % {"month": month},
                [name for name, _n in top],
                [n for _name, n in top],
                horizontal=True,
                height=max(30, 9 * len(top) + 10) * pdf.mm,
            )
        )
        flow.append(
            pdf.table([_("Category"), _("Requests")], figures.by_category, widths=[120 * pdf.mm, 30 * pdf.mm])
        )
    flow.append(pdf.para(_("By site"), "h2"))
    if figures.by_site:
        flow.append(
            pdf.table(
                [_("Site"), _("Requests in the month"), _("Open at the end of the month")],
                figures.by_site,
                widths=[90 * pdf.mm, 35 * pdf.mm, 45 * pdf.mm],
            )
        )
    else:
        flow.append(pdf.para(_("No request this month.")))
    flow.append(pdf.para(_("Open at the end of the month"), "h2"))
    flow.append(
        pdf.table(
            [_("Age"), _("Requests")], list(figures.open_by_age.items()), widths=[60 * pdf.mm, 30 * pdf.mm]
        )
    )
    if figures.oldest_open:
        flow.append(pdf.spacer())
        flow.append(pdf.para(_("The oldest open requests"), "body"))
        flow.append(
            pdf.table(
                [_("No."), _("Request"), _("Site"), _("Declared"), _("Age (days)"), _("State")],
                [
                    [str(t.number), t.title, t.site, t.declared.strftime("%d/%m/%Y"), t.age_days, t.state]
                    for t in figures.oldest_open
                ],
                widths=[14 * pdf.mm, 52 * pdf.mm, 38 * pdf.mm, 20 * pdf.mm, 16 * pdf.mm, 30 * pdf.mm],
            )
        )
    return flow


def build(
    member: Member,
    period: Period,
    *,
    progress: Progress = _no_progress,
    compress: bool = True,
    as_of: dt.datetime | None = None,
) -> tuple[bytes, str]:
    """The report's PDF and its summary, in the active language."""
    figures = compute(member, period, as_of=as_of)
    progress(60)
    text = summary(figures)
    document = pdf.Document(
        title=_("Monthly report – %(member)s – %(month)s")
        % {"member": member.name, "month": month_label(period.start)},
        author=figures.operator,
        subject=_("Service desk activity of %(member)s") % {"member": member.name},
        footer=f"{figures.operator} – {member.name} – {month_label(period.start)}",
    )
    content = pdf.render(document, story(figures, text), compress=compress)
    progress(95)
    return content, text
