"""The operator's yearly activity report: the figures an OPSN publishes (docs DOMAIN.md:
"783 portal users (289 the year before); 8,492 tickets in a year (3,000 the year before);
activity +35 %/year"), by aggregate queries only.

Portal users of a year are the people of the operator and its members who logged in or
declared a request that year. Only a person's *last* login is kept, so for a past year the
count is a floor: someone who logged in then and again since counts only if they declared
(docs/reports.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualis.people.models import User
from mutualis.registry.models import Member, MemberKind, Operator, Site
from mutualis.servicedesk.models import SatisfactionRating, Ticket

from . import pdf
from .member_monthly import (
    Progress,
    _no_progress,
    resolve_judged,
    resolve_on_time,
    share,
    take_charge_judged,
    take_charge_on_time,
)
from .periods import Period, local_zone
from .periods import year as year_period

CHART_CATEGORIES = 10


@dataclass
class OperatorYearFigures:
    operator: str
    year: int
    # Every year of the data up to this one: (year, tickets, growth % on the year before).
    years: list[tuple[int, int, float | None]] = field(default_factory=list)
    by_member_kind: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    users: int = 0
    previous_users: int = 0
    members: int = 0
    new_members: int = 0
    sites: int = 0
    take_charge_on_time: int = 0
    take_charge_judged: int = 0
    resolved_on_time: int = 0
    resolve_judged: int = 0
    satisfaction_average: float | None = None
    satisfaction_count: int = 0

    @property
    def tickets(self) -> int:
        return next((n for y, n, _g in self.years if y == self.year), 0)

    @property
    def previous_tickets(self) -> int:
        return next((n for y, n, _g in self.years if y == self.year - 1), 0)

    @property
    def growth(self) -> float | None:
        return next((g for y, _n, g in self.years if y == self.year), None)

    @property
    def take_charge_percent(self) -> float | None:
        return share(self.take_charge_on_time, self.take_charge_judged)

    @property
    def resolve_percent(self) -> float | None:
        return share(self.resolved_on_time, self.resolve_judged)


def growth(current: int, before: int) -> float | None:
    return round(100 * (current - before) / before) if before else None


def portal_users(operator: Operator, period: Period) -> int:
    """People of the operator or its members who logged in or declared during `period`."""
    # The period's requesters, read once through ticket_operator_created: a query per person
    # (EXISTS over their tickets, by requester) read every ticket of the busiest requesters
    # for each of them (3.1 s of the demo's 3.6 s report figures, 2026-11-24).
    declared = Ticket.objects.filter(
        operator=operator, created_at__gte=period.start_at, created_at__lt=period.end_at
    ).values("requester_id")
    people = User.objects.filter(memberships__operator=operator).filter(
        Q(last_login__gte=period.start_at, last_login__lt=period.end_at) | Q(pk__in=declared)
    )
    return people.values("pk").distinct().count()


def compute(operator: Operator, year: int, *, as_of: dt.datetime | None = None) -> OperatorYearFigures:
    as_of = as_of or timezone.now()
    period = year_period(year)
    figures = OperatorYearFigures(operator=operator.name, year=year)
    tickets = Ticket.objects.filter(operator=operator)

    per_year = (
        tickets.filter(created_at__lt=period.end_at)
        .annotate(y=ExtractYear("created_at", tzinfo=local_zone()))
        .values("y")
        .annotate(n=Count("pk"))
        .order_by("y")
    )
    counts = {row["y"]: row["n"] for row in per_year}
    if counts:
        for y in range(min(counts), year + 1):
            figures.years.append((y, counts.get(y, 0), growth(counts.get(y, 0), counts.get(y - 1, 0))))

    in_year = tickets.filter(created_at__gte=period.start_at, created_at__lt=period.end_at)
    kinds = dict(MemberKind.choices)
    figures.by_member_kind = [
        (str(kinds.get(row["member__kind"], row["member__kind"])), row["n"])
        for row in in_year.values("member__kind").annotate(n=Count("pk")).order_by("-n", "member__kind")
    ]
    figures.by_category = [
        (
            f"{row['category__parent__name']} › {row['category__name']}"
            if row["category__parent__name"]
            else row["category__name"],
            row["n"],
        )
        for row in in_year.values("category__name", "category__parent__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__name")
    ]
    deadlines = in_year.aggregate(
        take_charge_on_time=Count("pk", filter=take_charge_on_time()),
        take_charge_judged=Count("pk", filter=take_charge_judged(as_of)),
        resolved_on_time=Count("pk", filter=resolve_on_time()),
        resolve_judged=Count("pk", filter=resolve_judged(as_of)),
    )
    for name, value in deadlines.items():
        setattr(figures, name, value or 0)

    figures.users = portal_users(operator, period)
    figures.previous_users = portal_users(operator, year_period(year - 1))
    last_day = period.last_day
    members = Member.objects.filter(operator=operator)
    figures.members = members.active_on(last_day).count()
    figures.new_members = members.filter(joined_on__gte=period.start, joined_on__lt=period.end).count()
    figures.sites = Site.objects.filter(operator=operator, created_at__lt=period.end_at).count()

    rated = SatisfactionRating.objects.filter(
        ticket__operator=operator, created_at__gte=period.start_at, created_at__lt=period.end_at
    ).aggregate(average=Avg("rating"), count=Count("pk"))
    figures.satisfaction_average = round(rated["average"], 1) if rated["average"] is not None else None
    figures.satisfaction_count = rated["count"]
    return figures


def signed(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{'+' if value > 0 else ''}{pdf.percent(value)}"


def summary(figures: OperatorYearFigures) -> str:
    text = _(
        "%(tickets)s requests in %(year)s (%(previous)s the year before, %(growth)s); "
        "%(users)s portal users (%(previous_users)s the year before)."
    ) % {
        "tickets": pdf.number(figures.tickets),
        "year": figures.year,
        "previous": pdf.number(figures.previous_tickets),
        "growth": signed(figures.growth),
        "users": pdf.number(figures.users),
        "previous_users": pdf.number(figures.previous_users),
    }
    if figures.take_charge_percent is not None:
        text += " " + _("%(percent)s taken in charge within the deadlines.") % {
            "percent": pdf.percent(figures.take_charge_percent)
        }
    if figures.satisfaction_average is not None:
        text += " " + _("Satisfaction %(average)s/5.") % {
            "average": pdf.number(figures.satisfaction_average, 1)
        }
    return pdf.pdf_text(text)


def story(figures: OperatorYearFigures, text: str) -> list[pdf.Flowable]:
    flow: list[pdf.Flowable] = [
        pdf.para(_("Activity report %(year)s") % {"year": figures.year}, "title"),
        pdf.para(figures.operator, "subtitle"),
        pdf.spacer(),
        pdf.para(_("In short"), "h2"),
        pdf.para(text, "summary"),
        pdf.table(
            [_("Figure"), str(figures.year), str(figures.year - 1)],
            [
                [_("Requests"), figures.tickets, figures.previous_tickets],
                [_("Portal users"), figures.users, figures.previous_users],
                [_("Members at the end of the year"), figures.members, "–"],
                [_("New members in the year"), figures.new_members, "–"],
                [_("Sites"), figures.sites, "–"],
                [
                    _("Taken in charge within the deadlines"),
                    f"{pdf.percent(figures.take_charge_percent)} ({figures.take_charge_on_time}/{figures.take_charge_judged})",
                    "–",
                ],
                [
                    _("Resolved within the deadlines"),
                    f"{pdf.percent(figures.resolve_percent)} ({figures.resolved_on_time}/{figures.resolve_judged})",
                    "–",
                ],
                [
                    _("Satisfaction (out of 5)"),
                    _("%(average)s (%(count)s answers)")
                    % {
                        "average": pdf.number(figures.satisfaction_average, 1),
                        "count": figures.satisfaction_count,
                    },
                    "–",
                ],
            ],
            widths=[90 * pdf.mm, 45 * pdf.mm, 35 * pdf.mm],
        ),
    ]
    if figures.years:
        flow.append(
            pdf.bar_chart(
                _("Requests per year"),
                [str(y) for y, _n, _g in figures.years],
                [n for _y, n, _g in figures.years],
            )
        )
        flow.append(
            pdf.table(
                [_("Year"), _("Requests"), _("Change on the year before")],
                [[str(y), n, signed(g)] for y, n, g in figures.years],
                widths=[30 * pdf.mm, 35 * pdf.mm, 55 * pdf.mm],
            )
        )
    if figures.by_member_kind:
        flow.append(
            pdf.bar_chart(
                _("Requests in %(year)s by kind of member") % {"year": figures.year},
                [k for k, _n in figures.by_member_kind],
                [n for _k, n in figures.by_member_kind],
                horizontal=True,
                height=max(30, 9 * len(figures.by_member_kind) + 10) * pdf.mm,
            )
        )
    if figures.by_category:
        top = figures.by_category[:CHART_CATEGORIES]
        flow.append(
            pdf.bar_chart(
                _("Requests in %(year)s by category") % {"year": figures.year},
                [c for c, _n in top],
                [n for _c, n in top],
                horizontal=True,
                height=max(30, 9 * len(top) + 10) * pdf.mm,
            )
        )
        flow.append(
            pdf.table([_("Category"), _("Requests")], figures.by_category, widths=[120 * pdf.mm, 30 * pdf.mm])
        )
    return flow


def build(
    operator: Operator,
    year: int,
    *,
    progress: Progress = _no_progress,
    compress: bool = True,
    as_of: dt.datetime | None = None,
) -> tuple[bytes, str]:
    figures = compute(operator, year, as_of=as_of)
    progress(60)
    text = summary(figures)
    # Out of the f-string below: xgettext does not look inside one for messages.
    title = _("Activity report %(year)s") % {"year": year}
    document = pdf.Document(
        title=_("Activity report %(year)s – %(operator)s") % {"year": year, "operator": operator.name},
        author=operator.name,
        subject=_("Yearly activity of the service desk"),
        footer=f"{operator.name} – {title}",
    )
    content = pdf.render(document, story(figures, text), compress=compress)
    progress(95)
    return content, text
