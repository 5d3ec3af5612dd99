"""The members' ticket list (/tickets/) and the desk's queue (/desk/) in a real browser, at a
phone's width and a desktop's. At 390 px both were a wide table scrolled sideways in its box:
only the number, the title and the start of the state in view, each row 130-280 px tall,
and on the desk the filters (open, the default "open tickets" state taken for a filter) and
the bulk assignment came first, the first ticket two screens and more down the page. On a
phone each ticket now reads as one card; screen readers still read a table, its cells in the
same order, without the names drawn before the values; axe finds nothing; the desktop's table
is as it was. A card stays compact with the demo's longest names (245 px at 16 px on lines
1.5 high), and the bulk form is folded on a phone from the first paint, before any script
(folded by desk.js once loaded, it showed open for a moment and the list then jumped up)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from mutualis.people.models import User
from mutualis.servicedesk.models import Ticket
from tests.browser.test_accessibility import violations
from tests.browser.test_servicedesk import log_in
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401 (fixture)
from tests.servicedesk.pages import broken_screen, camera

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# A card of a ticket with a short title, whatever the list's columns.
CARD_HEIGHT = 220

# Each ticket row of the list: its box, its title's and its state's, and the page's and the
# list box's widths against what they show.
ROWS = """() => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top + window.scrollY, bottom: r.bottom + window.scrollY,
            height: r.height};
  };
  const list = document.querySelector('.table-scroll');  // the list's box
  return {
    page: document.documentElement.scrollWidth,
    list: [list.scrollWidth, list.clientWidth],
    rows: [...list.querySelectorAll('tbody tr')].map((row) => ({
      row: box(row),
      title: box(row.querySelector('th[scope=row]')),
      state: box(row.querySelector('.state')),
      cells: [...row.children].map((cell) => Math.round(cell.getBoundingClientRect().top)),
    })),
    header: [...list.querySelectorAll('thead th')].map((th) => box(th)),
    thead: box(list.querySelector('thead')),
    // The column's name drawn before a value (CSS generated content), for each labelled cell.
    labels: [...list.querySelector('tbody tr').querySelectorAll('td[data-label]')].map(
      (cell) => [cell.dataset.label, getComputedStyle(cell, '::before').content]),
  };
}"""


def first_row_as_read(context: BrowserContext, page: Page, table_name: str | None = None) -> dict[str, Any]:
    """What Chromium gives screen readers of the list (or of the table named `table_name`,
    by its caption): whether it is a table with its column headers, and the first ticket's
    row, cell by cell (role, name), in reading order."""
    nodes = context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    by_id = {node["nodeId"]: node for node in nodes}

    def role(node: dict[str, Any]) -> str:
        return str(node.get("role", {}).get("value", ""))

    def children(node: dict[str, Any]) -> list[dict[str, Any]]:
        """The node's children in the tree read, through the nodes left out of it."""
        found = []
        for child_id in node.get("childIds", []):
            child = by_id.get(child_id)
            if child is None:
                continue
            found += children(child) if child.get("ignored") else [child]
        return found

    def descendants(node: dict[str, Any], wanted: str) -> list[dict[str, Any]]:
        found = []
        for child in children(node):
            found += [child] if role(child) == wanted else descendants(child, wanted)
        return found

    table = next(
        node
        for node in nodes
        if role(node) == "table"
        and not node.get("ignored")
        and table_name in (None, node.get("name", {}).get("value"))
    )
    rows = descendants(table, "row")
    return {
        "headers": [n.get("name", {}).get("value", "") for n in descendants(rows[0], "columnheader")],
        "first": [(role(cell), cell.get("name", {}).get("value", "")) for cell in children(rows[1])],
    }


@pytest.fixture
def tickets(cast: Cast, service_desk: Desk) -> list[Ticket]:  # noqa: F811
    """Six open tickets with short titles, at a collège and a fire station."""
    found = []
    for n in range(3):
        found += [broken_screen(cast, service_desk, title=f"Écran {n}"), camera(cast, service_desk)]
    return found


def on(browser: Browser, size: dict[str, int]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale="fr-FR", viewport=size, is_mobile=size["width"] < 768)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def who(cast: Cast, path: str) -> User:
    """The member's agent reads the member's list; the desk's agent, the queue."""
    return cast.alice if path == "/tickets/" else cast.olivia


