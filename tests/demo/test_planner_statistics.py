"""Planner statistics (mutualis.lib.planner_statistics): a fresh demo has them on either
database, and a SQLite installation's worker keeps them current."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mutualis.jobs import Job, JobState, run_pending
from mutualis.registry.models import Asset
from mutualis.servicedesk.models import Ticket
from tests.conftest import Cast
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def analysed_rows(table: str) -> int | None:
    """How many rows the planner believes `table` holds; None when never analysed."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if not cursor.fetchone()[0]:
                return None
            # The first number of an index's statistics is the table's row count.
            cursor.execute(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = %s AND idx IS NOT NULL LIMIT 1", [table]
            )
            row = cursor.fetchone()
            return int(row[0].split()[0]) if row else None
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        tuples = cursor.fetchone()[0]
        return None if tuples < 0 else int(tuples)


def test_a_fresh_demo_has_its_planner_statistics() -> None:
    err = StringIO()
    call_command("demo_data", "--scale", "0.02", "--today", "2026-03-15", stdout=StringIO(), stderr=err)
    assert Ticket.objects.count() > 100
    assert analysed_rows("servicedesk_ticket") == Ticket.objects.count()
    assert analysed_rows("registry_asset") == Asset.objects.count()
    assert "Planner statistics gathered" in err.getvalue()


def test_the_worker_gathers_sqlite_statistics_every_six_hours(cast: Cast) -> None:
    for n in range(30):
        AssetFactory(site=cast.site_a, inventory_tag=f"STAT-{n:04d}")
    if connection.vendor == "sqlite":
        assert analysed_rows("registry_asset") is None  # SQLite never gathers them by itself
    start = timezone.now()
    run_pending(now=start)  # the first worker start plans the first run
    with CaptureQueriesContext(connection) as queries:
        run_pending(now=start + dt.timedelta(hours=6))
    assert Job.objects.get(name="database.planner_statistics").state == JobState.DONE
    analysed = [query["sql"] for query in queries if "ANALYZE" in query["sql"].upper()]
    if connection.vendor == "sqlite":
        assert analysed_rows("registry_asset") == Asset.objects.count() == 32
        # On a sample: at a million rows, reading every index in full would take seconds.
        assert "PRAGMA analysis_limit=1000" in [query["sql"] for query in queries]
    else:
        assert analysed == []  # PostgreSQL's autovacuum does it
