"""Rejected messages are kept DATAHUB_DEAD_LETTER_KEEP_DAYS after they were last received,
then purged by a daily job; a letter still being received again stays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from mutualis.datahub.ingestion import retention
from mutualis.datahub.jobs import purge_old_dead_letters
from mutualis.datahub.models import DeadLetter
from mutualis.jobs.registration import periodic_tasks, task_names
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def letter(hub: Hub, *, first: int, last: int, payload: str = "{oops") -> DeadLetter:
    """A letter first received `first` days ago and last received `last` days ago."""
    return DeadLetter.objects.create(
        operator=hub.cast.operator,
        tenant=hub.tenant_a,
        source="mqtt",
        topic="mutualis/a/observations",
        payload=payload,
        reason="invalid_json",
        detail="The message is not JSON.",
        received_at=NOW - dt.timedelta(days=first),
        last_seen_at=NOW - dt.timedelta(days=last),
        fingerprint=f"{payload}-{first}-{last}",
    )


def test_letters_not_received_for_the_window_are_purged_others_stay(hub: Hub, settings) -> None:
    settings.DATAHUB_DEAD_LETTER_KEEP_DAYS = 180
    old = letter(hub, first=400, last=181)
    still_coming = letter(hub, first=400, last=10)  # first seen long ago, redelivered lately
    recent = letter(hub, first=3, last=3)
    assert retention.purge_dead_letters(now=NOW) == 1
    assert set(DeadLetter.objects.values_list("pk", flat=True)) == {still_coming.pk, recent.pk}
    assert not DeadLetter.objects.filter(pk=old.pk).exists()


def test_zero_keeps_every_letter(hub: Hub, settings) -> None:
    settings.DATAHUB_DEAD_LETTER_KEEP_DAYS = 0
    letter(hub, first=4000, last=4000)
    assert retention.purge_dead_letters(now=NOW) == 0
    assert DeadLetter.objects.count() == 1


def test_many_letters_go_by_batches(hub: Hub, settings, monkeypatch) -> None:
    settings.DATAHUB_DEAD_LETTER_KEEP_DAYS = 30
    monkeypatch.setattr(retention, "PURGE_BATCH", 3)
    for n in range(8):
        letter(hub, first=60, last=31, payload=f"{{oops {n}")
    kept = letter(hub, first=60, last=29)
    assert retention.purge_dead_letters(now=NOW) == 8
    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_purge_is_a_daily_job(hub: Hub, settings) -> None:
    assert "datahub.purge_dead_letters" in task_names()
    assert periodic_tasks()["datahub.purge_dead_letters"] == dt.timedelta(days=1)
    settings.DATAHUB_DEAD_LETTER_KEEP_DAYS = 180
    letter(hub, first=365, last=365)
    purge_old_dead_letters()
    assert not DeadLetter.objects.exists()
