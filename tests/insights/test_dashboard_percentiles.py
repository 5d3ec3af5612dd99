"""Percentiles: exact on PostgreSQL (percentile_cont's definition, read from the sorted
durations), a bucketed histogram elsewhere (SQLite), the two within one bucket's width of
each other and of the exact value."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection

from mutualis.insights import durations
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
        index = math.floor(math.log(max(value, 1)) / math.log(durations.BUCKET_RATIO))
        counts[index] = counts.get(index, 0) + 1
    for fraction in (0.1, 0.5, 0.9):
        found = durations.percentile_from_histogram(counts, fraction)
        assert found == pytest.approx(exact(seconds, fraction), rel=durations.BUCKET_RATIO - 1)
    assert durations.percentile_from_histogram({}, 0.5) is None
    assert durations.percentile_from_histogram({0: 3}, 0.5) == pytest.approx(0.51)  # the middle of [0, 1.02)


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
    stats = durations.duration_stats(timed, "first_response_at", method=durations.HISTOGRAM)
    seconds = [m * 60.0 for m in MINUTES]
    expected = exact(seconds, 0.5 if fraction_name == "median" else 0.9)
    assert stats.count == len(MINUTES)
    assert getattr(stats, fraction_name) == pytest.approx(expected, rel=durations.BUCKET_RATIO - 1)
    # < 1 h, 1–4 h, 4–8 h, 8–24 h, 1–2 days, 2–7 days, 7–30 days, > 30 days
    assert [n for _bounds, n in stats.histogram] == [4, 4, 1, 2, 2, 1, 2, 1]


@pytest.mark.django_db
def test_the_default_path_is_the_database_s_own(timed) -> None:  # type: ignore[no-untyped-def]
    expected = durations.EXACT if connection.vendor == "postgresql" else durations.HISTOGRAM
    assert durations.duration_stats(timed, "first_response_at").method == expected


def test_the_interpolation_is_percentile_cont_s() -> None:
    # Between the values at ranks floor and ceil of fraction × (n − 1), 0-based.
    assert durations.interpolate(0.5, 4, 10.0, 20.0) == 15.0  # rank 1.5
    assert durations.interpolate(0.9, 11, 7.0, 7.0) == 7.0  # rank 9: one value
    assert durations.interpolate(0.9, 4, 10.0, 20.0) == pytest.approx(17.0)  # rank 2.7
    seconds = sorted(m * 60.0 for m in MINUTES)
    for fraction in (0.5, 0.9):
        rank = fraction * (len(seconds) - 1)
        first, second = seconds[math.floor(rank)], seconds[math.ceil(rank)]
        assert durations.interpolate(fraction, len(seconds), first, second) == exact(seconds, fraction)
