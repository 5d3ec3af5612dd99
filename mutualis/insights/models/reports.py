"""Reports (issue 5): who subscribes to which report, the PDFs generated, and the emails
that carried them.

One `GeneratedReport` per (operator, kind, member, period): generating again on demand
*replaces* the file in the same row and counts a new `version` (the old file is deleted),
so a member has one monthly report per month and the links already emailed stay valid.
Deliveries are recorded per (report, subscriber): a scheduled run repeated the same day,
or a send job retried, emails nobody twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualis.registry.models import Member, Operator

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class ReportKind(models.TextChoices):
    MEMBER_MONTHLY = "member_monthly", _("monthly report of a member")
    OPERATOR_YEARLY = "operator_yearly", _("yearly activity report of the operator")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("in progress")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


IN_PROGRESS = frozenset({ReportStatus.QUEUED, ReportStatus.RUNNING})


def _member_reports_visible(scope: Scope) -> bool:
    """A member's report covers all its sites: a site contact, who sees only theirs, does
    not get it (docs/reports.md)."""
    return scope.member_id is not None and scope.site_ids is None


class ReportSubscriptionQuerySet(models.QuerySet["ReportSubscription"]):
    def visible_to(self, scope: Scope) -> ReportSubscriptionQuerySet:
        """Operator admins see their operator's subscriptions; anyone else only their own,
        for the member (or the operator) they act for."""
        if scope.operator_id is None or scope.user is None:
            return self.none()
        if scope.is_operator_admin:
            return self.filter(operator_id=scope.operator_id)
        mine = self.filter(user=scope.user, operator_id=scope.operator_id)
        if scope.is_operator_staff:
            return mine
        if not _member_reports_visible(scope):
            return self.none()
        return mine.filter(kind=ReportKind.MEMBER_MONTHLY, member_id=scope.member_id)

    def active(self) -> ReportSubscriptionQuerySet:
        """Subscriptions still switched on, of people still active."""
        return self.filter(active=True, user__is_active=True)


class ReportSubscription(models.Model):
    """A person asks to receive a report by email when the schedule generates it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name=_("user"),
    )
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+", editable=False)
    kind = models.CharField(_("report"), max_length=16, choices=ReportKind.choices)
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_subscriptions",
        verbose_name=_("member"),
        help_text=_("For a member's monthly report; empty for the operator's yearly report."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ReportSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "member__name", "user__full_name"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "member"],
                condition=Q(member__isnull=False),
                name="report_subscription_once_per_member",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "operator"],
                condition=Q(member__isnull=True),
                name="report_subscription_once_per_operator",
            ),
            models.CheckConstraint(
                condition=Q(kind="member_monthly", member__isnull=False)
                | Q(kind="operator_yearly", member__isnull=True),
                name="report_subscription_member_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_kind_display()} – {self.member or self.operator}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.member is not None:
            self.operator_id = self.member.operator_id
        super().save(*args, **kwargs)


class GeneratedReportQuerySet(models.QuerySet["GeneratedReport"]):
    def visible_to(self, scope: Scope) -> GeneratedReportQuerySet:
        """The tenancy door for reports: all of the operator's for its staff; a member's
        users see their member's monthly reports, never the operator's yearly one."""
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(operator_id=scope.operator_id)
        if not _member_reports_visible(scope):
            return self.none()
        return self.filter(kind=ReportKind.MEMBER_MONTHLY, member_id=scope.member_id)

    def with_list_related(self) -> GeneratedReportQuerySet:
        """What the reports page shows, in the same query."""
        return self.select_related("member", "created_by")


def report_path(report: GeneratedReport, filename: str) -> str:
    # A name of ours; MEDIA_ROOT is private (settings: no URL serves it): the download
    # view is the only way to the file.
    who = report.member_id or "operator"
    return (
        f"reports/{report.operator_id}/{report.kind}/{report.period_start:%Y-%m}/"
        f"{who}-v{report.version}-{report.pk}.pdf"
    )


class GeneratedReport(models.Model):
    """A report PDF for one period, generated on demand or by the schedule."""

    # No index of its own: generated_report_operator starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="+", editable=False, db_index=False
    )
    kind = models.CharField(_("report"), max_length=16, choices=ReportKind.choices)
    # No index of its own: generated_report_member starts with it.
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="generated_reports",
        verbose_name=_("member"),
        db_index=False,
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"), help_text=_("The last day of the period, included."))
    status = models.CharField(
        _("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(upload_to=report_path, max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    # The plain-words summary printed on the first page, kept to show it on the page and
    # in the email without opening the PDF.
    summary = models.TextField(_("summary"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked by"),
        help_text=_("Empty when the schedule generated it."),
    )

    objects = GeneratedReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "kind", "member__name"]
        verbose_name = _("generated report")
        verbose_name_plural = _("generated reports")
        constraints = [
            # One report per period: generating again replaces it (see the module's doc).
            models.UniqueConstraint(
                fields=["kind", "member", "period_start"],
                condition=Q(member__isnull=False),
                name="generated_report_once_per_member_period",
            ),
            models.UniqueConstraint(
                fields=["kind", "operator", "period_start"],
                condition=Q(member__isnull=True),
                name="generated_report_once_per_operator_period",
            ),
            models.CheckConstraint(
                condition=Q(kind="member_monthly", member__isnull=False)
                | Q(kind="operator_yearly", member__isnull=True),
                name="generated_report_member_matches_kind",
            ),
        ]
        indexes = [
            # The reports page of a member: its reports, newest period first.
            models.Index(fields=["member", "-period_start"], name="generated_report_member"),
            models.Index(fields=["operator", "-period_start"], name="generated_report_operator"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.member or self.operator} – {self.period_start:%Y-%m}"

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def is_ready(self) -> bool:
        return self.status == ReportStatus.DONE and bool(self.file)

    @property
    def filename(self) -> str:
        """The name the download and the email attachment carry."""
        from django.utils.text import slugify

        if self.kind == ReportKind.OPERATOR_YEARLY:
            return f"rapport-activite-{self.period_start:%Y}.pdf"
        name = slugify(self.member.name if self.member else "membre")
        return f"rapport-{name}-{self.period_start:%Y-%m}.pdf"


class ReportDelivery(models.Model):
    """A report emailed to one subscriber: written before the email job, marked sent by
    it; its uniqueness is what makes a repeated scheduled run send nothing."""

    # No index of its own: report_delivery_once_per_user starts with it.
    report = models.ForeignKey(
        GeneratedReport, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to = models.EmailField(_("to"))
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report sent by email")
        verbose_name_plural = _("reports sent by email")
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="report_delivery_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.to}"
