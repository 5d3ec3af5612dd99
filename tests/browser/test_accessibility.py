"""Automated WCAG 2.1 A/AA checks (axe-core, pinned in package.json) on every page kind.

axe finds what a machine can find (contrast, names, labels, landmarks, headings order,
ARIA misuse); the keyboard and phone tests cover some of the rest, a human audit the remainder.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.insights.dashboard_world import PERIOD, desk, world  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Page, *, rules: list[str] | None = None) -> list[str]:
    """axe's findings on the page: every WCAG 2.1 A/AA rule, or only `rules` (by id)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make setup` (npm ci).")
    page.add_script_tag(path=str(AXE))
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": WCAG_AA}
    result = page.evaluate(
        "async (only) => (await axe.run(document, {runOnly: only})).violations"
        ".map(v => v.id + ': ' + v.help + ' [' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ') + ']')",
        only,
    )
    return list(result)


def test_login_page(live_server, page: Page, db: None) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    assert violations(page) == []


@pytest.mark.parametrize("who", ["alice", "olivia"])
def test_pages_of_each_role(live_server, page: Page, cast: Cast, who: str) -> None:
    log_in(page, live_server.url, getattr(cast, who).email)
    paths = [
        "/",
        "/sites/",
        "/equipment/",
        f"/sites/{cast.site_a.pk}/",
        f"/equipment/{cast.asset_a.pk}/",
        f"/members/{cast.member_a.pk}/",
        "/accounts/profile/",
        "/accessibility/",
        "/equipment/999999/",
    ]
    if who == "olivia":
        paths.append("/members/")
    found = {}
    for path in paths:
        page.goto(live_server.url + path)
        problems = violations(page)
        if problems:
            found[path] = problems
    assert found == {}


def test_pages_on_a_phone(live_server, browser, world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """At a phone's width the wide tables scroll sideways in their box, which must then take
    the keyboard (axe: scrollable-region-focusable), and the incidentology's charts, whose
    bars link to their tickets, must not hide focusable links inside an image
    (nested-interactive): both found by a crawl of the demo at 390 px."""
    cast = world.cast
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server.url, cast.olivia.email)
    query = "&".join(f"{name}={value}" for name, value in PERIOD.items())
    found = {}
    for path in [
        "/",
        "/members/",
        "/sites/",
        "/equipment/",
        f"/sites/{cast.site_a.pk}/",
        f"/insights/?{query}",
    ]:
        page.goto(live_server.url + path)
        problems = violations(page)
        if problems:
            found[path] = problems
    assert found == {}
    # The boxes that scroll are regions named after their table, reached with Tab.
    page.goto(f"{live_server.url}/insights/?{query}")
    regions = page.locator(".table-scroll[role=region]")
    assert regions.count() > 0
    assert regions.first.get_attribute("tabindex") == "0"
    assert regions.first.get_attribute("aria-label")
    # The charts' data tables, folded at first, become regions when opened if they scroll.
    for summary in page.locator(".chart-data > summary").all():
        summary.click()
    page.wait_for_timeout(100)  # the script reacts on the next frame
    boxes = page.locator(".chart-data .table-scroll")
    scrolling = boxes.evaluate_all("bs => bs.filter(b => b.scrollWidth > b.clientWidth).length")
    focusable = boxes.evaluate_all(
        "bs => bs.filter(b => b.scrollWidth > b.clientWidth && b.tabIndex === 0 && b.getAttribute('aria-label')).length"
    )
    assert scrolling > 0
    assert focusable == scrolling
    assert violations(page) == []
    # A bar of the phone's drawing still opens its tickets when touched.
    bar = page.locator(".chart-narrow .chart-svg [data-href]").first
    target = bar.get_attribute("data-href")
    bar.click()
    page.wait_for_url(f"{live_server.url}{target}")
    context.close()
