"""Percentiles on PostgreSQL: exact, equal to the database's own percentile_cont to the last
bit, and the histogram path within one bucket's width of it. Collected only when the suite
runs on PostgreSQL (conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, Q

from mutualis.insights import durations
from mutualis.insights.models import TicketFact
from mutualis.insights.ticket_facts import rebuild

from .dashboard_world import at, desk, make_ticket  # noqa: F401 - the desk fixture
from .test_dashboard_percentiles import MINUTES, exact, timed  # noqa: F401 - the timed fixture


@pytest.mark.django_db
def test_the_exact_path_on_postgresql_agrees_with_the_histogram(timed) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    assert durations.percentile_method(timed) == durations.EXACT
    exact_stats = durations.duration_stats(timed, "first_response_at")
    bucketed = durations.duration_stats(timed, "first_response_at", method=durations.HISTOGRAM)
    seconds = [m * 60.0 for m in MINUTES]
    assert exact_stats.median == pytest.approx(exact(seconds, 0.5))
    assert exact_stats.p90 == pytest.approx(exact(seconds, 0.9))
    assert bucketed.median == pytest.approx(exact_stats.median, rel=durations.BUCKET_RATIO - 1)
    assert bucketed.p90 == pytest.approx(exact_stats.p90, rel=durations.BUCKET_RATIO - 1)
    assert exact_stats.histogram == bucketed.histogram


def _percentile_cont(facts, column: str, fraction: float) -> float | None:  # type: ignore[no-untyped-def]
    ids = list(facts.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY {column}) FROM insights_ticketfact"  # noqa: S608 - a test's own column names
            " WHERE ticket_id = ANY(%s)",
            [fraction, ids],
        )
        return cursor.fetchone()[0]  # type: ignore[index]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, 1, 2, 5, 17])
def test_the_copies_percentiles_are_percentile_cont_s_to_the_bit(desk, count: int) -> None:  # noqa: F811
    # Odd durations (microseconds, ties, values on the histogram's edges), read from the
    # copies as the dashboard reads them, against PostgreSQL's percentile_cont.
    odd = [dt.timedelta(hours=1), dt.timedelta(seconds=3599, microseconds=999_999), dt.timedelta(hours=1)]
    odd += [dt.timedelta(minutes=m, microseconds=m * 7919 % 1_000_000) for m in MINUTES]
    for i in range(count):
        make_ticket(
            site=desk.college,
            incident_type=desk.broken_screen,
            created=at(dt.date(2024, 3, 1) + dt.timedelta(days=i)),
            response=odd[i],
        )
    rebuild()
    facts = TicketFact.objects.all()
    take, _done = durations.take_charge_and_resolution(facts)
    assert take.count == count
    for name, fraction in durations.FRACTIONS.items():
        assert getattr(take, name) == _percentile_cont(facts, "take_charge_seconds", fraction)
    expected = facts.aggregate(
        **{
            f"h{i}": Count(
                "pk",
                filter=durations._bucket_filter("take_charge_seconds", i)
                & Q(take_charge_seconds__isnull=False),
            )
            for i in range(len(durations.EDGES) - 1)
        }
    )
    assert [n for _bounds, n in take.histogram] == [
        expected[f"h{i}"] for i in range(len(durations.EDGES) - 1)
    ]
