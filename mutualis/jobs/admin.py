"""Background jobs in the back-office: operator admins see their operator's jobs, read-only,
with the error of each failed attempt, and may queue failed jobs again ("retry now")."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mutualis.backoffice.site import ScopedAdmin

from .models import Job, JobState, Schedule
from .queue import retry_now
from .registration import task_names


class OperatorAdminOnly(ScopedAdmin):
    """Read-only pages for the operator's admins (and platform administrators); the other
    operator roles have no use for the queue's workings."""

    def _allows(self, request: HttpRequest, action: str) -> bool:
        if request.user.is_superuser:
            return action == "view"
        return action == "view" and request.scope.is_operator_admin  # type: ignore[attr-defined]


class TaskNameFilter(admin.SimpleListFilter):
    """The tasks this code declares, rather than a DISTINCT over every job ever run."""

    title = _("task")
    parameter_name = "name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in task_names()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        return queryset.filter(name=self.value()) if self.value() else queryset


class TimedOutFilter(admin.SimpleListFilter):
    """Jobs one of whose attempts ran past its task's time limit, recently or ever: a task
    that keeps timing out shows apart from its other failures."""

    title = _("timed out")
    parameter_name = "timed_out"
    RECENT = timedelta(hours=24)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("recent", _("In the last 24 hours")), ("ever", _("Ever"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        if self.value() == "recent":
            return queryset.filter(timeouts__gt=0, last_timed_out_at__gte=timezone.now() - self.RECENT)
        if self.value() == "ever":
            return queryset.filter(timeouts__gt=0)
        return queryset


@admin.register(Job)
class JobAdmin(OperatorAdminOnly):
    list_display = [
        "pk",
        "name",
        "state",
        "attempts_display",
        "timeouts",
        "run_at",
        "finished_at",
        "error_summary",
    ]
    list_display_links = ["pk", "name"]
    list_filter = ["state", TaskNameFilter, TimedOutFilter]
    search_fields = ["name"]
    ordering = ["-pk"]
    actions = ["retry_failed"]
    fieldsets = [
        (None, {"fields": ["name", "state", "operator", "arguments", "attempts_display", "timeouts"]}),
        (_("When"), {"fields": ["created_at", "run_at", "started_at", "finished_at", "last_timed_out_at"]}),
        (_("Worker"), {"fields": ["locked_by", "locked_until"]}),
        (_("Last error"), {"fields": ["error"]}),
    ]
    readonly_fields = ["arguments", "attempts_display", "error"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        if request.user.is_superuser:
            return True
        return bool(request.scope.is_operator_admin)  # type: ignore[attr-defined]

    @admin.display(description=_("attempts"))
    def attempts_display(self, job: Job) -> str:
        return f"{job.attempts}/{job.max_attempts}"

    @admin.display(description=_("error"))
    def error_summary(self, job: Job) -> str:
        """The exception's own line, the last of the traceback."""
        lines = job.last_error.strip().splitlines()
        return lines[-1][:200] if lines else ""

    @admin.display(description=_("arguments"))
    def arguments(self, job: Job) -> str:
        return format_html("<pre>{}</pre>", json.dumps(job.kwargs, indent=2, ensure_ascii=False))

    @admin.display(description=_("traceback"))
    def error(self, job: Job) -> str:
        return format_html("<pre>{}</pre>", job.last_error) if job.last_error else "—"

    @admin.action(description=_("Retry now (failed jobs only)"), permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        selected = queryset.count()
        queued = retry_now(queryset.filter(state=JobState.FAILED))  # type: ignore[arg-type]
        if queued:
            self.message_user(
                request,
                ngettext("%(count)d job queued again.", "%(count)d jobs queued again.", queued)
                % {"count": queued},
                messages.SUCCESS,
            )
        if selected > queued:
            skipped = selected - queued
            self.message_user(
                request,
                ngettext(
                    "%(count)d job was not failed and was left as it was.",
                    "%(count)d jobs were not failed and were left as they were.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Schedule)
class ScheduleAdmin(OperatorAdminOnly):
    """When the platform's periodic tasks run: the same for every operator, no member data."""

    scoped = False
    list_display = ["name", "every", "next_run_at", "last_run_at"]
    ordering = ["name"]
