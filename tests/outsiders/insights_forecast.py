"""Outsider cases of the anticipation pages (forecasts, equipment likely to fail).

Forecasts are operator-level (docs/insights-method.md): member users, of member A or any
other, get a 403; another operator's staff get the page with their own operator's
forecasts, never ours."""

from __future__ import annotations

from mutualis.insights.models import AssetRisk, BatchState, ForecastBatch, ForecastRun
from mutualis.servicedesk.models import Category
from tests.conftest import Cast

from . import Case, Check, Extra

SECRET_CATEGORY = "Vidéoprotection secrète de Versailles"


def _batch(cast: Cast) -> int:
    """A done computation of A's operator: a series named after a secret category, and a
    risk score on member A's asset."""
    category = Category.objects.create(operator=cast.operator, name=SECRET_CATEGORY)
    batch = ForecastBatch.objects.create(operator=cast.operator, state=BatchState.DONE, school_zone="C")
    ForecastRun.objects.create(
        batch=batch,
        operator=cast.operator,
        series_key=f"category:{category.pk}",
        category=category,
        label=category.name,
        method="recent_mean",
        weekly=[{"week": "2025-09-01", "mean": 3.0, "lo95": 0, "hi95": 8, "last_year": None}],
        history=[{"week": "2025-08-25", "count": 2}],
    )
    AssetRisk.objects.create(
        batch=batch, operator=cast.operator, asset=cast.asset_a, expected=0.5, probability=0.4, factors=[]
    )
    return batch.pk


LISTS: dict[str, Case] = {
    # charlie (a member's user): 403; oscar (another operator's admin): his own, empty page.
    "insights:forecast": Case(
        lambda c, x: "/insights/forecast/", ("charlie", "oscar"), (200, 403), secret=lambda c: SECRET_CATEGORY
    ),
    "insights:forecast-assets": Case(
        lambda c, x: "/insights/forecast/assets/", ("charlie", "oscar"), (200, 403), secret=lambda c: "A-0001"
    ),
}

OBJECTS: dict[str, Case] = {
    # Queues a computation of the caller's own operator; refused to member users.
    "insights:forecast-compute": Case(
        lambda c, x: "/insights/forecast/compute/", ("charlie", "alice", "bob"), (403,), method="post"
    ),
}

EXTRA: Extra = {"forecast_batch": _batch}


def _nothing_queued(cast: Cast, extra: dict[str, int]) -> None:
    assert not ForecastBatch.objects.exclude(pk=extra["forecast_batch"]).exists()


CHECKS: dict[str, Check] = {"insights:forecast-compute": _nothing_queued}
