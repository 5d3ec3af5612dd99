"""Plain-text summaries for elected officials, from the dashboard's own figures (never
computed apart, so the sentences and the tables always agree)."""

from __future__ import annotations

from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mutualis.insights.charts import number

from .figures import (
    AVAILABLE,
    LONG_FAULT,
    OCCUPIED,
    OUT_OF_SERVICE,
    ROAD_LIMIT_LDEN,
    ROAD_LIMIT_LNIGHT,
    Dashboard,
    NoiseRow,
    charger_points,
)
from .indices import WHO_PM25_DAILY, atmo_label


def _days(count: int) -> str:
    return ngettext("%(count)s day", "%(count)s days", count) % {"count": count}


def _air_levels(good: int, fair: int, worse: int) -> str:
    """How the rated days went, naming only the levels some day reached ("fair on 26 days
    and degraded or worse on 4 days"): an official reads "good on 0 days" as an error."""
    parts = [
        text % {"days": _days(count)}
        for text, count in (
            (_("good on %(days)s"), good),
            (_("fair on %(days)s"), fair),
            (_("degraded or worse on %(days)s"), worse),
        )
        if count
    ]
    return get_text_list(parts, _("and"))


def air_sentences(board: Dashboard) -> list[str]:
    counts = board.air.level_counts()
    rated = sum(counts.values())
    if not rated:
        return []
    good = counts.get(1, 0)
    fair = counts.get(2, 0)
    worse = rated - good - fair
    sentences = [
        _("Air quality (ATMO index) was %(levels)s, out of %(rated)s rated.")
        % {"levels": _air_levels(good, fair, worse), "rated": _days(rated)}
    ]
    if worse:
        worst = max(counts)
        sentences.append(_("The worst level reached was “%(level)s”.") % {"level": atmo_label(worst)})
    above = board.air.days_above_who()
    if above:
        sentences.append(
            ngettext(
                "Fine particles (PM2.5) exceeded the WHO daily guideline (%(who)s µg/m³) on %(count)s day.",
                "Fine particles (PM2.5) exceeded the WHO daily guideline (%(who)s µg/m³) on %(count)s days.",
                above,
            )
            % {"who": number(WHO_PM25_DAILY), "count": above}
        )
    else:
        sentences.append(
            _("Fine particles (PM2.5) never exceeded the WHO daily guideline (%(who)s µg/m³).")
            % {"who": number(WHO_PM25_DAILY)}
        )
    return sentences


def _noise_limits(measured: list[NoiseRow]) -> str:
    """How many stations went beyond the road-traffic limits, said without "0 of 3" nor
    "1 of 1"."""
    above = sum(1 for row in measured if row.above_limit)
    limits = {"lden": number(ROAD_LIMIT_LDEN), "lnight": number(ROAD_LIMIT_LNIGHT)}
    if len(measured) == 1:
        if above:
            return (
                _(
                    "The noise station exceeded the road-traffic limit values (Lden %(lden)s dB or Lnight %(lnight)s dB)."
                )
                % limits
            )
        return (
            _(
                "The noise station stayed below the road-traffic limit values (Lden %(lden)s dB and Lnight %(lnight)s dB)."
            )
            % limits
        )
    if not above:
        return _(
            "None of the %(count)s noise stations exceeded the road-traffic limit values (Lden %(lden)s dB or Lnight %(lnight)s dB)."
        ) % {"count": len(measured), **limits}
    return ngettext(
        "%(above)s of %(count)s noise station exceeded the road-traffic limit values "
        "(Lden %(lden)s dB or Lnight %(lnight)s dB).",
        "%(above)s of %(count)s noise stations exceeded the road-traffic limit values "
        "(Lden %(lden)s dB or Lnight %(lnight)s dB).",
        len(measured),
    ) % {"above": above, "count": len(measured), **limits}


