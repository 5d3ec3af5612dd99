"""Failed jobs in the back-office: shown to their operator's admins with the error, hidden
from every other operator, and queued again by "retry now"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from mutualis.jobs import Job, JobState, enqueue, run_pending
from tests.conftest import Cast

from .conftest import Calls
from .factories import JobFactory

pytestmark = pytest.mark.django_db

LIST = "/backoffice/jobs/job/"


def _fail_for_good(cast: Cast) -> Job:
    """tests.boom, enqueued for the cast's operator, run until its attempts are spent."""
    job = enqueue("tests.boom", operator_id=cast.operator.pk, ticket_id=7)
    now = timezone.now()
    for _attempt in range(3):
        run_pending(now=now)
        job.refresh_from_db()
        now = job.run_at
    assert job.state == JobState.FAILED
    return job


def test_a_failed_job_shows_in_its_operators_back_office_with_its_error(
    cast: Cast, as_user, calls: Calls
) -> None:
    job = _fail_for_good(cast)

    page = as_user(cast.adam).get(f"{LIST}?state=failed").content.decode()
    assert f"{LIST}{job.pk}/change/" in page
    assert "RuntimeError: the printer is on fire" in page
    assert "3/3" in page

    detail = as_user(cast.adam).get(f"{LIST}{job.pk}/change/").content.decode()
    assert "Traceback (most recent call last)" in detail
    assert "&quot;ticket_id&quot;: 7" in detail


def test_another_operators_admin_does_not_see_the_job(cast: Cast, as_user, calls: Calls) -> None:
    job = _fail_for_good(cast)
    client = as_user(cast.oscar)

    page = client.get(LIST).content.decode()
    assert f"{LIST}{job.pk}/change/" not in page  # the task filter names every task: code, not data
    assert "printer is on fire" not in page

    response = client.get(f"{LIST}{job.pk}/change/", follow=True)
    # Django's admin answers a missing (or hidden) object by a redirect with a message.
    assert response.redirect_chain[-1][0] == "/backoffice/"
    assert "printer is on fire" not in response.content.decode()


def test_platform_jobs_are_not_shown_to_operator_admins(cast: Cast, as_user, calls: Calls) -> None:
    platform = JobFactory(failed=True, operator=None)
    ours = JobFactory(failed=True, operator=cast.operator)
    page = as_user(cast.adam).get(LIST).content.decode()
    assert f"{LIST}{ours.pk}/change/" in page
    assert f"{LIST}{platform.pk}/change/" not in page


def test_jobs_are_for_operator_admins_only(cast: Cast, as_user, calls: Calls) -> None:
    JobFactory(failed=True, operator=cast.operator)
    assert as_user(cast.olivia).get(LIST).status_code == 403
    assert as_user(cast.alice).get(LIST).status_code == 302  # members never reach the back-office


def test_jobs_are_read_only(cast: Cast, as_user, calls: Calls) -> None:
    job = JobFactory(failed=True, operator=cast.operator)
    client = as_user(cast.adam)
    assert client.post(f"{LIST}{job.pk}/change/", {"state": "done"}).status_code == 403
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{job.pk}/delete/", {"post": "yes"}).status_code == 403
    job.refresh_from_db()
    assert job.state == JobState.FAILED


def _retry(client: Client, *jobs: Job):  # type: ignore[no-untyped-def]
    return client.post(
        LIST, {"action": "retry_failed", "_selected_action": [job.pk for job in jobs]}, follow=True
    )


def test_retry_now_queues_a_failed_job_again_with_its_attempts_reset(
    cast: Cast, as_user, calls: Calls
) -> None:
    failed = _fail_for_good(cast)
    done = JobFactory(done=True, operator=cast.operator)

    response = _retry(as_user(cast.adam), failed, done)

    # One message that a job was queued again, one that the done job was left alone.
    assert [m.level_tag for m in response.context["messages"]] == ["success", "warning"]
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (JobState.QUEUED, 0)
    assert failed.run_at <= timezone.now()
    assert Job.objects.get(pk=done.pk).state == JobState.DONE
    run_pending()
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (JobState.QUEUED, 1)  # it ran again (and failed again)


def test_another_operators_admin_cannot_retry_the_job(cast: Cast, as_user, calls: Calls) -> None:
    failed = _fail_for_good(cast)
    _retry(as_user(cast.oscar), failed)
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (JobState.FAILED, 3)


def test_the_schedules_are_listed_read_only_for_operator_admins(cast: Cast, as_user, calls: Calls) -> None:
    run_pending()  # creates the schedule of the daily purge
    page = as_user(cast.adam).get("/backoffice/jobs/schedule/").content.decode()
    assert "jobs.purge_done" in page
    assert as_user(cast.olivia).get("/backoffice/jobs/schedule/").status_code == 403
