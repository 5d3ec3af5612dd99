"""Forecast of weekly ticket volumes, with intervals, and its backtest (issue 5).

Pure computation on arrays: the counts come from `forecast_batches.weekly_counts` and the
results are stored there. The method, its regressors and its limits are described in
docs/insights-method.md ("Anticipation"); in short:

- one count model per series (a top-level category, or all tickets): a GLM with a log
  link, negative binomial when the counts are over-dispersed (Poisson otherwise), on a
  linear trend, yearly Fourier terms, the share of school days in the week, the public
  holidays in it and the fading surge of the rentrée (`school_calendar.week_facts`);
- less than a year of history: the same model without the yearly terms, said so;
- a fit that fails or does not converge: the mean of the last weeks, said so;
- intervals by simulation: coefficients drawn from their estimated distribution, then
  counts from the fitted distribution; months are sums of simulated weeks;
- backtest: rolling origin over the last 26 weeks, h = 1..4 weeks ahead, against the
  naive seasonal forecast (the same week last year).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import statsmodels.api as sm

from .school_calendar import week_facts

WEEK = dt.timedelta(days=7)
SEASON = 52  # weeks in a year, for the naive seasonal forecast
FOURIER_TERMS = 3  # yearly harmonics: enough for a smooth year, few enough for 2–3 years
SEASONAL_MIN_WEEKS = 56  # a year and a month of history before yearly terms are fitted
MIN_WEEKS = 8  # below this, no forecast at all
RECENT_WEEKS = 8  # the fallback forecasts the mean of the last weeks
POISSON_ALPHA = 1e-3  # over-dispersion below this: Poisson
DRAWS = 2000
BACKTEST_DRAWS = 400
BACKTEST_WEEKS = 26
BACKTEST_HORIZON = 4
BACKTEST_MIN_TRAIN = 12

# How a series was forecast.
SEASONAL = "seasonal"
SIMPLE = "simple"
RECENT_MEAN = "recent_mean"
NONE = "none"

# Notes said on the page next to a series (texts in `forecast_texts.NOTES`).
NOTE_SHORT_HISTORY = "short_history"
NOTE_NOT_CONVERGED = "not_converged"
NOTE_FIT_FAILED = "fit_failed"
NOTE_TOO_SHORT = "too_short"
NOTE_NO_TICKETS = "no_tickets"


@dataclass
class SeriesForecast:
    method: str
    distribution: str  # "negative_binomial" or "poisson"
    mean: np.ndarray  # expected count per future week
    draws: np.ndarray  # simulated counts, draws × weeks
    notes: list[str] = field(default_factory=list)
    coefficients: dict[str, float] = field(default_factory=dict)

    def quantiles(self, q: float) -> np.ndarray:
        return np.quantile(self.draws, q, axis=0) if self.draws.size else np.zeros(len(self.mean))


def _columns(
    starts: list[dt.date], *, origin: dt.date, zone: str, seasonal: bool
) -> tuple[list[str], np.ndarray]:
    names = ["intercept", "trend", "school_share", "public_holidays"]
    if seasonal:
        names += ["rentree"] + [f"{f}{k}" for k in range(1, FOURIER_TERMS + 1) for f in ("sin", "cos")]
    rows = []
    for start in starts:
        facts = week_facts(start, zone)
        row = [1.0, (start - origin).days / 365.25, facts.school_share, float(facts.public_holidays)]
        if seasonal:
            # The week's middle (Thursday) places it in the year.
            angle = 2 * math.pi * (start + dt.timedelta(days=3)).timetuple().tm_yday / 365.25
            row.append(facts.rentree)
            for k in range(1, FOURIER_TERMS + 1):
                row += [math.sin(k * angle), math.cos(k * angle)]
        rows.append(row)
    return names, np.asarray(rows, dtype=float)


def _caught(fit_call: Callable[[], Any]) -> tuple[Any, list[str]]:
    """Run a statsmodels fit, turning its warnings into a result: the suite (and we) treat
    warnings as errors, but a fit that did not converge is an outcome to report, not a
    crash. Returns (result, messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit_call()
    return result, [f"{w.category.__name__}: {w.message}" for w in caught]


def _fit_glm(y: np.ndarray, x: np.ndarray) -> tuple[object, float, list[str]]:
    """Poisson GLM, then negative binomial with the dispersion estimated from the Poisson
    residuals (Cameron & Trivedi's auxiliary regression, `((y-μ)² - y) = α μ² + ε`):
    a closed form, so no second optimiser that could fail to converge."""
    poisson, messages = _caught(lambda: sm.GLM(y, x, family=sm.families.Poisson()).fit())
    if not poisson.converged:
        raise NotConvergedError(messages)
    mu = poisson.fittedvalues
    alpha = float(max(0.0, np.sum((y - mu) ** 2 - y) / max(np.sum(mu**2), 1e-9)))
    if alpha < POISSON_ALPHA:
        return poisson, 0.0, messages
    family = sm.families.NegativeBinomial(alpha=alpha)
    nb, more = _caught(lambda: sm.GLM(y, x, family=family).fit())
    if not nb.converged:
        raise NotConvergedError(messages + more)
    return nb, alpha, messages + more


class NotConvergedError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages) or "did not converge")
        self.messages = messages


