"""What the forecast and the asset risk scores say, in words: notes on a series, the
backtest in a sentence, an asset's explanation factor by factor. Rendered when shown (not
stored), so that they follow the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import forecast

METHODS = {
    forecast.SEASONAL: gettext_lazy("count model with trend, yearly seasonality and school calendar"),
    forecast.SIMPLE: gettext_lazy("count model with trend and school calendar, without yearly seasonality"),
    forecast.RECENT_MEAN: gettext_lazy("average of the last 8 weeks"),
    forecast.NONE: gettext_lazy("no forecast"),
}

NOTES = {
    forecast.NOTE_SHORT_HISTORY: gettext_lazy(
        "Less than a year of history: the yearly seasonality (rentrée, summer) cannot be learnt yet; "
        "the forecast follows the trend and the school holidays only."
    ),
    forecast.NOTE_NOT_CONVERGED: gettext_lazy(
        "The model did not converge on this series: the forecast is the average of the last 8 weeks."
    ),
    forecast.NOTE_FIT_FAILED: gettext_lazy(
        "The model could not be fitted on this series: the forecast is the average of the last 8 weeks."
    ),
    forecast.NOTE_TOO_SHORT: gettext_lazy("Fewer than 8 weeks of history: no forecast yet."),
    forecast.NOTE_NO_TICKETS: gettext_lazy("No tickets in this series: nothing to forecast."),
}

ASSET_NOTES = {
    "too_few": gettext_lazy(
        "Too few assets or incidents last year to learn the effect of age and past incidents: "
        "the score is the model's failure rate alone."
    ),
    "not_converged": gettext_lazy(
        "The risk model did not converge: the score is the model's failure rate alone."
    ),
    "fit_failed": gettext_lazy(
        "The risk model could not be fitted: the score is the model's failure rate alone."
    ),
    "no_incidents": gettext_lazy("No incident linked to equipment in the last year: no score."),
}


def decimal(value: float | None, places: int = 1) -> str:
    if value is None:
        return "–"
    return formats.number_format(round(value, places), places, use_l10n=True)


def times(factor: float) -> str:
    return "×" + decimal(factor, 1)


def backtest_sentence(summary: dict[str, Any]) -> str:
    """ "Over the last 26 weeks, the forecast was off by 4.2 requests a week on average,
    against 6.8 for the naive method." """
    if not summary.get("points"):
        return _("Not enough history yet to measure the forecast's past accuracy.")
    naive = (
        _("the same week last year")
        if summary.get("naive") == "seasonal"
        else _("the average of the 8 weeks before")
    )
    return _(
        "Over the last %(weeks)s weeks, forecasting 1 to %(horizon)s weeks ahead, the forecast was off by "
        "%(mae)s requests a week on average, against %(naive_mae)s for the naive method (%(naive)s)."
    ) % {
        "weeks": summary.get("origins", summary.get("weeks")),
        "horizon": summary.get("horizon"),
        "mae": decimal(summary.get("mae")),
        "naive_mae": decimal(summary.get("mae_naive")),
        "naive": naive,
    }


def factor_text(factor: dict[str, Any]) -> str:
    """One factor of an asset's score: "age 6.2 years (expected life 4 years): ×1.8"."""
    kind = factor.get("kind")
    value = times(float(factor.get("factor", 1.0)))
    if kind == "age":
        text = _("age %(years)s years (expected life %(life)s years)") % {
            "years": decimal(factor.get("years")),
            "life": decimal(factor.get("life_years")),
        }
    elif kind == "model":
        name = factor.get("name") or _("model unknown, its type's rate")
        text = _("%(model)s: %(rate)s incidents per asset-year (fleet: %(fleet)s)") % {
            "model": name,
            "rate": decimal(factor.get("rate"), 2),
            "fleet": decimal(factor.get("fleet_rate"), 2),
        }
    elif kind == "past":
        count = int(factor.get("count") or 0)
        text = ngettext(
            "%(count)s incident in the last 12 months",
            "%(count)s incidents in the last 12 months",
            count,
        ) % {"count": count}
    elif kind == "recent":
        days = factor.get("days")
        text = (
            _("no incident in the last two years")
            if days is None
            else ngettext("last incident %(days)s day ago", "last incident %(days)s days ago", int(days))
            % {"days": days}
        )
    else:
        text = str(kind)
    # French puts a space before the colon: the translation says so.
    return _("%(factor)s: %(multiplier)s") % {"factor": text, "multiplier": value}


def explanation(factors: list[dict[str, Any]]) -> list[str]:
    return [factor_text(f) for f in factors]
