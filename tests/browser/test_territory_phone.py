"""In a real browser at a phone's width (390 px): the territory dashboard's charts are drawn
for the phone, whole on the screen with text a person can read, and the page itself does not
scroll sideways; axe finds nothing. Shrunk to the screen, the charts' text was 7 px high;
kept at a page's width, half of each was out of view. Its tables read without header rows
100-200 px high: a wide one as cards, still a table for screen readers; a narrow one with
its header set smaller."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser

from mutualis.datahub.smart_data_models import (
    AIR_QUALITY_OBSERVED,
    EV_CHARGING_STATION,
    NOISE_LEVEL_OBSERVED,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
)
from mutualis.datahub.tenancy import tenant_for_member
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.browser.test_ticket_lists_phone import first_row_as_read
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The smallest text size a chart may be drawn at on a phone, in CSS pixels.
READABLE = 11.5


@pytest.fixture
def sensors(cast: Cast) -> int:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
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
    record(
        air,
        AIR_QUALITY_OBSERVED.attribute("pm25").iri,
        [(now - dt.timedelta(hours=h), 9.0 + h % 5) for h in range(72)],
    )
    counter = make_sensor(
        tenant, TRAFFIC_FLOW_OBSERVED, 2, site=cast.site_a, name="Comptage", now=now, latest={"intensity": 40}
    )
    record(
        counter,
        TRAFFIC_FLOW_OBSERVED.attribute("intensity").iri,
        [(now - dt.timedelta(hours=h), 40 + h) for h in range(72)],
    )
    return air.pk


def test_charts_are_drawn_for_a_phone_whole_and_readable(
    live_server, browser: Browser, cast: Cast, sensors: int
) -> None:
    """Kept at a page's width, a chart scrolled sideways in its box and a phone showed half
    of it (the last days, the right-hand bars out of view): a phone now gets the chart drawn
    for its width, whole and with its text at a readable size."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.bob.email)
    found: dict[str, list[str]] = {}
    for path in ("/territory/?period=7d", f"/territory/sensor/{sensors}/?period=7d"):
        page.goto(live_server.url + path)
        shown = page.evaluate(
            """() => [...document.querySelectorAll('svg.chart-svg')]
                 .filter(svg => svg.getBoundingClientRect().width > 0)
                 .map(svg => {
                   const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                   const texts = [...svg.querySelectorAll('text')];
                   return [Math.min(...texts.map(t => parseFloat(t.getAttribute('font-size')))) * scale,
                           svg.viewBox.baseVal.width, svg.getBoundingClientRect().right,
                           Math.min(...texts.map(t => t.getBoundingClientRect().left)),
                           Math.max(...texts.map(t => t.getBoundingClientRect().right))]; })"""
        )
        assert shown, path
        problems = []
        for size, drawn_for, right, text_left, text_right in shown:
            if size < READABLE or drawn_for != 360 or right > 390 or text_left < 0 or text_right > 390:
                problems.append(f"chart {size=:.1f} {drawn_for=} {right=} {text_left=} {text_right=}")
        # Whole in its box: nothing to scroll, so no stop for the keyboard; the caption and
        # the data table stay at the screen's width.
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.chart-box')].map(box => [
                 box.scrollWidth > box.clientWidth, box.tabIndex,
                 box.closest('figure').querySelector('figcaption').getBoundingClientRect().right])"""
        )
        if len(boxes) != len(shown):
            problems.append(f"{len(shown)} charts shown, {len(boxes)} boxes")
        for scrolls, tab_index, right in boxes:
            if scrolls or tab_index != -1 or right > 390:
                problems.append(f"chart box {scrolls=} {tab_index=} {right=}")
        if page.evaluate("() => document.documentElement.scrollWidth") > 390:
            problems.append("the page scrolls sideways")
        problems += violations(page)
        if problems:
            found[path] = problems
    # On a wide screen the drawings fit: their boxes are no stop for the keyboard.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/territory/?period=7d")
    stops = page.evaluate("() => [...document.querySelectorAll('.chart-box')].map(box => box.tabIndex)")
    if set(stops) != {-1}:
        found["/territory/?period=7d (1280 px)"] = [f"tab stops on charts that fit: {stops}"]
    context.close()
    assert found == {}


# The tallest a header row may be on a phone: five lines of its 13 px names, for a column
# named after a sensor ("Qualité de l’air – Hôtel de ville de …"). At 16 px they wrapped word
# by word, up to 183 px high over the ATMO days, 111 px over the noise levels ("Lsoir
# (18 h–22 h)"), and the sensors' table of seven columns still scrolled sideways.
HEADER = 100

TABLES = """() => [...document.querySelectorAll('main table')].filter((t) => t.checkVisibility()).map((t) => {
  const box = t.closest('.table-scroll');
  const first = t.querySelector('tbody tr');
  return {
    caption: t.caption.textContent.trim(),
    header: Math.round(t.tHead.getBoundingClientRect().height),
    scrolls: box.scrollWidth > box.clientWidth,
    right: Math.round(t.getBoundingClientRect().right),
    // The column's name drawn before each value of the first row, and where its cells are.
    drawn: [...first.querySelectorAll('td')].map((cell) => [cell.dataset.label || '',
      getComputedStyle(cell, '::before').content]),
    tops: [...first.children].map((cell) => Math.round(cell.getBoundingClientRect().top)),
  };
})"""


@pytest.fixture
def many_tables(cast: Cast) -> None:
    """The member's sensors with long names, as the demo's: a table of seven columns (the
    sensors), of six (noise levels, charging stations), of five (street lights), and charts'
    data tables whose columns are named after the sensors."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    tenant = tenant_for_member(cast.member_a)
    hours = [now - dt.timedelta(hours=h) for h in range(72)]
    air = make_sensor(
        tenant,
        AIR_QUALITY_OBSERVED,
        1,
        site=cast.site_a,
        name="Qualité de l’air – Hôtel de ville de Saint-Germain-en-Laye",
        now=now,
        latest={"pm25": 9.0},
    )
    record(air, AIR_QUALITY_OBSERVED.attribute("pm25").iri, [(at, 9.0 + at.hour % 5) for at in hours])
    noise = make_sensor(
        tenant,
        NOISE_LEVEL_OBSERVED,
        2,
        site=cast.site_a,
        name="Bruit – Hôtel de ville de Saint-Germain-en-Laye",
        now=now,
        latest={"LAeq": 58.0},
    )
    record(noise, NOISE_LEVEL_OBSERVED.attribute("LAeq").iri, [(at, 50.0 + at.hour % 9) for at in hours])
    make_sensor(
        tenant,
        STREETLIGHT,
        3,
        site=cast.site_a,
        name="Point lumineux – rue de la Paroisse",
        now=now,
        latest={"status": "defectiveLamp"},
    )
    make_sensor(
        tenant,
        EV_CHARGING_STATION,
        4,
        site=cast.site_a,
        name="Borne de recharge – parking de la mairie",
        now=now,
        latest={"status": "working", "availableCapacity": 1, "capacity": 2},
    )


