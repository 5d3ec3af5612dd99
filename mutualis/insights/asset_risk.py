"""Assets likely to fail soon: a transparent score per in-service asset (issue 5).

A Poisson regression of each asset's incidents over the past year on what was known of it
a year ago: its age against its type's expected lifetime, its model's failure rate across
the fleet (shrunk toward its type's rate when the model's fleet is small), its own
incidents in the year before and whether one was recent. Applied to what is known today,
it gives the expected incidents in the next 90 days; as the model is multiplicative, each
factor's part is a multiplier against an average asset of the fleet ("âge 6 ans : ×1,8"),
which is the explanation shown for each asset. See docs/insights-method.md.

Features come from aggregate queries (incidents per asset by GROUP BY on the tickets'
equipment links, over two years at most), never from a loop over tickets.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm
from django.db.models import Count, Max, Q

from mutualis.registry.models import Asset, AssetModel, AssetStatus, AssetType
from mutualis.servicedesk.models import Ticket, TicketState

from .forecast import _caught

YEAR = dt.timedelta(days=365)
HORIZON_DAYS = 90
RECENT_DAYS = 90  # an incident this recent counts as "recent"
DEFAULT_LIFE_YEARS = 5.0  # for types without an expected lifetime
MAX_AGE_RATIO = 3.0  # an asset three times past its life is not riskier for being older still
# Empirical Bayes shrinkage: a model's rate counts as many asset-years of its type's rate
# as this, so a model seen on 3 tablets for a year is mostly judged by its type.
PRIOR_ASSET_YEARS = 20.0
MIN_TRAINING_ASSETS = 30
MIN_TRAINING_INCIDENTS = 10
FEATURES = ("age", "model", "past", "recent")


@dataclass
class AssetRow:
    id: int
    asset_type_id: int
    model_id: int | None
    since: dt.date  # acquired, or registered when the acquisition date is unknown
    in_service: bool


@dataclass
class Features:
    """One asset's features at a reference date."""

    age_years: float
    life_years: float
    model_rate: float  # incidents per asset-year, shrunk
    past: int  # incidents in the year before the reference date
    days_since_last: int | None

    def vector(self, fleet_rate: float) -> list[float]:
        return [
            min(self.age_years / self.life_years, MAX_AGE_RATIO),
            math.log(self.model_rate / fleet_rate),
            math.log1p(self.past),
            1.0 if self.days_since_last is not None and self.days_since_last <= RECENT_DAYS else 0.0,
        ]


@dataclass
class RiskModel:
    method: str  # "poisson" or "model_rate_only"
    intercept: float  # log of the yearly rate of an average asset
    coefficients: dict[str, float]
    means: dict[str, float]
    fleet_rate: float
    training_assets: int
    training_incidents: int
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "base_rate": math.exp(self.intercept),
            "coefficients": self.coefficients,
            "means": self.means,
            "fleet_rate": self.fleet_rate,
            "training_assets": self.training_assets,
            "training_incidents": self.training_incidents,
            "notes": self.notes,
        }


@dataclass
class AssetScore:
    asset_id: int
    expected: float  # incidents expected in the next HORIZON_DAYS
    factors: list[dict[str, object]]

    @property
    def probability(self) -> float:
        """Chance of at least one incident in the period (Poisson)."""
        return 1 - math.exp(-self.expected)


def _years(start: dt.date, end: dt.date) -> float:
    return max((end - start).days, 0) / 365.25


def _exposure(row: AssetRow, start: dt.date, end: dt.date) -> float:
    return _years(max(row.since, start), end) if row.since < end else 0.0


@dataclass(frozen=True)
class IncidentCounts:
    before: int  # in the year before last
    after: int  # in the last year
    last_before: dt.datetime | None  # the last one before a year ago
    last: dt.datetime | None


def incident_counts(operator_id: int, now: dt.datetime) -> dict[int, IncidentCounts]:
    """Per asset: incidents in the year before last, in the last year, and the last ones.
    One GROUP BY over the tickets' equipment links of the last two years. Duplicates merged
    into another ticket and cancelled tickets are not failures."""
    year_ago = now - YEAR
    links = Ticket.assets.through.objects.filter(
        ticket__operator_id=operator_id,
        ticket__created_at__gte=now - 2 * YEAR,
        ticket__created_at__lt=now,
        ticket__merged_into__isnull=True,
    ).exclude(ticket__state=TicketState.CANCELLED)
    rows = (
        links.values("asset_id")
        .annotate(
            before=Count("ticket_id", filter=Q(ticket__created_at__lt=year_ago)),
            after=Count("ticket_id", filter=Q(ticket__created_at__gte=year_ago)),
            last_before=Max("ticket__created_at", filter=Q(ticket__created_at__lt=year_ago)),
            last=Max("ticket__created_at"),
        )
        .order_by()
    )
    return {
        row["asset_id"]: IncidentCounts(row["before"], row["after"], row["last_before"], row["last"])
        for row in rows
    }


