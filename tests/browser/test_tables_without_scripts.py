"""Tables wider than a phone, without scripts, in a real browser: each scrolls sideways in
its box, which must then take the keyboard and be named (axe: scrollable-region-focusable,
WCAG 2.1.1). mutualis.js makes such a box a named region with a tab stop; without it, a box
whose rows hold no link (the fleet by type and status, an asset's history, the satisfaction
and failure-rate tables, the columns an import expects, an empty list of mail or imports)
could not be reached: found by a crawl of the demo at 390 px with scripts off. Those boxes
are now sent as regions.

axe needs scripts: it reads, in a page where they run, the markup a browser without them
built (its scripts taken out, its <noscript> kept)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from mutualis.registry.models import AssetStatus, AssetStatusChange
from tests.browser.conftest import PHONE, OpenPage
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.factories import AssetModelFactory
from tests.insights.dashboard_world import PERIOD, World, desk, world  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How far each table's box scrolls sideways, by its caption.
SCROLLING = """() => Object.fromEntries([...document.querySelectorAll('main .table-scroll:has(table)')]
  .map((box) => [box.querySelector('caption').textContent.trim(), box.scrollWidth - box.clientWidth]))"""


def scripts_off(open_page: OpenPage, base_url: str, email: str) -> tuple[Page, Page]:
    """A phone's page without scripts, logged in as `email`, and its twin with them, for axe."""
    twin = open_page(viewport=PHONE, is_mobile=True)
    log_in(twin, base_url, email)
    state = twin.context.storage_state()
    page = open_page(viewport=PHONE, is_mobile=True, java_script_enabled=False, storage_state=state)
    return page, twin


def found_without_scripts(page: Page, twin: Page, url: str) -> tuple[dict[str, int], list[str]]:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    scrolling = page.evaluate(SCROLLING)
    markup = re.sub(r"<script\b[^>]*>[\s\S]*?</script>", "", page.content())
    markup = markup.replace("<noscript>", "").replace("</noscript>", "")
    twin.route(url, lambda route: route.fulfill(content_type="text/html; charset=utf-8", body=markup))
    twin.goto(url)
    twin.unroute(url)
    return scrolling, violations(twin)


def test_wide_tables_take_the_keyboard_without_scripts(
    live_server,
    open_page: OpenPage,
    world: World,  # noqa: F811 (fixture)
) -> None:
    cast = world.cast
    # An asset of a known model (the failure rates), once sent for repair (its history).
    cast.asset_a.model = AssetModelFactory(asset_type=cast.asset_a.asset_type)
    cast.asset_a.save(update_fields=["model"])
    AssetStatusChange.objects.create(
        asset=cast.asset_a,
        from_status=AssetStatus.IN_SERVICE,
        to_status=AssetStatus.IN_REPAIR,
        changed_by=cast.olivia,
        note="Écran fissuré, envoyé chez le réparateur",
    )
    query = "&".join(f"{name}={value}" for name, value in PERIOD.items())
    pages = {
        cast.alice.email: [
            "/",
            f"/sites/{cast.site_a.pk}/",
            f"/members/{cast.member_a.pk}/",
            f"/equipment/{cast.asset_a.pk}/",
        ],
        cast.olivia.email: [
            "/desk/mail/",
            "/desk/satisfaction/?start=2024-01&end=2024-12",
            f"/insights/recurring/?{query}",
        ],
        cast.adam.email: ["/imports/", "/imports/columns/"],
    }
    scrolled, found = {}, {}
    for email, paths in pages.items():
        page, twin = scripts_off(open_page, live_server.url, email)
        for path in paths:
            scrolling, problems = found_without_scripts(page, twin, live_server.url + path)
            scrolled[path] = [caption for caption, past in scrolling.items() if past > 0]
            if problems:
                found[path] = problems
    # Each page has a table that scrolls on a phone (what the test is about).
    assert [path for path, captions in scrolled.items() if not captions] == []
    assert found == {}
    # A box sent as a region is named after its table.
    page, _ = scripts_off(open_page, live_server.url, cast.alice.email)
    page.goto(f"{live_server.url}/sites/{cast.site_a.pk}/")
    region = page.locator(".table-scroll[role=region]").first
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("aria-label") == region.locator("caption").text_content().strip()


def test_where_the_table_fits_scripts_take_the_box_out_of_the_tab_order(
    live_server, open_page: OpenPage, cast: Cast
) -> None:
    page = open_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, cast.alice.email)
    page.goto(f"{live_server.url}/sites/{cast.site_a.pk}/")
    box = page.locator(".table-scroll", has=page.locator("caption", has_text="par type et par état"))
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert box.get_attribute("tabindex") is None
    assert box.get_attribute("role") is None


def test_another_members_user_does_not_see_the_tables(live_server, open_page: OpenPage, cast: Cast) -> None:
    page, _ = scripts_off(open_page, live_server.url, cast.charlie.email)
    for path in [
        f"/sites/{cast.site_a.pk}/",
        f"/members/{cast.member_a.pk}/",
        f"/equipment/{cast.asset_a.pk}/",
    ]:
        response = page.goto(live_server.url + path)
        assert response is not None
        assert response.status == 404, path
        assert cast.asset_a.inventory_tag not in page.content()
