"""The migration giving dead letters their fingerprint merges the letters kept twice
before it (a redelivered rejected message), counting them on the earliest, and keeps
apart two readings of one message refused for the same reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mutualis.datahub.ingestion.receive import letter_fingerprint
from mutualis.datahub.models import DeadLetter
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("datahub", "0008_redundant_fk_indexes")]
AFTER = [("datahub", "0010_dead_letter_once")]
FIRST = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _latest_schema_after() -> Iterator[None]:
    """AFTER is not the latest migration once another is added: the tests that follow need
    the schema whole (a column of 0011 missing made them fail with "does not exist")."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_letters_kept_twice_are_merged(hub: Hub) -> None:
    apps = _migrate(BEFORE)
    try:
        Old = apps.get_model("datahub", "DeadLetter")  # noqa: N806 (a model class)
        tenant_id = hub.tenant_a.pk
        operator_id = hub.cast.operator.pk

        def letter(at: datetime, payload: str = "{oops", reason: str = "invalid_json") -> None:
            Old.objects.create(
                operator_id=operator_id,
                tenant_id=tenant_id,
                source="mqtt",
                topic="mutualis/a/observations",
                payload=payload,
                reason=reason,
                detail="The message is not JSON.",
                received_at=at,
            )

        letter(FIRST)  # received three times
        letter(FIRST + timedelta(minutes=1))
        letter(FIRST + timedelta(hours=2))
        letter(FIRST, payload="[1, 1]", reason="not_an_object")  # two readings of one message
        letter(FIRST, payload="[1, 1]", reason="not_an_object")
    finally:
        _migrate(AFTER)
    merged = DeadLetter.objects.get(reason="invalid_json")
    assert (merged.times_seen, merged.received_at, merged.last_seen_at) == (
        3,
        FIRST,
        FIRST + timedelta(hours=2),
    )
    readings = DeadLetter.objects.filter(reason="not_an_object")
    assert [(r.times_seen, r.last_seen_at) for r in readings] == [(1, FIRST), (1, FIRST)]
    assert len({r.fingerprint for r in DeadLetter.objects.all()}) == 3
    # The fingerprints are those ingestion computes: a redelivery after the migration is
    # counted on the letter it merged.
    assert merged.fingerprint == letter_fingerprint(merged, 0)
    assert sorted(r.fingerprint for r in readings) == sorted(
        letter_fingerprint(r, n) for n, r in enumerate(readings)
    )
