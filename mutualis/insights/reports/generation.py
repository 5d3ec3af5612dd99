"""The verbs of reports: ask for one (on demand or by the schedule), build it, subscribe.

Asking enqueues the job `insights.generate_report`; the row says "in progress" (with a
percentage) until the job is done. Generating a period again replaces the row's file and
counts a new version (see models.reports).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from mutualis.jobs import enqueue
from mutualis.people.models import Membership, User
from mutualis.people.roles import OPERATOR_ROLES, Role
from mutualis.registry.models import Member, Operator

from ..models import GeneratedReport, ReportKind, ReportStatus, ReportSubscription
from . import member_monthly, operator_yearly
from .periods import Period, month, year

logger = logging.getLogger("mutualis.insights.reports")

GENERATE_REPORT = "insights.generate_report"
# Reports are written in the product's language, whoever asks (the PDF is shared).
REPORT_LANGUAGE = "fr"


def period_for(kind: str, day: dt.date) -> Period:
    """The month (member report) or the year (operator report) holding `day`."""
    return year(day.year) if kind == ReportKind.OPERATOR_YEARLY else month(day)


@transaction.atomic
def request_report(
    *,
    kind: str,
    operator: Operator,
    member: Member | None,
    period: Period,
    by: User | None,
    deliver: bool = False,
) -> GeneratedReport:
    """Queue the generation of a report (the caller has checked it may see it). A report
    already waiting or being built is not queued twice."""
    report, created = GeneratedReport.objects.select_for_update().get_or_create(
        kind=kind,
        operator=operator,
        member=member,
        period_start=period.start,
        defaults={"period_end": period.last_day, "created_by": by},
    )
    if not created and report.in_progress and not deliver:
        return report
    report.status = ReportStatus.QUEUED
    report.progress = 0
    report.error = ""
    if by is not None:
        report.created_by = by
    report.save(update_fields=["status", "progress", "error", "created_by"])
    enqueue(GENERATE_REPORT, report_id=report.pk, deliver=deliver, operator_id=operator.pk)
    return report


def is_complete(report: GeneratedReport) -> bool:
    """Built after its period ended: nothing it counts can still change much (a report of
    the running month, asked on demand, is rebuilt by the schedule once the month is over)."""
    if not report.is_ready or report.generated_at is None:
        return False
    return report.generated_at >= Period(report.period_start, report.period_end + dt.timedelta(days=1)).end_at


def _set_progress(report_id: int, value: int) -> None:
    GeneratedReport.objects.filter(pk=report_id).update(progress=value)


def build(report: GeneratedReport, *, compress: bool = True) -> GeneratedReport:
    """Build the report's PDF now and store it in place of the previous version."""
    GeneratedReport.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, progress=5)
    period = Period(report.period_start, report.period_end + dt.timedelta(days=1))

    def progress(value: int) -> None:
        _set_progress(report.pk, value)

    try:
        with translation.override(REPORT_LANGUAGE):
            if report.member is not None:
                content, text = member_monthly.build(
                    report.member, period, progress=progress, compress=compress
                )
            else:
                content, text = operator_yearly.build(
                    report.operator, report.period_start.year, progress=progress, compress=compress
                )
    except Exception as exc:
        GeneratedReport.objects.filter(pk=report.pk).update(
            status=ReportStatus.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    old_name = report.file.name if report.file else ""
    report.version += 1
    report.file.save("report.pdf", ContentFile(content), save=False)
    report.size = len(content)
    report.summary = text
    report.status = ReportStatus.DONE
    report.progress = 100
    report.generated_at = timezone.now()
    report.error = ""
    report.save(
        update_fields=["version", "file", "size", "summary", "status", "progress", "generated_at", "error"]
    )
    if old_name and old_name != report.file.name:
        # The previous version goes once the new one is saved: a download never misses.
        report.file.storage.delete(old_name)
    return report


# Subscriptions -----------------------------------------------------------------------


def may_receive(user: User, *, kind: str, operator_id: int, member_id: int | None) -> bool:
    """Whether `user` may still get this report: an active role on its member (a site
    contact sees only their sites, not the whole member) or on its operator as staff."""
    memberships = Membership.objects.active().filter(user=user, user__is_active=True)
    staff = Q(member__isnull=True, operator_id=operator_id, role__in=sorted(OPERATOR_ROLES))
    if kind == ReportKind.OPERATOR_YEARLY:
        return memberships.filter(staff).exists()
    return memberships.filter(staff | (Q(member_id=member_id) & ~Q(role=Role.SITE_CONTACT))).exists()


def subscribe(*, user: User, kind: str, operator: Operator, member: Member | None) -> ReportSubscription:
    """Switch the subscription on (the caller checked `user` may see the report)."""
    subscription, _created = ReportSubscription.objects.update_or_create(
        user=user, kind=kind, member=member, operator=operator, defaults={"active": True}
    )
    return subscription


def unsubscribe(*, user: User, kind: str, operator: Operator, member: Member | None) -> int:
    return ReportSubscription.objects.filter(user=user, kind=kind, member=member, operator=operator).update(
        active=False
    )
