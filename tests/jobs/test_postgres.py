"""Concurrent workers on the real PostgreSQL server, each thread with its own connection
(collected only when the suite runs on PostgreSQL: see conftest.py)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from mutualis.jobs import Job, JobState, Schedule, enqueue, periodic, run_pending, task
from mutualis.jobs.queue import enqueue_due_occurrences, recover_expired
from mutualis.jobs.runner import RunReport, Worker
from tests.threads import together

from .conftest import Calls

# Committed data, for the threads' connections to see; only the queue's tables are written,
# so only they are emptied after each test (a full flush takes seconds).
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, available_apps=["mutualis.jobs"]),
]


@pytest.fixture
def slow_record(calls: Calls) -> Calls:
    @task("tests.slow_record")
    def slow(n: int) -> None:
        time.sleep(0.005)  # long enough for the other worker to reach the next row
        calls.add({"n": n})

    return calls


def test_two_workers_never_run_the_same_job_twice(slow_record: Calls) -> None:
    for n in range(40):
        enqueue("tests.slow_record", n=n)

    reports: list[RunReport] = together([run_pending, run_pending])

    assert sorted(call["n"] for call in slow_record.seen) == list(range(40))
    assert sum(report.done for report in reports) == 40
    assert all(report.done for report in reports)  # both workers did take jobs
    assert set(Job.objects.values_list("state", "attempts")) == {(JobState.DONE, 1)}


def test_a_worker_with_threads_runs_each_job_once(slow_record: Calls) -> None:
    for n in range(30):
        enqueue("tests.slow_record", n=n)

    report = Worker(concurrency=4, sleep=0.01).run(once=True)

    assert report.done == 30
    assert sorted(call["n"] for call in slow_record.seen) == list(range(30))


def test_two_workers_enqueue_each_periodic_occurrence_once(calls: Calls) -> None:
    every = dt.timedelta(minutes=5)

    @periodic("tests.sla_sweep", every=every)
    def sla_sweep() -> None:
        pass

    start = timezone.now()
    enqueue_due_occurrences(start)  # plans the first occurrence
    for round_ in range(1, 11):
        due = start + every * round_
        together([lambda due=due: enqueue_due_occurrences(due)] * 3)

    assert Job.objects.filter(name="tests.sla_sweep").count() == 10
    assert Schedule.objects.get(name="tests.sla_sweep").next_run_at == start + every * 11


def test_a_long_job_keeps_its_lease_while_its_worker_lives(calls: Calls) -> None:
    lease = dt.timedelta(seconds=0.3)
    expired_meanwhile: list[int] = []

    @task("tests.long_report")
    def long_report() -> None:
        time.sleep(0.6)  # twice the lease: only the heartbeat keeps it
        expired_meanwhile.append(recover_expired(timezone.now()))

    job = enqueue("tests.long_report")
    report = Worker(concurrency=1, sleep=0.01, lease=lease).run(once=True)

    assert (report.done, report.recovered, expired_meanwhile) == (1, 0, [0])
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 1)
