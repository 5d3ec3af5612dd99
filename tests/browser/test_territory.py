"""In a real browser: a member's territory page shows the map and a chart, both reachable by
keyboard, passes axe's WCAG 2.1 AA checks, and fits a phone's width."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mutualis.datahub.models import Entity
from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED, STREETLIGHT
from mutualis.datahub.tenancy import tenant_for_member
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sensors(cast: Cast) -> None:
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
    pm25 = AIR_QUALITY_OBSERVED.attribute("pm25").iri
    record(air, pm25, [(now - dt.timedelta(hours=h), 9.0 + h % 4) for h in range(1, 72)])
    make_sensor(
        tenant,
        STREETLIGHT,
        2,
        site=cast.site_a,
        name="Lampadaire rue de la Paroisse",
        now=now,
        position=(2.131, 48.802),
        latest={"status": "defectiveLamp"},
    )


def test_the_territory_page_map_and_chart_are_there_and_keyboard_reachable(
    live_server, page: Page, cast: Cast, sensors: None
) -> None:
    log_in(page, live_server.url, cast.alice.email)
    page.goto(f"{live_server.url}/territory/?period=7d")
    expect(page.locator("svg.territory-map-svg")).to_be_visible()
    expect(page.locator("svg.chart-svg").first).to_be_visible()
    # Tab through the page until a sensor's marker on the map has the focus, then open it.
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('svg.territory-map-svg')"):
            break
    else:
        pytest.fail("No marker of the map is reachable with the keyboard.")
    label = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert label.startswith(("Air de la mairie", "Lampadaire rue de la Paroisse"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(label.split(" – ")[0])
    expect(page.locator("svg.chart-svg")).to_be_visible()
    # The chart's data table is reachable too: its disclosure opens from the keyboard.
    summary = page.locator("details.chart-data summary").first
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.chart-data table").first).to_be_visible()


@pytest.mark.parametrize("who", ["alice", "olivia"])
def test_the_territory_pages_pass_axe_and_fit_a_phone(
    live_server, page: Page, cast: Cast, sensors: None, who: str
) -> None:
    log_in(page, live_server.url, getattr(cast, who).email)
    sensor = Entity.objects.filter(tenant__member=cast.member_a).order_by("pk").first()
    assert sensor is not None
    paths = ["/territory/", f"/territory/sensor/{sensor.pk}/", "/territory/commune/78646/"]
    found = {}
    for path in paths:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(live_server.url + path)
        problems = violations(page)
        if problems:
            found[path] = problems
        page.set_viewport_size({"width": 320, "height": 740})
        page.goto(live_server.url + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 320:
            found[path + " (phone)"] = [f"{width} px wide"]
    assert found == {}


# The smallest size, in CSS pixels, a name on the map may be drawn at.
READABLE = 11.5
# Each name of the map: its size as drawn, the view scaled to its box as SVG does ("meet").
MAP_TEXT_SIZES = """() => [...document.querySelectorAll('svg.territory-map-svg')].flatMap(svg => {
  const box = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;
  const scale = Math.min(box.width / view.width, box.height / view.height);
  return [...svg.querySelectorAll('text')].map(t => [t.textContent, parseFloat(t.getAttribute('font-size')) * scale]);
})"""
MAP_BOX = """() => { const box = document.querySelector('.map-box');
  return [box.scrollWidth > box.clientWidth, box.tabIndex, box.getAttribute('role'), box.getAttribute('aria-label')]; }"""


def test_the_map_keeps_its_names_readable_on_a_phone(live_server, browser, cast: Cast, sensors: None) -> None:
    """Shrunk to a 390 px screen, the map's names were drawn 7 px high. They keep 12 px: the
    map keeps its width in a box that scrolls sideways, a region named after the map that the
    arrow keys scroll; the page itself does not scroll sideways; axe finds nothing."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.olivia.email)
    found: dict[str, list[str]] = {}
    # The operator's map of the communes, then a commune's map of its sensors.
    for path, name in (
        ("/territory/", "Carte des communes"),
        ("/territory/commune/78646/", "Carte des capteurs"),
    ):
        page.goto(live_server.url + path)
        sizes = page.evaluate(MAP_TEXT_SIZES)
        problems = [f"{text!r} drawn {size:.1f} px" for text, size in sizes if size < READABLE]
        if not any(text.startswith("Versailles") for text, _size in sizes):
            problems.append(f"no commune's name on the map: {sizes}")
        if page.evaluate(MAP_BOX) != [True, 0, "region", name]:
            problems.append(f"map box {page.evaluate(MAP_BOX)}")
        page.locator(".map-box").focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        try:  # the browser may scroll smoothly: give it a moment
            page.wait_for_function("() => document.querySelector('.map-box').scrollLeft > 0", timeout=3_000)
        except PlaywrightTimeoutError:
            problems.append("the arrow keys do not scroll the map")
        if page.evaluate("() => document.documentElement.scrollWidth") > 390:
            problems.append("the page scrolls sideways")
        problems += violations(page)
        if problems:
            found[path] = problems
    # On a wide screen the map fits: bigger names, and its box is no stop for the keyboard.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/territory/commune/78646/")
    sizes = page.evaluate(MAP_TEXT_SIZES)
    box = page.evaluate(MAP_BOX)
    if min(size for _text, size in sizes) < READABLE or box[:3] != [False, -1, None]:
        found["1280 px"] = [f"sizes {sizes}", f"box {box}"]
    context.close()
    assert found == {}
