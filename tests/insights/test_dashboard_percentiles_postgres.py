"""Percentiles on PostgreSQL: percentile_cont, exact, and the histogram path within one
bucket's width of it. Collected only when the suite runs on PostgreSQL (conftest.py)."""

from __future__ import annotations

import pytest

from mutualis.insights import measures

from .dashboard_world import desk  # noqa: F401 - the desk fixture
from .test_dashboard_percentiles import MINUTES, exact, timed  # noqa: F401 - the timed fixture


@pytest.mark.django_db
def test_percentile_cont_on_postgresql_is_exact_and_agrees_with_the_histogram(timed) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    assert measures.percentile_method(timed) == measures.PERCENTILE_CONT
    exact_stats = measures.duration_stats(timed, "first_response_at")
    bucketed = measures.duration_stats(timed, "first_response_at", method=measures.HISTOGRAM)
    seconds = [m * 60.0 for m in MINUTES]
    assert exact_stats.median == pytest.approx(exact(seconds, 0.5))
    assert exact_stats.p90 == pytest.approx(exact(seconds, 0.9))
    assert bucketed.median == pytest.approx(exact_stats.median, rel=measures.BUCKET_RATIO - 1)
    assert bucketed.p90 == pytest.approx(exact_stats.p90, rel=measures.BUCKET_RATIO - 1)
    assert exact_stats.histogram == bucketed.histogram
