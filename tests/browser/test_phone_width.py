"""The pages each demo persona meets, at a phone's width (390 px), in a real browser: none
scrolls sideways as a whole, nothing is laid out past the screen's right edge outside a box
made to scroll (a wide table's `.table-scroll`, a chart's `.chart-box`), and a sensor's chart
data table fits the screen. A flood sensor's table was 386 px wide in its 358 px box (its
threshold columns named "seuil / de / danger / (2,6)" word by word), read by scrolling
28 px sideways; a crawl of the demo found no page scrolling sideways as a whole."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from mutualis.datahub.models import Entity
from mutualis.datahub.smart_data_models import (
    AIR_QUALITY_OBSERVED,
    FLOOD_MONITORING,
    NOISE_LEVEL_OBSERVED,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
)
from mutualis.demo import logins
from tests.browser.test_ticket_lists_phone import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VERSAILLES = "78646"
SENSOR_KINDS = (
    AIR_QUALITY_OBSERVED,
    NOISE_LEVEL_OBSERVED,
    FLOOD_MONITORING,
    TRAFFIC_FLOW_OBSERVED,
    STREETLIGHT,
)
PAGES = (
    "/",
    "/tickets/",
    "/tickets/new/",
    "/territory/",
    "/insights/",
    "/sites/",
    "/equipment/",
    "/accounts/profile/",
    "/accounts/password/",
)

# What passes the screen's right edge: the page's sideways scroll, the outermost elements
# drawn past the edge outside a box made to scroll, and the chart data tables that scroll.
# Folded <details> are opened first (a chart's data table, the filters, the desk's bulk form).
TOO_WIDE = """() => {
  document.querySelectorAll('details').forEach((details) => { details.open = true; });
  const width = document.documentElement.clientWidth;
  const past = [];
  for (const element of document.querySelectorAll('body *')) {
    if (element.closest('.table-scroll, .chart-box') || past.some((outer) => outer.contains(element))) continue;
    const box = element.getBoundingClientRect();
    if (box.width > 1 && box.right > width + 0.5 && element.checkVisibility()) past.push(element);
  }
  return {
    page: document.documentElement.scrollWidth - width,
    past: past.map((element) => `${element.tagName.toLowerCase()}.${[...element.classList].join('.')}`
      + ` right=${Math.round(element.getBoundingClientRect().right)}`),
    chart_tables: [...document.querySelectorAll('.chart-data .table-scroll')]
      .filter((box) => box.scrollWidth > box.clientWidth)
      .map((box) => `${box.querySelector('caption').textContent.trim()}: ${box.scrollWidth} px in ${box.clientWidth}`),
  };
}"""


@pytest.fixture
def demo() -> dict[str, int]:
    """The demo at a small scale, with a day of its sensors' readings; the sensor of
    each kind in Versailles, whose town hall and schools the Versailles personas see."""
    call_command("demo_data", "--scale", "0.02", stdout=StringIO(), stderr=StringIO())
    call_command("datahub_demo", "--scale", "0.2", "--days", "1", stdout=StringIO(), stderr=StringIO())
    sensors = {}
    for kind in SENSOR_KINDS:
        found = Entity.objects.filter(type=kind.iri, site__commune__code=VERSAILLES).order_by("pk").first()
        assert found is not None, kind.name
        sensors[kind.name] = found.pk
    return sensors


def log_in_as(page: Page, base_url: str, email: str) -> None:
    """Through the login form, with the demo's published password."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(logins.DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def too_wide(page: Page, base_url: str, path: str) -> dict[str, Any]:
    response = page.goto(base_url + path)
    assert response is not None
    found: dict[str, Any] = page.evaluate(TOO_WIDE)
    found["status"] = response.status
    return found


@pytest.mark.parametrize(
    ("email", "sees_sensors", "staff"),
    [
        (logins.VERSAILLES_AGENT, True, False),
        (logins.VERSAILLES_SCHOOLS, False, False),
        (logins.VERSAILLES_MAYOR, True, False),
        (logins.VERSAILLES_PRINCIPAL, False, False),
        (logins.DESK_AGENT, True, True),
        (logins.TECHNICIAN, True, True),
        (logins.SUPERVISOR, True, True),
    ],
    ids=["member-agent", "school-contact", "mayor", "principal", "desk-agent", "technician", "supervisor"],
)
def test_a_personas_pages_fit_a_phone(
    live_server, browser: Browser, demo: dict[str, int], email: str, sees_sensors: bool, staff: bool
) -> None:
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in_as(page, live_server.url, email)
    page.goto(f"{live_server.url}/tickets/")
    tickets = page.locator("main a[href^='/tickets/']").evaluate_all(
        "links => links.map((a) => a.getAttribute('href')).filter((href) => /^\\/tickets\\/\\d+\\/$/.test(href))"
    )
    assert tickets, "no ticket in the list"
    sensors = [f"/territory/sensor/{pk}/" for pk in demo.values()]
    problems = {}
    statuses = {}
    # The desk's queue is the operator's staff's (a member's people get 403 there).
    for path in [*PAGES, *(["/desk/"] if staff else []), tickets[0], *sensors]:
        found = too_wide(page, live_server.url, path)
        statuses[path] = found.pop("status")
        if not path.startswith("/territory/sensor/"):
            # The incidentology's wide tables of several series scroll in their box, which
            # takes the keyboard (test_accessibility.py); a sensor's fits the screen.
            del found["chart_tables"]
        if found["page"] > 0 or found["past"] or found.get("chart_tables"):
            problems[path] = found
    context.close()
    # The pages were seen, not an error page in their place.
    assert statuses[tickets[0]] == 200
    assert all(statuses[path] == 200 for path in ("/", "/tickets/", "/sites/", "/equipment/"))
    # The town's sensors are its staff's and the operator's; a school's contact or a
    # collège's principal gets a 404 there, as for a sensor that does not exist.
    assert [statuses[path] for path in sensors] == [200 if sees_sensors else 404] * len(sensors)
    assert problems == {}