@pytest.mark.parametrize("path", ["/tickets/", "/desk/"])
def test_on_a_phone_each_ticket_is_a_card_read_as_a_table_row(
    live_server, browser: Browser, cast: Cast, tickets: list[Ticket], path: str
) -> None:
    context, page = on(browser, PHONE)
    log_in(page, live_server.url, who(cast, path))
    page.goto(live_server.url + path)
    found = page.evaluate(ROWS)
    assert found["page"] <= PHONE["width"], "the page scrolls sideways"
    scroll_width, client_width = found["list"]
    assert scroll_width <= client_width, "the list scrolls sideways in its box"
    assert len(found["rows"]) == len(tickets)
    for row in found["rows"]:
        for part in ("title", "state"):
            assert 0 <= row[part]["left"] < row[part]["right"] <= PHONE["width"], (part, row)
        assert row["row"]["height"] < CARD_HEIGHT, row
    # The columns' names are drawn before their values, as the list has them.
    labels = dict(found["labels"])
    assert "Priorité" in labels
    for name, drawn in labels.items():
        assert drawn.startswith(f'"{name}'), (name, drawn)
    # Out of sight, the header row is still there for screen readers, who read each ticket
    # as a row of cells in the columns' order, the values without the drawn names.
    assert found["thead"]["height"] <= 1
    read = first_row_as_read(context, page)
    first = tickets[-1]  # the newest first
    if path == "/tickets/":
        assert read["headers"][:4] == ["Numéro", "Titre", "État", "Priorité"]
        assert read["first"][:4] == [
            ("cell", f"n° {first.number}"),
            ("rowheader", first.title),
            ("cell", "Nouveau"),
            ("cell", first.get_priority_display()),
        ]
        assert read["first"][4] == ("cell", first.site.name)
    else:
        assert read["headers"][:5] == ["Sélectionner", "Numéro", "Titre", "État", "Priorité"]
        assert read["first"][:5] == [
            ("cell", f"Sélectionner le n° {first.number}"),
            ("cell", f"n° {first.number}"),
            ("rowheader", first.title),
            ("cell", "Nouveau"),
            ("cell", first.get_priority_display()),
        ]
        assert read["first"][-2] == ("cell", "—")  # assigned to nobody, without "Attribuée à"
    assert violations(page) == []
    context.close()


