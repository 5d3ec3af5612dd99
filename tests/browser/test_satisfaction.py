"""Satisfaction in a real browser: the survey of the email's link on a phone, answered with
the keyboard alone; the survey, the ticket page's box and the results pass axe-core.
(Here rather than in tests/servicedesk/: the browser tests share one Chromium.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from mutualis.servicedesk import services
from mutualis.servicedesk.models import SatisfactionRating, Ticket, TicketState
from mutualis.servicedesk.satisfaction import rate, survey_url
from tests.browser.test_accessibility import violations
from tests.browser.test_servicedesk import log_in, log_out
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk

# The service desk's cast (tests/servicedesk/conftest.py), registered as `service_desk`.
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401
from tests.servicedesk.pages import broken_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set to a folder to keep screenshots of the pages (to look at them, not checked).
SHOTS = os.environ.get("MUTUALIS_SCREENSHOTS", "")


@pytest.fixture
def desk(request: pytest.FixtureRequest) -> Desk:
    found: Desk = request.getfixturevalue("service_desk")
    return found


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def resolved(cast: Cast, desk: Desk) -> Ticket:
    ticket = broken_screen(cast, desk)
    services.transition(ticket=ticket, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    return ticket


def overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_the_survey_on_a_phone_with_the_keyboard_alone(
    live_server,
    browser: Browser,
    cast: Cast,
    desk: Desk,
) -> None:
    ticket = resolved(cast, desk)
    path = survey_url(ticket).removeprefix(settings.SITE_URL)
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text("How did it go?")
        assert violations(page) == []
        assert overflow(page) <= 0
        shot(page, "survey-phone")
        group = page.get_by_role("group", name="How satisfied are you with how your request was handled?")
        expect(group.get_by_role("radio")).to_have_count(5)
        first = group.get_by_role("radio", name="1 – very dissatisfied")
        first.focus()
        # Arrow keys move through a radio group and select as they go (WAI-ARIA radio group).
        for _ in range(3):
            page.keyboard.press("ArrowDown")
        expect(group.get_by_role("radio", name="4 – satisfied")).to_be_checked()
        page.keyboard.press("Tab")
        expect(page.get_by_label("Comment (optional)")).to_be_focused()
        page.keyboard.type("Merci, tout remarche.")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Send my rating")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your answer")
        assert violations(page) == []
        shot(page, "survey-thanks-phone")
    finally:
        context.close()
    rating = SatisfactionRating.objects.get()
    assert (rating.rating, rating.comment, rating.channel) == (4, "Merci, tout remarche.", "email_link")


def test_the_box_and_the_results_pass_axe(
    live_server,
    browser: Browser,
    cast: Cast,
    desk: Desk,
) -> None:
    for user in (cast.alice, cast.olivia):
        user.language = "en"
        user.save(update_fields=["language"])
    ticket = resolved(cast, desk)
    rated = resolved(cast, desk)
    rate(ticket=rated, rating=2, comment="Trois semaines d'attente", by=cast.alice)
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server.url, cast.alice)
        page.goto(f"{live_server.url}/tickets/{ticket.number}/")
        expect(page.get_by_role("heading", name="Satisfaction")).to_be_visible()
        assert violations(page) == []
        shot(page, "ticket-box")
        page.get_by_role("button", name="Send my rating").click()  # nothing chosen: said, not lost
        expect(page.get_by_role("alert")).to_contain_text("Choose a rating from 1 to 5.")
        assert violations(page) == []
        log_out(page)
        log_in(page, live_server.url, cast.olivia)
        page.goto(f"{live_server.url}/desk/")
        page.get_by_role("link", name="Satisfaction results").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Satisfaction results")
        expect(page.get_by_role("row", name="Support tablettes")).to_have_count(2)  # by team, then a month
        assert violations(page) == []
        shot(page, "results")
    finally:
        context.close()
