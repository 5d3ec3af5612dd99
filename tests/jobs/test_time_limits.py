"""Time limits: a job hung inside a live worker (a blocked socket, a lock wait, a loop) kept
its lease renewed by the heartbeat, was never retried nor reported, and held its worker
thread for good. Now it is timed out, retried or failed, and its slot served by a new
thread; its late result, if it ever returns, does not overwrite the job's newer state.

A real worker with threads, on SQLite and on PostgreSQL; limits of a fraction of a second."""

from __future__ import annotations

import io
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.core.management import CommandError, call_command
from django.db import connections

from mutualis.jobs import Job, JobState, enqueue, task
from mutualis.jobs.registration import get_task
from mutualis.jobs.runner import Worker

from .conftest import Calls
from .running import Running, wait_for

# Committed data, for the worker's threads to see; only the queue's tables are written.
pytestmark = pytest.mark.django_db(transaction=True, available_apps=["mutualis.jobs"])

LIMIT = timedelta(seconds=0.5)


@dataclass
class Hang:
    """`tests.hang`: its first attempt hangs until released, its second (if any) waits for
    `second_may_end`. Every event is set at the end of the test, so no thread outlives it."""

    first_returned: threading.Event = field(default_factory=threading.Event)
    release_first: threading.Event = field(default_factory=threading.Event)
    second_started: threading.Event = field(default_factory=threading.Event)
    second_may_end: threading.Event = field(default_factory=threading.Event)
    attempts: int = 0


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    """Abandoned threads, released at the end of a test, write their late record: let them
    end before the test's database goes away."""
    yield
    for thread in threading.enumerate():
        if thread.name.startswith("jobs-"):
            thread.join(5)


@pytest.fixture
def hang(calls: Calls) -> Iterator[Hang]:
    state = Hang()

    def hanging(first: threading.Event) -> None:
        # A socket that never answers.
        first.wait(30)

    def hang_task() -> None:
        state.attempts += 1
        if state.attempts == 1:
            # The next attempt gets a generous limit: the test's steps while it runs must
            # not be outrun on a busy machine. (The first attempt's deadline is set.)
            declare(timedelta(seconds=30))
            hanging(state.release_first)
            state.first_returned.set()
        else:
            state.second_started.set()
            state.second_may_end.wait(30)
        calls.add({"hang": state.attempts})

    def declare(limit: timedelta) -> None:
        task("tests.hang", max_attempts=2, retry_delay=timedelta(0), time_limit=limit)(hang_task)

    declare(LIMIT)
    yield state
    state.release_first.set()
    state.second_may_end.set()


def test_a_hung_job_is_timed_out_retried_and_its_slot_served_meanwhile(hang: Hang, calls: Calls) -> None:
    job = enqueue("tests.hang")
    other = enqueue("tests.record", n=1)  # queued behind it, on a worker of one thread
    worker = Worker(concurrency=1, sleep=0.02, lease=timedelta(seconds=0.3))

    with Running(worker) as running:
        # The first attempt passed its limit: recorded, and the job queued again at once.
        wait_for(lambda: hang.second_started.is_set(), what="the second attempt")
        # The only slot was freed: the job queued meanwhile ran while the first attempt hangs.
        assert Job.objects.get(pk=other.pk).state == JobState.DONE
        assert calls.seen == [{"n": 1}]
        assert not hang.first_returned.is_set()
        job.refresh_from_db()
        assert (job.state, job.attempts) == (JobState.RUNNING, 2)
        assert "JobTimeout: timed out after 0.5 s, the time limit of tests.hang" in job.last_error
        assert "in hanging" in job.last_error  # where it hung, for whoever reads the error

        # The hung attempt returns at last: its success is no longer this job's news.
        hang.release_first.set()
        assert hang.first_returned.wait(5)
        wait_for(lambda: worker.hung == 0, what="the abandoned thread to end")
        job.refresh_from_db()
        assert (job.state, job.attempts) == (JobState.RUNNING, 2)

        hang.second_may_end.set()
        wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE, what="the second attempt done")
        assert running.thread.is_alive(), running.error
    assert running.error is None
    report = worker.report
    assert (report.done, report.retried, report.failed, report.timed_out) == (2, 1, 0, 1)
    assert "3 job(s) run: 2 done, 1 to retry, 0 failed, 1 timed out" in str(report)
    assert Job.objects.get(pk=job.pk).attempts == 2


