"""What a territory page shows, built from the computed figures: the map's points, the
charts (mutualis.insights.charts: accessible SVG with their data table) and the tables.
Every table and chart has a name, so that `?export=csv&table=<name>` downloads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mutualis.insights.charts import Chart, bar_chart, line_chart, number
from mutualis.lib.wording import labelled

from .figures import (
    AVAILABLE,
    NOISE_COLUMNS,
    OCCUPIED,
    OUT_OF_SERVICE,
    Dashboard,
    NoiseRow,
    charger_state,
)
from .indices import WHO_PM25_DAILY, atmo_label
from .labels import code_label, named
from .mapview import STATE_LABELS, TYPE_LABELS, Point
from .periods import PARIS
from .selectors import Sensor

CHARGER_STATE_LABELS = {
    AVAILABLE: gettext_lazy("available"),
    OCCUPIED: gettext_lazy("occupied"),
    OUT_OF_SERVICE: gettext_lazy("out of service"),
}


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    links: list[str | None] = field(default_factory=list)  # per row, on the first cell
    empty: str = ""  # what the table says without rows (else "Nothing to show.")

    @property
    def display(self) -> list[list[tuple[str, str | None, str]]]:
        """Each row's cells as (text, link, column name): the link on the first cell only,
        the column's name for a phone's cards (`_table.html`'s data-label)."""
        out = []
        for i, row in enumerate(self.rows):
            link = self.links[i] if i < len(self.links) else None
            out.append(
                [
                    (shown(v), link if j == 0 else None, column)
                    for j, (v, column) in enumerate(zip(row, self.columns, strict=True))
                ]
            )
        return out


def shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, dt.datetime):
        return formats.date_format(value.astimezone(PARIS), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def sensor_url(sensor: Sensor) -> str:
    return reverse("territory:sensor", args=[sensor.pk])


def type_label(sensor: Sensor) -> str:
    return str(TYPE_LABELS.get(sensor.sdm.name, sensor.sdm.name))


def headline(sensor: Sensor) -> str:
    """The latest reading that says most about a sensor, in words."""
    main = {
        "AirQualityObserved": "pm25",
        "NoiseLevelObserved": "LAeq",
        "TrafficFlowObserved": "intensity",
        "Streetlight": "status",
        "WaterObserved": "height",
        "FloodMonitoring": "currentLevel",
        "EVChargingStation": "status",
        "ACMeasurement": "totalActivePower",
    }.get(sensor.sdm.name)
    if main is None or main not in sensor.latest:
        return "–"
    value = sensor.value(main)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return named(sensor.sdm.attribute(main), value)
    return code_label(value)


def map_points(sensors: list[Sensor]) -> list[Point]:
    points = []
    for s in sensors:
        if s.position is None:
            continue
        title = labelled(f"{s.name} – {type_label(s)}, {s.state_text}", headline(s))
        points.append(
            Point(
                lon=s.position[0],
                lat=s.position[1],
                label=s.name,
                url=sensor_url(s),
                kind=s.sdm.name,
                state=s.state,
                title=title,
            )
        )
    return points


def site_points(sensors: list[Sensor]) -> list[Point]:
    seen: dict[int, Point] = {}
    for s in sensors:
        site = s.site
        if site is None or site.pk in seen or site.latitude is None or site.longitude is None:
            continue
        seen[site.pk] = Point(
            float(site.longitude),
            float(site.latitude),
            site.name,
            title=_("Site: %(name)s") % {"name": site.name},
        )
    return list(seen.values())


def sensor_table(sensors: list[Sensor]) -> Table:
    return Table(
        name="sensors",
        title=_("Sensors and their latest state"),
        columns=[
            _("Sensor"),
            _("Type"),
            _("Commune"),
            _("Site"),
            _("Latest reading"),
            _("State"),
            _("Last seen"),
        ],
        rows=[
            [
                s.name,
                type_label(s),
                s.commune.name if s.commune else None,
                s.site.name if s.site else None,
                headline(s),
                f"{STATE_LABELS[s.state]} ({s.state_text})"
                if s.state_text != str(STATE_LABELS[s.state])
                else s.state_text,
                s.last_seen,
            ]
            for s in sensors
        ],
        links=[sensor_url(s) for s in sensors],
    )


def _constant(value: float, count: int) -> list[float | None]:
    return [value] * count


def air_parts(board: Dashboard) -> tuple[list[Chart], list[Table]]:
    air = board.air
    if not any(v is not None for days in air.pm25_buckets.values() for v in days.values()) and not any(
        air.station_days.values()
    ):
        return [], []
    buckets = board.period.buckets()
    labels = [board.period.label(b) for b in buckets]
    series: dict[str, list[float | None]] = {
        s.name: [
            round(v, 1) if (v := air.pm25_buckets.get(s.pk, {}).get(b)) is not None else None for b in buckets
        ]
        for s in air.sensors
    }
    series[_("WHO daily guideline (%(value)s µg/m³)") % {"value": number(WHO_PM25_DAILY)}] = _constant(
        WHO_PM25_DAILY, len(buckets)
    )
    chart = line_chart(
        title=_("Fine particles (PM2.5), mean %(step)s") % {"step": board.period.step_label},
        x_labels=labels,
        series=series,
        value_label="PM2.5 (µg/m³)",
        label_header=_("Period"),
    )
    areas = sorted(air.area_days)
    columns = [
        _("Day"),
        *(s.name for s in air.sensors),
        *(_("%(commune)s (worst station)") % {"commune": a} for a in areas),
    ]
    rows = []
    for day in air.days:
        row: list[Any] = [day]
        for s in air.sensors:
            atmo = air.station_days.get(s.pk, {}).get(day)
            row.append(f"{atmo.level} – {atmo.label} ({', '.join(atmo.responsible)})" if atmo else None)
        for a in areas:
            atmo = air.area_days[a].get(day)
            row.append(f"{atmo.level} – {atmo.label}" if atmo else None)
        rows.append(row)
    table = Table(
        "atmo",
        _("ATMO index per day (1 good – 6 extremely poor) and the pollutants that set it"),
        columns,
        rows,
    )
    counts = {a: dict.fromkeys(range(1, 7), 0) for a in areas}
    for a in areas:
        for atmo in air.area_days[a].values():
            counts[a][atmo.level] += 1
    levels = Table(
        "atmo-levels",
        _("Days per ATMO level"),
        [_("Level"), *areas],
        [[f"{level} – {atmo_label(level)}", *(counts[a][level] for a in areas)] for level in range(1, 7)],
    )
    return [chart], [levels, table]


def _measured(row: NoiseRow) -> bool:
    return (row.lday, row.levening, row.lnight) != (None, None, None)


def noise_parts(board: Dashboard) -> tuple[list[Chart], list[Table]]:
    measured = [r for r in board.noise if _measured(r)]
    if not measured:
        return [], []
    table = Table(
        "noise",
        _("Noise levels over the period (dB(A), energy averages)"),
        [_("Sensor"), *NOISE_COLUMNS, _("Above the road-traffic limit values")],
        [
            [
                r.sensor.name,
                _round(r.lday),
                _round(r.levening),
                _round(r.lnight),
                _round(r.lden),
                r.above_limit if _measured(r) else None,
            ]
            for r in board.noise
        ],
        [sensor_url(r.sensor) for r in board.noise],
    )
    # Only the stations that measured: a silent one drawn at 0 dB would say it was quiet.
    chart = bar_chart(
        title=_("Noise levels per station"),
        labels=[r.sensor.name for r in measured],
        # bar_chart draws a missing value as no bar and says "–" in its table.
        series=cast(
            dict[str, list[float]],
            {
                NOISE_COLUMNS[0]: [_round(r.lday) for r in measured],
                NOISE_COLUMNS[1]: [_round(r.levening) for r in measured],
                NOISE_COLUMNS[2]: [_round(r.lnight) for r in measured],
                NOISE_COLUMNS[3]: [_round(r.lden) for r in measured],
            },
        ),
        value_label="dB(A)",
        horizontal=True,
        label_header=_("Sensor"),
    )
    return [chart], [table]


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def traffic_parts(board: Dashboard) -> tuple[list[Chart], list[Table]]:
    figures = board.traffic
    counted = [s for s in figures.sensors if figures.counts.get(s.pk)]
    if not counted:
        return [], []
    period = figures.period
    buckets = period.buckets()
    # A bucket without a count is a gap ("–" in the table), not 0 vehicles.
    chart = bar_chart(
        title=_("Vehicles counted %(step)s") % {"step": period.step_label},
        labels=[period.label(b) for b in buckets],
        series=cast(
            dict[str, list[float]],
            {
                s.name: [
                    round(v) if (v := figures.counts[s.pk].get(b)) is not None else None for b in buckets
                ]
                for s in counted
            },
        ),
        value_label=_("vehicles"),
        label_header=_("Period"),
    )
    hours = sorted(figures.by_hour_of_day)
    profile = bar_chart(
        title=_("Vehicles per hour of the day, all counters, over the period"),
        labels=[f"{h}h" for h in hours],
        series={_("vehicles"): [round(figures.by_hour_of_day[h]) for h in hours]},
        value_label=_("vehicles"),
        label_header=_("Hour"),
    )
    return [chart, profile], []


def water_parts(board: Dashboard) -> tuple[list[Chart], list[Table]]:
    charts = []
    buckets = board.period.buckets()
    labels = [board.period.label(b) for b in buckets]
    for series in board.water:
        if not series.buckets:
            continue
        values: dict[str, list[float | None]] = {
            _("highest level (m)"): [
                round(high, 2)
                if (bucket := series.buckets.get(b)) and (high := bucket.high) is not None
                else None
                for b in buckets
            ]
        }
        for threshold in series.thresholds:
            values[f"{threshold.label} ({number(threshold.value)} m)"] = _constant(
                threshold.value, len(buckets)
            )
        charts.append(
            line_chart(
                title=_("%(name)s: water level %(step)s, with its thresholds")
                % {"name": series.sensor.name, "step": board.period.step_label},
                x_labels=labels,
                series=values,
                value_label=_("level (m)"),
                label_header=_("Period"),
            )
        )
    return charts, []


def light_table(board: Dashboard) -> Table:
    return Table(
        "lights",
        _("Street lights out of service"),
        [_("Street light"), _("Commune"), _("Fault"), _("Since"), _("Days")],
        [
            [
                f.sensor.name,
                f.sensor.commune.name if f.sensor.commune else None,
                f.status,
                f.since,
                f.days(board.now),
            ]
            for f in board.light_faults
        ],
        [sensor_url(f.sensor) for f in board.light_faults],
        empty=_("No street light is out of service."),
    )


def charger_table(board: Dashboard) -> Table:
    return Table(
        "chargers",
        _("Charging stations"),
        [_("Charging station"), _("Commune"), _("State"), _("Free points"), _("Points"), _("Since")],
        [
            [
                s.name,
                s.commune.name if s.commune else None,
                f"{CHARGER_STATE_LABELS.get(charger_state(s), '–')} ({code_label(s.value('status'))})",
                s.value("availableCapacity"),
                s.value("capacity"),
                s.latest["status"].observed_at if "status" in s.latest else None,
            ]
            for s in board.chargers
        ],
        [sensor_url(s) for s in board.chargers],
    )


@dataclass
class Section:
    name: str
    title: str
    charts: list[Chart]
    tables: list[Table]
    note: str = ""
    empty: str = ""  # said instead of charts when the period holds no reading


def sections(board: Dashboard) -> list[Section]:
    """The dashboard's sections that have something to show, in reading order."""
    built: list[Section] = []
    present = {
        "air": bool(board.air.sensors),
        "noise": bool(board.noise),
        "traffic": bool(board.traffic.sensors),
        "water": bool(board.water),
    }
    parts: list[tuple[str, str, Callable[[Dashboard], tuple[list[Chart], list[Table]]], str]] = [
        (
            "air",
            _("Air quality"),
            air_parts,
            _(
                "ATMO index of the arrêté of 10 July 2020, per station from its own readings; WHO 2021 "
                "guideline for PM2.5: %(who)s µg/m³ as a daily mean."
            )
            % {"who": number(WHO_PM25_DAILY)},
        ),
        (
            "noise",
            _("Noise"),
            noise_parts,
            _("Day 06–18, evening 18–22, night 22–06; Lden adds 5 dB to the evening and 10 dB to the night."),
        ),
        ("traffic", _("Traffic"), traffic_parts, ""),
        ("water", _("Water levels"), water_parts, ""),
    ]
    for name, title, build, note in parts:
        charts, tables = build(board)
        if charts or tables:
            built.append(Section(name, title, charts, tables, note))
        elif present[name]:
            built.append(Section(name, title, [], [], note, empty=_("No reading over this period.")))
    if board.light_count:
        built.append(Section("lights", _("Street lights"), [], [light_table(board)]))
    if board.chargers:
        built.append(Section("chargers", _("Charging stations"), [], [charger_table(board)]))
    return built


def exportable(board_sections: list[Section], extra: list[Table]) -> dict[str, Table | Chart]:
    """Every table and chart of a page by its export name."""
    found: dict[str, Table | Chart] = {t.name: t for t in extra}
    for section in board_sections:
        for table in section.tables:
            found[table.name] = table
        for i, chart in enumerate(section.charts):
            found[f"{section.name}-chart-{i}"] = chart
    return found
