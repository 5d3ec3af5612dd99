"""What the territory pages say when there is nothing to chart: a period without readings,
a member without sensors, street lights that all work. A chart of zeros would tell an
elected official that the noise was 0 dB; an empty table, nothing at all."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone, translation

from mutualis.datahub.smart_data_models import (
    AIR_QUALITY_OBSERVED,
    NOISE_LEVEL_OBSERVED,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
)
from mutualis.datahub.tenancy import tenant_for_member
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = pytest.mark.django_db

# A month with no reading: the sensors below report from yesterday on.
EMPTY_MONTH = "period=custom&start=2025-01-01&end=2025-01-31"


def _now() -> dt.datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def _text(body: bytes) -> str:
    page = body.decode()
    main = page[page.index("<main") : page.index("</main>")]
    main = re.sub(r"<svg.*?</svg>", " [chart] ", main, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def _section(body: bytes, name: str) -> str:
    """The text of the dashboard's section `name` (its id is section-<name>)."""
    found = re.search(rf'<section[^>]*id="section-{name}".*?</section>', body.decode(), flags=re.S)
    assert found is not None, f"no section {name}"
    return _text(b"<main>" + found.group(0).encode() + b"</main>")


def french(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


@pytest.fixture
def sensors(cast: Cast) -> None:
    now = _now()
    tenant = tenant_for_member(cast.member_a)
    noise = make_sensor(
        tenant,
        NOISE_LEVEL_OBSERVED,
        1,
        site=cast.site_a,
        name="Bruit de la place",
        now=now,
        latest={"LAeq": 60.0},
    )
    record(
        noise,
        NOISE_LEVEL_OBSERVED.attribute("LAeq").iri,
        [(now - dt.timedelta(hours=h), 60.0) for h in range(24)],
    )
    counter = make_sensor(
        tenant, TRAFFIC_FLOW_OBSERVED, 2, site=cast.site_a, name="Comptage", now=now, latest={"intensity": 40}
    )
    record(counter, TRAFFIC_FLOW_OBSERVED.attribute("intensity").iri, [(now - dt.timedelta(hours=1), 40)])
    air = make_sensor(
        tenant, AIR_QUALITY_OBSERVED, 3, site=cast.site_a, name="Air", now=now, latest={"pm25": 9.0}
    )
    record(air, AIR_QUALITY_OBSERVED.attribute("pm25").iri, [(now - dt.timedelta(hours=1), 9.0)])
    make_sensor(tenant, STREETLIGHT, 4, site=cast.site_a, name="Lampadaire", now=now, latest={"status": "ok"})


def test_a_period_without_readings_says_so_instead_of_charting_zeros(
    cast: Cast, sensors: None, as_user
) -> None:
    body = as_user(cast.bob).get(f"/territory/?{EMPTY_MONTH}").content
    no_reading = french("No reading over this period.")
    noise = _section(body, "noise")
    assert no_reading in noise
    assert "[chart]" not in noise  # no bars of 0 dB
    assert f"Bruit de la place – – – – {french('no')}" not in noise  # not "below the limits" either
    traffic = _section(body, "traffic")
    assert no_reading in traffic
    assert "[chart]" not in traffic
    air = _section(body, "air")
    assert no_reading in air
    assert "[chart]" not in air
    # The same page over the last 24 hours charts them.
    recent = as_user(cast.bob).get("/territory/?period=24h").content
    assert no_reading not in _text(recent)
    assert "[chart]" in _section(recent, "noise")


def test_a_silent_station_is_not_drawn_as_zero_beside_one_that_reported(
    cast: Cast, sensors: None, as_user
) -> None:
    make_sensor(
        tenant_for_member(cast.member_a),
        NOISE_LEVEL_OBSERVED,
        9,
        site=cast.site_a,
        name="Bruit muet",
        now=_now() - dt.timedelta(days=90),
        latest={"LAeq": 50.0},
    )
    body = as_user(cast.bob).get("/territory/?period=24h").content.decode()
    charts = [svg for svg in re.findall(r"<svg.*?</svg>", body, flags=re.S) if 'class="chart-svg"' in svg]
    noise_chart = next(svg for svg in charts if "Bruit de la place" in svg)
    assert "Bruit muet" not in noise_chart
    # The table lists it, with dashes for what it did not measure.
    assert "Bruit muet" in _section(body.encode(), "noise")


def test_street_lights_that_all_work_say_so(cast: Cast, sensors: None, as_user) -> None:
    lights = _section(as_user(cast.bob).get("/territory/").content, "lights")
    assert french("Nothing to show.") not in lights
    assert french("No street light is out of service.") in lights
    # An empty table offers nothing to download.
    assert "CSV" not in lights


def test_a_member_without_sensors_is_told_so_without_a_map_of_every_commune(cast: Cast, as_user) -> None:
    response = as_user(cast.charlie).get("/territory/")
    assert response.status_code == 200
    text = _text(response.content)
    with translation.override("fr"):
        expected = translation.gettext("%(place)s has no connected sensor on Mutualis yet.") % {
            "place": cast.member_b.name
        }
    assert expected in text
    assert french("No sensor reported over this period.") not in text
    assert 'class="territory-map-svg"' not in response.content.decode()
    # The operator's staff opening that member see the same.
    staff = as_user(cast.olivia).get(f"/territory/member/{cast.member_b.pk}/")
    assert expected in _text(staff.content)
    # And an outsider still gets a 404.
    assert as_user(cast.charlie).get(f"/territory/member/{cast.member_a.pk}/").status_code == 404
