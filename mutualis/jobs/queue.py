"""The verbs of the queue, the only writers of `Job` and `Schedule`.

Every change of a job's state is one conditional UPDATE on the state it expects (and, for
a running job, on the worker holding it): two workers, or a worker and the lease recovery,
can race on the same row and exactly one of them wins.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from .models import JOB_TRANSITIONS, Job, JobQuerySet, JobState, Schedule
from .registration import get_task, periodic_tasks


class IllegalTransition(ValueError):  # noqa: N818 - the project's word for it (registry, servicedesk)
    """A move the job life cycle (JOB_TRANSITIONS) does not allow: a bug in the caller."""


def _move(jobs: JobQuerySet, from_state: str, to_state: str, **changes: Any) -> int:
    """Move the jobs of `jobs` that are still in `from_state`; returns how many moved."""
    if to_state not in JOB_TRANSITIONS[from_state]:
        raise IllegalTransition(f"A job cannot go from {from_state} to {to_state}.")
    return jobs.filter(state=from_state).update(state=to_state, **changes)


def enqueue(
    name: str, /, *, run_at: datetime | None = None, operator_id: int | None = None, **kwargs: Any
) -> Job:
    """Queue the task `name` to run `func(**kwargs)` at `run_at` (default: now).

    The row is written in the caller's transaction: if it rolls back, the job never
    existed; once committed, the job is run or ends `failed`, never dropped. `operator_id`
    is whose back-office shows the job; it is not passed to the task (pass what the task
    needs in its own arguments).
    """
    job = _job(name, run_at=run_at, operator_id=operator_id, kwargs=kwargs)
    job.save(force_insert=True)
    return job


def enqueue_many(
    name: str,
    /,
    calls: list[dict[str, Any]],
    *,
    run_at: datetime | None = None,
    operator_id: int | None = None,
) -> list[Job]:
    """`enqueue(name, run_at=…, operator_id=…, **kwargs)` for each kwargs of `calls`, in one
    INSERT (a verb that queues one job per recipient of a notification, say)."""
    jobs = [_job(name, run_at=run_at, operator_id=operator_id, kwargs=kwargs) for kwargs in calls]
    return Job.objects.bulk_create(jobs) if jobs else []


def _job(name: str, *, run_at: datetime | None, operator_id: int | None, kwargs: dict[str, Any]) -> Job:
    """The row of a job to queue, its arguments checked (not saved)."""
    declared = get_task(name)
    try:
        # NaN and infinities are not JSON (RFC 8259 §6) and PostgreSQL's jsonb refuses them.
        json.dumps(kwargs, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The arguments of the task {name!r} must be JSON-serialisable: {exc}") from exc
    if run_at is not None and timezone.is_naive(run_at):
        raise ValueError("run_at must be an aware datetime.")
    return Job(
        name=name,
        kwargs=kwargs,
        run_at=run_at or timezone.now(),
        operator_id=operator_id,
        max_attempts=declared.max_attempts,
    )


def claim_next(*, worker: str, now: datetime, lease: timedelta) -> Job | None:
    """Take the oldest due job for `worker`, or None when nothing is due."""
    connection = connections[router.db_for_write(Job)]
    if connection.features.has_select_for_update_skip_locked:
        return _claim_skip_locked(worker=worker, now=now, lease=lease)
    return _claim_compare_and_set(worker=worker, now=now, lease=lease)


def _start_changes(worker: str, now: datetime, lease: timedelta) -> dict[str, Any]:
    # The attempt counts from the claim: a job that kills its worker uses up attempts too.
    return {
        "attempts": F("attempts") + 1,
        "locked_by": worker,
        "locked_until": now + lease,
        "started_at": now,
    }


def _claim_skip_locked(*, worker: str, now: datetime, lease: timedelta) -> Job | None:
    """PostgreSQL: lock the oldest due row no other worker holds (SELECT … FOR UPDATE SKIP
    LOCKED), so concurrent workers take different jobs without waiting on each other."""
    with transaction.atomic():
        job = Job.objects.due(now).select_for_update(skip_locked=True).first()
        if job is None:
            return None
        _move(
            Job.objects.filter(pk=job.pk),
            JobState.QUEUED,
            JobState.RUNNING,
            **_start_changes(worker, now, lease),
        )
    job.refresh_from_db()
    return job


def _claim_compare_and_set(*, worker: str, now: datetime, lease: timedelta) -> Job | None:
    """SQLite (one writer at a time, no row locks): read a few due ids, then move the first
    one still queued; a worker that lost the race to another tries the next."""
    for pk in Job.objects.due(now).values_list("pk", flat=True)[:10]:
        if _move(
            Job.objects.filter(pk=pk, run_at__lte=now),
            JobState.QUEUED,
            JobState.RUNNING,
            **_start_changes(worker, now, lease),
        ):
            return Job.objects.get(pk=pk)
    return None


def _held_by(job: Job, worker: str) -> JobQuerySet:
    """The job if it is still in the attempt `worker` claimed. The attempt number fences
    the record of an attempt that ended late (timed out, or past its lease) from a later
    claim of the same job, even one by the same worker name."""
    return Job.objects.filter(pk=job.pk, locked_by=worker, attempts=job.attempts)


def finish(job: Job, *, worker: str, now: datetime) -> bool:
    """Record success; False when the job was no longer ours (its lease expired and it was
    queued again: it will run once more, as at-least-once delivery allows)."""
    return bool(
        _move(_held_by(job, worker), JobState.RUNNING, JobState.DONE, finished_at=now, locked_until=None)
    )


def fail(
    job: Job, *, worker: str, now: datetime, error: str, retry_delay: timedelta, timed_out: bool = False
) -> str | None:
    """Record a failed attempt: queued again after retry_delay × 2^(attempt-1) while
    attempts remain, else failed for good with its traceback. An attempt stopped by its time
    limit (`timed_out`) is counted on the job too, for `jobs_status` and the back-office.
    Returns the new state, or None when the job was no longer ours."""
    held = _held_by(job, worker)
    changes: dict[str, Any] = {"locked_until": None, "last_error": error}
    if timed_out:
        changes.update(timeouts=F("timeouts") + 1, last_timed_out_at=now)
    if job.attempts >= job.max_attempts:
        moved = _move(held, JobState.RUNNING, JobState.FAILED, finished_at=now, **changes)
        return JobState.FAILED if moved else None
    delay = retry_delay * 2 ** (job.attempts - 1)
    moved = _move(held, JobState.RUNNING, JobState.QUEUED, run_at=now + delay, **changes)
    return JobState.QUEUED if moved else None


def renew_leases(job_ids: list[int], *, worker_prefix: str, now: datetime, lease: timedelta) -> int:
    """Extend the leases of the jobs a live worker is running, so long jobs keep them."""
    if not job_ids:
        return 0
    return Job.objects.filter(
        pk__in=job_ids, state=JobState.RUNNING, locked_by__startswith=worker_prefix
    ).update(locked_until=now + lease)


def recover_expired(now: datetime) -> int:
    """Running jobs whose lease expired (their worker died or hung) go back to the queue,
    or to failed when that was their last attempt. Returns how many were recovered."""
    expired = Job.objects.lease_expired(now)
    # Read first: on SQLite even an UPDATE that changes nothing takes the write lock.
    if not expired.exists():
        return 0
    error = Concat(
        Value("The worker "),
        F("locked_by"),
        Value(" stopped before finishing this job: its lease expired."),
        output_field=TextField(),
    )
    requeued = _move(
        expired.filter(attempts__lt=F("max_attempts")),
        JobState.RUNNING,
        JobState.QUEUED,
        run_at=now,
        locked_until=None,
        last_error=error,
    )
    failed = _move(
        expired.filter(attempts__gte=F("max_attempts")),
        JobState.RUNNING,
        JobState.FAILED,
        finished_at=now,
        locked_until=None,
        last_error=error,
    )
    return requeued + failed


def retry_now(jobs: JobQuerySet, *, now: datetime | None = None) -> int:
    """Queue failed jobs again, due now, with their attempts reset (the back-office's
    "retry now"). Other states are left alone. The last error stays until the next one."""
    return _move(
        jobs,
        JobState.FAILED,
        JobState.QUEUED,
        attempts=0,
        run_at=now or timezone.now(),
        started_at=None,
        finished_at=None,
        locked_until=None,
    )


def enqueue_due_occurrences(now: datetime) -> int:
    """Enqueue one job per periodic task that is due. Returns how many were enqueued.

    A task declared for the first time is first due one period later: a fresh database
    (and every test) starts without a burst of periodic jobs.
    """
    declared = periodic_tasks()
    if not declared:
        return 0
    schedules = {s.name: s for s in Schedule.objects.filter(name__in=declared)}
    missing = [
        Schedule(name=name, every=every, next_run_at=now + every)
        for name, every in declared.items()
        if name not in schedules
    ]
    if missing:
        Schedule.objects.bulk_create(missing, ignore_conflicts=True)
    enqueued = 0
    for name, every in sorted(declared.items()):
        schedule = schedules.get(name)
        if schedule is None:
            continue
        if schedule.every != every:
            # The interval changed in the code: an occurrence a day away under the old one
            # comes within the new one.
            schedule.next_run_at = min(schedule.next_run_at, now + every)
            Schedule.objects.filter(pk=schedule.pk).update(every=every, next_run_at=schedule.next_run_at)
        if schedule.next_run_at <= now and take_occurrence(schedule, every=every, now=now) is not None:
            enqueued += 1
    return enqueued


def take_occurrence(schedule: Schedule, *, every: timedelta, now: datetime) -> Job | None:
    """Move the schedule from the `next_run_at` this worker read to the first occurrence
    after `now`, and enqueue the job in the same transaction. The conditional UPDATE lets
    one worker win; the others find `next_run_at` moved and enqueue nothing. Occurrences
    missed while no worker ran are folded into this one."""
    missed = (now - schedule.next_run_at) // every
    following = schedule.next_run_at + every * (missed + 1)
    with transaction.atomic():
        won = Schedule.objects.filter(pk=schedule.pk, next_run_at=schedule.next_run_at).update(
            next_run_at=following, last_run_at=now
        )
        if not won:
            return None
        return enqueue(schedule.name, run_at=now)


def purge_done(*, now: datetime | None = None, keep_days: int | None = None) -> int:
    """Delete done jobs finished more than `keep_days` (JOBS_KEEP_DONE_DAYS) ago, a batch
    at a time so that no long transaction holds the table. Failed jobs are kept."""
    keep = settings.JOBS_KEEP_DONE_DAYS if keep_days is None else keep_days
    cutoff = (now or timezone.now()) - timedelta(days=keep)
    old = Job.objects.filter(state=JobState.DONE, finished_at__lt=cutoff)
    deleted = 0
    while batch := list(old.values_list("pk", flat=True)[:1000]):
        deleted += Job.objects.filter(pk__in=batch).delete()[0]
    return deleted
