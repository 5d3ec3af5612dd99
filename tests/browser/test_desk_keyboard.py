"""The desk with the keyboard alone (found by a keyboard-only probe): the bulk assignment
is reached from the ticked rows in a few key presses and says how many rows are ticked;
a refused merge number is marked in its field and kept. Each page passes axe-core.

The people read the interface in English (their account's language): the test names
controls by the texts the code writes.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from mutualis.servicedesk.models import Ticket
from tests.browser.test_accessibility import violations
from tests.browser.test_servicedesk import in_english, log_in
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk

# The service desk's cast, registered here as the `service_desk` fixture (see `desk` below).
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401
from tests.servicedesk.pages import broken_screen, camera

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(request: pytest.FixtureRequest) -> Desk:
    found: Desk = request.getfixturevalue("service_desk")
    return found


@pytest.fixture
def queue(cast: Cast, desk: Desk) -> list[Ticket]:
    """A queue of 30 open tickets: 60 tab stops in the table (a box and a link a row)."""
    tickets = []
    for n in range(15):
        tickets += [broken_screen(cast, desk, title=f"Écran {n}"), camera(cast, desk, title=f"Caméra {n}")]
    return tickets


def focused(page: Page) -> str:
    """The focused control, by its name, its link target or its text."""
    return str(
        page.evaluate(
            "(() => { const e = document.activeElement;"
            " return e.name || e.getAttribute('href') || e.id || e.textContent.trim(); })()"
        )
    )


def presses(page: Page, key: str, until: str, most: int = 200) -> int:
    """How many presses of `key` bring the focus to the control `until` (see `focused`)."""
    for count in range(1, most + 1):
        page.keyboard.press(key)
        if focused(page) == until:
            return count
    raise AssertionError(f"{until} not reached in {most} presses of {key}")


def test_ticked_rows_reach_the_bulk_form_in_a_few_keys_and_are_counted(
    live_server, page: Page, cast: Cast, desk: Desk, queue: list[Ticket]
) -> None:
    log_in(page, live_server.url, in_english(cast.olivia))
    page.goto(f"{live_server.url}/desk/")
    count = page.locator("[data-bulk-count]")
    expect(count).to_have_attribute("role", "status")  # said by screen readers at each change
    expect(count).to_have_text("No ticket selected.")
    boxes = page.get_by_role("checkbox", name="Select n°")
    assert boxes.count() == 30
    first = boxes.first
    first.focus()
    page.keyboard.press("Space")
    expect(count).to_have_text("1 ticket selected.")
    presses(page, "Tab", until="bulk-tickets", most=3)  # its link, then the next row's box
    page.keyboard.press("Space")
    expect(count).to_have_text("2 tickets selected.")
    ticked = [
        int(n)
        for n in page.locator("input[name=bulk-tickets]:checked").evaluate_all("l => l.map(e => e.value)")
    ]
    # Before the table: the Assign button is a Shift+Tab or two away (the table's box is one
    # when it scrolls), where it was about 100 Tabs away after a page of 50 rows.
    assert presses(page, "Shift+Tab", until="Assign", most=10) <= 4
    assert violations(page) == []
    presses(page, "Shift+Tab", until="bulk-assignee", most=3)
    page.get_by_label("Technician").select_option(label=desk.tess.full_name)
    presses(page, "Tab", until="bulk-team", most=2)
    presses(page, "Tab", until="Assign", most=2)
    page.keyboard.press("Enter")
    # The message is put beside the bulk form (#bulk), with the focus.
    messages = page.locator("#messages")
    expect(messages).to_be_focused()
    expect(messages).to_contain_text("2 tickets assigned.")
    assert page.evaluate("document.getElementById('messages').nextElementSibling.id") == "bulk"
    assert violations(page) == []
    assert set(Ticket.objects.filter(assignee=desk.tess).values_list("number", flat=True)) == set(ticked)


def test_a_link_after_the_table_leads_back_to_the_bulk_form(
    live_server, page: Page, cast: Cast, desk: Desk, queue: list[Ticket]
) -> None:
    log_in(page, live_server.url, in_english(cast.olivia))
    page.goto(f"{live_server.url}/desk/")
    last = page.locator("input[name=bulk-tickets]").last
    last.focus()
    page.keyboard.press("Space")
    expect(page.locator("[data-bulk-count]")).to_have_text("1 ticket selected.")
    assert presses(page, "Tab", until="#bulk", most=5) <= 2
    page.keyboard.press("Enter")
    expect(page.locator("#bulk")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page) == "bulk-assignee"


def test_the_bulk_form_works_without_javascript(
    live_server, browser: Browser, cast: Cast, desk: Desk, queue: list[Ticket]
) -> None:
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server.url, in_english(cast.olivia))
    page.goto(f"{live_server.url}/desk/")
    expect(page.locator("[data-bulk-count]")).to_be_hidden()  # no count it could not keep
    page.locator("input[name=bulk-tickets]").first.check()
    page.get_by_label("Technician").select_option(label=desk.tess.full_name)
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("1 ticket assigned.")
    assert Ticket.objects.filter(assignee=desk.tess).count() == 1
    context.close()


def test_a_refused_merge_number_is_marked_and_kept(live_server, page: Page, cast: Cast, desk: Desk) -> None:
    ticket = broken_screen(cast, desk)
    duplicate = broken_screen(cast, desk, title="Doublon")
    log_in(page, live_server.url, in_english(cast.olivia))
    page.goto(f"{live_server.url}/tickets/{duplicate.number}/")
    field = page.get_by_label("Number of the ticket that goes on")
    field.fill("999")
    field.press("Enter")
    # The summary is read first (it has the focus) and leads to the field, which kept the
    # number, is marked invalid and is described by its error.
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    field = page.get_by_label("Number of the ticket that goes on")
    expect(field).to_have_value("999")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        "This ticket is closed as its duplicate; its equipment moves over. There is no ticket n° 999."
        " Type the number of another ticket of Versailles, still open or resolved."
    )
    assert violations(page) == []
    summary.get_by_role("link", name="Number of the ticket that goes on").click()
    expect(field).to_be_focused()
    field.fill(str(ticket.number))
    field.press("Enter")
    expect(page.locator("#messages")).to_contain_text(
        f"n° {duplicate.number} is closed as a duplicate of n° {ticket.number}."
    )
    duplicate.refresh_from_db()
    assert duplicate.merged_into == ticket
