"""Reply templates in a real browser: a technician, with the keyboard only, inserts one
where the cursor is in what they were writing, reads it and sends it; the page with the
list passes axe. Without JavaScript, on a phone, what was typed stays and the template
follows it. In English (the technician's language), as test_servicedesk.py."""

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
    # Back from the box to the list, in the reply's own form: the button, the list.
    for _ in range(2):
        page.keyboard.press("Shift+Tab")
    chooser = page.get_by_label("Template for the public reply")
    expect(chooser).to_be_focused()
    # The team's own template comes first: the second one is for every team.
    expect(chooser).to_have_value(str(serial.pk))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Insert into the reply")).to_be_focused()
    page.keyboard.press("Enter")

    # Inserted where the cursor was, what was typed kept, the cursor back in the box.
    expect(box).to_have_value(f"Bonjour. {filled}Merci.")
    expect(box).to_be_focused()
    expect(page.locator("[data-box='id_reply-body']").get_by_role("status")).to_have_text(
        "“Numéro de série” is in the public reply box: read it over, then send it."
    )
    expect(page.locator("#id_note-body")).to_have_value("")
    assert page.url == f"{live_server.url}/tickets/{ticket.number}/"  # nothing was posted
    assert not Comment.objects.exists()  # inserting sends nothing
    page.keyboard.type(" ")
    page.get_by_role("button", name="Send", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your reply is sent.")).to_be_visible()
    comment = Comment.objects.get()
    assert (comment.body, comment.internal, comment.author) == (f"Bonjour. {filled} Merci.", False, desk.tess)
    assert f"Collège Hoche (demande n° {ticket.number}) ? {desk.tess.full_name}" in comment.body


def test_without_script_the_page_comes_back_with_what_was_typed_and_the_template(
    live_server, browser, cast: Cast, desk: Desk
) -> None:
    ticket = broken_screen(cast, desk)
    template = ReplyTemplateFactory(
        operator=cast.operator, title="Prise en compte", body="Pris en compte : n° {numéro}."
    )
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    try:
        log_in(page, live_server.url, in_english(cast.olivia))
        page.goto(f"{live_server.url}/tickets/{ticket.number}/")
        note = page.locator("#id_note-body")
        note.fill("Rappelé le collège.")
        page.get_by_label("Template for the internal note").select_option(str(template.pk))
        insert = page.get_by_role("button", name="Insert into the note")
        box = insert.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
        insert.click()
        expect(note).to_have_value(f"Rappelé le collège.\n\nPris en compte : n° {ticket.number}.")
        expect(page.get_by_label("Your message")).to_have_value("")
        expect(page.get_by_text("“Prise en compte” is in the internal note box")).to_be_visible()
        assert not Comment.objects.exists()  # inserting adds nothing
        page.get_by_role("button", name="Add the note").click()
        expect(page.get_by_text(f"Pris en compte : n° {ticket.number}.")).to_be_visible()
        comment = Comment.objects.get()
        assert comment.internal
        # (posted by the browser with its CRLF line breaks, as any note)
        assert (
            comment.body.replace("\r\n", "\n")
            == f"Rappelé le collège.\n\nPris en compte : n° {ticket.number}."
        )
    finally:
        context.close()


def test_a_template_goes_into_the_note_at_the_cursor_the_reply_untouched(
    live_server, page: Page, cast: Cast, desk: Desk
) -> None:
    ticket = broken_screen(cast, desk)
    template = ReplyTemplateFactory(
        operator=cast.operator, title="Rappel", body="Rappeler le collège (n° {numéro})."
    )
    filled = fill(template.body, ticket=ticket, agent=desk.tess)
    log_in(page, live_server.url, in_english(desk.tess))
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    reply = page.get_by_label("Your message")
    reply.fill("Nous passons jeudi.")
    note = page.locator("#id_note-body")
    note.click()
    page.keyboard.type("Clé chez la gardienne. Vu le 12.")
    for _ in " Vu le 12.":
        page.keyboard.press("ArrowLeft")
    page.get_by_label("Template for the internal note").select_option(str(template.pk))
    page.get_by_role("button", name="Insert into the note").click()

    # At the cursor in the note, what was typed on both sides kept; the reply as it was.
    expect(note).to_have_value(f"Clé chez la gardienne.{filled} Vu le 12.")
    expect(note).to_be_focused()
    expect(page.locator("[data-box='id_note-body']").get_by_role("status")).to_have_text(
        "“Rappel” is in the internal note box: read it over, then add the note."
    )
    expect(reply).to_have_value("Nous passons jeudi.")
    assert page.url == f"{live_server.url}/tickets/{ticket.number}/"  # nothing was posted
    assert not Comment.objects.exists()
    page.get_by_role("button", name="Add the note").click()
    expect(page.get_by_text("Internal note added")).to_be_visible()
    comment = Comment.objects.get()
    assert (comment.body, comment.internal) == (f"Clé chez la gardienne.{filled} Vu le 12.", True)


def test_without_script_both_boxes_stay_and_each_button_sends_its_own(
    live_server, browser, cast: Cast, desk: Desk
) -> None:
    ticket = broken_screen(cast, desk)
    template = ReplyTemplateFactory(operator=cast.operator, title="Accusé", body="Bien reçu (n° {numéro}).")
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, in_english(desk.tess))
        page.goto(f"{live_server.url}/tickets/{ticket.number}/")
        page.get_by_label("Your message").fill("Nous passons jeudi.")
        page.locator("#id_note-body").fill("Clé chez la gardienne.")
        page.get_by_role("button", name="Insert into the reply").click()
        expect(page.get_by_label("Your message")).to_have_value(
            f"Nous passons jeudi.\n\nBien reçu (n° {ticket.number})."
        )
        expect(page.locator("#id_note-body")).to_have_value("Clé chez la gardienne.")
        page.get_by_label("Template for the internal note").select_option(str(template.pk))
        page.get_by_role("button", name="Insert into the note").click()
        expect(page.locator("#id_note-body")).to_have_value(
            f"Clé chez la gardienne.\n\nBien reçu (n° {ticket.number})."
        )
        expect(page.get_by_label("Your message")).to_have_value(
            f"Nous passons jeudi.\n\nBien reçu (n° {ticket.number})."
        )
        assert not Comment.objects.exists()

        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.get_by_text("Your reply is sent.")).to_be_visible()
        reply = Comment.objects.get()
        assert not reply.internal
        assert "gardienne" not in reply.body
        page.locator("#id_note-body").fill("Clé chez la gardienne.")
        page.get_by_label("Your message").fill("Brouillon à ne pas envoyer.")
        page.get_by_role("button", name="Add the note").click()
        expect(page.get_by_text("Internal note added")).to_be_visible()
        note = Comment.objects.exclude(pk=reply.pk).get()
        assert (note.body, note.internal) == ("Clé chez la gardienne.", True)
        assert Comment.objects.count() == 2
    finally:
        context.close()
