"""The insert of a new dead letter racing another (see test_dead_letter_race.py), on the
real PostgreSQL server, both deliveries made to look the fingerprint up before either
inserts (collected only when the suite runs on PostgreSQL, see conftest.py)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mutualis.datahub.ingestion import receive
from mutualis.datahub.models import DeadLetter
from tests.datahub.conftest import Hub
from tests.datahub.test_dead_letter_race import delivery
from tests.threads import together

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


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
