"""Timed-out jobs, as operators see them: `jobs_status` counted failures but not time-outs,
which hid a task that kept running past its limit (retried, then done or failed, each
attempt a thread abandoned). Now it counts them per task, recently and in all, beside the
failures and the task's limit; the back-office filters them. A per-task limit can be set
in the settings (JOBS_TIME_LIMITS), checked at start."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from mutualis.jobs import Job, JobState, enqueue, task
from mutualis.jobs.checks import check_time_limits
from mutualis.jobs.registration import get_task
from mutualis.jobs.runner import Worker

from .conftest import Calls
from .factories import JobFactory
from .running import Running, wait_for


@pytest.fixture
def stuck(calls: Calls) -> Iterator[threading.Event]:
    """`tests.stuck`: hangs until released (at the end of the test), 1 attempt, no limit of
    its own."""
    release = threading.Event()

    @task("tests.stuck", max_attempts=1)
    def stuck_task() -> None:
        release.wait(30)

    yield release
    release.set()
    for thread in threading.enumerate():
        if thread.name.startswith("jobs-"):
            thread.join(5)


def _status(*args: str) -> dict[str, list[str]]:
    """jobs_status's per-task lines, task name: its columns."""
    out = io.StringIO()
    call_command("jobs_status", *args, stdout=out)
    text = out.getvalue()
    assert "Per task (recent: the last" in text, text
    per_task = text.split("Per task", 1)[1].splitlines()[2:]  # after the title and the header
    rows = {}
    for line in per_task:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.django_db(transaction=True, available_apps=["mutualis.jobs"])
def test_jobs_status_counts_timed_out_jobs_per_task_with_the_limit_from_the_settings(
    stuck: threading.Event, calls: Calls, settings
) -> None:  # type: ignore[no-untyped-def]
    # The operator gives the task a limit of its own; it declares none.
    settings.JOBS_TIME_LIMITS = {"tests.stuck": "0.2"}
    assert get_task("tests.stuck").limit() == timedelta(seconds=0.2)
    job = enqueue("tests.stuck")
    with Running(Worker(concurrency=1, sleep=0.02)) as running:
        wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.FAILED, what="the job timed out")
    assert running.error is None
    job.refresh_from_db()
    assert job.timeouts == 1
    assert "JobTimeout: timed out after 0.2 s, the time limit of tests.stuck" in job.last_error
    # Timed out three days ago, then retried and done: still counted in all, not recently.
    JobFactory(
        name="tests.stuck",
        done=True,
        timeouts=2,
        last_timed_out_at=timezone.now() - dt.timedelta(days=3),
    )
    # A failure that is no time-out, of another task.
    JobFactory(name="tests.boom", failed=True)
    enqueue("tests.record")

    rows = _status()
    #                          queued running failed-24h failed timed-out-24h timed-out limit
    assert rows["tests.stuck"] == ["0", "0", "1", "1", "1", "2", "0.2", "s"]
    assert rows["tests.boom"] == ["0", "0", "1", "1", "0", "0", "600", "s"]
    assert rows["tests.record"] == ["1", "0", "0", "0", "0", "0", "600", "s"]
    # A wider window takes the older time-out in.
    assert _status("--hours", "100")["tests.stuck"][4:6] == ["2", "2"]


@pytest.mark.django_db
def test_jobs_without_news_are_left_out_of_the_per_task_lines(calls: Calls) -> None:
    JobFactory(name="tests.record", done=True)
    JobFactory(name="tests.boom", failed=True)
    rows = _status()
    assert list(rows) == ["tests.boom"]


@pytest.mark.django_db
def test_the_back_office_lists_timed_out_jobs_of_its_operator_only(cast, as_user, calls: Calls) -> None:  # type: ignore[no-untyped-def]
    recent = JobFactory(
        name="tests.record", operator=cast.operator, failed=True, timeouts=1, last_timed_out_at=timezone.now()
    )
    older = JobFactory(
        name="tests.record",
        operator=cast.operator,
        done=True,
        timeouts=1,
        last_timed_out_at=timezone.now() - dt.timedelta(days=2),
    )
    plain = JobFactory(name="tests.record", operator=cast.operator, failed=True)
    outsiders = JobFactory(
        name="tests.record",
        operator=cast.other_operator,
        failed=True,
        timeouts=1,
        last_timed_out_at=timezone.now(),
    )
    listing = "/backoffice/jobs/job/"
    adam = as_user(cast.adam)

    def listed(page: str) -> set[int]:
        return {job.pk for job in (recent, older, plain, outsiders) if f"{listing}{job.pk}/change/" in page}

    assert listed(adam.get(f"{listing}?timed_out=recent").content.decode()) == {recent.pk}
    assert listed(adam.get(f"{listing}?timed_out=ever").content.decode()) == {recent.pk, older.pk}
    detail = adam.get(f"{listing}{recent.pk}/change/").content.decode()
    assert "field-timeouts" in detail
    # Another operator's admin sees none of them, with the filter or without.
    oscar = as_user(cast.oscar)
    assert listed(oscar.get(f"{listing}?timed_out=ever").content.decode()) == {outsiders.pk}


@pytest.mark.parametrize(
    ("configured", "check_id", "words"),
    [
        ({"tests.recod": "60"}, "jobs.E002", "Did you mean 'tests.record'?"),
        ({"tests.record": "soon"}, "jobs.E001", "the limit 'soon', which is not a number of seconds"),
        ({"tests.record": "0"}, "jobs.E001", "greater than 0"),
        ({"tests.record": True}, "jobs.E001", "not a number of seconds"),
        ({"tests.record": ""}, "jobs.E001", "the limit ''"),
        ({"tests.record": "1e20"}, "jobs.E001", "the limit '1e20'"),
        ("tests.record=60", "jobs.E001", "must map task names to seconds"),
    ],
)
def test_an_unusable_per_task_limit_stops_the_start_with_a_clear_message(
    calls: Calls, settings, configured: object, check_id: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    settings.JOBS_TIME_LIMITS = configured
    errors = check_time_limits()
    assert [error.id for error in errors] == [check_id]
    assert words in errors[0].msg + (errors[0].hint or "")
    # `mutualis worker` runs the checks before it starts, as `check` does.
    with pytest.raises(SystemCheckError, match=check_id):
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())


def test_per_task_limits_from_the_settings_come_before_the_tasks_own(calls: Calls, settings) -> None:  # type: ignore[no-untyped-def]
    @task("tests.quick", time_limit=timedelta(seconds=5))
    def quick() -> None:
        pass

    settings.JOBS_TIME_LIMITS = {"tests.quick": 90, "tests.record": "1.5"}
    assert check_time_limits() == []
    assert get_task("tests.quick").limit() == timedelta(seconds=90)
    assert get_task("tests.record").limit() == timedelta(seconds=1.5)
    settings.JOBS_TIME_LIMITS = {}
    assert get_task("tests.quick").limit() == timedelta(seconds=5)
