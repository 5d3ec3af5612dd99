"""Percentiles: percentile_cont on PostgreSQL, a bucketed histogram elsewhere (SQLite), the
two within one bucket's width of each other and of the exact value."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection

from mutualis.insights import measures
from mutualis.people.models import Membership
from mutualis.people.tenancy import Scope
from mutualis.servicedesk.models import Ticket

from .dashboard_world import at, desk, make_ticket  # noqa: F401 - the desk fixture

MINUTES = [3, 7, 20, 45, 60, 61, 95, 150, 240, 480, 600, 1440, 2000, 4320, 10080, 30000, 50000]


def exact(values: list[float], fraction: float) -> float:
    """percentile_cont's definition: linear interpolation at rank fraction × (n − 1)."""
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def test_percentile_from_histogram_is_within_a_bucket() -> None:
    seconds = [m * 60.0 for m in MINUTES]
    counts: dict[int, int] = {}
    for value in seconds:
        index = math.floor(math.log(max(value, 1)) / math.log(measures.BUCKET_RATIO))
        counts[index] = counts.get(index, 0) + 1
    for fraction in (0.1, 0.5, 0.9):
        found = measures.percentile_from_histogram(counts, fraction)
        assert found == pytest.approx(exact(seconds, fraction), rel=measures.BUCKET_RATIO - 1)
    assert measures.percentile_from_histogram({}, 0.5) is None
    assert measures.percentile_from_histogram({0: 3}, 0.5) == pytest.approx(0.51)  # the middle of [0, 1.02)


@pytest.fixture
def timed(cast, desk):  # type: ignore[no-untyped-def] # noqa: F811
    for i, minutes in enumerate(MINUTES):
        make_ticket(
            site=desk.college,
            incident_type=desk.broken_screen,
            created=at(dt.date(2024, 3, 1 + i)),
            response=dt.timedelta(minutes=minutes),
        )
    make_ticket(
        site=desk.college, incident_type=desk.broken_screen, created=at(dt.date(2024, 3, 25)), response=None
    )
    return Ticket.objects.visible_to(Scope.for_membership(Membership.objects.get(user=cast.olivia)))


@pytest.mark.django_db
@pytest.mark.parametrize("fraction_name", ["median", "p90"])
def test_the_histogram_path_on_any_database(timed, fraction_name: str) -> None:  # type: ignore[no-untyped-def]
    stats = measures.duration_stats(timed, "first_response_at", method=measures.HISTOGRAM)
    seconds = [m * 60.0 for m in MINUTES]
    expected = exact(seconds, 0.5 if fraction_name == "median" else 0.9)
    assert stats.count == len(MINUTES)
    assert getattr(stats, fraction_name) == pytest.approx(expected, rel=measures.BUCKET_RATIO - 1)
    # < 1 h, 1–4 h, 4–8 h, 8–24 h, 1–2 days, 2–7 days, 7–30 days, > 30 days
    assert [n for _bounds, n in stats.histogram] == [4, 4, 1, 2, 2, 1, 2, 1]


@pytest.mark.django_db
def test_the_default_path_is_the_database_s_own(timed) -> None:  # type: ignore[no-untyped-def]
    expected = measures.PERCENTILE_CONT if connection.vendor == "postgresql" else measures.HISTOGRAM
    assert measures.duration_stats(timed, "first_response_at").method == expected


def test_a_percentile_s_fraction_is_checked() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        measures.PercentileCont("secs", 1.5)


def test_the_buckets_from_the_counts_below_each_edge() -> None:
    # The copies' query counts the durations below each inner edge; a bucket is the
    # difference of two such counts, the last one the rest, a value on an edge in the bucket
    # that starts there (as `_bucket_filter` counts it).
    seconds = [m * 60.0 for m in MINUTES]
    inner = measures.EDGES[1:-1]
    row = {"d_n": len(seconds)}
    row |= {f"d_below{i}": sum(s < edge for s in seconds) for i, edge in enumerate(inner)}  # type: ignore[operator]
    buckets = measures._buckets_from_below(row, "d")
    bounds = list(zip(measures.EDGES[:-1], measures.EDGES[1:], strict=True))
    expected = [sum(low <= s and (high is None or s < high) for s in seconds) for low, high in bounds]  # type: ignore[operator]
    assert [buckets[f"d_h{i}"] for i in range(len(bounds))] == expected
    assert sum(expected) == len(seconds)
    assert expected[1] == 4  # 60 minutes opens the second bucket
