"""The shared filter box (includes/filters.html) without scripts, in a real browser: a plain
disclosure, open on a wide screen, whose summary folds and unfolds it. Drawn open there by
the style sheet alone (::details-content) while sent folded, clicking its summary changed
its state but not what was shown: the filters could not be folded. It is now sent open;
a phone where scripts run draws it folded from the first paint (test_filters_layout_shift.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mutualis.servicedesk.models import Ticket
from tests.browser.conftest import OpenPage
from tests.browser.test_filters_layout_shift import PAGES, who
from tests.browser.test_servicedesk import log_in
from tests.browser.test_ticket_lists_phone import DESKTOP, PHONE, tickets  # noqa: F401 (fixture)
from tests.conftest import Cast
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def without_scripts(open_page: OpenPage, live_server, cast: Cast, path: str, size: dict[str, int]) -> Page:
    page = open_page(viewport=size, is_mobile=size["width"] < 768, java_script_enabled=False)
    log_in(page, live_server.url, who(cast, path))
    response = page.goto(live_server.url + path)
    assert response is not None, path
    assert response.status == 200, path
    return page


def folds_and_unfolds(page: Page) -> None:
    """Open as sent, folded by a click on its summary, unfolded by another: what is shown
    follows the state said to screen readers."""
    box = page.locator("details#filters")
    fields = box.locator("form.filters")
    summary = box.locator("summary")
    expect(box).to_have_attribute("open", "")
    expect(fields).to_be_visible()
    summary.click()
    expect(box).not_to_have_attribute("open", "")
    expect(fields).to_be_hidden()
    summary.click()
    expect(box).to_have_attribute("open", "")
    expect(fields).to_be_visible()


@pytest.mark.parametrize("path", PAGES)
def test_without_scripts_the_filter_box_is_open_on_a_desktop_and_its_summary_folds_it(
    live_server,
    open_page: OpenPage,
    cast: Cast,
    tickets: list[Ticket],  # noqa: F811
    path: str,
) -> None:
    page = without_scripts(open_page, live_server, cast, path, DESKTOP)
    folds_and_unfolds(page)
    # From the keyboard too.
    box = page.locator("details#filters")
    box.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(box.locator("form.filters")).to_be_hidden()
    page.keyboard.press("Enter")
    expect(box.locator("form.filters")).to_be_visible()


def test_without_scripts_a_phone_gets_the_same_plain_disclosure(
    live_server,
    open_page: OpenPage,
    cast: Cast,
    tickets: list[Ticket],  # noqa: F811
) -> None:
    """Open too (no script folds it; the style sheet cannot fold it for the phone alone
    without showing it folded while it says open), its summary folds it."""
    page = without_scripts(open_page, live_server, cast, "/desk/", PHONE)
    folds_and_unfolds(page)