def _rates(
    assets: list[AssetRow], counts: dict[int, int], start: dt.date, end: dt.date
) -> tuple[float, dict[int, float], dict[int, float], dict[int, int]]:
    """Fleet, type and model failure rates (incidents per asset-year) over [start, end),
    each shrunk toward the level above it; and the fleet size of each model."""
    type_n: dict[int, float] = {}
    type_e: dict[int, float] = {}
    model_n: dict[int, float] = {}
    model_e: dict[int, float] = {}
    model_type: dict[int, int] = {}
    sizes: dict[int, int] = {}
    fleet_n = fleet_e = 0.0
    for row in assets:
        exposure = _exposure(row, start, end)
        if exposure <= 0:
            continue
        n = counts.get(row.id, 0)
        fleet_n += n
        fleet_e += exposure
        type_n[row.asset_type_id] = type_n.get(row.asset_type_id, 0.0) + n
        type_e[row.asset_type_id] = type_e.get(row.asset_type_id, 0.0) + exposure
        if row.model_id is not None:
            model_n[row.model_id] = model_n.get(row.model_id, 0.0) + n
            model_e[row.model_id] = model_e.get(row.model_id, 0.0) + exposure
            model_type[row.model_id] = row.asset_type_id
            sizes[row.model_id] = sizes.get(row.model_id, 0) + 1
    fleet_rate = fleet_n / fleet_e if fleet_e else 0.0
    type_rate = {
        t: (type_n[t] + PRIOR_ASSET_YEARS * fleet_rate) / (type_e[t] + PRIOR_ASSET_YEARS) for t in type_n
    }
    model_rate = {
        m: (model_n[m] + PRIOR_ASSET_YEARS * type_rate[model_type[m]]) / (model_e[m] + PRIOR_ASSET_YEARS)
        for m in model_n
    }
    return fleet_rate, type_rate, model_rate, sizes


def _features(
    row: AssetRow,
    ref: dt.date,
    life: dict[int, float],
    type_rate: dict[int, float],
    model_rate: dict[int, float],
    fleet_rate: float,
    past: int,
    last: dt.datetime | None,
) -> Features:
    rate = model_rate.get(row.model_id, 0.0) if row.model_id else 0.0
    rate = rate or type_rate.get(row.asset_type_id, fleet_rate) or fleet_rate
    return Features(
        age_years=_years(row.since, ref),
        life_years=life.get(row.asset_type_id) or DEFAULT_LIFE_YEARS,
        model_rate=rate,
        past=past,
        days_since_last=(ref - last.date()).days if last is not None else None,
    )


def fit(x: np.ndarray, y: np.ndarray, exposure: np.ndarray, fleet_rate: float) -> RiskModel:
    """Poisson regression of incidents on centred features, exposure as offset; falls back
    to the model's failure rate alone when the data are too few or the fit fails."""
    means = x.mean(axis=0) if len(x) else np.zeros(len(FEATURES))
    centred = x - means
    notes: list[str] = []
    if len(y) >= MIN_TRAINING_ASSETS and y.sum() >= MIN_TRAINING_INCIDENTS:
        design = np.column_stack([np.ones(len(y)), centred])
        # A feature that does not vary (no asset had a recent incident) has no effect to
        # estimate: left out, its coefficient 0.
        keep = [0] + [j + 1 for j in range(centred.shape[1]) if np.ptp(centred[:, j]) > 0]
        try:
            result, _messages = _caught(
                lambda: sm.GLM(
                    y, design[:, keep], family=sm.families.Poisson(), offset=np.log(exposure)
                ).fit()
            )
        except (ValueError, np.linalg.LinAlgError):
            notes.append("fit_failed")
        else:
            if result.converged and np.all(np.isfinite(result.params)):
                coefficients = dict.fromkeys(FEATURES, 0.0)
                for position, column in enumerate(keep[1:], start=1):
                    coefficients[FEATURES[column - 1]] = float(result.params[position])
                return RiskModel(
                    method="poisson",
                    intercept=float(result.params[0]),
                    coefficients=coefficients,
                    means=dict(zip(FEATURES, map(float, means), strict=True)),
                    fleet_rate=fleet_rate,
                    training_assets=len(y),
                    training_incidents=int(y.sum()),
                )
            notes.append("not_converged")
    else:
        notes.append("too_few")
    # The model's failure rate as it is: rate = fleet rate × (model rate / fleet rate).
    coefficients = dict.fromkeys(FEATURES, 0.0) | {"model": 1.0}
    model_mean = float(means[1]) if len(x) else 0.0
    return RiskModel(
        method="model_rate_only",
        intercept=math.log(fleet_rate) + model_mean if fleet_rate > 0 else -30.0,
        coefficients=coefficients,
        means=dict(zip(FEATURES, map(float, means), strict=True)),
        fleet_rate=fleet_rate,
        training_assets=len(y),
        training_incidents=int(y.sum()),
        notes=notes,
    )


