"""The queue as the parts that use it see it: enqueue in their transaction, jobs that run,
fail, are retried with backoff, and are never lost."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import transaction
from django.utils import timezone

from mutualis.jobs import Job, JobState, enqueue, enqueue_many, run_pending, task
from mutualis.jobs.queue import claim_next, fail, finish, purge_done, recover_expired
from mutualis.registry.models import Operator
from tests.factories import OperatorFactory

from .conftest import Calls
from .factories import JobFactory

pytestmark = pytest.mark.django_db


def test_a_job_enqueued_in_a_transaction_that_rolls_back_never_exists(calls: Calls) -> None:
    def declare_then_fail() -> None:
        with transaction.atomic():
            enqueue("tests.record", ticket_id=1)
            raise RuntimeError("the ticket could not be saved")

    with pytest.raises(RuntimeError):
        declare_then_fail()
    assert not Job.objects.exists()
    assert run_pending().ran == 0
    assert calls.seen == []


def test_an_enqueued_job_runs_once_and_is_done(calls: Calls) -> None:
    operator = OperatorFactory()
    job = enqueue("tests.record", operator_id=operator.pk, ticket_id=7, note="écran cassé")
    assert (job.state, job.attempts, job.operator_id) == (JobState.QUEUED, 0, operator.pk)

    report = run_pending()

    assert (report.ran, report.done) == (1, 1)
    assert calls.seen == [{"ticket_id": 7, "note": "écran cassé"}]
    job.refresh_from_db()
    assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 1, "")
    assert job.started_at is not None
    assert job.finished_at is not None
    assert run_pending().ran == 0  # done is done


def test_jobs_enqueued_together_run_each_in_order_of_when_they_are_due(calls: Calls) -> None:
    operator = OperatorFactory()
    now = timezone.now()
    enqueue("tests.record", ticket_id=3)
    earlier = now - dt.timedelta(minutes=1)
    jobs = enqueue_many(
        "tests.record", [{"ticket_id": 1}, {"ticket_id": 2}], run_at=earlier, operator_id=operator.pk
    )
    assert [(j.pk is not None, j.operator_id, j.run_at) for j in jobs] == [(True, operator.pk, earlier)] * 2
    assert enqueue_many("tests.record", []) == []

    assert run_pending(now=now + dt.timedelta(seconds=1)).done == 3
    # Due earlier, run first, though queued after.
    assert calls.seen == [{"ticket_id": 1}, {"ticket_id": 2}, {"ticket_id": 3}]


def test_enqueue_many_refuses_what_could_never_run_and_queues_none(calls: Calls) -> None:
    with pytest.raises(ValueError, match="JSON-serialisable"):
        enqueue_many("tests.record", [{"ticket_id": 1}, {"ratio": math.nan}])
    with pytest.raises(ValueError, match="aware"):
        enqueue_many("tests.record", [{"ticket_id": 1}], run_at=dt.datetime(2030, 1, 1))  # noqa: DTZ001
    assert not Job.objects.exists()


def test_enqueue_refuses_what_could_never_run(calls: Calls) -> None:
    with pytest.raises(ValueError, match=r"No task is registered under the name 'tests\.nope'"):
        enqueue("tests.nope")
    with pytest.raises(ValueError, match="JSON-serialisable"):
        enqueue("tests.record", when=timezone.now())
    with pytest.raises(ValueError, match="JSON-serialisable"):
        enqueue("tests.record", ratio=math.nan)
    with pytest.raises(ValueError, match="aware"):
        enqueue("tests.record", run_at=dt.datetime(2025, 1, 1, 8, 0))  # noqa: DTZ001 - the mistake under test
    assert not Job.objects.exists()


def test_a_task_may_take_an_argument_called_name(calls: Calls) -> None:
    enqueue("tests.record", name="Mairie de Versailles")
    run_pending()
    assert calls.seen == [{"name": "Mairie de Versailles"}]


def test_a_job_waits_for_its_time(calls: Calls) -> None:
    now = timezone.now()
    enqueue("tests.record", run_at=now + dt.timedelta(hours=1))
    assert run_pending(now=now).ran == 0
    assert run_pending(now=now + dt.timedelta(hours=1)).done == 1


def test_limit_bounds_a_run_oldest_first(calls: Calls) -> None:
    now = timezone.now()
    for n in (3, 1, 2):
        enqueue("tests.record", run_at=now - dt.timedelta(minutes=n), n=n)
    assert run_pending(now=now, limit=2).ran == 2
    assert calls.seen == [{"n": 3}, {"n": 2}]


def test_a_failing_job_is_retried_with_backoff_then_failed_with_its_traceback(calls: Calls) -> None:
    start = timezone.now()
    job = enqueue("tests.boom", run_at=start, ticket_id=7)

    report = run_pending(now=start)
    assert (report.ran, report.retried, report.failed) == (1, 1, 0)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)
    assert job.run_at == start + dt.timedelta(seconds=30)
    assert "Traceback" in job.last_error
    assert "RuntimeError: the printer is on fire" in job.last_error

    assert run_pending(now=start + dt.timedelta(seconds=29)).ran == 0  # not before its time
    second = start + dt.timedelta(seconds=30)
    assert run_pending(now=second).retried == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, job.run_at) == (JobState.QUEUED, 2, second + dt.timedelta(seconds=60))

    third = second + dt.timedelta(seconds=60)
    assert run_pending(now=third).failed == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, job.finished_at) == (JobState.FAILED, 3, third)
    assert "RuntimeError: the printer is on fire" in job.last_error
    run_pending(now=third + dt.timedelta(days=30))  # the daily purge runs, and keeps it
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert len(calls.seen) == 3


def test_a_failed_attempt_leaves_no_half_written_data(calls: Calls) -> None:
    @task("tests.half_done")
    def half_done() -> None:
        OperatorFactory(slug="half-done")
        raise RuntimeError("stopped halfway")

    enqueue("tests.half_done")
    run_pending()
    assert not Operator.objects.filter(slug="half-done").exists()
    assert Job.objects.get().state == JobState.QUEUED


def test_a_job_this_process_does_not_know_is_retried_not_lost(calls: Calls) -> None:
    job = JobFactory(name="servicedesk.from_newer_code")
    assert run_pending().retried == 1
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert "No task is registered under the name 'servicedesk.from_newer_code'" in job.last_error


def test_a_dead_workers_job_is_queued_again_and_runs(calls: Calls) -> None:
    job = JobFactory(abandoned=True, kwargs={"ticket_id": 7})

    report = run_pending()

    assert (report.recovered, report.done) == (1, 1)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 2)  # the dead worker's try counts
    assert "worker-1:123:abcdef-1 stopped before finishing this job" in job.last_error
    assert calls.seen == [{"ticket_id": 7}]


def test_a_job_that_kills_its_worker_on_its_last_attempt_ends_failed(calls: Calls) -> None:
    job = JobFactory(abandoned=True, attempts=5, max_attempts=5)
    assert run_pending().recovered == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "its lease expired" in job.last_error
    assert calls.seen == []


def test_a_running_job_within_its_lease_is_left_to_its_worker(calls: Calls) -> None:
    job = JobFactory(abandoned=True, locked_until=timezone.now() + dt.timedelta(minutes=4))
    assert run_pending().ran == 0
    job.refresh_from_db()
    assert job.state == JobState.RUNNING


def test_a_worker_that_outlived_its_lease_does_not_overwrite_the_job(calls: Calls) -> None:
    enqueue("tests.record")
    now = timezone.now()
    job = claim_next(worker="slow", now=now, lease=dt.timedelta(minutes=5))
    assert job is not None
    assert recover_expired(now + dt.timedelta(minutes=6)) == 1
    assert finish(job, worker="slow", now=now + dt.timedelta(minutes=7)) is False
    job.refresh_from_db()
    assert job.state == JobState.QUEUED  # it runs again: at least once, never lost


def test_a_claimed_job_is_not_claimed_again(calls: Calls) -> None:
    first = enqueue("tests.record", n=1)
    second = enqueue("tests.record", n=2)
    now = timezone.now()
    lease = dt.timedelta(minutes=5)
    claimed = [claim_next(worker=w, now=now, lease=lease) for w in ("a", "b", "c")]
    assert [job.pk if job else None for job in claimed] == [first.pk, second.pk, None]
    assert [job.locked_by for job in claimed if job] == ["a", "b"]


def test_done_jobs_are_purged_after_some_days_failed_ones_are_kept(settings, calls: Calls) -> None:  # type: ignore[no-untyped-def]
    settings.JOBS_KEEP_DONE_DAYS = 14
    now = timezone.now()
    old_done = JobFactory(done=True, finished_at=now - dt.timedelta(days=15))
    recent_done = JobFactory(done=True, finished_at=now - dt.timedelta(days=13))
    old_failed = JobFactory(failed=True, finished_at=now - dt.timedelta(days=400))
    queued = JobFactory(run_at=now - dt.timedelta(days=30))

    assert purge_done(now=now) == 1

    assert set(Job.objects.values_list("pk", flat=True)) == {recent_done.pk, old_failed.pk, queued.pk}
    assert not Job.objects.filter(pk=old_done.pk).exists()


def test_the_purge_runs_daily_by_itself(calls: Calls) -> None:
    start = timezone.now()
    JobFactory(done=True, finished_at=start - dt.timedelta(days=30))
    run_pending(now=start)  # the first worker start plans the first purge a day later
    assert run_pending(now=start + dt.timedelta(days=1)).scheduled == 1
    assert Job.objects.get(name="jobs.purge_done").state == JobState.DONE
    assert list(Job.objects.values_list("name", flat=True)) == ["jobs.purge_done"]


def test_the_late_record_of_an_attempt_does_not_overwrite_a_later_attempt(calls: Calls) -> None:
    """A hung attempt timed out, the job claimed again under the same worker name: the
    first attempt's late success must not end the second one."""
    enqueue("tests.record")
    now = timezone.now()
    lease = dt.timedelta(minutes=5)
    first = claim_next(worker="w-1", now=now, lease=lease)
    assert first is not None
    assert (
        fail(first, worker="w-1", now=now, error="JobTimeout", retry_delay=dt.timedelta(0)) == JobState.QUEUED
    )
    second = claim_next(worker="w-1", now=now, lease=lease)
    assert second is not None
    assert second.attempts == 2

    assert finish(first, worker="w-1", now=now) is False
    assert fail(first, worker="w-1", now=now, error="late", retry_delay=dt.timedelta(0)) is None
    second.refresh_from_db()
    assert (second.state, second.attempts, second.last_error) == (JobState.RUNNING, 2, "JobTimeout")
    assert finish(second, worker="w-1", now=now) is True