def _simulate_counts(mu: np.ndarray, alpha: float, rng: np.random.Generator) -> np.ndarray:
    if alpha > 0:
        # Negative binomial as a gamma–Poisson mixture: mean μ, variance μ + α μ².
        mu = mu * rng.gamma(shape=1 / alpha, scale=alpha, size=mu.shape)
    return rng.poisson(mu).astype(float)


def _recent_mean(y: np.ndarray, horizon: int, rng: np.random.Generator, draws: int) -> SeriesForecast:
    recent = y[-RECENT_WEEKS:]
    mean = float(recent.mean()) if len(recent) else 0.0
    var = float(recent.var(ddof=1)) if len(recent) > 1 else mean
    alpha = max(0.0, (var - mean) / mean**2) if mean > 0 else 0.0
    mu = np.full((draws, horizon), mean)
    return SeriesForecast(
        method=RECENT_MEAN,
        distribution="negative_binomial" if alpha >= POISSON_ALPHA else "poisson",
        mean=np.full(horizon, mean),
        draws=_simulate_counts(mu, alpha if alpha >= POISSON_ALPHA else 0.0, rng),
    )


def forecast_series(
    starts: list[dt.date],
    y: np.ndarray,
    future: list[dt.date],
    *,
    zone: str,
    seed: int = 0,
    draws: int = DRAWS,
) -> SeriesForecast:
    """Forecast the weeks starting on `future` from the counts `y` of the weeks `starts`."""
    rng = np.random.default_rng(seed)
    horizon = len(future)
    if len(y) < MIN_WEEKS:
        return SeriesForecast(NONE, "", np.zeros(horizon), np.zeros((0, horizon)), [NOTE_TOO_SHORT])
    if not y.any():
        return SeriesForecast(NONE, "", np.zeros(horizon), np.zeros((draws, horizon)), [NOTE_NO_TICKETS])
    seasonal = len(y) >= SEASONAL_MIN_WEEKS
    notes = [] if seasonal else [NOTE_SHORT_HISTORY]
    names, x = _columns(starts + future, origin=starts[0], zone=zone, seasonal=seasonal)
    x_past, x_future = x[: len(y)], x[len(y) :]
    # A regressor constant over the history (no public holiday yet, no rentrée yet) has
    # no estimable effect: left out rather than left to the pseudo-inverse.
    keep = [i for i in range(x.shape[1]) if i == 0 or np.ptp(x_past[:, i]) > 0]
    names = [names[i] for i in keep]
    x_past, x_future = x_past[:, keep], x_future[:, keep]
    try:
        fitted, alpha, _messages = _fit_glm(y, x_past)
    except NotConvergedError:
        fallback = _recent_mean(y, horizon, rng, draws)
        fallback.notes = [*notes, NOTE_NOT_CONVERGED]
        return fallback
    except (ValueError, np.linalg.LinAlgError):
        fallback = _recent_mean(y, horizon, rng, draws)
        fallback.notes = [*notes, NOTE_FIT_FAILED]
        return fallback
    params = np.asarray(fitted.params)  # type: ignore[attr-defined]
    cov = np.asarray(fitted.cov_params())  # type: ignore[attr-defined]
    # Extrapolating a trend on coefficients drawn far in their tails can explode: no week
    # is forecast above ten times the busiest week seen.
    cap = math.log(10 * float(y.max()) + 10)
    mean = np.exp(np.clip(x_future @ params, -30, cap))
    # Coefficients drawn from N(β̂, Σ̂) (Σ̂ made positive semi-definite), then counts.
    values, vectors = np.linalg.eigh((cov + cov.T) / 2)
    root = vectors * np.sqrt(np.clip(values, 0, None))
    betas = params + rng.standard_normal((draws, len(params))) @ root.T
    mu = np.exp(np.clip(betas @ x_future.T, -30, cap))
    return SeriesForecast(
        method=SEASONAL if seasonal else SIMPLE,
        distribution="negative_binomial" if alpha > 0 else "poisson",
        mean=mean,
        draws=_simulate_counts(mu, alpha, rng),
        notes=notes,
        coefficients={name: float(value) for name, value in zip(names, params, strict=True)}
        | {"alpha": alpha},
    )


