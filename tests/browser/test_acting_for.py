"""In a real browser, the header's "Acting for" of a person with many memberships: whom they
act for is written out whole; the list to choose another opens from the keyboard, stays
within the screen at every width from 320 to 1920 px, scrolls when long, closes with
Escape, and a choice made from it takes effect. Its <select> cut the names after 18rem."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from mutualis.people.roles import Role
from mutualis.registry.models import MemberKind
from mutualis.registry.models.members import EstablishmentType
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.factories import MemberFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEIGHT = 800
# Where the list is, whether it scrolls, and whether the page scrolls sideways.
LIST_STATE = """() => { const list = document.querySelector('.acting-for-list'), r = list.getBoundingClientRect();
  return {left: r.left, right: r.right, bottom: r.bottom, scrolls: list.scrollHeight > list.clientHeight,
          top: list.scrollTop, page: document.documentElement.scrollWidth}; }"""


@pytest.fixture
def many(cast: Cast) -> list[str]:
    """Olivia, of the operator's staff, also acts for twenty members with long names."""
    names = [
        f"Centre communal d'action sociale de Saint-Germain-en-Laye-sur-Seine n° {n:02}" for n in range(1, 21)
    ]
    for name in names:
        member = MemberFactory(
            operator=cast.operator,
            name=name,
            kind=MemberKind.ESTABLISHMENT,
            establishment_type=EstablishmentType.CCAS,
            commune=cast.member_a.commune,
        )
        MembershipFactory(user=cast.olivia, member=member, role=Role.MEMBER_AGENT)
    return names


def tab_to(page: Page, selector: str) -> None:
    for _press in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reaches {selector}")


def test_the_acting_for_list_fits_every_screen_and_works_from_the_keyboard(
    live_server, browser: Browser, cast: Cast, many: list[str]
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, cast.olivia.email)
    summary = page.locator("#acting-for > summary")
    found: dict[int, list[str]] = {}
    for width in (320, 390, 1280, 1920):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.goto(live_server.url + "/")
        problems = []
        # Whom one acts for, whole: the operator's name and the role, nothing cut.
        expect(summary).to_contain_text(f"{cast.operator.name} – agent du centre de services")
        if summary.evaluate(
            "s => s.scrollWidth > s.clientWidth || s.getBoundingClientRect().right > innerWidth"
        ):
            problems.append("the summary is cut")
        tab_to(page, "#acting-for > summary")
        page.keyboard.press("Enter")
        expect(page.locator(".acting-for-list")).to_be_visible()
        # One entry per membership of hers, the current one said so.
        expect(page.locator(".acting-for-list li")).to_have_count(21)
        expect(page.locator(".acting-for-list [aria-current=true]")).to_contain_text(cast.operator.name)
        state = page.evaluate(LIST_STATE)
        if state["left"] < 0 or state["right"] > width or state["bottom"] > HEIGHT or state["page"] > width:
            problems.append(f"out of the screen: {state}")
        if not state["scrolls"]:
            problems.append("twenty-one entries and no scrolling")
        # Tab goes through the choices; the list scrolls to keep the focused one in view.
        for _choice in many:
            page.keyboard.press("Tab")
        last = page.locator(".acting-for-list button").last
        expect(last).to_be_focused()
        expect(last).to_be_in_viewport()
        if page.evaluate(LIST_STATE)["top"] <= 0:
            problems.append("the list did not scroll to the focused choice")
        if width == 390:
            problems += violations(page)
        page.keyboard.press("Escape")
        expect(page.locator(".acting-for-list")).to_be_hidden()
        expect(summary).to_be_focused()
        if problems:
            found[width] = problems
    assert found == {}
    # A choice made from the keyboard takes effect.
    page.keyboard.press("Enter")
    choice = page.get_by_role("button", name=f"{many[4]} – agent de l’adhérent")
    choice.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Vous agissez désormais pour {many[4]}.")
    expect(summary).to_contain_text(f"{many[4]} – agent de l’adhérent")
    context.close()
