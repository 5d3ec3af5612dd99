"""The temporal parameters of a request (NGSI-LD 6.3.x, 6.18.3.2, 6.19.3.1): what to read
of each entity's history, checked, with errors naming the parameter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from mutualis.lib.numbers import whole_number

from ..ngsild.context import ActiveContext
from ..ngsild.durations import Duration, parse_duration
from ..ngsild.errors import BadRequestData
from ..ngsild.timestamps import parse_instant

DEFAULT_MAX_INSTANCES = 10_000
TIMERELS = ("before", "after", "between")
# 4.11: observedAt is the default time property; createdAt and modifiedAt of an instance
# are when the hub received it (an instance is never modified once in the history).
TIME_COLUMNS = {"observedAt": "observed_at", "createdAt": "recorded_at", "modifiedAt": "recorded_at"}
AGGR_METHODS = ("totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq")


def max_instances() -> int:
    return int(getattr(settings, "DATAHUB_TEMPORAL_MAX_INSTANCES", DEFAULT_MAX_INSTANCES))


@dataclass(frozen=True)
class TemporalQuery:
    """What to read of each entity's history (4.11 temporal query, 6.3.x parameters)."""

    timerel: str | None = None
    time_at: datetime | None = None
    end_time_at: datetime | None = None
    timeproperty: str = "observedAt"
    last_n: int | None = None
    attrs: frozenset[str] | None = None  # expanded IRIs; None = every attribute
    representation: str = "normalized"  # "normalized" | "temporalValues" | "aggregatedValues"
    aggr_methods: tuple[str, ...] = ()
    aggr_period: Duration | None = None  # None: the whole time range is one period

    @property
    def column(self) -> str:
        return TIME_COLUMNS[self.timeproperty]

    @property
    def lower(self) -> datetime | None:
        """Inclusive lower bound of the time range."""
        return self.time_at if self.timerel in ("after", "between") else None

    @property
    def upper(self) -> datetime | None:
        """Exclusive upper bound of the time range."""
        if self.timerel == "before":
            return self.time_at
        if self.timerel == "between":
            return self.end_time_at
        return None


def _param(params: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def parse_temporal_query(
    params: Mapping[str, Any], ctx: ActiveContext, *, attrs: set[str] | None = None
) -> TemporalQuery:
    """The temporal parameters of a request (6.18.3.2, 6.19.3.1): BadRequestData names the
    parameter and the problem. `attrs`: already expanded (else read from `params`)."""
    timerel = _param(params, "timerel")
    # 1.8 names them timeAt / endTimeAt; earlier versions (and some clients) time / endTime.
    time_text = _param(params, "timeAt", "time")
    end_text = _param(params, "endTimeAt", "endTime")
    time_at = end_time_at = None
    if timerel is not None and timerel not in TIMERELS:
        raise BadRequestData(f"timerel must be one of before, after, between, not {timerel!r}.")
    if timerel is not None and time_text is None:
        raise BadRequestData(f"timerel={timerel} needs timeAt (the reference DateTime).")
    if timerel is None and (time_text is not None or end_text is not None):
        raise BadRequestData("timeAt and endTimeAt need timerel (before, after or between).")
    if time_text is not None:
        time_at = parse_instant(time_text, field="timeAt")
    if timerel == "between":
        if end_text is None:
            raise BadRequestData("timerel=between needs endTimeAt (the end of the interval).")
        end_time_at = parse_instant(end_text, field="endTimeAt")
        if time_at is not None and end_time_at <= time_at:
            raise BadRequestData(f"endTimeAt ({end_text}) must be later than timeAt ({time_text}).")
    elif end_text is not None:
        raise BadRequestData(f"endTimeAt is only meaningful with timerel=between, not timerel={timerel}.")

    timeproperty = _param(params, "timeproperty") or "observedAt"
    if timeproperty not in TIME_COLUMNS:
        raise BadRequestData(
            f"timeproperty must be observedAt, createdAt or modifiedAt, not {timeproperty!r}."
        )

    last_n_text = _param(params, "lastN")
    last_n = None
    if last_n_text is not None:
        # whole_number, not int(): int() also reads "１２" and "1_0".
        last_n = whole_number(last_n_text)
        if last_n is None or last_n < 1:
            raise BadRequestData(f"lastN must be a positive integer in digits 0-9, not {last_n_text!r}.")

    if attrs is None:
        names = [name.strip() for name in (_param(params, "attrs") or "").split(",") if name.strip()]
        attrs = {ctx.expand_term(name) for name in names}

    representation = "normalized"
    options = [option.strip() for option in (_param(params, "options") or "").split(",") if option.strip()]
    for option in [*options, *([_param(params, "format")] if _param(params, "format") else [])]:
        if option in ("temporalValues", "simplified", "keyValues"):
            # 4.5.8: the simplified temporal representation.
            representation = "temporalValues"
        elif option == "aggregatedValues":
            representation = "aggregatedValues"
        elif option not in ("normalized", "sysAttrs"):
            raise BadRequestData(
                f"Unknown option {option!r}; expected temporalValues, aggregatedValues, normalized or sysAttrs."
            )

    methods: tuple[str, ...] = ()
    period = None
    if representation == "aggregatedValues":
        methods_text = _param(params, "aggrMethods")
        if methods_text is None:
            raise BadRequestData(
                "options=aggregatedValues needs aggrMethods (some of " + ", ".join(AGGR_METHODS) + ")."
            )
        methods = tuple(dict.fromkeys(m.strip() for m in methods_text.split(",") if m.strip()))
        unknown = [m for m in methods if m not in AGGR_METHODS]
        if unknown or not methods:
            raise BadRequestData(
                f"Unknown aggregation method(s) {', '.join(unknown) or methods_text!r}; "
                f"expected some of {', '.join(AGGR_METHODS)}."
            )
        period_text = _param(params, "aggrPeriodDuration")
        if period_text is not None:
            # 6.3.x: P0D, the default, means one period over the whole time range.
            period = parse_duration(period_text, field="aggrPeriodDuration", allow_zero=True)
            if period.is_zero:
                period = None
    elif _param(params, "aggrMethods") or _param(params, "aggrPeriodDuration"):
        raise BadRequestData("aggrMethods and aggrPeriodDuration need options=aggregatedValues.")

    return TemporalQuery(
        timerel=timerel,
        time_at=time_at,
        end_time_at=end_time_at,
        timeproperty=timeproperty,
        last_n=last_n,
        attrs=frozenset(attrs) if attrs else None,
        representation=representation,
        aggr_methods=methods,
        aggr_period=period,
    )
