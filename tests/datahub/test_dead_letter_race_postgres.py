"""The same rejected message delivered twice at once (a QoS 1 redelivery racing the first
delivery, two workers of a shared subscription, a device posting twice over HTTP): one dead
letter seen twice, whichever commits first. Each delivery runs in its own thread with its
own connection (tests/threads.py), on the real PostgreSQL server (collected only when the
suite runs on PostgreSQL, see conftest.py): SQLite runs write transactions one at a time
(IMMEDIATE, settings/base.py), so there the second delivery simply finds the first's
letter, and the test database's shared in-memory cache refuses a second thread's
transaction at once ("database table is locked") rather than making it wait."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from mutualis.datahub.ingestion import receive
from mutualis.datahub.ingestion.receive import IngestReport, ingest_batch
from mutualis.datahub.models import DeadLetter
from tests.datahub.conftest import Hub
from tests.datahub.test_ingestion import message
from tests.threads import together

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def delivery(hub: Hub) -> Callable[[], IngestReport]:
    bad = message(hub.tenant_a, raw=b"{oops")
    return lambda: ingest_batch(operator_id=hub.cast.operator.pk, messages=[bad], now=NOW)


def test_two_deliveries_at_once_are_one_letter_seen_twice(hub: Hub) -> None:
    reports = together([delivery(hub), delivery(hub)])
    assert list(DeadLetter.objects.values_list("reason", "times_seen")) == [("invalid_json", 2)]
    assert sorted((r.rejected, r.repeated) for r in reports) == [(1, 0), (1, 1)]


def test_both_deliveries_find_no_letter_then_one_insert_loses(hub: Hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The retry path: both look the fingerprint up before either has inserted it, so
    both insert; the unique constraint refuses the second, which looks again and counts
    its delivery on the letter the first kept."""
    looked_up = threading.Barrier(2)
    insert = DeadLetter.objects.bulk_create
    first_inserts: set[int] = set()

    def bulk_create(letters: list[DeadLetter], *args: Any, **kwargs: Any) -> list[DeadLetter]:
        if threading.get_ident() not in first_inserts:
            first_inserts.add(threading.get_ident())
            looked_up.wait(timeout=30)  # both have looked the fingerprint up, found nothing
        return insert(letters, *args, **kwargs)

    monkeypatch.setattr(DeadLetter.objects, "bulk_create", bulk_create)
    attempts: list[int] = []
    count_and_insert = receive._count_and_insert

    def counted(*args: Any) -> int:
        attempts.append(1)
        return count_and_insert(*args)

    monkeypatch.setattr(receive, "_count_and_insert", counted)
    reports = together([delivery(hub), delivery(hub)])
    assert list(DeadLetter.objects.values_list("reason", "times_seen")) == [("invalid_json", 2)]
    assert sorted((r.rejected, r.repeated) for r in reports) == [(1, 0), (1, 1)]
    assert len(attempts) == 3  # the losing insert was tried again
