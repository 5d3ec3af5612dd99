"""One sensor's page: its latest readings, and the time series of one of its measured
attributes over the chosen period, aggregated per bucket by the database (hourly sums rolled
up in local time), with the alert thresholds that apply; the series downloads as CSV/XLSX."""

from __future__ import annotations

import datetime as dt
from operator import itemgetter

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from mutualis.insights.charts import line_chart, number
from mutualis.lib.tabular import EXPORT_FORMATS, Column, export_response
from mutualis.people.tenancy import ScopedRequest

from ..smart_data_models import FLOOD_MONITORING, Kind, SdmAttribute
from .mapview import STATE_LABELS
from .periods import PeriodForm
from .presentation import Table, headline, type_label
from .rollup import Bucket, roll
from .selectors import Sensor, Threshold, hourly_partials, status_label, thresholds

DECIBEL = "2N"
# Counts add up over a bucket; everything else is averaged.
SUMMED = frozenset({"intensity"})


def measured(sensor: Sensor) -> list[SdmAttribute]:
    return [a for a in sensor.sdm.observed if a.kind in (Kind.NUMBER, Kind.INTEGER)]


# Readings carry one or two decimals; a mean's last binary digits (19.50104166666667) are
# noise that a spreadsheet would show. Exports and charts keep this many.
DECIMALS = 3


def _value(attribute: SdmAttribute, bucket: Bucket | None) -> float | None:
    if bucket is None or not bucket.count:
        return None
    value: float | None
    if attribute.name in SUMMED:
        value = bucket.total
    elif attribute.unit_code == DECIBEL:
        value = bucket.level
    else:
        value = bucket.mean
    return None if value is None else round(value, DECIMALS)


def _method(attribute: SdmAttribute) -> str:
    if attribute.name in SUMMED:
        return _("total")
    if attribute.unit_code == DECIBEL:
        return _("energy average")
    return _("mean")


def sensor_page(request: ScopedRequest, sensor: Sensor, now: dt.datetime) -> HttpResponse:
    attributes = measured(sensor)
    chosen = next(
        (a for a in attributes if a.name == request.GET.get("attr")), attributes[0] if attributes else None
    )
    form = PeriodForm(request.GET or None)
    period = form.chosen(now)
    chart = None
    rows: list[list[object]] = []
    columns: list[str] = []
    if chosen is not None:
        partials = hourly_partials(
            [sensor.pk], [chosen.iri], period.start, period.end, energy=chosen.unit_code == DECIBEL
        ).get((sensor.pk, chosen.iri), [])
        buckets = roll(partials, period.bucket_of)
        starts = period.buckets()
        unit = chosen.unit_symbol
        method = _method(chosen)
        values = [_value(chosen, buckets.get(b)) for b in starts]
        lines: dict[str, list[float | None]] = {
            f"{chosen.name} ({method})": [round(v, 2) if v is not None else None for v in values]
        }
        lines.update(_threshold_lines(sensor, chosen, request.scope.operator_id, len(starts)))
        band = None
        if chosen.name not in SUMMED and chosen.unit_code != DECIBEL:
            low = [b.low if (b := buckets.get(s)) else None for s in starts]
            high = [b.high if (b := buckets.get(s)) else None for s in starts]
            band = (low, high)
        chart = line_chart(
            title=_("%(sensor)s: %(attribute)s, %(method)s %(step)s")
            % {"sensor": sensor.name, "attribute": chosen.name, "method": method, "step": period.step_label},
            x_labels=[period.label(b) for b in starts],
            series=lines,
            value_label=f"{chosen.name}{f' ({unit})' if unit else ''}",
            band=band,
            band_label=_("lowest and highest reading"),
            label_header=_("Period"),
        )
        columns = [_("Period start"), f"{chosen.name} ({method})", _("Lowest"), _("Highest"), _("Readings")]
        for start in starts:
            bucket = buckets.get(start)
            rows.append(
                [
                    start,
                    _value(chosen, bucket),
                    bucket.low if bucket else None,
                    bucket.high if bucket else None,
                    bucket.count if bucket else 0,
                ]
            )
    fmt = request.GET.get("export", "")
    if fmt in EXPORT_FORMATS and chosen is not None:
        export_columns = [Column(header, itemgetter(i)) for i, header in enumerate(columns)]
        return export_response(export_columns, rows, filename=f"sensor-{sensor.pk}-{chosen.name}", fmt=fmt)
    latest = Table(
        "latest",
        _("Latest readings"),
        [_("Attribute"), _("Value"), _("Observed")],
        [
            [
                term,
                f"{number(r.value)} {sensor.sdm.attribute(term).unit_symbol}".strip()
                if isinstance(r.value, int | float) and not isinstance(r.value, bool)
                else status_label(r.value),
                r.observed_at,
            ]
            for term, r in sorted(sensor.latest.items())
        ],
    )
    return render(
        request,
        "datahub/territory/sensor.html",
        {
            "sensor": sensor,
            "type_label": type_label(sensor),
            "state_label": STATE_LABELS[sensor.state],
            "headline": headline(sensor),
            "attributes": attributes,
            "chosen": chosen,
            "form": form,
            "period": period,
            "chart": chart,
            "latest": latest,
            "query": period.query(),
        },
    )


def _threshold_lines(
    sensor: Sensor, attribute: SdmAttribute, operator_id: int | None, count: int
) -> dict[str, list[float | None]]:
    found: list[Threshold] = list(
        thresholds(operator_id, [sensor]).get((sensor.sdm.name, attribute.name), [])
    )
    if sensor.sdm.name == FLOOD_MONITORING.name and attribute.name == "currentLevel":
        for own, label in (("alertLevel", _("alert level")), ("dangerLevel", _("danger level"))):
            value = sensor.value(own)
            if isinstance(value, int | float):
                found.append(Threshold(label, float(value)))
    return {f"{t.label} ({number(t.value)})": [t.value] * count for t in found}