def noise_sentences(board: Dashboard) -> list[str]:
    measured = [row for row in board.noise if row.lden is not None]
    if not measured:
        return []
    loudest = max(measured, key=lambda row: row.lden or 0)
    if len(measured) == 1:
        first = _("The noise station “%(name)s” measured Lden %(lden)s dB.")
    else:
        first = _("The loudest noise station was %(name)s (Lden %(lden)s dB).")
    return [first % {"name": loudest.sensor.name, "lden": number(loudest.lden)}, _noise_limits(measured)]


def traffic_sentences(board: Dashboard) -> list[str]:
    figures = board.traffic
    if not figures.sensors or not figures.grand_total:
        return []
    per_day = figures.grand_total / board.period.days
    sentences = [
        _("The traffic counters counted %(total)s vehicles, %(per_day)s a day on average.")
        % {"total": number(figures.grand_total), "per_day": number(round(per_day))}
    ]
    hour = figures.busiest_hour
    if hour is not None:
        sentences.append(
            _("The busiest hour was %(start)s:00–%(end)s:00.") % {"start": hour, "end": (hour + 1) % 24}
        )
    return sentences


def water_sentences(board: Dashboard) -> list[str]:
    sentences = []
    for series in board.water:
        highest = series.highest
        if highest is None:
            continue
        above = [(label, hours) for label, hours in series.hours_above.items() if hours]
        if above:
            label, hours = above[0]
            sentences.append(
                ngettext(
                    "%(name)s rose to %(level)s m and stayed above the %(threshold)s for %(hours)s hour.",
                    "%(name)s rose to %(level)s m and stayed above the %(threshold)s for %(hours)s hours.",
                    hours,
                )
                % {"name": series.sensor.name, "level": number(highest), "threshold": label, "hours": hours}
            )
        else:
            sentences.append(
                _("%(name)s stayed below its thresholds (highest %(level)s m).")
                % {"name": series.sensor.name, "level": number(highest)}
            )
    return sentences


def light_sentences(board: Dashboard) -> list[str]:
    if not board.light_count:
        return []
    faults = len(board.light_faults)
    if not faults:
        return [
            ngettext(
                "The %(count)s connected street light works.",
                "All %(count)s connected street lights work.",
                board.light_count,
            )
            % {"count": board.light_count}
        ]
    long = sum(1 for f in board.light_faults if f.since is not None and board.now - f.since > LONG_FAULT)
    sentence = ngettext(
        "%(faults)s street light of %(count)s is out of service",
        "%(faults)s street lights of %(count)s are out of service",
        faults,
    ) % {"faults": faults, "count": board.light_count}
    if long:
        sentence += ngettext(
            ", %(long)s for more than 7 days.", ", %(long)s of them for more than 7 days.", long
        ) % {"long": long}
    else:
        sentence += "."
    return [sentence]


def charger_sentences(board: Dashboard) -> list[str]:
    if not board.chargers:
        return []
    counts = board.charger_counts
    free, total = charger_points(board.chargers)
    sentence = ngettext(
        "Charging stations: %(count)s in all, %(available)s available, %(occupied)s occupied, "
        "%(out)s out of service",
        "Charging stations: %(count)s in all, %(available)s available, %(occupied)s occupied, "
        "%(out)s out of service",
        len(board.chargers),
    ) % {
        "count": len(board.chargers),
        "available": counts[AVAILABLE],
        "occupied": counts[OCCUPIED],
        "out": counts[OUT_OF_SERVICE],
    }
    if total:
        sentence += _(" (%(free)s of %(total)s charging points free now).") % {"free": free, "total": total}
    else:
        sentence += "."
    return [sentence]


def summary(board: Dashboard) -> list[str]:
    """The sentences of the summary, most telling first."""
    return [
        *air_sentences(board),
        *light_sentences(board),
        *charger_sentences(board),
        *water_sentences(board),
        *noise_sentences(board),
        *traffic_sentences(board),
    ]
