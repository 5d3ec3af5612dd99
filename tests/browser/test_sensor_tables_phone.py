"""Every kind of sensor the demo has, its page at a phone's width (390 px) in a real
browser: its latest readings and its chart's data table fit the screen, nothing to scroll
sideways, their text 14 px or more. A street light's latest readings scrolled 24 px
sideways in their 358 px box: three columns none narrower than its longest word
(« d’éclairement », « fonctionnement », the date « 25/11/2026 ») in 16 px type with
.4rem padding each side, 382 px at the least; a charger's socket types
(« Caravan_Mains_Socket ») 36 px too wide. The tables' names were set in 13 px. Each sensor here reads the longest words
and numbers its kind may send (the worst case, not the demo's draw of the day)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from mutualis.datahub.demo.sensors import SENSOR_KINDS
from mutualis.datahub.smart_data_models import Kind, SdmAttribute, SdmType
from mutualis.datahub.tenancy import tenant_for_member
from mutualis.datahub.territory.labels import code_label
from tests.browser.conftest import PHONE, OpenPage
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The smallest type a table may use on a phone to stay readable.
SMALLEST_FONT = 14

# Each table of the page: how far it passes its box's edge, and the smallest type of its
# cells' text (with every <details> opened: the chart's data table is folded).
TABLES = """() => {
  document.querySelectorAll('details').forEach((details) => { details.open = true; });
  return [...document.querySelectorAll('main .table-scroll:has(table)')].map((box) => ({
    caption: box.querySelector('caption').textContent.trim(),
    past: box.scrollWidth - box.clientWidth,
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    smallest: Math.min(...[...box.querySelectorAll('th, td, th *, td *')]
      .filter((cell) => cell.checkVisibility() && cell.getBoundingClientRect().width > 1
        && [...cell.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim()))
      .map((cell) => parseFloat(getComputedStyle(cell).fontSize))),
  }));
}"""


def widest_code(attribute: SdmAttribute) -> Any:
    """The code whose words hold the longest word (a list of them all where the attribute
    holds several, as a charger's socket types)."""
    if attribute.multiple:
        return list(attribute.values)
    return max(attribute.values, key=lambda code: max(len(word) for word in code_label(code).split()))


def worst_value(attribute: SdmAttribute) -> Any:
    """The widest reading the attribute may have on the page."""
    if attribute.kind == Kind.ENUM:
        return widest_code(attribute)
    if attribute.kind in (Kind.NUMBER, Kind.INTEGER):
        high = attribute.plausible[1] if attribute.plausible else 1000
        # As many digits as the range's top, and a decimal (1e9 kWh: « 987 654 321,5 kWh »).
        return high if attribute.kind == Kind.INTEGER else int(high * 0.987654321) + 0.5
    if attribute.kind == Kind.BOOLEAN:
        return True
    return None


def worst_sensor(cast: Cast, sdm: SdmType, number: int, now: dt.datetime) -> int:
    values = {
        a.name: value for a in sdm.attributes if a.name != "name" and (value := worst_value(a)) is not None
    }
    sensor = make_sensor(
        tenant_for_member(cast.member_a),
        sdm,
        number,
        site=cast.site_a,
        name=f"{SENSOR_KINDS[sdm.name].label} – Boulogne-Billancourt",
        now=now,
        latest={term: v for term, v in values.items() if sdm.attribute(term).observed},
        static={term: v for term, v in values.items() if not sdm.attribute(term).observed},
    )
    # Three days of the charted attribute, so that its table shows numbers, not dashes.
    charted = [a for a in sdm.observed if a.kind in (Kind.NUMBER, Kind.INTEGER)]
    if charted:
        high = values[charted[0].name]
        hours = [now - dt.timedelta(hours=h) for h in range(72)]
        record(sensor, charted[0].iri, [(at, high * (1 - at.hour % 3 / 10)) for at in hours])
    return sensor.pk


@pytest.fixture
def sensors(cast: Cast) -> dict[str, int]:
    """One sensor of each kind the demo makes (datahub/demo/sensors.py)."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    return {
        name: worst_sensor(cast, kind.sdm, i, now) for i, (name, kind) in enumerate(SENSOR_KINDS.items(), 1)
    }


def test_every_sensor_kinds_tables_fit_a_phone(
    live_server, open_page: OpenPage, cast: Cast, sensors: dict[str, int]
) -> None:
    page = open_page(viewport=PHONE, is_mobile=True)
    log_in(page, live_server.url, cast.bob.email)
    problems = {}
    for name, pk in sensors.items():
        response = page.goto(f"{live_server.url}/territory/sensor/{pk}/?period=7d")
        assert response is not None
        assert response.status == 200, name
        tables = page.evaluate(TABLES)
        # Its latest readings, and the chart's data table (every kind charts a number).
        assert len(tables) == 2, (name, tables)
        assert tables[0]["caption"] == "Dernières mesures", (name, tables)
        wrong = [t for t in tables if t["past"] > 0 or t["page"] > 0 or t["smallest"] < SMALLEST_FONT]
        if wrong:
            problems[name] = wrong
    assert problems == {}


def test_another_members_user_does_not_see_the_sensors(
    live_server, open_page: OpenPage, cast: Cast, sensors: dict[str, int]
) -> None:
    page = open_page(viewport=PHONE, is_mobile=True)
    log_in(page, live_server.url, cast.charlie.email)
    for name, pk in sensors.items():
        response = page.goto(f"{live_server.url}/territory/sensor/{pk}/")
        assert response is not None
        assert response.status == 404, name
        assert "Dernières mesures" not in page.content()
