"""`mutualis worker`: runs what is due, stops gracefully, reports."""

from __future__ import annotations

import io
import os
import signal
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from mutualis.jobs import Job, JobState, enqueue, runner, task
from mutualis.jobs.runner import Worker

from .conftest import Calls
from .factories import JobFactory

# The worker runs jobs in threads of their own, with their own connections: they see only
# committed rows. Only the queue's tables are written, so only they are emptied after each test.
pytestmark = pytest.mark.django_db(transaction=True, available_apps=["mutualis.jobs"])


def test_worker_once_runs_what_is_due_and_exits(calls: Calls) -> None:
    enqueue("tests.record", ticket_id=7)
    enqueue("tests.boom")
    out = io.StringIO()

    call_command("worker", "--once", stdout=out)

    assert "2 job(s) run: 1 done, 1 to retry, 0 failed" in out.getvalue()
    assert dict(Job.objects.values_list("name", "state")) == {
        "tests.record": JobState.DONE,
        "tests.boom": JobState.QUEUED,
    }


def test_worker_logs_each_job(calls: Calls, caplog: pytest.LogCaptureFixture) -> None:
    job = enqueue("tests.boom")
    caplog.set_level("INFO", logger="mutualis.jobs")
    call_command("worker", "--once", stdout=io.StringIO())
    assert f"Job {job.pk} tests.boom failed (attempt 1/3), will retry." in caplog.text


def test_worker_stops_after_the_current_job_on_sigterm(calls: Calls, monkeypatch: pytest.MonkeyPatch) -> None:
    # The job runs in a serving thread; the signal is handled in the main thread.
    handled = threading.Event()
    stop = Worker.stop

    def stop_and_tell(self: Worker) -> None:
        stop(self)
        handled.set()

    monkeypatch.setattr(Worker, "stop", stop_and_tell)

    @task("tests.deploy_in_progress")
    def deploy_in_progress() -> None:
        # systemd stops the worker while this job runs.
        os.kill(os.getpid(), signal.SIGTERM)
        assert handled.wait(10)
        calls.add({"finished": True})

    first = enqueue("tests.deploy_in_progress")
    second = enqueue("tests.record")
    handler_before = signal.getsignal(signal.SIGTERM)

    call_command("worker", "--sleep", "0.01", stdout=io.StringIO())  # returns once stopped

    assert Job.objects.get(pk=first.pk).state == JobState.DONE  # finished, not cut short
    assert Job.objects.get(pk=second.pk).state == JobState.QUEUED  # left for the next worker
    assert calls.seen == [{"finished": True}]
    assert signal.getsignal(signal.SIGTERM) is handler_before


def test_a_stopped_worker_takes_no_new_job(calls: Calls) -> None:
    worker = Worker(concurrency=1, sleep=0.01)

    @task("tests.last_before_stop")
    def last_before_stop() -> None:
        worker.stop()

    enqueue("tests.last_before_stop")
    enqueue("tests.record")
    report = worker.run()
    assert (report.ran, report.done) == (1, 1)
    assert calls.seen == []


@pytest.fixture
def database_restarting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The first two claims fail as on a database restarting; the worker waits 10 ms."""
    monkeypatch.setattr(runner, "FIRST_DATABASE_WAIT", 0.01)
    failures = {"left": 2}
    claim_next = runner.claim_next

    def claim(**kwargs):  # type: ignore[no-untyped-def]
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return claim_next(**kwargs)

    monkeypatch.setattr(runner, "claim_next", claim)
    return failures


def test_a_worker_waits_out_a_database_that_does_not_answer(
    calls: Calls, database_restarting: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """The worker exited on the first error of the database (a restart, a lost
    connection); without a supervisor (`make demo`) nobody started it again, and its jobs
    waited. It now waits for the database and goes on."""
    worker = Worker(concurrency=1, sleep=0.01)

    @task("tests.stop_the_worker")
    def stop_the_worker() -> None:
        worker.stop()

    enqueue("tests.record", n=1)
    enqueue("tests.stop_the_worker")
    caplog.set_level("WARNING", logger="mutualis.jobs")

    report = worker.run()

    assert (report.done, database_restarting["left"]) == (2, 0)
    assert calls.seen == [{"n": 1}]
    assert caplog.text.count("Database unavailable (server closed the connection unexpectedly)") == 2


def test_a_worker_run_once_stops_on_a_database_that_does_not_answer(
    calls: Calls, database_restarting: dict[str, int]
) -> None:
    """From cron or a script, the run says so (non-zero exit) rather than wait."""
    enqueue("tests.record", n=1)
    with pytest.raises(OperationalError):
        Worker(concurrency=1, sleep=0.01).run(once=True)
    assert calls.seen == []


def test_worker_recovers_dead_workers_jobs(calls: Calls) -> None:
    job = JobFactory(abandoned=True)
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "1 recovered from dead workers" in out.getvalue()
    job.refresh_from_db()
    assert job.state == JobState.DONE


@pytest.mark.parametrize("option", [["--concurrency", "0"], ["--sleep", "0"]])
def test_worker_refuses_nonsense_options(option: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("worker", "--once", *option)


def test_jobs_status_shows_the_queue_at_a_glance(calls: Calls) -> None:
    JobFactory(failed=True, name="servicedesk.send_notification")
    enqueue("tests.record")
    out = io.StringIO()
    call_command("jobs_status", stdout=out)
    text = out.getvalue()
    assert "queued   1" in text
    assert "failed   1" in text
    assert "servicedesk.send_notification" in text
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in text
