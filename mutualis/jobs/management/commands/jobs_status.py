from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q
from django.utils import timezone

from mutualis.jobs.models import Job, JobState
from mutualis.jobs.registration import get_task


class Command(BaseCommand):
    help = (
        "Show the queue at a glance: jobs per state; per task, jobs failed and timed out (recently and "
        "in all) with the task's time limit; how late the oldest due job is; the latest failures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=float,
            default=24,
            metavar="HOURS",
            help="what counts as recent in the per-task counts (default: 24)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["hours"] > 0:
            raise CommandError("--hours must be greater than 0.")
        now = timezone.now()
        counts = dict(Job.objects.values_list("state").annotate(n=Count("pk")).order_by())
        for state in JobState:
            self.stdout.write(f"{state.value:8} {counts.get(state.value, 0)}")
        self._per_task(now - timedelta(hours=options["hours"]), f"{options['hours']:g} h")
        oldest = Job.objects.due(now).first()
        if oldest is not None:
            late = int((now - oldest.run_at).total_seconds())
            self.stdout.write(f"Oldest due job: #{oldest.pk} {oldest.name}, waiting for {late} s.")
        for job in Job.objects.filter(state=JobState.FAILED).order_by("-finished_at")[:10]:
            lines = job.last_error.strip().splitlines()
            when = f"{job.finished_at:%Y-%m-%d %H:%M}" if job.finished_at else "?"
            self.stdout.write(f"Failed #{job.pk} {job.name} at {when}: {lines[-1] if lines else ''}")

    def _per_task(self, since: Any, recent: str) -> None:
        """One line per task with jobs waiting, failed or timed out: a task that keeps timing
        out (its limit too short, or a service it waits on hung) shows beside its failures.
        A timed-out job is one with at least one attempt stopped by its time limit, whether
        it was retried, failed, or later done; "in all" counts the jobs kept (done jobs are
        purged after JOBS_KEEP_DONE_DAYS)."""
        rows = list(
            Job.objects.values("name")
            .annotate(
                queued=Count("pk", filter=Q(state=JobState.QUEUED)),
                running=Count("pk", filter=Q(state=JobState.RUNNING)),
                failed=Count("pk", filter=Q(state=JobState.FAILED)),
                failed_recently=Count("pk", filter=Q(state=JobState.FAILED, finished_at__gte=since)),
                timed_out=Count("pk", filter=Q(timeouts__gt=0)),
                timed_out_recently=Count("pk", filter=Q(timeouts__gt=0, last_timed_out_at__gte=since)),
            )
            .filter(Q(queued__gt=0) | Q(running__gt=0) | Q(failed__gt=0) | Q(timed_out__gt=0))
            .order_by("name")
        )
        if not rows:
            return
        header = (
            "task",
            "queued",
            "running",
            f"failed {recent}",
            "failed",
            f"timed out {recent}",
            "timed out",
            "limit",
        )
        lines = [header] + [
            (
                row["name"],
                str(row["queued"]),
                str(row["running"]),
                str(row["failed_recently"]),
                str(row["failed"]),
                str(row["timed_out_recently"]),
                str(row["timed_out"]),
                _limit(row["name"]),
            )
            for row in rows
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        self.stdout.write("")
        self.stdout.write(
            f"Per task (recent: the last {recent}; timed out: jobs with an attempt stopped by the time limit):"
        )
        for line in lines:
            cells = [line[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
            ]
            self.stdout.write("  ".join(cells).rstrip())
        self.stdout.write("")


def _limit(name: str) -> str:
    """The time limit a worker gives the task now, or "?" for a task this code does not know."""
    try:
        return f"{get_task(name).limit().total_seconds():g} s"
    except ValueError:  # unknown here, or JOBS_TIME_LIMITS unreadable (TimeLimitsError)
        return "?"
