"""In a real browser at a phone's width (390 px): the territory dashboard's charts keep text
a person can read, their box scrolls sideways from the keyboard, and the page itself does not
scroll sideways; axe finds nothing. Shrunk to the screen, the charts' text was 7 px high."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED, TRAFFIC_FLOW_OBSERVED
from mutualis.datahub.tenancy import tenant_for_member
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
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


def test_charts_stay_readable_on_a_phone_and_scroll_from_the_keyboard(
    live_server, browser: Browser, cast: Cast, sensors: int
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.bob.email)
    found: dict[str, list[str]] = {}
    for path in ("/territory/?period=7d", f"/territory/sensor/{sensors}/?period=7d"):
        page.goto(live_server.url + path)
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('svg.chart-svg')].map(svg => {
                 const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                 return Math.min(...[...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size'))))
                        * scale; })"""
        )
        assert sizes, path
        problems = [f"chart text {size:.1f} px" for size in sizes if size < READABLE]
        # Each chart's box scrolls sideways and takes the keyboard's focus to do so.
        # Each chart's drawing scrolls sideways in a box named after the chart, which takes the
        # keyboard's focus to do so; its caption and data table stay at the screen's width.
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.chart-box')].map(box => [
                 box.scrollWidth > box.clientWidth, box.tabIndex, box.getAttribute('role'),
                 box.getAttribute('aria-label') || '',
                 box.closest('figure').querySelector('figcaption').textContent.trim(),
                 box.closest('figure').querySelector('figcaption').getBoundingClientRect().right])"""
        )
        for scrolls, tab_index, role, name, caption, right in boxes:
            if not (scrolls and tab_index == 0 and role == "region" and name == caption and right <= 390):
                problems.append(f"chart box {scrolls=} {tab_index=} {role=} {name=} {caption=} {right=}")
        box = page.locator(".chart-box").first
        box.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        try:  # the browser may scroll smoothly: give it a moment
            page.wait_for_function("box => box.scrollLeft > 0", arg=box.element_handle(), timeout=3_000)
        except PlaywrightTimeoutError:
            problems.append("the arrow keys do not scroll the chart")
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
