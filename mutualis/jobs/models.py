"""The queue: one row per job, one row per periodic task, in the database we already have.

A job is inserted in the caller's transaction (`enqueue`), so it exists exactly when the
work that asked for it was committed. Workers claim rows, run them and write the outcome
back; nothing deletes a job except the housekeeping of done jobs (`tasks.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualis.registry.models import Operator

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class JobState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


# The life cycle of a job, declared once; `mutualis.jobs.queue` moves jobs only along
# these edges, each time by a conditional UPDATE on the state it expects.
JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING}),  # claimed by a worker
    JobState.RUNNING: frozenset(
        {
            JobState.DONE,  # the task returned
            JobState.QUEUED,  # it raised with attempts left, or its worker died (lease expired)
            JobState.FAILED,  # it raised on its last attempt
        }
    ),
    JobState.FAILED: frozenset({JobState.QUEUED}),  # "retry now" in the back-office
    JobState.DONE: frozenset(),
}


class JobQuerySet(models.QuerySet["Job"]):
    def visible_to(self, scope: Scope) -> JobQuerySet:
        """The tenancy door for jobs: an operator's admins see the jobs enqueued for their
        operator. Jobs without an operator (platform sweeps over every operator, whose
        arguments and tracebacks may name any operator's data) are for platform
        administrators (superusers) only."""
        if scope.operator_id is None or not scope.is_operator_admin:
            return self.none()
        return self.filter(operator_id=scope.operator_id)

    def due(self, now: datetime) -> JobQuerySet:
        """Queued jobs whose time has come, oldest first: the order workers take them in."""
        return self.filter(state=JobState.QUEUED, run_at__lte=now).order_by("run_at", "pk")

    def timed_out(self) -> JobQuerySet:
        """Jobs one of whose attempts ran past its task's time limit (docs/jobs.md)."""
        return self.filter(timeouts__gt=0)

    def lease_expired(self, now: datetime) -> JobQuerySet:
        """Running jobs whose worker stopped renewing its lease: it died or hung."""
        return self.filter(state=JobState.RUNNING, locked_until__lt=now)


class Job(models.Model):
    name = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("maximum attempts"), default=5)
    run_at = models.DateTimeField(
        _("run at"), default=timezone.now, help_text=_("Not before this time; pushed back after a failure.")
    )
    operator = models.ForeignKey(
        Operator,
        # A job is never lost silently: an operator with jobs left is removed on purpose.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operator"),
        help_text=_("Whose back-office shows the job; empty for platform jobs."),
    )
    locked_by = models.CharField(_("worker"), max_length=200, blank=True)
    locked_until = models.DateTimeField(
        _("lease until"),
        null=True,
        blank=True,
        help_text=_("A running job whose worker has not renewed this lease is queued again."),
    )
    timeouts = models.PositiveIntegerField(
        _("attempts timed out"),
        default=0,
        help_text=_("Attempts stopped by the task's time limit, kept after a retry or a later success."),
    )
    last_timed_out_at = models.DateTimeField(_("last timed out at"), null=True, blank=True)
    last_error = models.TextField(
        _("last error"),
        blank=True,
        help_text=_("The traceback of the last failed attempt, kept after a later success."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-pk"]
        indexes = [
            # Claiming reads `state = 'queued' AND run_at <= now ORDER BY run_at` several times
            # a second per worker; lease recovery reads `state = 'running'`, the purge
            # `state = 'done'`. One index serves the three and the back-office's state filter.
            models.Index(fields=["state", "run_at"], name="jobs_job_state_run_at"),
            # `jobs_status` counts timed-out jobs per task; they are few among the done jobs
            # kept, so a partial index holds only them.
            models.Index(
                fields=["name", "last_timed_out_at"], condition=Q(timeouts__gt=0), name="jobs_job_timed_out"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class Schedule(models.Model):
    """When a periodic task is next due. Workers enqueue an occurrence by moving
    `next_run_at` forward with a conditional UPDATE: one wins, the others find it moved."""

    name = models.CharField(_("task"), max_length=200, unique=True)
    every = models.DurationField(_("every"))
    next_run_at = models.DateTimeField(_("next run at"))
    last_run_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic task")
        verbose_name_plural = _("periodic tasks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
