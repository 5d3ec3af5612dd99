"""A sensor's page (/territory/sensor/<pk>/) in a real browser: its chart's data table reads
on a phone (390 px) without a tall header row. Its lowest and highest readings' columns were
named "mesure la plus basse et la plus haute – borne basse" (and "– borne haute"), which
wrapped over five lines of a narrow column: a header row 126 px high over the air sensors'
numbers, 142 px over a flood sensor's with its two thresholds. A phone draws them "Plus bas"
and "Plus haut" now, and a flood sensor's mean and levels "Moyenne", "Alerte", "Danger" (its
table scrolled 28 px sideways); screen readers still read the whole names, and a desktop
still shows them; axe finds nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page

from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED, FLOOD_MONITORING
from mutualis.datahub.tenancy import tenant_for_member
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.browser.test_ticket_lists_phone import DESKTOP, PHONE, first_row_as_read
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The tallest the chart table's header row may be at 390 px: four lines of its 13 px names
# (a flood sensor's six columns had "seuil / de / danger / (2,6)", 77 px; three lines, 61 px,
# over an air sensor's four).
HEADER = 80
# A flood sensor's columns on a phone: with their whole names ("niveau d’eau (moyenne)",
# "seuil de danger (2,6)") the table was 386 px wide and scrolled 28 px sideways in its box.
FLOOD_SHORT = ["Période", "Moyenne", "Alerte", "Danger", "Plus bas", "Plus haut"]
FLOOD_WHOLE = ["niveau d’eau (moyenne)", "seuil d’alerte (1,8)", "seuil de danger (2,6)"]
LOW = "mesure la plus basse et la plus haute – borne basse"
HIGH = "mesure la plus basse et la plus haute – borne haute"

CHART_TABLE = """() => {
  const table = document.querySelector('details.chart-data table');
  const box = table.closest('.table-scroll');
  return {
    caption: table.caption.textContent.trim(),
    past: box.scrollWidth - box.clientWidth,
    header: Math.round(table.tHead.getBoundingClientRect().height),
    drawn: [...table.tHead.querySelectorAll('th')].map((th) =>
      [...th.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE ? node.textContent.trim()
        : node.checkVisibility() && node.getBoundingClientRect().width > 1).map((node) => node.textContent).join('')),
  };
}"""


@pytest.fixture
def sensors(cast: Cast) -> dict[str, int]:
    """An air sensor (a mean with its lowest and highest readings: four columns) and a flood
    sensor (its alert and danger levels besides: six), each with three days of readings."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    hours = [now - dt.timedelta(hours=h) for h in range(72)]
    tenant = tenant_for_member(cast.member_a)
    air = make_sensor(
        tenant,
        AIR_QUALITY_OBSERVED,
        1,
        site=cast.site_a,
        name="Air de la mairie",
        now=now,
        latest={"pm25": 9.0},
    )
    record(air, AIR_QUALITY_OBSERVED.attribute("pm25").iri, [(at, 9.0 + at.hour % 5) for at in hours])
    flood = make_sensor(
        tenant,
        FLOOD_MONITORING,
        2,
        site=cast.site_a,
        name="Capteur de crue – Boulogne-Billancourt",
        now=now,
        latest={"currentLevel": 0.5},
        static={"alertLevel": 1.8, "dangerLevel": 2.6},
    )
    record(
        flood, FLOOD_MONITORING.attribute("currentLevel").iri, [(at, 0.4 + at.hour % 3 / 10) for at in hours]
    )
    return {"air": air.pk, "flood": flood.pk}


def chart_table(page: Page, live_server: Any, pk: int) -> dict[str, Any]:
    page.goto(f"{live_server.url}/territory/sensor/{pk}/?period=7d")
    page.locator("details.chart-data > summary").click()
    found: dict[str, Any] = page.evaluate(CHART_TABLE)
    return found


def test_on_a_phone_the_chart_table_has_a_compact_header_read_whole(
    live_server, browser: Browser, cast: Cast, sensors: dict[str, int]
) -> None:
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.bob.email)
    for name, columns in (("air", 4), ("flood", 6)):
        found = chart_table(page, live_server, sensors[name])
        assert found["header"] < HEADER, (name, found)
        assert len(found["drawn"]) == columns, found
        assert found["drawn"][-2:] == ["Plus bas", "Plus haut"], found
        # The table fits the screen, nothing to scroll sideways.
        assert found["past"] <= 0, (name, found)
        # Screen readers read the whole names, and each row's values under them.
        read = first_row_as_read(context, page, found["caption"])
        assert read["headers"][-2:] == [LOW, HIGH], read
        if name == "flood":
            assert found["drawn"] == FLOOD_SHORT, found
            assert read["headers"][1:4] == FLOOD_WHOLE, read
        assert [role for role, _value in read["first"]] == ["rowheader"] + ["cell"] * (columns - 1)
        assert violations(page) == []
    context.close()


def test_on_a_desktop_the_chart_table_names_its_columns_whole(
    live_server, browser: Browser, cast: Cast, sensors: dict[str, int]
) -> None:
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.bob.email)
    found = chart_table(page, live_server, sensors["air"])
    assert found["drawn"][-2:] == [LOW, HIGH], found
    assert violations(page) == []
    found = chart_table(page, live_server, sensors["flood"])
    assert found["drawn"][1:4] == FLOOD_WHOLE, found
    assert violations(page) == []
    context.close()


def test_another_members_user_does_not_see_the_sensor(
    live_server, browser: Browser, cast: Cast, sensors: dict[str, int]
) -> None:
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.charlie.email)
    response = page.goto(f"{live_server.url}/territory/sensor/{sensors['flood']}/?period=7d")
    assert response is not None
    assert response.status == 404
    context.close()
