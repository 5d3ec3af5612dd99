"""Computing and storing an operator's forecasts and asset risk scores (issue 5).

`request_forecast` (the daily job, or operator staff's button) creates a queued
`ForecastBatch` and enqueues the job that runs `run_batch`; the pages read the latest done
batch (`latest_batch`). The counts come from one GROUP BY query per operator
(`weekly_counts`); the models are in `forecast` and `asset_risk`.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Count, DateField
from django.db.models.functions import TruncWeek
from django.utils import timezone

from mutualis.people.models import User
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Operator
from mutualis.servicedesk.models import Category, Ticket

from . import asset_risk
from .forecast import WEEK, Backtest, add_months, backtest, forecast_series, month_weights
from .models import AssetRisk, BatchState, ForecastBatch, ForecastRun
from .school_calendar import monday, school_zone

logger = logging.getLogger(__name__)

TASK = "insights.forecast_operator"
FORECAST_WEEKS = 12
FORECAST_MONTHS = 6
# Four years of weekly history bound the query and are plenty for yearly seasonality.
MAX_HISTORY_WEEKS = 208
HISTORY_KEPT_WEEKS = 104
# The largest top-level categories get a series each, the others one together.
MAX_CATEGORY_SERIES = 10
KEEP_BATCHES = 30


@dataclass
class Series:
    key: str
    label: str
    category_id: int | None
    counts: np.ndarray  # per week of `weeks`


def _roots(operator_id: int) -> dict[int, tuple[int, str, int]]:
    """Each category of the operator → its top-level category (id, name, position)."""
    nodes = {
        pk: (parent, name, position)
        for pk, parent, name, position in Category.objects.filter(operator_id=operator_id).values_list(
            "id", "parent_id", "name", "position"
        )
    }
    roots: dict[int, tuple[int, str, int]] = {}
    for pk in nodes:
        node, seen = pk, set()
        while nodes[node][0] is not None and nodes[node][0] in nodes and node not in seen:
            seen.add(node)
            node = nodes[node][0] or node
        roots[pk] = (node, nodes[node][1], nodes[node][2])
    return roots


def weekly_counts(operator_id: int, *, first_week: dt.date) -> tuple[list[dt.date], list[Series]]:
    """Tickets declared per week (Monday to Sunday, local time) before `first_week`, all
    together and per top-level category. One GROUP BY query; duplicates merged into another
    ticket are not counted (the request is the ticket they were merged into)."""
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(first_week, dt.time(), tzinfo=tz)
    start = end - MAX_HISTORY_WEEKS * WEEK
    rows = (
        Ticket.objects.filter(
            operator_id=operator_id, created_at__gte=start, created_at__lt=end, merged_into__isnull=True
        )
        .annotate(week=TruncWeek("created_at", output_field=DateField()))
        .values("week", "category_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    cells = [(row["week"], row["category_id"], row["n"]) for row in rows]
    if not cells:
        return [], []
    first = min(week for week, _c, _n in cells)
    weeks = [first + i * WEEK for i in range((first_week - first).days // 7)]
    index = {week: i for i, week in enumerate(weeks)}
    roots = _roots(operator_id)
    total = np.zeros(len(weeks))
    per_root: dict[int, np.ndarray] = {}
    for week, category_id, n in cells:
        total[index[week]] += n
        root = roots[category_id][0]
        per_root.setdefault(root, np.zeros(len(weeks)))[index[week]] += n
    series = [Series("total", "", None, total)]
    recent = slice(max(0, len(weeks) - 52), len(weeks))
    ranked = sorted(per_root, key=lambda r: (-per_root[r][recent].sum(), -per_root[r].sum(), r))
    names = {root: (name, position) for root, name, position in roots.values()}
    for root in sorted(ranked[:MAX_CATEGORY_SERIES], key=lambda r: (names[r][1], names[r][0], r)):
        series.append(Series(f"category:{root}", names[root][0], root, per_root[root]))
    if len(ranked) > MAX_CATEGORY_SERIES:
        others = sum((per_root[r] for r in ranked[MAX_CATEGORY_SERIES:]), np.zeros(len(weeks)))
        series.append(Series("other", "", None, others))
    return weeks, series


def _interval(draws: np.ndarray) -> dict[str, float]:
    lo80, hi80, lo95, hi95 = np.quantile(draws, [0.10, 0.90, 0.025, 0.975], axis=0)
    # Counts: whole numbers for a week; a month with a split week may carry a fraction.
    return {
        k: round(float(v), 1) for k, v in {"lo80": lo80, "hi80": hi80, "lo95": lo95, "hi95": hi95}.items()
    }


def _year_before(weeks: list[dt.date], counts: np.ndarray, week: dt.date) -> float | None:
    """The count of the same week a year (52 weeks) before, if seen."""
    i = (week - 52 * WEEK - weeks[0]).days // 7 if weeks else -1
    return float(counts[i]) if 0 <= i < len(counts) else None


def forecast_run_fields(
    weeks: list[dt.date], series: Series, *, first_week: dt.date, zone: str
) -> dict[str, object]:
    """Fit, forecast and backtest one series: the fields of its `ForecastRun`."""
    # The series starts at its first ticket: a category created last year has no history
    # of zeros before it.
    nonzero = np.flatnonzero(series.counts)
    start = int(nonzero[0]) if len(nonzero) else len(weeks)
    starts, y = weeks[start:], series.counts[start:]
    first_month = add_months(first_week.replace(day=1), 1)
    months = [add_months(first_month, i) for i in range(FORECAST_MONTHS)]
    horizon = max(FORECAST_WEEKS, (add_months(first_month, FORECAST_MONTHS) - first_week).days // 7 + 1)
    future = [first_week + i * WEEK for i in range(horizon)]
    result = forecast_series(list(starts), y, future, zone=zone)
    tested: Backtest = backtest(list(starts), y, zone=zone)
    weekly = []
    for i, week in enumerate(future[:FORECAST_WEEKS]):
        row: dict[str, object] = {"week": week.isoformat(), "mean": float(result.mean[i])}
        if result.draws.size:
            row |= _interval(result.draws[:, i])
        row["last_year"] = _year_before(weeks, series.counts, week)
        weekly.append(row)
    monthly = []
    weights = month_weights(future, months)
    by_month = result.draws @ weights if result.draws.size else np.zeros((0, len(months)))
    mean_by_month = result.mean @ weights
    history_weights = month_weights(weeks, [add_months(m, -12) for m in months])
    last_year = series.counts @ history_weights if weeks else np.zeros(len(months))
    seen_last_year = history_weights.sum(axis=0) > 0.99 * np.array(
        [(add_months(m, 1) - m).days / 7 for m in months]
    )
    for j, month in enumerate(months):
        row = {"month": month.isoformat(), "mean": float(mean_by_month[j])}
        if by_month.size:
            row |= _interval(by_month[:, j])
        row["last_year"] = float(last_year[j]) if seen_last_year[j] else None
        monthly.append(row)
    summary = tested.summary()
    summary["rows"] = [
        {
            "origin": p.origin.isoformat(),
            "week": p.week.isoformat(),
            "h": p.h,
            "actual": p.actual,
            "forecast": round(p.forecast, 2),
            "naive": round(p.naive, 2),
            "lo95": p.lo95,
            "hi95": p.hi95,
        }
        for p in tested.points
    ]
    return {
        "method": result.method,
        "distribution": result.distribution,
        "notes": result.notes,
        "coefficients": result.coefficients,
        "history": [
            {"week": w.isoformat(), "count": int(c)}
            for w, c in zip(weeks[-HISTORY_KEPT_WEEKS:], series.counts[-HISTORY_KEPT_WEEKS:], strict=True)
        ],
        "weekly": weekly,
        "monthly": monthly,
        "backtest": summary,
    }


def request_forecast(*, operator: Operator, by: User | None = None) -> ForecastBatch:
    """Queue a computation of the operator's forecasts, unless one is already waiting or
    running (a second click, or the daily run meeting a button's): that one is returned."""
    from mutualis.jobs import enqueue

    with transaction.atomic():
        pending = ForecastBatch.objects.filter(operator=operator).pending().first()
        if pending is not None:
            return pending
        batch = ForecastBatch.objects.create(operator=operator, requested_by=by, school_zone=school_zone())
        enqueue(TASK, batch_id=batch.pk, operator_id=operator.pk)
    return batch


def run_batch(batch_id: int, *, now: dt.datetime | None = None) -> None:
    """Compute a queued batch; running it again once done (a job run twice) does nothing."""
    claimed = ForecastBatch.objects.filter(pk=batch_id, state__in=[BatchState.QUEUED, BatchState.RUNNING])
    now = now or timezone.now()
    if not claimed.update(state=BatchState.RUNNING, started_at=now):
        return
    batch = ForecastBatch.objects.get(pk=batch_id)
    try:
        _compute(batch, now)
    except Exception:
        ForecastBatch.objects.filter(pk=batch.pk).update(
            state=BatchState.FAILED, finished_at=timezone.now(), error=traceback.format_exc()[-4000:]
        )
        raise


def _compute(batch: ForecastBatch, now: dt.datetime) -> None:
    first_week = monday(timezone.localtime(now).date())
    zone = batch.school_zone or school_zone()
    weeks, series = weekly_counts(batch.operator_id, first_week=first_week)
    ForecastBatch.objects.filter(pk=batch.pk).update(
        series_total=len(series), first_week=first_week, school_zone=zone
    )
    # Runs of a previous attempt of this batch (a retried job) are replaced.
    ForecastRun.objects.filter(batch=batch).delete()
    for position, one in enumerate(series):
        fields = forecast_run_fields(weeks, one, first_week=first_week, zone=zone)
        ForecastRun.objects.create(
            batch=batch,
            operator_id=batch.operator_id,
            series_key=one.key,
            category_id=one.category_id,
            label=one.label[:200],
            position=position,
            **fields,
        )
        ForecastBatch.objects.filter(pk=batch.pk).update(series_done=position + 1)
    model, scores = asset_risk.score_assets(batch.operator_id, now)
    with transaction.atomic():
        # Only the latest scores are kept: the list is about now.
        AssetRisk.objects.filter(operator_id=batch.operator_id).delete()
        AssetRisk.objects.bulk_create(
            [
                AssetRisk(
                    batch=batch,
                    operator_id=batch.operator_id,
                    asset_id=score.asset_id,
                    expected=score.expected,
                    probability=score.probability,
                    factors=score.factors,
                )
                for score in scores
            ],
            batch_size=1000,
        )
        ForecastBatch.objects.filter(pk=batch.pk).update(
            state=BatchState.DONE, finished_at=timezone.now(), asset_model=model.as_json(), error=""
        )
    old = (
        ForecastBatch.objects.filter(operator_id=batch.operator_id)
        .done()
        .values_list("pk", flat=True)[KEEP_BATCHES:]
    )
    ForecastBatch.objects.filter(pk__in=list(old)).delete()


def latest_batch(scope: Scope) -> ForecastBatch | None:
    """The operator's latest finished computation, through the operator-data door."""
    return ForecastBatch.objects.done().visible_to(scope).first()


def pending_batch(scope: Scope) -> ForecastBatch | None:
    return ForecastBatch.objects.pending().visible_to(scope).first()
