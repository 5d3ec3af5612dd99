"""Outsider cases of HTTP ingestion (/ingest/v1/observations).

The endpoint takes an API token, never a browser session: a logged-in outsider posting
readings gets 401 and nothing is written. Tokens of other tenants and operators are
refused in tests/datahub/test_ingestion.py (404 for a tenant they may not name).
"""

from __future__ import annotations

import datetime as dt

from mutualis.datahub.models import AttributeInstance, DeadLetter
from tests.conftest import Cast

from . import Case, Check

OBJECTS: dict[str, Case] = {
    "ingest:observations": Case(
        lambda c, x: "/ingest/v1/observations",
        ("charlie", "oscar"),
        (401,),
        method="post",
        body={"sensor": "A-0001", "observedAt": "2026-11-23T10:00:00Z", "values": {"pm25": 1}},
    ),
}


def _nothing_written(cast: Cast, extra: dict[str, int]) -> None:
    # Other parts' extras hold history of their own; none at the reading's time.
    assert not AttributeInstance.objects.filter(
        observed_at=dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    ).exists()
    assert not DeadLetter.objects.exists()


CHECKS: dict[str, Check] = {"ingest:observations": _nothing_written}

NO_MEMBER_DATA: dict[str, str] = {
    "ingest:no-such-resource": (
        "a 404 ResourceNotFound naming the address to use, the same for everyone: no data is "
        "read (tests/datahub/test_error_language.py)"
    ),
}
