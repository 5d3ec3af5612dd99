"""The back-office's lists (Django's change lists) in a real browser, at a phone's width and a
desktop's: scrolled sideways in their box, each row keeps its tick box and its own link in
sight (on a phone they went out of sight with the rest, and a row's columns no longer said
which row they were), and the page itself does not scroll sideways; axe finds nothing."""

from __future__ import annotations

from itertools import pairwise

import pytest
from playwright.sync_api import Browser, expect

from tests.api.desk_support import broken_screen
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The list's box scrolled to its far end, then, for the first row: the page's width, the
# box's edges, whether the box scrolls at all, and for the tick box, the row's link and the
# last cell, where each is and whether it is what the screen shows at its centre (not a
# cell passing over it).
SCROLLED = """() => {
  const box = document.querySelector('#changelist-form .results');
  box.scrollTo({left: box.scrollWidth, behavior: 'instant'});
  const edges = box.getBoundingClientRect();
  const row = document.querySelector('#result_list tbody tr');
  const seen = (element) => {
    if (!element) return null;
    const rect = element.getBoundingClientRect();
    const top = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
    return {left: Math.round(rect.left), right: Math.round(rect.right),
            shown: element === top || element.contains(top)};
  };
  return {page: document.documentElement.scrollWidth, left: Math.round(edges.left),
          right: Math.round(edges.right), scrolls: box.scrollLeft > 0,
          tick: seen(row.querySelector('.action-checkbox input')),
          link: seen(row.querySelector(':scope > :not(.action-checkbox) a')),
          last: seen(row.lastElementChild)};
}"""

# The first row's cells, unscrolled: their edges, and for those that start inside the list's
# box, whether the screen shows them there (not a neighbour passing over them).
ROW = """() => {
  const end = document.querySelector('#changelist-form .results').getBoundingClientRect().right;
  return [...document.querySelector('#result_list tbody tr').children].map((cell) => {
    const rect = cell.getBoundingClientRect();
    const top = rect.left + 4 < end ? document.elementFromPoint(rect.left + 4, rect.top + rect.height / 2) : cell;
    return [Math.round(rect.left), Math.round(rect.right), cell === top || cell.contains(top)];
  });
}"""


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_a_list_scrolled_sideways_keeps_each_row_s_link_in_sight(
    live_server,
    browser: Browser,
    cast: Cast,
    service_desk: Desk,  # noqa: F811
    width: int,
    height: int,
) -> None:
    broken_screen(cast, service_desk)
    context = browser.new_context(
        locale="fr-FR", viewport={"width": width, "height": height}, is_mobile=width < 768
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.adam.email)
    found: dict[str, list[str]] = {}
    # The equipment's list has tick boxes for its actions, the tickets' list none.
    for path in ("/backoffice/registry/asset/", "/backoffice/servicedesk/ticket/"):
        page.goto(live_server.url + path)
        expect(page.locator("#result_list tbody tr")).not_to_have_count(0)
        problems = []
        # Before scrolling, the cells stand side by side, none over another.
        cells = page.evaluate(ROW)
        overlaps = [(cell, after) for cell, after in pairwise(cells) if cell[1] > after[0] + 1]
        if overlaps or not all(shown for _left, _right, shown in cells):
            problems.append(f"cells over each other: {cells}")
        problems += violations(page)
        seen = page.evaluate(SCROLLED)
        if seen["page"] > width:
            problems.append(f"the page is {seen['page']} px wide")
        if seen["scrolls"]:
            inside = [
                name
                for name in ("tick", "link", "last")
                if seen[name] is not None
                and seen[name]["shown"]
                and seen["left"] <= seen[name]["left"]
                and seen[name]["right"] <= seen["right"]
            ]
            expected = ["tick", "link", "last"] if seen["tick"] else ["link", "last"]
            if inside != expected:
                problems.append(f"scrolled to its end, the row shows only {inside}: {seen}")
            # On a phone the row's link leaves most of the screen to the other columns.
            if width < 768 and seen["link"]["right"] - seen["left"] > width / 2:
                problems.append(f"the row's link reaches {seen['link']['right']} px")
        elif width < 768:
            problems.append("the list does not scroll in its box on a phone")
        if problems:
            found[path] = problems
    context.close()
    assert found == {}