def _explain(
    model: RiskModel,
    features: Features,
    vector: list[float],
    names: dict[int, str],
    model_id: int | None,
    fleet_sizes: dict[int, int],
) -> tuple[float, list[dict[str, object]]]:
    parts = {
        key: math.exp(model.coefficients[key] * (value - model.means[key]))
        for key, value in zip(FEATURES, vector, strict=True)
    }
    rate = math.exp(model.intercept) * math.prod(parts.values())
    factors: list[dict[str, object]] = [
        {
            "kind": "age",
            "years": round(features.age_years, 1),
            "life_years": round(features.life_years, 1),
            "factor": parts["age"],
        },
        {
            "kind": "model",
            "name": names.get(model_id, "") if model_id else "",
            "rate": features.model_rate,
            "fleet_rate": model.fleet_rate,
            "fleet_size": fleet_sizes.get(model_id, 0) if model_id else 0,
            "factor": parts["model"],
        },
        {"kind": "past", "count": features.past, "factor": parts["past"]},
        {"kind": "recent", "days": features.days_since_last, "factor": parts["recent"]},
    ]
    factors.sort(key=lambda f: -abs(math.log(float(f["factor"]))))  # type: ignore[arg-type]
    return rate * HORIZON_DAYS / 365.25, factors


def score_assets(operator_id: int, now: dt.datetime) -> tuple[RiskModel, list[AssetScore]]:
    """Fit on last year's incidents and score the in-service assets for the next 90 days."""
    today = now.date()
    year_ago = today - YEAR
    two_years_ago = today - 2 * YEAR
    assets = [
        AssetRow(
            id=pk,
            asset_type_id=type_id,
            model_id=model_id,
            since=acquired or created.date(),
            in_service=status == AssetStatus.IN_SERVICE,
        )
        for pk, type_id, model_id, acquired, created, status in Asset.objects.filter(operator_id=operator_id)
        .exclude(status__in=[AssetStatus.RETIRED, AssetStatus.LOST])
        .values_list("id", "asset_type_id", "model_id", "acquired_on", "created_at", "status")
        .order_by("id")
        .iterator(chunk_size=5000)
    ]
    life = {
        pk: (months or 0) / 12
        for pk, months in AssetType.objects.filter(expected_lifetime_months__gt=0).values_list(
            "id", "expected_lifetime_months"
        )
    }
    names = {m.pk: str(m) for m in AssetModel.objects.filter(assets__operator_id=operator_id).distinct()}
    counts = incident_counts(operator_id, now)
    before = {pk: c.before for pk, c in counts.items()}
    after = {pk: c.after for pk, c in counts.items()}

    # Training: features as they were a year ago, incidents of the year since.
    fleet_then, type_then, model_then, _sizes = _rates(assets, before, two_years_ago, year_ago)
    fleet_now, type_now, model_now, sizes_now = _rates(assets, after, year_ago, today)
    x, y, exposure = [], [], []
    if fleet_then > 0:
        for row in assets:
            exp = _exposure(row, year_ago, today)
            if row.since >= year_ago or exp <= 0:
                continue  # not there a year ago: nothing was known of it then
            last = counts[row.id].last_before if row.id in counts else None
            features = _features(
                row, year_ago, life, type_then, model_then, fleet_then, before.get(row.id, 0), last
            )
            x.append(features.vector(fleet_then))
            y.append(after.get(row.id, 0))
            exposure.append(exp)
    model = fit(
        np.asarray(x).reshape(-1, len(FEATURES)), np.asarray(y, dtype=float), np.asarray(exposure), fleet_now
    )
    if fleet_now <= 0:
        model.notes.append("no_incidents")
        return model, []
    scores = []
    for row in assets:
        if not row.in_service:
            continue
        last = counts[row.id].last if row.id in counts else None
        features = _features(row, today, life, type_now, model_now, fleet_now, after.get(row.id, 0), last)
        expected, factors = _explain(
            model, features, features.vector(fleet_now), names, row.model_id, sizes_now
        )
        scores.append(AssetScore(asset_id=row.id, expected=expected, factors=factors))
    scores.sort(key=lambda s: (-s.expected, s.asset_id))
    return model, scores
