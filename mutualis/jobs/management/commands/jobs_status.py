from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from mutualis.jobs.models import Job, JobState


class Command(BaseCommand):
    help = "Show the queue at a glance: jobs per state, how late the oldest due job is, the latest failures."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        counts = dict(Job.objects.values_list("state").annotate(n=Count("pk")).order_by())
        for state in JobState:
            self.stdout.write(f"{state.value:8} {counts.get(state.value, 0)}")
        oldest = Job.objects.due(now).first()
        if oldest is not None:
            late = int((now - oldest.run_at).total_seconds())
            self.stdout.write(f"Oldest due job: #{oldest.pk} {oldest.name}, waiting for {late} s.")
        for job in Job.objects.filter(state=JobState.FAILED).order_by("-finished_at")[:10]:
            lines = job.last_error.strip().splitlines()
            when = f"{job.finished_at:%Y-%m-%d %H:%M}" if job.finished_at else "?"
            self.stdout.write(f"Failed #{job.pk} {job.name} at {when}: {lines[-1] if lines else ''}")
