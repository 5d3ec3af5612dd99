"""Failure rates per asset model, compared with the rest of the fleet of the same type.

rate = incidents on assets of the model / asset-years in service in the period × 100,
"failures per 100 assets per year". The database sums both per model (one GROUP BY each);
the statistics run in Python over the per-model rows, a few dozen at most:

- a 95 % exact Poisson interval for each rate (Garwood 1936, through the χ² distribution,
  that is the incomplete gamma function);
- the model against its fleet (every other model of the same type): given the n incidents
  of both, the model's share is binomial with p = its share of the exposure when the rates
  are equal (the conditional test of Przyborowski & Wilenski 1940). The one-sided p-value
  and an exact (Clopper-Pearson) interval for the rate ratio come from that binomial.

A model is "abnormal" when p < ABNORMAL_P and it has at least MIN_EXPOSURE asset-years:
a handful of tablets with one unlucky month is not a defective model. See
docs/insights-method.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest, Least
from scipy.special import betainc, betaincinv, gammaincinv

from mutualis.registry.models import Asset, AssetModel, AssetStatus, AssetStatusChange
from mutualis.servicedesk.models import Ticket

from .durations import Seconds
from .recurring import incidents

CONFIDENCE = 0.95
ABNORMAL_P = 0.01
# Below this exposure the test has little power and a flag would mostly say "few assets".
MIN_EXPOSURE_YEARS = 10.0
YEAR = timedelta(days=365.25)


def garwood(events: int, years: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact Poisson interval of a rate per 100 asset-years: [χ²(α/2; 2k)/2,
    χ²(1-α/2; 2k+2)/2] events, over the exposure (Garwood 1936).

    χ²(q; 2k)/2 is the q-quantile of the Gamma(k) distribution, the inverse of the regularized
    incomplete gamma function: scipy.special's, 1 µs where scipy.stats' chi2.ppf takes 80."""
    if years <= 0:
        return (math.nan, math.nan)
    alpha = 1 - confidence
    low = 0.0 if events == 0 else float(gammaincinv(events, alpha / 2))
    high = float(gammaincinv(events + 1, 1 - alpha / 2))
    return (100 * low / years, 100 * high / years)


def rate_ratio_test(
    events: int, years: float, other_events: int, other_years: float, confidence: float = CONFIDENCE
) -> tuple[float, tuple[float, float]]:
    """One-sided p-value that the first rate is above the second, and an exact interval of
    their ratio: conditionally on the n = k1 + k2 events, k1 ~ Binomial(n, T1 / (T1 + T2))
    when the rates are equal; the ratio is π/(1-π) × T2/T1 for the binomial proportion π.

    What scipy.stats.binomtest computes (its p-value, and its "exact" Clopper-Pearson
    interval), in closed form: P(X ≥ k) = I_p(k, n-k+1), the regularized incomplete beta
    function, and the interval's ends are its inverses, [I⁻¹_{α/2}(k, n-k+1),
    I⁻¹_{1-α/2}(k+1, n-k)]. binomtest finds the ends by root-finding over the binomial's
    distribution function: 2 ms a model, a third of the recurring-failures page."""
    total = events + other_events
    if total == 0 or years <= 0 or other_years <= 0:
        return (1.0, (math.nan, math.nan))
    share = years / (years + other_years)
    p_value = 1.0 if events == 0 else float(betainc(events, total - events + 1, share))
    alpha = (1 - confidence) / 2
    low = 0.0 if events == 0 else float(betaincinv(events, total - events + 1, alpha))
    high = 1.0 if events == total else float(betaincinv(events + 1, total - events, 1 - alpha))

    def ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * other_years / years

    return (min(1.0, p_value), (ratio(low), ratio(high)))


@dataclass
class Rate:
    events: int
    years: float

    @property
    def per_100(self) -> float | None:
        return 100 * self.events / self.years if self.years > 0 else None

    @cached_property
    def interval(self) -> tuple[float, float]:
        # Cached: a page reads each end of it (two χ² quantiles each, 80 µs a piece in scipy)
        # for every model and its fleet.
        return garwood(self.events, self.years)


@dataclass
class ModelRate:
    """One model's failure rate, its fleet's, and how they compare."""

    model: AssetModel
    assets: int  # assets of the model in service at some point of the period
    rate: Rate
    fleet: Rate  # every other model of the same type
    p_value: float
    ratio_interval: tuple[float, float]
    abnormal: bool

    @property
    def ratio(self) -> float | None:
        if self.rate.per_100 is None or not self.fleet.per_100:
            return None
        return self.rate.per_100 / self.fleet.per_100


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as instants: from the first day's midnight to the day after the last."""
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + timedelta(days=1), dt.time.min, tzinfo=zone),
    )