def test_on_a_phone_the_desk_shows_its_first_ticket_before_its_forms(
    live_server, browser: Browser, cast: Cast, tickets: list[Ticket]
) -> None:
    context, page = on(browser, PHONE)
    log_in(page, live_server.url, cast.olivia)
    page.goto(f"{live_server.url}/desk/")
    # The queue's own "open tickets" is no filter in use: the filter box stays folded, and
    # so does the bulk assignment; the first ticket is within the first two screens.
    filters = page.locator("details#filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(filters.locator("summary")).to_have_text("Filtres")
    bulk = page.locator("details.bulk-box")
    expect(bulk).not_to_have_attribute("open", "")
    first = page.locator(".table-scroll tbody tr").first
    top = first.evaluate("row => row.getBoundingClientRect().top + window.scrollY")
    assert top + 100 < 2 * PHONE["height"], top
    # A row's tick box is labelled, in reach, and the folded form's summary counts the ticks.
    box = page.get_by_role("checkbox", name=f"Sélectionner le n° {tickets[-1].number}")
    box.scroll_into_view_if_needed()
    width = box.evaluate("box => box.getBoundingClientRect().width")
    assert width >= 24  # WCAG 2.5.8's smallest target
    box.check()
    expect(bulk.locator("summary")).to_have_text(
        "Attribuer les demandes sélectionnées (1 demande sélectionnée)"
    )
    # Said by screen readers too: the form's own status region is not read while folded.
    said = page.get_by_role("status").filter(has_text="sélectionnée")
    expect(said).to_have_count(1)
    expect(said).to_have_text("1 demande sélectionnée.")
    # The keyboard opens the form from its summary and assigns the ticked ticket.
    bulk.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Technicien")).to_be_visible()
    page.get_by_label("Technicien").select_option(label=cast.olivia.full_name)
    page.get_by_role("button", name="Attribuer", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("1 demande attribuée.")
    # Back beside the form, unfolded so that the message is in sight.
    expect(page.locator("#messages")).to_be_visible()
    assert violations(page) == []
    context.close()


@pytest.mark.parametrize("path", ["/tickets/", "/desk/"])
def test_on_a_desktop_the_list_is_the_table_it_was(
    live_server, browser: Browser, cast: Cast, tickets: list[Ticket], path: str
) -> None:
    context, page = on(browser, DESKTOP)
    log_in(page, live_server.url, who(cast, path))
    page.goto(live_server.url + path)
    found = page.evaluate(ROWS)
    # The header row in sight, its columns side by side; each row's cells on one line.
    header = found["header"]
    assert len(header) == (8 if path == "/tickets/" else 11)
    assert all(th["height"] > 20 and th["top"] == header[0]["top"] for th in header)
    assert all(a["right"] <= b["left"] + 1 for a, b in pairwise(header))
    for row in found["rows"]:
        assert len(set(row["cells"])) == 1, row
    assert all(drawn == "none" for _name, drawn in found["labels"])  # no names drawn
    if path == "/desk/":
        # The bulk form as it was: open, its summary not drawn, its legend and fields shown.
        expect(page.locator("details.bulk-box")).to_have_attribute("open", "")
        expect(page.locator("details.bulk-box > summary")).to_be_hidden()
        expect(page.get_by_role("group", name="Attribuer les demandes sélectionnées")).to_be_visible()
        expect(page.get_by_label("Technicien")).to_be_visible()
    assert violations(page) == []
    context.close()


# The demo's longest names of a member and one of its sites (mutualis/demo: the SDIS 78 and a
# fire station), with the site's kind after it on the desk.
LONGEST_MEMBER = "Service départemental d’incendie et de secours des Yvelines (SDIS 78)"
LONGEST_SITE = "Centre d’incendie et de secours de Saint-Germain-de-la-Grange"
# A card of a ticket at such a site, whatever the list: at 16 px on lines 1.5 high, a desk's
# card was 245 px here (and up to 330 px in the demo, three to a phone's screen), a member
# list's 200 px; they are 176 and 152 px.
COMPACT = 185


@pytest.mark.parametrize("path", ["/tickets/", "/desk/"])
def test_on_a_phone_a_card_stays_compact_with_the_longest_names(
    live_server, browser: Browser, cast: Cast, tickets: list[Ticket], path: str
) -> None:
    cast.member_a.name = LONGEST_MEMBER
    cast.member_a.save(update_fields=["name"])
    for ticket in tickets:
        ticket.site.name = LONGEST_SITE
        ticket.site.save(update_fields=["name"])
    context, page = on(browser, PHONE)
    log_in(page, live_server.url, cast.olivia)  # the desk's agent: both lists name the member
    page.goto(live_server.url + path)
    cards = page.evaluate(
        """() => [...document.querySelectorAll('.ticket-cards tbody tr')].map((row) => {
             const card = row.getBoundingClientRect();
             return {height: card.height, text: row.innerText.replace(/\\s+/g, ' '),
                     // Every cell inside its card, nothing cut off at its edge.
                     outside: [...row.children].filter((cell) => {
                       const r = cell.getBoundingClientRect();
                       return r.left < card.left || r.right > card.right || cell.scrollWidth > cell.clientWidth;
                     }).length};
           })"""
    )
    assert len(cards) == len(tickets)
    for card in cards:
        assert card["height"] < COMPACT, card
        assert card["outside"] == 0, card
        # Nothing left out to make it so: the names whole (the drawn column names are checked
        # by the first test), the ticket's dates too.
        assert LONGEST_MEMBER in card["text"], card
        assert LONGEST_SITE in card["text"], card
        assert card["text"].count("/2026") == (1 if path == "/desk/" else 2), card
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert violations(page) == []
    context.close()


BULK_FORM = """() => {
  const box = document.querySelector('details.bulk-box');
  const first = document.querySelector('.ticket-cards tbody tr');
  return {open: box.open, shown: document.getElementById('bulk').checkVisibility(),
          height: Math.round(box.getBoundingClientRect().height),
          // From the bulk form, not the page's top: without scripts the filter box above
          // it is sent open (includes/filters.html), which is not what is compared here.
          below: Math.round(first.getBoundingClientRect().top - box.getBoundingClientRect().bottom)};
}"""


def test_the_bulk_form_is_folded_on_a_phone_and_open_on_a_desktop_from_the_first_paint(
    live_server, browser: Browser, cast: Cast, tickets: list[Ticket]
) -> None:
    """Folded by desk.js once loaded, the form showed open on a phone for a moment, a screen
    high, then the list jumped up by as much. Without any script (the page as first painted,
    before desk.js runs) it is folded there, and the script moves nothing."""
    found = {}
    for scripts in (False, True):
        context = browser.new_context(
            locale="fr-FR", viewport=PHONE, is_mobile=True, java_script_enabled=scripts
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server.url, cast.olivia)
        page.goto(f"{live_server.url}/desk/")
        page.wait_for_load_state("load")
        found[scripts] = page.evaluate(BULK_FORM)
        if not scripts:
            bulk = page.locator("details.bulk-box")
            expect(bulk.locator("summary")).to_be_visible()
            expect(page.get_by_label("Technicien")).to_be_hidden()
            # The browser's own disclosure opens it, from the keyboard, without a script.
            bulk.locator("summary").focus()
            page.keyboard.press("Enter")
            expect(page.get_by_label("Technicien")).to_be_visible()
        else:
            assert violations(page) == []  # axe is a script: run where scripts are
        context.close()
    # Folded before any script: its summary alone, the first ticket where it stays.
    assert found[False] == found[True]
    assert found[False]["open"] is False
    assert found[False]["shown"] is False
    assert found[False]["height"] < 100
    # Sent folded for the phones, the form is drawn open on a wide screen before any script
    # runs (and without one), its fields in reach of the keyboard and of screen readers.
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.olivia)
    page.goto(f"{live_server.url}/desk/")
    expect(page.locator("details.bulk-box > summary")).to_be_hidden()
    expect(page.get_by_role("group", name="Attribuer les demandes sélectionnées")).to_be_visible()
    expect(page.get_by_label("Technicien")).to_be_visible()
    # In the tree screen readers read, not only drawn.
    nodes = context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    read = {
        (node.get("role", {}).get("value"), node.get("name", {}).get("value"))
        for node in nodes
        if not node.get("ignored")
    }
    assert ("group", "Attribuer les demandes sélectionnées") in read
    assert ("combobox", "Technicien\xa0:") in read  # its label, with its French colon
    # Reached with the keyboard: a Shift+Tab from the first row's tick box.
    page.get_by_role("checkbox", name=f"Sélectionner le n° {tickets[-1].number}").focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Attribuer"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.name") == "bulk-assignee"
    context.close()
