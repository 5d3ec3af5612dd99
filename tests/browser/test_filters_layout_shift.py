"""The shared filter box (includes/filters.html) in a real browser, on every page that has it:
nothing below it moves when the page's script has run. Sent folded, it was opened by
web/mutualis.js on a wide screen once loaded, after the first paint: the list under it
jumped down by the box's height (layout shift 0.148 on the desk's queue, 0.107 on the
sites, 0.052 on the dashboard, on the demo). It is now drawn open from the first paint on a
wide screen and the script moves nothing; on a phone it stays folded; it is still a
disclosure the keyboard opens and folds, and axe finds nothing."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from mutualis.people.models import User
from mutualis.servicedesk.models import Ticket
from tests.browser.test_accessibility import violations
from tests.browser.test_servicedesk import log_in
from tests.browser.test_ticket_lists_phone import DESKTOP, PHONE, tickets  # noqa: F401 (fixture)
from tests.conftest import Cast
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every shift of the page's layout not caused by the person (Layout Instability API), summed:
# the cumulative layout shift of the page's load. Observed from before the page's first
# byte, buffered, so that a shift before the observer ran is counted too.
OBSERVE_SHIFTS = """
window.layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
}).observe({type: "layout-shift", buffered: true});
"""
# "Good" is under 0.1 (web.dev's Core Web Vitals); a box that moves nothing scores 0.
STILL = 0.01
# How long the page's script takes to arrive: a slow phone network, and the time the
# browser has to paint the page before the script runs (on a fast local server, a small
# page is often parsed and scripted before its first paint, the shift then unseen).
SCRIPT_DELAY = 0.5

PAGES = [
    "/tickets/",
    "/desk/",
    "/members/",
    "/sites/",
    "/equipment/",
    "/insights/",
]  # and the equipment likely to fail (/insights/forecast/assets/), once a forecast is computed


def who(cast: Cast, path: str) -> User:
    """The member's agent reads the member's tickets; the desk's agent, the queue; the
    operator's administrator, the registry and the figures."""
    return {"/tickets/": cast.alice, "/desk/": cast.olivia}.get(path, cast.adam)


def slow_script(route: Route) -> None:
    time.sleep(SCRIPT_DELAY)
    route.continue_()


def load(browser: Browser, live_server, cast: Cast, path: str, size: dict[str, int]) -> tuple[Page, float]:
    """The page at `path`, as `who` reads it at `size`, and its layout shift once loaded."""
    context = browser.new_context(locale="fr-FR", viewport=size, is_mobile=size["width"] < 768)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, who(cast, path))
    context.add_init_script(OBSERVE_SHIFTS)
    page.route("**/static/web/mutualis.js", slow_script)
    response = page.goto(live_server.url + path)
    assert response is not None, path
    assert response.status == 200, path
    page.wait_for_load_state("load")
    # Two frames after the script has run: a shift it caused is reported by then.
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return page, page.evaluate("() => window.layoutShift")


@pytest.mark.parametrize("path", PAGES)
def test_the_filter_box_moves_nothing_on_a_desktop_and_stays_a_disclosure(
    live_server,
    browser: Browser,
    cast: Cast,
    tickets: list[Ticket],  # noqa: F811
    path: str,
) -> None:
    page, shift = load(browser, live_server, cast, path, DESKTOP)
    assert shift < STILL, (path, shift)
    # Open on a wide screen, as it was: its fields in sight, its summary there to fold it.
    box = page.locator("details#filters")
    expect(box).to_have_attribute("open", "")
    fields = box.locator("form.filters")
    expect(fields).to_be_visible()
    # Folded and unfolded again from the keyboard, as any disclosure.
    summary = box.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(fields).to_be_hidden()
    expect(box).not_to_have_attribute("open", "")
    page.keyboard.press("Enter")
    expect(fields).to_be_visible()
    assert violations(page) == []
    page.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_the_filter_box_moves_nothing_on_a_phone_and_stays_folded(
    live_server,
    browser: Browser,
    cast: Cast,
    tickets: list[Ticket],  # noqa: F811
    path: str,
) -> None:
    page, shift = load(browser, live_server, cast, path, PHONE)
    assert shift < STILL, (path, shift)
    # Folded, the results first; its summary unfolds it from the keyboard.
    box = page.locator("details#filters")
    expect(box).not_to_have_attribute("open", "")
    fields = box.locator("form.filters")
    expect(fields).to_be_hidden()
    box.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(fields).to_be_visible()
    assert violations(page) == []
    page.context.close()


def test_filters_in_use_open_the_box_from_the_first_paint_on_a_phone_too(
    live_server,
    browser: Browser,
    cast: Cast,
    tickets: list[Ticket],  # noqa: F811
) -> None:
    """A list the filters made: the box is sent open, so that the person sees what made it."""
    page, shift = load(browser, live_server, cast, "/tickets/?q=%C3%89cran", PHONE)
    assert shift < STILL, shift
    expect(page.locator("details#filters")).to_have_attribute("open", "")
    expect(page.locator("form.filters")).to_be_visible()
    page.context.close()


def test_without_scripts_a_wide_screen_shows_the_filters(
    live_server,
    browser: Browser,
    cast: Cast,
    tickets: list[Ticket],  # noqa: F811
) -> None:
    """The box drawn open by the style sheet alone: in sight and in reach of the keyboard."""
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.olivia)
    page.goto(f"{live_server.url}/desk/")
    expect(page.locator("form.filters")).to_be_visible()
    page.locator("form.filters").get_by_role("button", name="Filtrer").focus()
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Filtrer"
    context.close()
