"""Jobs in the shapes tests need: failed with a traceback, running on a dead worker."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from mutualis.jobs.models import Job, JobState

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "mutualis/servicedesk/notifications.py", line 42, in send\n'
    "    smtp.send_message(message)\n"
    "ConnectionRefusedError: [Errno 111] Connection refused\n"
)


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    name = "tests.record"
    kwargs = factory.LazyFunction(dict)
    max_attempts = 5

    class Params:
        failed = factory.Trait(
            state=JobState.FAILED,
            attempts=5,
            last_error=TRACEBACK,
            started_at=factory.LazyFunction(timezone.now),
            finished_at=factory.LazyFunction(timezone.now),
            locked_by="worker-1:123:abcdef-1",
        )
        # Claimed by a worker that died: its lease ran out a minute ago.
        abandoned = factory.Trait(
            state=JobState.RUNNING,
            attempts=1,
            started_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=6)),
            locked_by="worker-1:123:abcdef-1",
            locked_until=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1)),
        )
        done = factory.Trait(
            state=JobState.DONE,
            attempts=1,
            started_at=factory.LazyFunction(timezone.now),
            finished_at=factory.LazyFunction(timezone.now),
        )
