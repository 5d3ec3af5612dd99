"""Two batches bringing the same two new dead letters in opposite orders, at once, on the
real PostgreSQL server (collected only when the suite runs on PostgreSQL, see conftest.py).

Each inserted its first letter, then waited on the other's uncommitted entry of the
unique fingerprint index for its second: a deadlock, and PostgreSQL refused one of the
batches (its readings with it). `receive._count_and_insert` now inserts in fingerprint
order, whatever the order of the messages: the second batch waits for the first, then
counts both letters as seen again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from mutualis.datahub.ingestion.receive import IngestReport, ingest_batch
from mutualis.datahub.models import DeadLetter
from tests.datahub.conftest import Hub
from tests.datahub.test_dead_letter_race_postgres import NOW
from tests.datahub.test_ingestion import message
from tests.threads import together

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _other_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        (waiting,) = cursor.fetchone()
    return bool(waiting)


def test_the_same_new_letters_in_opposite_orders_are_kept_once_each(hub: Hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Both batches look the fingerprints up before either inserts (nothing kept yet);
    then each inserts its first letter and goes on only once the other has inserted its
    own first letter or is blocked waiting on a lock, the interleaving that deadlocked."""
    first = message(hub.tenant_a, raw=b"{oops")
    second = message(hub.tenant_a, raw=b"[1, 2")
    looked_up = threading.Barrier(2)
    inserted_first: dict[int, threading.Event] = {}
    insert = DeadLetter.objects.bulk_create

    def bulk_create(letters: list[DeadLetter], *args: Any, **kwargs: Any) -> list[DeadLetter]:
        me = threading.get_ident()
        if me in inserted_first or not letters:
            return insert(letters, *args, **kwargs)  # the retry after losing the race
        inserted_first[me] = threading.Event()
        looked_up.wait(timeout=30)
        done = insert(letters[:1], *args, **kwargs)
        inserted_first[me].set()
        [other] = [event for ident, event in inserted_first.items() if ident != me]
        deadline = time.monotonic() + 30
        # The other thread, blocked inside PostgreSQL on our entry, can send no event:
        # its wait is read from pg_stat_activity (polled, there is nothing to await).
        while not other.wait(timeout=0.01) and not _other_waits_on_a_lock():
            assert time.monotonic() < deadline, "the other batch neither inserted nor waited"
        return done + insert(letters[1:], *args, **kwargs)

    monkeypatch.setattr(DeadLetter.objects, "bulk_create", bulk_create)

    def batch(messages: list[Any]) -> Callable[[], IngestReport]:
        return lambda: ingest_batch(operator_id=hub.cast.operator.pk, messages=messages, now=NOW)

    reports = together([batch([first, second]), batch([second, first])])
    assert sorted(DeadLetter.objects.values_list("payload", "times_seen")) == [("[1, 2", 2), ("{oops", 2)]
    assert sorted((r.rejected, r.repeated) for r in reports) == [(2, 0), (2, 2)]
