"""The public reply and the internal note, both typed in, on one ticket page, and one of them
sent: the page that follows (POST/redirect/GET) shows the other box still holding what was
typed there, once, and asks at that box for the files chosen in it, which no page can keep.
What was typed in one box never comes back in the other, nor is it sent with it: a note never
reaches the member. Another user, even of the same operator, and another ticket get nothing
of it. What the page posts is read from the page itself (`submission`), as a browser would
post it."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mutualis.people.models import User
from mutualis.servicedesk.models import Attachment, Comment, OutboundEmail, Ticket
from mutualis.servicedesk.reply_placeholders import fill
from mutualis.servicedesk.views.unsent import SESSION_KEY
from tests.conftest import Cast, login

from .conftest import Desk
from .factories import ReplyTemplateFactory
from .pages import broken_screen, photo, ticket_html
from .submission import press, submission, textarea_text

pytestmark = pytest.mark.django_db

REPLY = "Bonjour,\r\nNous passons jeudi."
NOTE = "Le collège a rappelé : clé chez la gardienne."
SENDS = {
    # the button pressed: (the box sent, the other box, what the page then says)
    "Send": (
        "reply",
        "note",
        "Your reply is sent. The internal note you were writing is not added yet: it is still in its box.",
    ),
    "Add the note": (
        "note",
        "reply",
        "The reply you were writing is not sent yet: it is still in its box.",
    ),
}


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return broken_screen(cast, desk)


def logged_in(user: User) -> Client:
    """A browser of its own, logged in as `user`, in English."""
    user.language = "en"
    user.save(update_fields=["language"])
    return login(Client(), user)


@pytest.fixture
def tess(desk: Desk) -> Client:
    return logged_in(desk.tess)


def _box(page: str, box: str) -> str:
    return textarea_text(page, f"{box}-body")


def _file_group(page: str, name: str) -> str:
    """The page from the file box's label to the file box itself: its hint and errors."""
    label = page.index(f'for="id_{name}"')
    return html.unescape(page[label : page.index(f'name="{name}"', label)])


def _typed(box: str) -> str:
    """A box's text as a browser shows it back (its line breaks as "\n")."""
    return {"reply": REPLY, "note": NOTE}[box].replace("\r\n", "\n")


@pytest.mark.parametrize("button", SENDS)
def test_the_page_after_a_send_shows_the_other_box_still_holding_its_text(
    ticket: Ticket, tess: Client, button: str
) -> None:
    sent, other, said = SENDS[button]
    response = press(tess, ticket_html(tess, ticket), button, {"reply-body": REPLY, "note-body": NOTE})
    assert response.status_code == 302  # POST/redirect/GET, as any send
    comment = Comment.objects.get()
    assert (comment.body, comment.internal) == ({"reply": REPLY, "note": NOTE}[sent], sent == "note")

    page = tess.get(response["Location"]).content.decode()
    assert _box(page, other) == _typed(other)
    assert _box(page, sent) == ""  # sent: its box is empty again, not filled with the other's
    assert said in html.unescape(page)
    # Shown back once: the page loaded again has both boxes empty.
    again = ticket_html(tess, ticket)
    assert (_box(again, "reply"), _box(again, "note")) == ("", "")
    assert "you were writing" not in again

    # Sent from the page it came back in, it is what was typed, in its own box.
    assert press(tess, page, {"reply": "Send", "note": "Add the note"}[other], {}).status_code == 302
    bodies = {c.internal: c.body.replace("\r\n", "\n") for c in Comment.objects.all()}
    assert bodies == {False: _typed("reply"), True: _typed("note")}


def test_a_note_kept_after_the_reply_never_reaches_the_member(
    cast: Cast, ticket: Ticket, tess: Client
) -> None:
    response = press(tess, ticket_html(tess, ticket), "Send", {"reply-body": REPLY, "note-body": NOTE})
    page = html.unescape(tess.get(response["Location"]).content.decode())
    # In the note's box, and there only: not in the reply's, not in the history.
    assert page.count("clé chez la gardienne") == 1
    assert "gardienne" in _box(page, "note")
    assert "gardienne" not in _box(page, "reply")
    assert not Comment.objects.filter(body__contains="gardienne").exists()
    emails = OutboundEmail.objects.filter(ticket=ticket)
    assert not any("gardienne" in email.body or "gardienne" in str(email.context) for email in emails)
    member_page = html.unescape(logged_in(cast.alice).get(f"/tickets/{ticket.number}/").content.decode())
    assert "Nous passons jeudi." in member_page
    assert "gardienne" not in member_page


def test_a_reply_kept_after_the_note_is_not_in_the_note(ticket: Ticket, tess: Client) -> None:
    response = press(
        tess, ticket_html(tess, ticket), "Add the note", {"reply-body": REPLY, "note-body": NOTE}
    )
    page = tess.get(response["Location"]).content.decode()
    assert _box(page, "reply") == _typed("reply")
    assert "jeudi" not in _box(page, "note")
    assert Comment.objects.get().body == NOTE


