"""Both writing boxes of a ticket page typed in, scripts off, in a real browser: sending the
public reply brings the page back (POST/redirect/GET) with the internal note still in its
box, and only the reply sent. In English (the technician's language), as
test_servicedesk.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mutualis.servicedesk.models import Comment
from tests.browser.conftest import OpenPage
from tests.browser.test_servicedesk import in_english, log_in
from tests.conftest import Cast
from tests.servicedesk.conftest import Desk

# The service desk's cast, registered here as the `service_desk` fixture (see `desk` below).
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401
from tests.servicedesk.pages import broken_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(request: pytest.FixtureRequest) -> Desk:
    found: Desk = request.getfixturevalue("service_desk")
    return found


def test_without_scripts_sending_the_reply_keeps_the_note_in_its_box(
    live_server, open_page: OpenPage, cast: Cast, desk: Desk
) -> None:
    ticket = broken_screen(cast, desk)
    page = open_page(java_script_enabled=False)
    log_in(page, live_server.url, in_english(desk.tess))
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    reply, note = page.locator("#id_reply-body"), page.locator("#id_note-body")
    reply.fill("Nous passons jeudi.")
    note.fill("Clé chez la gardienne.")

    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="Your reply is sent.")).to_contain_text(
        "The internal note you were writing is not added yet: it is still in its box."
    )
    expect(note).to_have_value("Clé chez la gardienne.")
    expect(reply).to_have_value("")
    comment = Comment.objects.get()
    assert (comment.body, comment.internal) == ("Nous passons jeudi.", False)

    page.get_by_role("button", name="Add the note").click()
    expect(page.get_by_text("Internal note added to")).to_be_visible()
    expect(note).to_have_value("")
    assert sorted(Comment.objects.values_list("internal", "body")) == [
        (False, "Nous passons jeudi."),
        (True, "Clé chez la gardienne."),
    ]