def exposure_by_model(assets: QuerySet[Asset], start: dt.date, end: dt.date) -> dict[int, tuple[int, float]]:
    """Per model: (assets, asset-years in service within the period), summed in the database.

    An asset is in service from the first line of its status history that put it in service
    (assets never put in service do not count), until it was retired or lost (its current
    status since `status_changed_at`); time in repair or back in stock between is counted:
    the asset still belongs to the fleet, and repair time follows from failures."""
    begin, finish = _bounds(start, end)
    entered = Subquery(
        AssetStatusChange.objects.filter(asset=OuterRef("pk"), to_status=AssetStatus.IN_SERVICE)
        .order_by()
        .values("asset")
        .annotate(first=Min("changed_at"))
        .values("first"),
        output_field=DateTimeField(),
    )
    left = Case(
        When(status__in=[AssetStatus.RETIRED, AssetStatus.LOST], then=F("status_changed_at")),
        default=Value(finish),
        output_field=DateTimeField(),
    )
    rows = (
        assets.filter(model__isnull=False)
        .alias(entered=entered, left=left)
        .filter(entered__isnull=False, entered__lt=finish, left__gt=begin)
        .alias(span=Seconds(Least(F("left"), Value(finish)), Greatest(F("entered"), Value(begin))))
        .order_by()
        .values("model")
        .annotate(n=Count("pk"), exposure=Sum("span"))
    )
    return {r["model"]: (r["n"], (r["exposure"] or 0.0) / YEAR.total_seconds()) for r in rows}


def events_by_model(tickets: QuerySet[Ticket], assets: QuerySet[Asset]) -> dict[int, int]:
    """Per model: the incidents naming at least one of `assets` of that model (a ticket
    naming two tablets of the same model counts once: one declaration, maybe one cause)."""
    rows = (
        incidents(tickets)
        # EXISTS on the joined asset, not `assets__in=<subquery>`: SQLite probes an IN list
        # through the (ticket, asset) index for every ticket, 37,000 assets each (23 s).
        .filter(Exists(assets.filter(pk=OuterRef("assets"))), assets__model__isnull=False)
        .order_by()
        .values("assets__model")
        .annotate(n=Count("pk", distinct=True))
    )
    return {r["assets__model"]: r["n"] for r in rows}


def failure_rates(
    tickets: QuerySet[Ticket],
    assets: QuerySet[Asset],
    *,
    start: dt.date,
    end: dt.date,
    min_exposure: float = MIN_EXPOSURE_YEARS,
    threshold: float = ABNORMAL_P,
) -> list[ModelRate]:
    """Every model with exposure in the period, abnormal ones first, then by how far their
    rate is surely above the fleet's (the low end of the ratio's interval).

    `tickets` and `assets` come through the tenancy door: a member's users compare their
    own fleet; the operator's staff the whole operator's."""
    exposure = exposure_by_model(assets, start, end)
    events = events_by_model(tickets, assets)
    models = AssetModel.objects.select_related("asset_type").in_bulk(exposure.keys())
    by_type: dict[int, list[int]] = defaultdict(list)
    for model_id, model in models.items():
        by_type[model.asset_type_id].append(model_id)
    found = []
    for model_id, model in models.items():
        n_assets, years = exposure[model_id]
        k = events.get(model_id, 0)
        others = [m for m in by_type[model.asset_type_id] if m != model_id]
        fleet = Rate(sum(events.get(m, 0) for m in others), sum(exposure[m][1] for m in others))
        p_value, ratio_interval = rate_ratio_test(k, years, fleet.events, fleet.years)
        found.append(
            ModelRate(
                model=model,
                assets=n_assets,
                rate=Rate(k, years),
                fleet=fleet,
                p_value=p_value,
                ratio_interval=ratio_interval,
                abnormal=bool(others) and years >= min_exposure and p_value < threshold,
            )
        )
    found.sort(
        key=lambda r: (
            not r.abnormal,
            -(r.ratio_interval[0] if not math.isnan(r.ratio_interval[0]) else 0.0),
            -(r.rate.per_100 or 0.0),
            str(r.model),
        )
    )
    return found