def test_a_job_timed_out_on_its_last_attempt_fails_for_good_with_a_clear_error(calls: Calls) -> None:
    release = threading.Event()

    @task("tests.stuck", max_attempts=1, time_limit=timedelta(seconds=0.2))
    def stuck() -> None:
        release.wait(30)

    job = enqueue("tests.stuck")
    worker = Worker(concurrency=2, sleep=0.02)
    try:
        with Running(worker):
            wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.FAILED, what="the job failed")
            enqueue("tests.record", n=2)  # both slots still serve
            wait_for(lambda: calls.seen == [{"n": 2}], what="the next job")
    finally:
        release.set()
    job.refresh_from_db()
    assert (job.attempts, job.finished_at is not None, job.locked_until) == (1, True, None)
    # The back-office's jobs list shows the error's last line.
    assert (
        site._registry[Job]
        .error_summary(job)
        .startswith(  # type: ignore[attr-defined]
            "JobTimeout: timed out after 0.2 s, the time limit of tests.stuck; the worker "
        )
    )
    assert (worker.report.failed, worker.report.timed_out) == (1, 1)


def ended(target: Callable[[], object], *, timeout: float = 20) -> BaseException | None:
    """Run `target` in a thread; the error it ended on (None if it returned), or a failure
    of the test if it is still running after `timeout` (a worker that never gives up)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s"
    return errors[0] if errors else None


def test_a_worker_with_too_many_hung_threads_exits_for_its_supervisor(calls: Calls) -> None:
    release = threading.Event()

    @task("tests.stuck", retry_delay=timedelta(minutes=1), time_limit=timedelta(seconds=0.2))
    def stuck() -> None:
        release.wait(30)

    job = enqueue("tests.stuck")
    try:
        error = ended(Worker(concurrency=1, sleep=0.02, max_abandoned=0).run)
    finally:
        release.set()
    assert isinstance(error, RuntimeError)
    assert "1 job thread(s) hung past their time limit" in str(error)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)  # retried later, by a fresh worker


def test_the_worker_command_exits_non_zero_when_it_gives_up(calls: Calls, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JOBS_MAX_ABANDONED_THREADS = 0
    release = threading.Event()

    @task("tests.stuck", time_limit=timedelta(seconds=0.2))
    def stuck() -> None:
        release.wait(30)

    enqueue("tests.stuck")
    # The command handles signals, so it runs in the main thread; a worker that never gave
    # up would be stopped by a SIGTERM after 20 s, and return without the error.
    safety = threading.Timer(20, os.kill, (os.getpid(), signal.SIGTERM))
    safety.start()
    try:
        # Django turns a CommandError into exit status 1 for `mutualis worker`.
        with pytest.raises(CommandError, match="JOBS_MAX_ABANDONED_THREADS = 0"):
            call_command("worker", "--sleep", "0.02", stdout=io.StringIO())
    finally:
        safety.cancel()
        release.set()


def test_tasks_take_the_default_time_limit_from_the_settings(calls: Calls, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JOBS_TIME_LIMIT_SECONDS = 42
    assert get_task("tests.record").limit() == timedelta(seconds=42)

    @task("tests.quick", time_limit=timedelta(seconds=5))
    def quick() -> None:
        pass

    assert get_task("tests.quick").limit() == timedelta(seconds=5)
    with pytest.raises(ValueError, match="time_limit must be positive"):
        task("tests.never", time_limit=timedelta(0))
