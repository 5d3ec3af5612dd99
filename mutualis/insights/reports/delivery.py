"""Reports on schedule, and by email to their subscribers.

Every day the job `insights.scheduled_reports` looks at the calendar: in the first days of
a month (`CATCH_UP_DAYS`, so that a worker down on the 1st catches up the next day) it
builds last month's report of every member with at least one active subscriber, and in
January the operator's report of the year before; each built report is emailed to its
subscribers, one job `insights.send_report` per person (retried like any job).

Running it again changes nothing: a report already built after its period ended is not
rebuilt, and a subscriber who has a `ReportDelivery` row for the report gets no second one.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from mutualis.jobs import enqueue
from mutualis.registry.models import Member, Operator

from ..models import GeneratedReport, ReportDelivery, ReportKind, ReportSubscription
from . import generation
from .periods import local_zone, month_label, previous_month, year

logger = logging.getLogger("mutualis.insights.reports")

SCHEDULED_REPORTS = "insights.scheduled_reports"
SEND_REPORT = "insights.send_report"
# The days of the month the schedule still generates last month's reports.
CATCH_UP_DAYS = 7


def occurrence_day(explicit: str | None = None) -> dt.date:
    """The day a scheduled run works for: the day its occurrence was taken (a job retried
    after midnight still works for its own day), else today."""
    if explicit:
        return dt.date.fromisoformat(explicit)
    from mutualis.jobs.models import Schedule

    taken = Schedule.objects.filter(name=SCHEDULED_REPORTS).values_list("last_run_at", flat=True).first()
    return timezone.localtime(taken or timezone.now(), local_zone()).date()


def scheduled_run(day: dt.date) -> int:
    """Ask for the reports due on `day`; returns how many were asked (built or re-sent)."""
    if day.day > CATCH_UP_DAYS:
        return 0
    asked = 0
    monthly = previous_month(day)
    subscribed = (
        ReportSubscription.objects.active()
        .filter(kind=ReportKind.MEMBER_MONTHLY, member__isnull=False)
        .values_list("member_id", flat=True)
        .distinct()
    )
    for member in Member.objects.filter(pk__in=subscribed).select_related("operator"):
        asked += _ask(
            kind=ReportKind.MEMBER_MONTHLY, operator=member.operator, member=member, start=monthly.start
        )
    if day.month == 1:
        operators = (
            ReportSubscription.objects.active()
            .filter(kind=ReportKind.OPERATOR_YEARLY)
            .values_list("operator_id", flat=True)
            .distinct()
        )
        for operator in Operator.objects.filter(pk__in=operators):
            asked += _ask(
                kind=ReportKind.OPERATOR_YEARLY,
                operator=operator,
                member=None,
                start=year(day.year - 1).start,
            )
    return asked


def _ask(*, kind: str, operator: Operator, member: Member | None, start: dt.date) -> int:
    report = GeneratedReport.objects.filter(
        kind=kind, operator=operator, member=member, period_start=start
    ).first()
    if report is not None and generation.is_complete(report):
        deliver(report)
        return 1
    period = generation.period_for(kind, start)
    generation.request_report(
        kind=kind,
        operator=operator,
        member=member,
        period=period,
        by=None,
        deliver=True,
    )
    return 1


def deliver(report: GeneratedReport) -> int:
    """Record a delivery for each active subscriber still allowed to read the report, and
    queue its email; a subscriber who already has one is skipped. Returns how many queued."""
    subscriptions = ReportSubscription.objects.active().filter(kind=report.kind).select_related("user")
    if report.kind == ReportKind.MEMBER_MONTHLY:
        subscriptions = subscriptions.filter(member=report.member)
    else:
        subscriptions = subscriptions.filter(operator_id=report.operator_id, member__isnull=True)
    already = set(ReportDelivery.objects.filter(report=report).values_list("user_id", flat=True))
    queued = 0
    for subscription in subscriptions:
        user = subscription.user
        if user.pk in already or not generation.may_receive(
            user, kind=report.kind, operator_id=report.operator_id, member_id=report.member_id
        ):
            continue
        try:
            with transaction.atomic():
                delivery = ReportDelivery.objects.create(report=report, user=user, to=user.email)
                enqueue(SEND_REPORT, delivery_id=delivery.pk, operator_id=report.operator_id)
        except IntegrityError:
            continue  # another run recorded it meanwhile
        queued += 1
    return queued


def build_email(delivery: ReportDelivery) -> EmailMessage:
    report = delivery.report
    language = getattr(delivery.user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        if report.kind == ReportKind.OPERATOR_YEARLY:
            about = str(report.period_start.year)
        else:
            about = f"{report.member} – {month_label(report.period_start)}"
        context = {
            "report": report,
            "about": about,
            "user": delivery.user,
            "reports_url": f"{settings.SITE_URL}{reverse('insights:reports')}",
        }
        subject = render_to_string("insights/reports_email_subject.txt", context).strip()
        body = render_to_string("insights/reports_email.txt", context)
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.to],
        headers={
            # RFC 3834 §5: sent by a program; no vacation replies back.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    with report.file.open("rb") as handle:
        message.attach(report.filename, handle.read(), "application/pdf")
    return message


def send(delivery_id: int) -> None:
    """Email one delivery; raise (so the queue retries) when the server refuses."""
    pending = ReportDelivery.objects.filter(pk=delivery_id, sent_at__isnull=True)
    if not pending.update(attempts=F("attempts") + 1):
        return  # already sent (a retried job), or deleted with its report
    delivery = ReportDelivery.objects.select_related("report", "report__member", "user").get(pk=delivery_id)
    report = delivery.report
    if not report.is_ready or not generation.may_receive(
        delivery.user, kind=report.kind, operator_id=report.operator_id, member_id=report.member_id
    ):
        ReportDelivery.objects.filter(pk=delivery_id).update(last_error="no longer allowed or no file")
        return
    try:
        get_connection(fail_silently=False).send_messages([build_email(delivery)])
    except (OSError, smtplib.SMTPException) as exc:
        ReportDelivery.objects.filter(pk=delivery_id).update(last_error=f"{type(exc).__name__}: {exc}")
        logger.warning("Report %s to %s not sent: %s", report.pk, delivery.to, exc)
        raise
    ReportDelivery.objects.filter(pk=delivery_id).update(sent_at=timezone.now(), last_error="")
