"""Reply templates in a real browser: a technician, with the keyboard only, inserts one
where the cursor is in what they were writing, reads it and sends it; the page with the
list passes axe. In English (the technician's language), as test_servicedesk.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mutualis.servicedesk.models import Comment
from mutualis.servicedesk.reply_placeholders import fill
from tests.browser.test_accessibility import violations
from tests.browser.test_servicedesk import in_english, log_in
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk

# The service desk's cast, registered here as the `service_desk` fixture (see `desk` below).
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401
from tests.servicedesk.factories import ReplyTemplateFactory
from tests.servicedesk.pages import broken_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(request: pytest.FixtureRequest) -> Desk:
    found: Desk = request.getfixturevalue("service_desk")
    return found


def test_a_technician_inserts_a_template_with_the_keyboard_and_sends_it(
    live_server, page: Page, cast: Cast, desk: Desk
) -> None:
    ticket = broken_screen(cast, desk)
    ReplyTemplateFactory(operator=cast.operator, title="Accusé de réception", body="Bien reçu.")
    serial = ReplyTemplateFactory(
        operator=cast.operator,
        team=desk.team,
        title="Numéro de série",
        body="Pouvez-vous envoyer le numéro de série de la tablette de {site} (demande n° {numéro}) ? {agent}",
    )
    filled = fill(serial.body, ticket=ticket, agent=desk.tess)
    log_in(page, live_server.url, in_english(desk.tess))
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    assert violations(page) == []

    box = page.get_by_label("Your message")
    box.click()
    page.keyboard.type("Bonjour. Merci.")
    for _ in "Merci.":
        page.keyboard.press("ArrowLeft")
    # Back from the box to the list: the button, the box chooser, the list.
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    chooser = page.get_by_label("Reply template")
    expect(chooser).to_be_focused()
    # The team's own template comes first: the second one is for every team.
    expect(chooser).to_have_value(str(serial.pk))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Insert into")).to_be_focused()
    expect(page.get_by_label("Insert into")).to_have_value("reply")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    # Inserted where the cursor was, what was typed kept, the cursor back in the box.
    expect(box).to_have_value(f"Bonjour. {filled}Merci.")
    expect(box).to_be_focused()
    expect(page.get_by_role("status")).to_have_text(
        "“Numéro de série” is in the public reply box: read it over, then send it."
    )
    assert not Comment.objects.exists()  # inserting sends nothing
    page.keyboard.type(" ")
    page.get_by_role("button", name="Send", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your reply is sent.")).to_be_visible()
    comment = Comment.objects.get()
    assert (comment.body, comment.internal, comment.author) == (f"Bonjour. {filled} Merci.", False, desk.tess)
    assert f"Collège Hoche (demande n° {ticket.number}) ? {desk.tess.full_name}" in comment.body


def test_without_script_the_page_comes_back_with_the_box_filled(
    live_server, browser, cast: Cast, desk: Desk
) -> None:
    ticket = broken_screen(cast, desk)
    template = ReplyTemplateFactory(
        operator=cast.operator, title="Prise en compte", body="Pris en compte : n° {numéro}."
    )
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, in_english(cast.olivia))
        page.goto(f"{live_server.url}/tickets/{ticket.number}/")
        page.get_by_label("Insert into").select_option("note")
        page.get_by_role("button", name="Insert the template").click()
        expect(page).to_have_url(
            f"{live_server.url}/tickets/{ticket.number}/?reply_template={template.pk}&into=note#reply"
        )
        expect(page.locator("#id_note-body")).to_have_value(f"Pris en compte : n° {ticket.number}.")
        expect(page.get_by_label("Your message")).to_have_value("")
        page.get_by_role("button", name="Add the note").click()
        expect(page.get_by_text(f"Pris en compte : n° {ticket.number}.")).to_be_visible()
        assert Comment.objects.get().internal
    finally:
        context.close()