def test_on_a_phone_the_tables_read_without_tall_headers(
    live_server, browser: Browser, cast: Cast, many_tables: None
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.bob.email)
    page.goto(f"{live_server.url}/territory/?period=7d")
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    tables = page.evaluate(TABLES)
    captions = [table["caption"] for table in tables]
    for wanted in ("Capteurs et leur dernier état", "Points lumineux hors service", "Bornes de recharge"):
        assert wanted in captions, captions
    problems = []
    for table in tables:
        if table["scrolls"] or table["right"] > 390:
            problems.append(table)
        if table["header"] <= 1:
            # A card: its header row out of sight, each value after its column's name.
            if not all(label and content.startswith(f'"{label}') for label, content in table["drawn"]):
                problems.append(table)
        elif table["header"] > HEADER:
            problems.append(table)
    assert problems == [], [(t["caption"], t["header"], t["scrolls"]) for t in problems]
    # Screen readers still read the sensors' table: its column headers, and the first sensor
    # as a row header and cells, without the drawn names.
    read = first_row_as_read(context, page, "Capteurs et leur dernier état")
    assert read["headers"] == [
        "Capteur",
        "Type",
        "Commune",
        "Site",
        "Dernière mesure",
        "État",
        "Dernière donnée",
    ]
    assert read["first"][0][0] == "rowheader"
    assert [role for role, _name in read["first"][1:]] == ["cell"] * 6
    assert read["first"][2] == ("cell", "Versailles")
    assert violations(page) == []
    # On a wide screen, the tables are as they were: header rows in sight, no drawn names,
    # each row's cells side by side.
    page.set_viewport_size({"width": 1280, "height": 900})
    for table in page.evaluate(TABLES):
        assert table["header"] > 20, table
        assert all(content == "none" for _label, content in table["drawn"]), table
        assert len(set(table["tops"])) == 1, table
    context.close()
