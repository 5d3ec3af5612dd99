"""In a real browser: a member's territory page shows the map and a chart, both reachable by
keyboard, passes axe's WCAG 2.1 AA checks, and fits a phone's width."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

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
        page.set_viewport_size({"width": 360, "height": 740})
        page.goto(live_server.url + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 361:
            found[path + " (phone)"] = [f"{width} px wide"]
    assert found == {}
