"""The dashboards' figures computed by the database from known readings, checked against
hand-computed values: noise levels, the ATMO index, traffic counts, street lights out of
service, chargers, water levels over their thresholds, and the summaries that say them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from mutualis.datahub.models import Entity
from mutualis.datahub.smart_data_models import (
    AIR_QUALITY_OBSERVED,
    EV_CHARGING_STATION,
    FLOOD_MONITORING,
    NOISE_LEVEL_OBSERVED,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
)
from mutualis.datahub.tenancy import tenant_for_member
from mutualis.datahub.territory import figures, summaries
from mutualis.datahub.territory.periods import PARIS, PeriodForm
from mutualis.datahub.territory.selectors import load_sensors
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def utc(day: int, local_hour: int, minute: int = 0) -> dt.datetime:
    """A November instant given in Paris local time (UTC+1)."""
    return dt.datetime(2026, 11, day, local_hour, minute, tzinfo=PARIS).astimezone(dt.UTC)


def period(first: str, last: str):  # type: ignore[no-untyped-def]
    return PeriodForm({"period": "custom", "start": first, "end": last}).chosen(NOW)


def sensors_of(cast: Cast):  # type: ignore[no-untyped-def]
    return load_sensors(Entity.objects.filter(tenant__member=cast.member_a), NOW)


def test_noise_levels_are_energy_averages_per_period_of_the_day(cast: Cast) -> None:
    tenant = tenant_for_member(cast.member_a)
    station = make_sensor(tenant, NOISE_LEVEL_OBSERVED, 1, site=cast.site_a, now=NOW)
    laeq = NOISE_LEVEL_OBSERVED.attribute("LAeq").iri
    record(
        station,
        laeq,
        [(utc(20, 10), 60.0), (utc(20, 10, 15), 70.0), (utc(20, 19), 50.0), (utc(20, 23), 40.0)],
    )
    (row,) = figures.noise(sensors_of(cast), period("2026-11-20", "2026-11-20"))
    # Day: 10·log10((10^6 + 10^7)/2) = 67.40; evening 50; night 40.
    assert row.lday == pytest.approx(67.40, abs=0.01)
    assert row.levening == pytest.approx(50.0)
    assert row.lnight == pytest.approx(40.0)
    # Lden = 10·log10((12·5.5·10^6 + 4·10^5.5 + 8·10^5) / 24) = 64.53.
    assert row.lden == pytest.approx(64.53, abs=0.01)
    assert not row.above_limit


def test_the_atmo_index_takes_pm_daily_means_and_the_worst_hour_of_gases(cast: Cast) -> None:
    tenant = tenant_for_member(cast.member_a)
    station = make_sensor(tenant, AIR_QUALITY_OBSERVED, 1, site=cast.site_a, now=NOW)
    pm25, no2 = AIR_QUALITY_OBSERVED.attribute("pm25").iri, AIR_QUALITY_OBSERVED.attribute("no2").iri
    quarters = [utc(20, 0) + dt.timedelta(minutes=15 * i) for i in range(96)]
    # 20 November: PM2.5 alternates 10 and 14 (daily mean 12: "fair"); NO2 30 all day but
    # 100 for the whole 09:00 hour (hourly mean 100: "degraded") and one 200 spike in a
    # quarter of the 15:00 hour (hourly mean (200 + 3 × 20) / 4 = 65: not the worst hour).
    record(station, pm25, [(q, 10.0 if i % 2 else 14.0) for i, q in enumerate(quarters)])
    no2_values = []
    for q in quarters:
        local = q.astimezone(PARIS)
        if local.hour == 9:
            value = 100.0
        elif local.hour == 15:
            value = 200.0 if local.minute == 0 else 20.0
        else:
            value = 30.0
        no2_values.append((q, value))
    record(station, no2, no2_values)
    # 21 November: PM2.5 at 20 all day: above the WHO guideline (15), still "fair".
    record(station, pm25, [(q + dt.timedelta(days=1), 20.0) for q in quarters])
    air = figures.air(sensors_of(cast), period("2026-11-20", "2026-11-21"))
    day_20 = air.station_days[station.pk][dt.date(2026, 11, 20)]
    assert day_20.sub_indices == {"pm25": 2, "no2": 3}
    assert (day_20.level, day_20.responsible) == (3, ["NO₂"])
    assert air.station_days[station.pk][dt.date(2026, 11, 21)].level == 2
    assert air.pm25_daily[station.pk][dt.date(2026, 11, 20)] == pytest.approx(12.0)
    assert air.days_above_who() == 1
    assert air.area_days["Versailles"][dt.date(2026, 11, 20)].level == 3
    assert air.level_counts() == {3: 1, 2: 1}


def test_traffic_counts_per_hour_and_per_day(cast: Cast) -> None:
    tenant = tenant_for_member(cast.member_a)
    lane = make_sensor(tenant, TRAFFIC_FLOW_OBSERVED, 1, site=cast.site_a, now=NOW)
    intensity = TRAFFIC_FLOW_OBSERVED.attribute("intensity").iri
    record(lane, intensity, [(utc(20, 8), 500), (utc(20, 9), 300), (utc(21, 8), 200), (utc(21, 17), 50)])
    hourly = figures.traffic(sensors_of(cast), period("2026-11-20", "2026-11-21"))
    counts = hourly.counts[lane.pk]
    assert counts[dt.datetime(2026, 11, 20, 8, tzinfo=PARIS)] == 500
    assert counts[dt.datetime(2026, 11, 21, 17, tzinfo=PARIS)] == 50
    assert hourly.busiest_hour == 8  # 700 vehicles at 08:00 over the two days
    daily = figures.traffic(sensors_of(cast), period("2026-11-15", "2026-11-21"))
    assert daily.counts[lane.pk][dt.datetime(2026, 11, 20, tzinfo=PARIS)] == 800
    assert daily.counts[lane.pk][dt.datetime(2026, 11, 21, tzinfo=PARIS)] == 250
    assert daily.grand_total == 1050


def _lights(cast: Cast) -> tuple[Entity, Entity]:
    tenant = tenant_for_member(cast.member_a)
    status = STREETLIGHT.attribute("status").iri
    make_sensor(tenant, STREETLIGHT, 1, site=cast.site_a, now=NOW, latest={"status": "ok"})
    old = make_sensor(tenant, STREETLIGHT, 2, site=cast.site_a, now=NOW, latest={"status": "defectiveLamp"})
    recent = make_sensor(tenant, STREETLIGHT, 3, site=cast.site_a, now=NOW, latest={"status": "columnIssue"})
    # Daily self-tests at noon: one failed ten days ago, the other two days ago.
    days = [NOW - dt.timedelta(days=d) for d in range(12, -1, -1)]
    record(old, status, [(d, "ok" if d < NOW - dt.timedelta(days=10) else "defectiveLamp") for d in days])
    record(recent, status, [(d, "ok" if d < NOW - dt.timedelta(days=2) else "columnIssue") for d in days])
    return old, recent


def test_street_lights_out_of_service_with_since_when(cast: Cast) -> None:
    old, recent = _lights(cast)
    count, faults = figures.light_faults(sensors_of(cast))
    assert count == 3
    assert [(f.sensor.pk, f.since, f.days(NOW)) for f in faults] == [
        (old.pk, NOW - dt.timedelta(days=10), 10),
        (recent.pk, NOW - dt.timedelta(days=2), 2),
    ]


def _chargers(cast: Cast) -> None:
    tenant = tenant_for_member(cast.member_a)
    for number, (status, free) in enumerate((("working", 2), ("full", 0), ("outOfService", 0)), start=1):
        make_sensor(
            tenant,
            EV_CHARGING_STATION,
            number,
            site=cast.site_a,
            now=NOW,
            latest={"status": status, "availableCapacity": free},
            static={"capacity": 2},
        )


def test_chargers_available_occupied_and_out_of_service(cast: Cast) -> None:
    _chargers(cast)
    stations, counts = figures.chargers(sensors_of(cast))
    assert len(stations) == 3
    assert counts == {"available": 1, "occupied": 1, "out": 1, "unknown": 0}
    # Points: 2 free of the 4 of the stations in service (the third's 2 do not count as free).
    assert figures.charger_points(stations) == (2, 6)


def test_water_levels_against_the_sensors_thresholds(cast: Cast) -> None:
    tenant = tenant_for_member(cast.member_a)
    flood = make_sensor(
        tenant, FLOOD_MONITORING, 1, site=cast.site_a, now=NOW, static={"alertLevel": 1.8, "dangerLevel": 2.6}
    )
    level = FLOOD_MONITORING.attribute("currentLevel").iri
    record(flood, level, [(utc(20, h), v) for h, v in ((6, 1.0), (7, 1.9), (8, 2.0), (9, 1.5))])
    (series,) = figures.water(sensors_of(cast), period("2026-11-20", "2026-11-20"), {})
    assert series.highest == 2.0
    assert [t.value for t in series.thresholds] == [1.8, 2.6]
    assert list(series.hours_above.values()) == [2, 0]


def test_the_summary_says_the_figures_in_plain_words(cast: Cast) -> None:
    _lights(cast)
    _chargers(cast)
    sensors = sensors_of(cast)
    board = figures.dashboard(sensors, period("2026-11-16", "2026-11-22"), {}, NOW)
    with translation.override("en"):
        text = " ".join(summaries.summary(board))
    assert "2 street lights of 3 are out of service, 1 for more than 7 days." in text
    assert "Charging stations: 3 in all, 1 available, 1 occupied, 1 out of service" in text
    assert "(2 of 6 charging points free now)" in text


def test_the_summary_says_no_zero_counts(cast: Cast) -> None:
    """An elected official read « bonne pendant 0 jour », « ont dépassé … 0 jour » and « 0
    station de bruit sur 1 a dépassé »: the summary now names only the levels some day
    reached, says "never", and speaks of one station as one."""
    tenant = tenant_for_member(cast.member_a)
    air = make_sensor(tenant, AIR_QUALITY_OBSERVED, 1, site=cast.site_a, now=NOW)
    pm25 = AIR_QUALITY_OBSERVED.attribute("pm25").iri
    # Two days of PM2.5 at 12 µg/m³: "fair" (ATMO), under the WHO's 15.
    record(air, pm25, [(utc(day, hour), 12.0) for day in (20, 21) for hour in range(24)])
    noise = make_sensor(tenant, NOISE_LEVEL_OBSERVED, 1, site=cast.site_a, now=NOW)
    laeq = NOISE_LEVEL_OBSERVED.attribute("LAeq").iri
    record(noise, laeq, [(utc(20, hour), 50.0) for hour in range(24)])
    board = figures.dashboard(sensors_of(cast), period("2026-11-20", "2026-11-21"), {}, NOW)
    with translation.override("fr"):
        text = " ".join(summaries.summary(board))
    assert "La qualité de l’air (indice ATMO) a été moyenne pendant 2 jours, sur 2 jours évalués." in text
    assert "Les particules fines (PM2,5) n’ont jamais dépassé la valeur guide journalière de l’OMS" in text
    assert "La station de bruit est restée sous les valeurs limites du bruit routier" in text
    assert " 0 " not in f" {text} ".replace("(", " ").replace(")", " ")
    with translation.override("en"):
        text = " ".join(summaries.summary(board))
    assert "Air quality (ATMO index) was fair on 2 days, out of 2 days rated." in text
    assert "never exceeded the WHO daily guideline" in text


def test_the_summary_of_several_noise_stations(cast: Cast) -> None:
    tenant = tenant_for_member(cast.member_a)
    laeq = NOISE_LEVEL_OBSERVED.attribute("LAeq").iri
    for number, level in ((1, 50.0), (2, 55.0)):
        station = make_sensor(tenant, NOISE_LEVEL_OBSERVED, number, site=cast.site_a, now=NOW)
        record(station, laeq, [(utc(20, hour), level) for hour in range(24)])
    board = figures.dashboard(sensors_of(cast), period("2026-11-20", "2026-11-20"), {}, NOW)
    with translation.override("fr"):
        text = " ".join(summaries.summary(board))
    assert "Aucune des 2 stations de bruit n’a dépassé les valeurs limites du bruit routier" in text
    assert "La station de bruit la plus exposée est" in text
