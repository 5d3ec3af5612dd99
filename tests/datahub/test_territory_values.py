"""What the territory pages make of the values sensors send: lists (a charger's socket
types), objects and booleans never break a page, and every reading is said in the words of
the French interface, not in the Smart Data Models' English terms."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone, translation

from mutualis.datahub.smart_data_models import (
    AC_MEASUREMENT,
    AIR_QUALITY_OBSERVED,
    EV_CHARGING_STATION,
    FLOOD_MONITORING,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
)
from mutualis.datahub.tenancy import tenant_for_member
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = pytest.mark.django_db


def _now() -> dt.datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def _text(body: bytes) -> str:
    """The page's main content as a person reads it (markup and drawings left out)."""
    page = body.decode()
    main = page[page.index("<main") : page.index("</main>")]
    main = re.sub(r"<svg.*?</svg>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def french(text: str, context: str = "") -> str:
    with translation.override("fr"):
        return translation.pgettext(context, text) if context else translation.gettext(text)


def test_a_charging_stations_page_shows_its_socket_types(cast: Cast, as_user) -> None:
    """Socket and vehicle types are lists (SDM arrays): the page said 500 on every charger."""
    station = make_sensor(
        tenant_for_member(cast.member_a),
        EV_CHARGING_STATION,
        1,
        site=cast.site_a,
        name="Borne de la mairie",
        now=_now(),
        latest={"status": "working", "availableCapacity": 1},
        static={"capacity": 2, "socketType": ["Type2", "CHAdeMO"], "allowedVehicleType": ["car", "bicycle"]},
    )
    client = as_user(cast.alice)
    response = client.get(f"/territory/sensor/{station.pk}/")
    assert response.status_code == 200
    text = _text(response.content)
    assert "Type2, CHAdeMO" in text
    assert f"{french('car', 'sensor reading')}, {french('bicycle', 'sensor reading')}" in text
    assert client.get("/territory/").status_code == 200


@pytest.mark.parametrize("odd", [["ok", "defectiveLamp"], {"code": "ok"}, True, 3])
def test_a_status_of_an_unexpected_shape_does_not_break_the_dashboards(
    cast: Cast, as_user, odd: object
) -> None:
    """The NGSI-LD API takes any JSON value: a tenant's client may send a list or an object
    where the model says a code. The pages still open, for the member and the operator."""
    light = make_sensor(
        tenant_for_member(cast.member_a),
        STREETLIGHT,
        1,
        site=cast.site_a,
        name="Lampadaire étrange",
        now=_now(),
        latest={"status": odd},
    )
    for who, url in (
        (cast.alice, "/territory/"),
        (cast.bob, f"/territory/sensor/{light.pk}/"),
        (cast.olivia, "/territory/"),
        (cast.olivia, "/territory/commune/78646/"),
    ):
        response = as_user(who).get(url)
        assert response.status_code == 200, (who, url)
    assert "Lampadaire étrange" in _text(as_user(cast.alice).get("/territory/").content)


def test_readings_are_named_in_french_with_ratios_as_percentages(cast: Cast, as_user) -> None:
    now = _now()
    tenant = tenant_for_member(cast.member_a)
    air = make_sensor(
        tenant,
        AIR_QUALITY_OBSERVED,
        1,
        site=cast.site_a,
        name="Air de la mairie",
        now=now,
        latest={"pm25": 12.5, "relativeHumidity": 0.8, "airQualityLevel": "good"},
    )
    record(air, AIR_QUALITY_OBSERVED.attribute("relativeHumidity").iri, [(now - dt.timedelta(hours=1), 0.75)])
    counter = make_sensor(
        tenant,
        TRAFFIC_FLOW_OBSERVED,
        2,
        site=cast.site_a,
        name="Comptage avenue de Paris",
        now=now,
        latest={"intensity": 530, "congested": False},
        static={"laneDirection": "forward"},
    )
    client = as_user(cast.bob)
    sensor_page = _text(client.get(f"/territory/sensor/{air.pk}/?period=24h&attr=relativeHumidity").content)
    # The SDM's terms and codes are the hub's vocabulary, not the elected official's.
    for term in ("relativeHumidity", "airQualityLevel", "pm25 ", " good "):
        assert term not in sensor_page, term
    assert french("relative humidity", "sensor attribute") in sensor_page
    assert "80 %" in sensor_page  # a ratio of 0.8, not "0,8 1"
    # The series too: its data table holds 75 (percent) for the hour that read 0.75.
    assert f"{french('relative humidity', 'sensor attribute')} (%)" in sensor_page
    assert re.search(r"\d\d:00 75 ", sensor_page)
    traffic = _text(client.get(f"/territory/sensor/{counter.pk}/").content)
    for term in ("intensity", "congested", "False", "forward"):
        assert term not in traffic, term
    assert french("vehicles counted", "sensor attribute") in traffic
    dashboard = _text(client.get("/territory/").content)
    assert "intensity" not in dashboard
    assert "pm25" not in dashboard


def test_an_energy_meter_charts_what_was_consumed_not_its_index(cast: Cast, as_user) -> None:
    """The meter's index only grows (677 923 kWh): its mean per day told nothing. The page
    charts and exports the energy consumed in each period, from the index's growth."""
    now = _now()
    meter = make_sensor(
        tenant_for_member(cast.member_a),
        AC_MEASUREMENT,
        1,
        site=cast.site_a,
        name="Compteur de la mairie",
        now=now,
        latest={"totalActiveEnergyImport": 1130.0},
    )
    index = AC_MEASUREMENT.attribute("totalActiveEnergyImport").iri
    # 10 kWh an hour for 10 hours, then 30 kWh in an hour, then nothing (the latest reading).
    readings = [(now - dt.timedelta(hours=12 - h), 1000.0 + 10 * h) for h in range(11)]
    readings += [(now - dt.timedelta(hours=1), 1130.0)]
    record(meter, index, readings)
    client = as_user(cast.bob)
    export = client.get(f"/territory/sensor/{meter.pk}/?period=24h&attr=totalActiveEnergyImport&export=csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = [line.split(";") for line in text.strip().splitlines()]
    consumed = [row[1] for row in rows[1:] if row[1]]
    # The first hour with a reading has nothing before it to compare with: 0 consumed.
    assert [float(v.replace(",", ".")) for v in consumed] == [0, *[10] * 10, 30, 0]
    consumed_words = french("energy consumed", "sensor attribute")
    assert consumed_words in rows[0][1]
    page = _text(client.get(f"/territory/sensor/{meter.pk}/?period=24h&attr=totalActiveEnergyImport").content)
    assert f"{consumed_words}, {french('total')}" in page  # the chart's title
    assert f"{consumed_words} ({french('mean')})" not in page


def test_a_flood_sensors_summary_names_it_once(cast: Cast, as_user) -> None:
    """ "Capteur de crue – Sèvres … stayed above the alert level (Capteur de crue – Sèvres)":
    the sensor's own levels are named without repeating the sensor."""
    now = _now()
    flood = make_sensor(
        tenant_for_member(cast.member_a),
        FLOOD_MONITORING,
        1,
        site=cast.site_a,
        name="Capteur de crue",
        now=now,
        latest={"currentLevel": 1.0},
        static={"alertLevel": 1.8, "dangerLevel": 2.6},
    )
    level = FLOOD_MONITORING.attribute("currentLevel").iri
    record(flood, level, [(now - dt.timedelta(hours=h), 2.0 if h in (2, 3) else 1.0) for h in range(1, 10)])
    text = _text(as_user(cast.bob).get("/territory/?period=24h").content)
    with translation.override("fr"):
        sentence = translation.ngettext(
            "%(name)s rose to %(level)s m and stayed above the %(threshold)s for %(hours)s hour.",
            "%(name)s rose to %(level)s m and stayed above the %(threshold)s for %(hours)s hours.",
            2,
        ) % {
            "name": "Capteur de crue",
            "level": "2",
            "threshold": translation.gettext("alert level"),
            "hours": 2,
        }
    assert sentence in text
