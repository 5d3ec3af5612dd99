"""In a real browser at a phone's width (390 px), keyboard only: the dashboard's and the
forecast's charts are drawn for the phone, whole on the screen with text a person can
read, the page itself does not scroll sideways, and axe finds nothing. Shrunk to the
screen, the charts' 13 px text was drawn 7 px high; kept at a page's width, they scrolled
sideways in their box and a phone showed half of each (months, days and bars out of view);
the reports' list made the whole page scroll sideways (found by probing the demo as an
elected official and as the operator's staff)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, Page

from mutualis.insights.models import ForecastBatch, GeneratedReport, ReportKind
from mutualis.insights.reports import generation
from mutualis.insights.reports.periods import month
from mutualis.jobs import run_pending
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.insights.dashboard_world import PERIOD, World, desk, world  # noqa: F401 (fixtures)
from tests.insights.reports_support import known_month
from tests.insights.test_forecast_pages import computed  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The smallest text size a chart may be drawn at on a phone, in CSS pixels.
READABLE = 11.5
PHONE = {"width": 390, "height": 844}


def chart_problems(page: Page) -> list[str]:
    """What keeps the page's charts from being read whole on a phone."""
    problems = []
    # The drawings shown (the page's width's are hidden on a phone): text size, right edge.
    shown = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart-svg')]
             .filter(svg => svg.getBoundingClientRect().width > 0)
             .map(svg => {
               const box = svg.getBoundingClientRect();
               const scale = box.width / svg.viewBox.baseVal.width;
               const smallest = Math.min(...[...svg.querySelectorAll('text')]
                 .map(t => parseFloat(t.getAttribute('font-size'))));
               const texts = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect());
               return [smallest * scale, box.right,
                       Math.min(...texts.map(r => r.left)), Math.max(...texts.map(r => r.right))]; })"""
    )
    if not shown:
        problems.append("no chart")
    for size, right, text_left, text_right in shown:
        if size < READABLE:
            problems.append(f"chart text {size:.1f} px")
        if right > PHONE["width"] or text_left < 0 or text_right > PHONE["width"]:
            problems.append(f"chart beyond the screen: right {right}, text {text_left}-{text_right}")
    # Each drawing sits whole in its box: no sideways scrolling, so no stop for the keyboard
    # either (mutualis.js takes it out of the tab order); the caption stays within the screen.
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.chart-box')].map(box => [
             box.scrollWidth > box.clientWidth, box.tabIndex, box.getAttribute('role'),
             box.getAttribute('aria-label') || '',
             box.closest('figure').querySelector('figcaption').textContent.trim(),
             box.closest('figure').querySelector('figcaption').getBoundingClientRect().right])"""
    )
    if len(boxes) != len(shown):
        problems.append(f"{len(shown)} charts shown, {len(boxes)} boxes")
    for scrolls, tab_index, role, name, caption, right in boxes:
        if scrolls or tab_index != -1 or right > PHONE["width"]:
            problems.append(f"chart box {scrolls=} {tab_index=} {role=} {name=} {caption=} {right=}")
    if page.evaluate("() => document.documentElement.scrollWidth") > PHONE["width"]:
        problems.append("the page scrolls sideways")
    return problems


def test_dashboard_charts_are_readable_on_a_phone(live_server, browser: Browser, world: World) -> None:  # noqa: F811 - the imported fixture
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    query = "&".join(f"{name}={value}" for name, value in PERIOD.items())
    found: dict[str, list[str]] = {}
    # The elected official of member A, then the operator's desk agent (more panels).
    for user in (world.cast.bob, world.cast.olivia):
        log_in(page, live_server.url, user.email)
        page.goto(f"{live_server.url}/insights/?{query}")
        problems = chart_problems(page) + violations(page)
        if problems:
            found[user.email] = problems
        page.context.clear_cookies()
    # A panel at its own address, as a link or a screen reader's user follows it: a whole page
    # with its title and headings that fits the phone (it was a bare fragment, 980 px wide).
    log_in(page, live_server.url, world.cast.olivia.email)
    page.goto(f"{live_server.url}/insights/panel/volumes/?{query}")
    heading = page.locator("#panel-volumes-title").inner_text()
    problems = chart_problems(page) + violations(page)
    if not page.title().startswith(f"{heading} – Tableau de bord – Analyses"):
        problems.append(f"title {page.title()!r}")
    if page.get_by_role("heading", level=1).count() != 1:
        problems.append("not one h1")
    if problems:
        found["/insights/panel/volumes/"] = problems
    page.context.clear_cookies()
    # On a wide screen the page's drawings are shown, not the phone's, and fit: their boxes
    # are no stop for the keyboard.
    log_in(page, live_server.url, world.cast.bob.email)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/insights/?{query}")
    stops = page.evaluate("() => [...document.querySelectorAll('.chart-box')].map(box => box.tabIndex)")
    if not stops or set(stops) != {-1}:
        found["1280 px"] = [f"tab stops on charts that fit: {stops}"]
    widths = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart-svg')]
             .filter(svg => svg.getBoundingClientRect().width > 0).map(svg => svg.viewBox.baseVal.width)"""
    )
    if len(widths) != len(stops) or set(widths) != {640}:
        found.setdefault("1280 px", []).append(f"drawings shown: {widths}")
    context.close()
    assert found == {}


def test_the_forecast_chart_is_readable_on_a_phone(
    live_server,
    browser: Browser,
    cast: Cast,
    computed: ForecastBatch,  # noqa: F811 - the imported fixture
) -> None:
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.olivia.email)
    page.goto(f"{live_server.url}/insights/forecast/")
    problems = chart_problems(page) + violations(page)
    context.close()
    assert problems == []


def test_the_reports_page_does_not_scroll_sideways_on_a_phone(
    live_server, browser: Browser, cast: Cast
) -> None:
    known_month(cast)
    for first_day in (dt.date(2026, 9, 1), dt.date(2026, 10, 1)):
        generation.request_report(
            kind=ReportKind.MEMBER_MONTHLY,
            operator=cast.operator,
            member=cast.member_a,
            period=month(first_day),
            by=cast.bob,
        )
    run_pending()
    assert GeneratedReport.objects.filter(member=cast.member_a, size__gt=0).count() == 2
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.bob.email)  # the elected official
    page.goto(f"{live_server.url}/insights/reports/")
    problems = []
    if page.evaluate("() => document.documentElement.scrollWidth") > PHONE["width"]:
        problems.append("the page scrolls sideways")
    # Each summary keeps a width to read (it shrank to one word a line).
    widths = page.evaluate(
        "() => [...document.querySelectorAll('td.report-summary')].map(td => td.getBoundingClientRect().width)"
    )
    if len(widths) != 2 or min(widths) < 200:
        problems.append(f"summaries {widths} px wide")
    # The table scrolls in its box, from the keyboard: Tab reaches the box, then each
    # download, named with its file.
    names = []
    for _press in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.tagName, document.activeElement.getAttribute('role'),"
            " document.activeElement.textContent.replace(/\\s+/g, ' ').trim()]"
        )
        if focused[0] == "A" and "rapport-versailles" in focused[2]:
            names.append(focused[2])
        if focused[1] == "region" and not names:
            names.append("box")
        if len(names) == 3:
            break
    if names[:1] != ["box"] or len(names) != 3:
        problems.append(f"keyboard stops: {names}")
    problems += violations(page)
    context.close()
    assert problems == []
