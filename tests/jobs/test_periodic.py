"""Periodic tasks: one job per occurrence, whatever the number of workers asking."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone

from mutualis.jobs import Job, JobState, Schedule, periodic, run_pending, task
from mutualis.jobs.queue import take_occurrence
from mutualis.jobs.registration import check_periodic_tasks, periodic_tasks

from .conftest import Calls

pytestmark = pytest.mark.django_db

EVERY = dt.timedelta(minutes=5)


@pytest.fixture
def sweep(calls: Calls) -> Calls:
    @periodic("tests.sla_sweep", every=EVERY)
    def sla_sweep() -> None:
        calls.add({"swept": True})

    return calls


def test_a_periodic_task_is_first_due_one_period_after_the_first_run(sweep: Calls) -> None:
    start = timezone.now()
    assert run_pending(now=start).scheduled == 0
    schedule = Schedule.objects.get(name="tests.sla_sweep")
    assert (schedule.every, schedule.next_run_at) == (EVERY, start + EVERY)
    assert sweep.seen == []


def test_an_occurrence_is_enqueued_once_by_two_runs_at_the_same_time(sweep: Calls) -> None:
    start = timezone.now()
    run_pending(now=start)
    due = start + EVERY

    first, second = run_pending(now=due), run_pending(now=due)

    assert (first.scheduled, second.scheduled) == (1, 0)
    assert Job.objects.filter(name="tests.sla_sweep").count() == 1
    assert sweep.seen == [{"swept": True}]
    assert Schedule.objects.get(name="tests.sla_sweep").next_run_at == due + EVERY


def test_a_worker_that_read_the_schedule_before_another_moved_it_enqueues_nothing(sweep: Calls) -> None:
    start = timezone.now()
    run_pending(now=start)
    stale = Schedule.objects.get(name="tests.sla_sweep")  # what a second worker read
    run_pending(now=start + EVERY)  # the first worker takes the occurrence

    assert take_occurrence(stale, every=EVERY, now=start + EVERY) is None
    assert Job.objects.filter(name="tests.sla_sweep").count() == 1


def test_occurrences_missed_while_no_worker_ran_are_folded_into_one(sweep: Calls) -> None:
    start = timezone.now()
    run_pending(now=start)
    late = start + dt.timedelta(hours=1, minutes=2)
    assert run_pending(now=late).scheduled == 1
    # Still on the five-minute grid it was planned on: 1 h 05 after the start.
    assert Schedule.objects.get(name="tests.sla_sweep").next_run_at == start + dt.timedelta(
        hours=1, minutes=5
    )
    assert Job.objects.filter(name="tests.sla_sweep", state=JobState.DONE).count() == 1


def test_periodic_over_task_keeps_the_tasks_options(calls: Calls) -> None:
    @periodic("tests.report", every=dt.timedelta(days=1))
    @task("tests.report", max_attempts=2)
    def nightly_report() -> None:
        pass

    @task("tests.other", max_attempts=2)
    @periodic("tests.other", every=dt.timedelta(days=1))
    def other() -> None:
        pass

    start = timezone.now()
    run_pending(now=start)
    run_pending(now=start + dt.timedelta(days=1))
    jobs = Job.objects.filter(name__in=["tests.report", "tests.other"])
    assert dict(jobs.values_list("name", "max_attempts")) == {"tests.report": 2, "tests.other": 2}


def test_a_name_cannot_be_taken_by_two_functions(calls: Calls) -> None:
    def impostor() -> None:
        pass

    with pytest.raises(
        ValueError, match=re.escape("already used by tests.jobs.conftest.calls.<locals>.record")
    ):
        task("tests.record")(impostor)


def test_a_periodic_declaration_without_a_task_stops_the_start(calls: Calls) -> None:
    periodic("tests.forgotten", every=dt.timedelta(hours=1))
    with pytest.raises(ValueError, match=r"tests\.forgotten"):
        check_periodic_tasks()


def test_the_apps_tasks_are_discovered_at_start() -> None:
    # JobsConfig.ready() imported mutualis/jobs/tasks.py (and every app's jobs.py/tasks.py).
    assert apps.is_installed("mutualis.jobs")
    from mutualis.jobs.registration import periodic_tasks, task_names

    assert "jobs.purge_done" in task_names()
    assert periodic_tasks()["jobs.purge_done"] == dt.timedelta(days=1)


def test_the_operators_guide_lists_every_periodic_task_with_its_interval() -> None:
    """docs/jobs.md's table is where an operator learns what runs by itself: a task added
    without its line, or an interval changed, shows here."""
    units = {"minute": 60, "5 minutes": 300, "hour": 3600, "6 hours": 21600, "day": 86400}
    guide = (Path(__file__).resolve().parents[2] / "docs" / "jobs.md").read_text(encoding="utf-8")
    listed = {
        name: dt.timedelta(seconds=units[every])
        for name, every in re.findall(r"^\| `([a-z_.]+)` \| ([a-z0-9 ]+) \|", guide, re.M)
    }
    registered = {name: every for name, every in periodic_tasks().items() if not name.startswith("tests.")}
    assert listed == registered
