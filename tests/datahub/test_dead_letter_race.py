"""The same rejected message delivered twice at once (a QoS 1 redelivery racing the first
delivery, two workers of a shared subscription, a device posting twice over HTTP): one dead
letter seen twice, whichever commits first, on PostgreSQL and SQLite. Each delivery runs in
its own thread with its own connection (tests/threads.py). SQLite runs write transactions
one at a time (IMMEDIATE, settings/base.py): the second finds the first's letter. On
PostgreSQL both may look the fingerprint up before either commits: the retry path of
`receive._keep`, forced in test_dead_letter_race_postgres.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from mutualis.datahub.ingestion.receive import IngestReport, ingest_batch
from mutualis.datahub.models import DeadLetter
from tests.datahub.conftest import Hub
from tests.datahub.test_ingestion import message
from tests.threads import together

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def delivery(hub: Hub) -> Callable[[], IngestReport]:
    bad = message(hub.tenant_a, raw=b"{oops")
    return lambda: ingest_batch(operator_id=hub.cast.operator.pk, messages=[bad], now=NOW)


def test_two_deliveries_at_once_are_one_letter_seen_twice(hub: Hub) -> None:
    reports = together([delivery(hub), delivery(hub)])
    assert list(DeadLetter.objects.values_list("reason", "times_seen")) == [("invalid_json", 2)]
    assert sorted((r.rejected, r.repeated) for r in reports) == [(1, 0), (1, 1)]
