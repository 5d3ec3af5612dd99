"""A worker whose database sessions the server ends (pg_terminate_backend, as an
administrator, a failover or a restart ends them), on the real PostgreSQL server (collected
only when the suite runs on PostgreSQL: see conftest.py)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from mutualis.jobs import Job, JobState, enqueue, runner, task
from mutualis.jobs.runner import Worker

from .conftest import Calls
from .running import Running, wait_for

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, available_apps=["mutualis.jobs"]),
]


def end_the_other_sessions() -> int:
    """End every session of the test database but this thread's own; how many ended."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (ended,) = cursor.fetchone()
    return int(ended)


@pytest.fixture
def fast_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "FIRST_DATABASE_WAIT", 0.05)


@pytest.mark.usefixtures("fast_reconnect")
def test_a_worker_whose_session_is_ended_goes_on(calls: Calls) -> None:
    """It exited on the first query of the dead session, leaving its jobs to wait for a
    supervisor to start it again."""
    with Running(Worker(concurrency=1, sleep=0.02)) as running:
        wait_for(lambda: end_the_other_sessions() > 0, what="the worker's session")
        for _ in range(10):  # its next sessions too, whenever it reconnects
            end_the_other_sessions()
            time.sleep(0.03)
        job = enqueue("tests.record", n=1)
        wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE, what="the job done")
        assert running.thread.is_alive(), running.error
    assert running.error is None
    assert calls.seen == [{"n": 1}]


@pytest.mark.usefixtures("fast_reconnect")
def test_a_job_whose_session_is_ended_midway_is_recorded_failed_and_run_again(calls: Calls) -> None:
    """The task failed on the dead session, and so did the record of its failure: the worker
    exited and the job stayed `running` until its lease expired (5 minutes by default).
    Now the failure is recorded on a new session and the job retried at once."""
    started, ended = threading.Event(), threading.Event()

    @task("tests.cut_short", retry_delay=timedelta(0))
    def cut_short() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not ended.is_set():
            started.set()
            assert ended.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # the session is gone
        calls.add({"finished": True})

    job = enqueue("tests.cut_short")
    with Running(Worker(concurrency=1, sleep=0.02)) as running:
        assert started.wait(10)
        assert end_the_other_sessions() > 0
        ended.set()
        wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE, what="the job done")
        assert running.thread.is_alive(), running.error
    job.refresh_from_db()
    assert job.attempts == 2
    assert "OperationalError: terminating connection due to administrator command" in job.last_error
    assert calls.seen == [{"finished": True}]