@dataclass
class BacktestPoint:
    origin: dt.date  # the first week not seen by the fit
    week: dt.date
    h: int
    actual: float
    forecast: float
    naive: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


@dataclass
class Backtest:
    points: list[BacktestPoint]
    naive: str  # "seasonal" (same week last year) or "recent_mean"
    scale: float  # in-sample mean absolute error of the naive forecast, for the MASE

    def _mae(self, attr: str, h: int | None = None) -> float | None:
        errors = [abs(getattr(p, attr) - p.actual) for p in self.points if h is None or p.h == h]
        return sum(errors) / len(errors) if errors else None

    def summary(self) -> dict[str, object]:
        if not self.points:
            return {"points": 0}
        mae, mae_naive = self._mae("forecast") or 0.0, self._mae("naive") or 0.0
        total = sum(p.actual for p in self.points)
        n = len(self.points)
        return {
            "points": n,
            "origins": len({p.origin for p in self.points}),
            "weeks": BACKTEST_WEEKS,
            "horizon": BACKTEST_HORIZON,
            "naive": self.naive,
            "mae": mae,
            "mae_naive": mae_naive,
            "mase": mae / self.scale if self.scale > 0 else None,
            "mase_naive": mae_naive / self.scale if self.scale > 0 else None,
            # WAPE rather than MAPE: a week without tickets makes the MAPE infinite.
            "wape": sum(abs(p.forecast - p.actual) for p in self.points) / total if total else None,
            "wape_naive": sum(abs(p.naive - p.actual) for p in self.points) / total if total else None,
            "coverage80": sum(p.lo80 <= p.actual <= p.hi80 for p in self.points) / n,
            "coverage95": sum(p.lo95 <= p.actual <= p.hi95 for p in self.points) / n,
            "by_horizon": [
                {"h": h, "mae": self._mae("forecast", h), "mae_naive": self._mae("naive", h)}
                for h in range(1, BACKTEST_HORIZON + 1)
            ],
        }


def backtest(
    starts: list[dt.date],
    y: np.ndarray,
    *,
    zone: str,
    weeks: int = BACKTEST_WEEKS,
    horizon: int = BACKTEST_HORIZON,
    draws: int = BACKTEST_DRAWS,
) -> Backtest:
    """Rolling origin: for each of the last `weeks` weeks, fit on the weeks before it only
    and forecast it and the next `horizon - 1` weeks (those already observed)."""
    n = len(y)
    first = max(n - weeks, BACKTEST_MIN_TRAIN)
    if first >= n:
        return Backtest([], "seasonal", 0.0)
    # The naive seasonal forecast needs a year before every backtest week.
    naive = "seasonal" if first - SEASON >= 0 else RECENT_MEAN
    train = y[:first]
    if len(train) > SEASON:
        scale = float(np.mean(np.abs(train[SEASON:] - train[:-SEASON])))
    else:
        scale = float(np.mean(np.abs(np.diff(train)))) if len(train) > 1 else 0.0
    points: list[BacktestPoint] = []
    for origin in range(first, n):
        ahead = list(range(origin, min(origin + horizon, n)))
        result = forecast_series(
            starts[:origin], y[:origin], [starts[t] for t in ahead], zone=zone, seed=origin, draws=draws
        )
        if result.method == NONE and not result.draws.size:
            continue
        recent = float(y[max(0, origin - RECENT_WEEKS) : origin].mean())
        lo80, hi80 = result.quantiles(0.10), result.quantiles(0.90)
        lo95, hi95 = result.quantiles(0.025), result.quantiles(0.975)
        for i, t in enumerate(ahead):
            points.append(
                BacktestPoint(
                    origin=starts[origin],
                    week=starts[t],
                    h=i + 1,
                    actual=float(y[t]),
                    forecast=float(result.mean[i]),
                    naive=float(y[t - SEASON]) if naive == "seasonal" else recent,
                    lo80=float(lo80[i]),
                    hi80=float(hi80[i]),
                    lo95=float(lo95[i]),
                    hi95=float(hi95[i]),
                )
            )
    return Backtest(points, naive, scale)


def month_weights(future: list[dt.date], months: list[dt.date]) -> np.ndarray:
    """weeks × months: the share of each future week's days that fall in each month, so
    that a month's forecast is the sum of its weeks' (a week across two months is split)."""
    index = {m: j for j, m in enumerate(months)}
    weights = np.zeros((len(future), len(months)))
    for i, start in enumerate(future):
        for d in range(7):
            day = start + dt.timedelta(days=d)
            j = index.get(day.replace(day=1))
            if j is not None:
                weights[i, j] += 1 / 7
    return weights


def add_months(month: dt.date, n: int) -> dt.date:
    total = month.year * 12 + month.month - 1 + n
    return dt.date(total // 12, total % 12 + 1, 1)
