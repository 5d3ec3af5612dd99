"""One sensor's page: its latest readings, and the time series of one of its measured
attributes over the chosen period, aggregated per bucket by the database (hourly sums rolled
up in local time), with the alert thresholds that apply; the series downloads as CSV/XLSX."""

from __future__ import annotations

import datetime as dt
from operator import itemgetter

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mutualis.insights.charts import line_chart, number
from mutualis.lib.query_strings import single_value
from mutualis.lib.tabular import EXPORT_FORMATS, Column, export_response
from mutualis.people.tenancy import ScopedRequest

from ..smart_data_models import FLOOD_MONITORING, Kind, SdmAttribute
from .labels import attribute_label, reading, scaled, unit
from .mapview import STATE_LABELS
from .periods import PeriodForm
from .presentation import Table, headline, type_label
from .rollup import Bucket, roll
from .selectors import Sensor, Threshold, hourly_partials, thresholds

DECIBEL = "2N"
# Counts add up over a bucket; everything else is averaged.
SUMMED = frozenset({"intensity"})
# Indexes that only grow (a meter's kWh since it was installed): a bucket shows how much
# they grew, the energy consumed, not their mean.
CUMULATIVE = frozenset({"totalActiveEnergyImport"})


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


def _consumed(buckets: list[Bucket | None]) -> list[float | None]:
    """Per bucket, how much a cumulated index grew: from the previous bucket's highest
    reading (or, for the first one with readings, its own lowest) to its own highest."""
    consumed: list[float | None] = []
    before: float | None = None
    for bucket in buckets:
        if bucket is None or bucket.high is None or bucket.low is None:
            consumed.append(None)
            continue
        consumed.append(round(bucket.high - (before if before is not None else bucket.low), DECIMALS))
        before = bucket.high
    return consumed


def _series_label(attribute: SdmAttribute) -> str:
    """What the attribute's series shows, in words."""
    if attribute.name in CUMULATIVE:
        return pgettext("sensor attribute", "energy consumed")
    return attribute_label(attribute.name)


def _method(attribute: SdmAttribute) -> str:
    if attribute.name in SUMMED | CUMULATIVE:
        return _("total")
    if attribute.unit_code == DECIBEL:
        return _("energy average")
    return _("mean")


def _scaled_list(attribute: SdmAttribute, values: list[float | None]) -> list[float | None]:
    return [None if v is None else round(scaled(attribute, v) or 0.0, DECIMALS) for v in values]


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
        symbol = unit(chosen)
        label = _series_label(chosen)
        method = _method(chosen)
        if chosen.name in CUMULATIVE:
            values = _consumed([buckets.get(b) for b in starts])
        else:
            values = _scaled_list(chosen, [_value(chosen, buckets.get(b)) for b in starts])
        lows = _scaled_list(chosen, [b.low if (b := buckets.get(s)) else None for s in starts])
        highs = _scaled_list(chosen, [b.high if (b := buckets.get(s)) else None for s in starts])
        # A total still filling is not drawn (a day's count an hour in read as a collapse):
        # its period is said "in progress" and the download keeps its partial value. A mean
        # is a mean of what came, drawn as it is.
        partial = chosen.name in SUMMED | CUMULATIVE
        mean_name = f"{label} ({method})"
        lines: dict[str, list[float | None]] = {
            mean_name: [
                None if v is None or (partial and period.in_progress(b)) else round(v, 2)
                for v, b in zip(values, starts, strict=True)
            ]
        }
        levels, short_names = _threshold_lines(sensor, chosen, request.scope.operator_id, len(starts))
        lines.update(levels)
        # A flood sensor's table was 386 px wide at 390 px ("seuil / de / danger / (2,6)"
        # word by word over six columns), scrolling 28 px sideways in its 358 px box: on a
        # phone its columns read "Moyenne" (every sensor's, the caption naming the attribute),
        # "Alerte", "Danger" (each cell gives the level); the whole names are read all the same.
        short_names[mean_name] = capfirst(method)
        band = None
        if chosen.name not in SUMMED | CUMULATIVE and chosen.unit_code != DECIBEL:
            band = (lows, highs)
        chart = line_chart(
            title=_("%(sensor)s: %(attribute)s, %(method)s %(step)s")
            % {"sensor": sensor.name, "attribute": label, "method": method, "step": period.step_label},
            x_labels=[period.label(b) for b in starts],
            series=lines,
            value_label=f"{label}{f' ({symbol})' if symbol else ''}",
            band=band,
            band_label=_("lowest and highest reading"),
            # "… – borne basse" on a phone: five lines of a narrow column, the header row
            # 126 px high over numbers; "Plus bas" there, the whole name read all the same.
            band_short_names=(_("Lowest"), _("Highest")),
            short_names=short_names,
            label_header=_("Period"),
        )
        in_unit = f", {symbol}" if symbol else ""
        columns = [
            _("Period start"),
            f"{label} ({method}{in_unit})",
            _("Lowest"),
            _("Highest"),
            _("Readings"),
        ]
        for i, start in enumerate(starts):
            bucket = buckets.get(start)
            rows.append([start, values[i], lows[i], highs[i], bucket.count if bucket else 0])
    latest = Table(
        "latest",
        _("Latest readings"),
        [_("Attribute"), _("Value"), _("Observed")],
        [
            [attribute_label(term), reading(sensor.sdm.attribute(term), r.value), r.observed_at]
            for term, r in sorted(sensor.latest.items(), key=lambda item: attribute_label(item[0]))
        ],
    )
    fmt = request.GET.get("export", "")
    if fmt in EXPORT_FORMATS:
        # The page offers two downloads: its table of latest readings, and the series.
        table = single_value(request.GET, "table")
        if table == latest.name:
            columns, rows, title = latest.columns, latest.rows, f"{sensor.name} – {latest.title}"
        elif chart is not None and table is not None:
            title = chart.title
        else:
            raise Http404
        export_columns = [Column(header, itemgetter(i)) for i, header in enumerate(columns)]
        return export_response(export_columns, rows, title=title, fmt=fmt)
    return render(
        request,
        "datahub/territory/sensor.html",
        {
            "sensor": sensor,
            "type_label": type_label(sensor),
            "state_label": STATE_LABELS[sensor.state],
            "headline": headline(sensor),
            "attributes": [(a, _series_label(a) + (f" ({unit(a)})" if unit(a) else "")) for a in attributes],
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
) -> tuple[dict[str, list[float | None]], dict[str, str]]:
    """The thresholds' lines (name → values), and the short names of those that have one
    (the flood sensor's own levels), for a phone's table."""
    found: list[Threshold] = list(
        thresholds(operator_id, [sensor]).get((sensor.sdm.name, attribute.name), [])
    )
    shortly: dict[str, str] = {}
    if sensor.sdm.name == FLOOD_MONITORING.name and attribute.name == "currentLevel":
        for own, label, short in (
            ("alertLevel", _("alert level"), pgettext("flood level, short", "Alert")),
            ("dangerLevel", _("danger level"), pgettext("flood level, short", "Danger")),
        ):
            value = sensor.value(own)
            if isinstance(value, int | float):
                found.append(Threshold(label, float(value)))
                shortly[label] = short
    lines: dict[str, list[float | None]] = {}
    short_names: dict[str, str] = {}
    for t in found:
        name = f"{t.label} ({number(scaled(attribute, t.value))})"
        lines[name] = [scaled(attribute, t.value)] * count
        if t.label in shortly:
            short_names[name] = shortly[t.label]
    return lines, short_names