@pytest.mark.parametrize(
    ("button", "other", "files", "said"),
    [
        (
            "Send",
            "note",
            [SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")],
            "Choose the file “plan.pdf” again for the note: only the reply was sent, "
            "and the page that follows cannot keep it.",
        ),
        (
            "Add the note",
            "reply",
            [photo("ecran.png"), photo("dos.png")],
            "Choose the files “ecran.png”, “dos.png” again for the reply: only the note was added, "
            "and the page that follows cannot keep them.",
        ),
    ],
)
def test_files_chosen_in_the_other_box_are_asked_for_again_at_that_box(
    ticket: Ticket,
    tess: Client,
    button: str,
    other: str,
    files: list[SimpleUploadedFile],
    said: str,
) -> None:
    sent = SENDS[button][0]
    typed = {
        "reply-body": REPLY,
        "note-body": NOTE,
        f"{sent}-files": photo("sent.png"),
        f"{other}-files": files,
    }
    response = press(tess, ticket_html(tess, ticket), button, typed)
    assert response.status_code == 302
    page = tess.get(response["Location"]).content.decode()
    assert said in _file_group(page, f"{other}-files")
    assert "Choose the file" not in _file_group(page, f"{sent}-files")
    # Said in the hint the file box is described by.
    file_box = re.search(rf'<input type="file" name="{other}-files"[^>]*>', page)
    assert file_box is not None
    assert f'aria-describedby="id_{other}-files_helptext"' in file_box.group(0)
    # Only the sent box's file was kept, with what was sent.
    assert [a.name for a in Attachment.objects.all()] == ["sent.png"]
    assert "Choose the file" not in ticket_html(tess, ticket)


def test_files_alone_in_the_other_box_are_asked_for_again_too(ticket: Ticket, tess: Client) -> None:
    plan = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = press(tess, ticket_html(tess, ticket), "Send", {"reply-body": REPLY, "note-files": plan})
    page = html.unescape(tess.get(response["Location"]).content.decode())
    assert "Choose the file “plan.pdf” again for the note" in page
    assert "The internal note you were writing is not added yet" in page
    assert _box(page, "note") == ""


def test_nothing_typed_in_the_other_box_nothing_kept_nor_said(ticket: Ticket, tess: Client) -> None:
    response = press(tess, ticket_html(tess, ticket), "Send", {"reply-body": REPLY, "note-body": "  \r\n"})
    page = tess.get(response["Location"]).content.decode()
    assert "Your reply is sent." in page
    assert "you were writing" not in page
    assert SESSION_KEY not in tess.session


def test_no_one_else_and_no_other_ticket_gets_the_kept_text(
    cast: Cast, desk: Desk, ticket: Ticket, tess: Client
) -> None:
    other_ticket = broken_screen(cast, desk, title="Chargeur perdu")
    response = press(tess, ticket_html(tess, ticket), "Send", {"reply-body": REPLY, "note-body": NOTE})
    assert response.status_code == 302

    # Another member's user: the ticket's 404, as for a ticket that does not exist.
    charlie = logged_in(cast.charlie)
    assert charlie.get(f"/tickets/{ticket.number}/").status_code == 404
    # The requester herself, and another agent of the operator on the same ticket: nothing.
    for someone in (cast.alice, cast.olivia):
        shown = html.unescape(ticket_html(logged_in(someone), ticket))
        assert "gardienne" not in shown, someone
    # The same agent on another ticket: nothing either, and it is still kept for this one.
    elsewhere = ticket_html(tess, other_ticket)
    assert (_box(elsewhere, "reply"), _box(elsewhere, "note")) == ("", "")
    assert "gardienne" not in html.unescape(elsewhere)
    assert _box(ticket_html(tess, ticket), "note") == NOTE

    # What was kept for one person, were it in another's session, is not shown to them.
    press(tess, ticket_html(tess, ticket), "Send", {"reply-body": REPLY, "note-body": NOTE})
    olivia = logged_in(cast.olivia)
    session = olivia.session
    session[SESSION_KEY] = tess.session[SESSION_KEY]
    session.save()
    assert "gardienne" not in html.unescape(ticket_html(olivia, ticket))
    assert SESSION_KEY not in olivia.session
    # Logged out and in as someone else in the same browser: nothing.
    tess.post("/accounts/logout/")
    login(tess, cast.olivia)
    assert "gardienne" not in html.unescape(ticket_html(tess, ticket))


def test_a_members_user_keeps_nothing_of_a_note_box_they_do_not_have(cast: Cast, ticket: Ticket) -> None:
    alice = logged_in(cast.alice)
    url, data = submission(ticket_html(alice, ticket), "Send", {"reply-body": "Merci."})
    assert alice.post(url, {**data, "note-body": NOTE}).status_code == 302
    assert SESSION_KEY not in alice.session
    assert "gardienne" not in html.unescape(ticket_html(alice, ticket))


def test_a_template_link_goes_after_the_kept_text(
    cast: Cast, desk: Desk, ticket: Ticket, tess: Client
) -> None:
    template = ReplyTemplateFactory(operator=cast.operator, title="Rappel", body="Rappel pour n° {numéro}.")
    press(tess, ticket_html(tess, ticket), "Send", {"reply-body": REPLY, "note-body": NOTE})
    page = tess.get(f"/tickets/{ticket.number}/?reply_template={template.pk}&into=note").content.decode()
    filled = fill(template.body, ticket=ticket, agent=desk.tess)
    assert _box(page, "note") == f"{NOTE}\n\n{filled}"
    assert _box(page, "reply") == ""


def test_the_kept_text_is_no_longer_than_its_box_takes(ticket: Ticket, tess: Client) -> None:
    """A browser types no more than the box's `maxlength`; a forged post of megabytes is not
    kept whole in the session, which is read on every request."""
    page = ticket_html(tess, ticket)
    assert 'maxlength="10000"' in page
    press(tess, page, "Send", {"reply-body": REPLY, "note-body": "x" * 2_000_000})
    assert _box(ticket_html(tess, ticket), "note") == "x" * 10_000
