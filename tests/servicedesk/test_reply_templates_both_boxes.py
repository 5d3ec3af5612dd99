"""The public reply and the internal note, both typed in, on one ticket page: inserting a
template into either, without JavaScript, brings the page back with both texts (the
template after the text of its box); a refused send keeps the other box's text too. What the
page posts is read from the page itself (`submission`), as a browser would post it. Sending
the reply sends the reply only, adding the note adds the note only: a note never reaches the
member. Outsiders get the ticket's 404 (or 403) and no template of another operator."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mutualis.servicedesk.models import Attachment, Comment, OutboundEmail, Ticket
from mutualis.servicedesk.reply_placeholders import fill
from tests.conftest import Cast

from .conftest import Desk
from .factories import ReplyTemplateFactory
from .pages import broken_screen, in_english, photo, ticket_html
from .submission import press, submission, textarea_text

pytestmark = pytest.mark.django_db

REPLY = "Bonjour,\r\nNous passons jeudi."
NOTE = "Le collège a rappelé : clé chez la gardienne."
BODY = "Pouvez-vous envoyer le numéro de série (demande n° {numéro}) ?"


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return broken_screen(cast, desk)


@pytest.fixture
def tess(desk: Desk, as_user) -> Client:  # type: ignore[no-untyped-def]
    return in_english(as_user, desk.tess)


def _file_group(page: str, name: str) -> str:
    """The page from the file box's label to the file box itself: its hint and errors."""
    label = page.index(f'for="id_{name}"')
    return html.unescape(page[label : page.index(f'name="{name}"', label)])


@pytest.mark.parametrize(
    ("button", "into", "other", "said"),
    [
        ("Insert into the reply", "reply", "note", "is in the public reply box"),
        ("Insert into the note", "note", "reply", "is in the internal note box"),
    ],
)
def test_both_boxes_come_back_when_a_template_goes_into_either(
    cast: Cast, desk: Desk, ticket: Ticket, tess: Client, button: str, into: str, other: str, said: str
) -> None:
    template = ReplyTemplateFactory(operator=cast.operator, title="Numéro de série", body=BODY)
    filled = fill(BODY, ticket=ticket, agent=desk.tess)
    typed = {"reply-body": REPLY, "note-body": NOTE}

    response = press(tess, ticket_html(tess, ticket), button, {**typed, f"{into}-template": template.pk})

    assert response.status_code == 200
    page = response.content.decode()
    plain = typed[f"{into}-body"].replace("\r\n", "\n")
    assert textarea_text(page, f"{into}-body") == f"{plain}\n\n{filled}"
    assert textarea_text(page, f"{other}-body") == typed[f"{other}-body"].replace("\r\n", "\n")
    assert f"“Numéro de série” {said}" in html.unescape(page)
    # The cursor goes to the box the template went into, not to the other.
    for box, focused in ((into, True), (other, False)):
        textarea = re.search(rf'<textarea [^>]*name="{box}-body"[^>]*>', page)
        assert textarea is not None
        assert ("autofocus" in textarea.group(0)) is focused
    assert not Comment.objects.exists()
    assert not OutboundEmail.objects.exclude(event="created").exists()

    # And again from the page that came back: nothing is lost on the way.
    again = press(tess, page, "Insert into the note", {"note-template": template.pk}).content.decode()
    assert textarea_text(again, "reply-body") == textarea_text(page, "reply-body")
    assert textarea_text(again, "note-body") == f"{textarea_text(page, 'note-body')}\n\n{filled}"


def test_files_chosen_in_either_box_are_asked_again_at_their_own_file_box(
    cast: Cast, ticket: Ticket, tess: Client
) -> None:
    template = ReplyTemplateFactory(operator=cast.operator, title="Numéro de série", body=BODY)
    plan = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = press(
        tess,
        ticket_html(tess, ticket),
        "Insert into the reply",
        {
            "reply-body": REPLY,
            "note-body": NOTE,
            "reply-template": template.pk,
            "reply-files": photo("ecran.png"),
            "note-files": plan,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    again = "Choose the file “{}” again: the page shown again cannot keep it."
    assert again.format("ecran.png") in _file_group(page, "reply-files")
    assert again.format("plan.pdf") in _file_group(page, "note-files")
    assert "plan.pdf" not in _file_group(page, "reply-files")
    # Said in the hint the file box is described by, as its other hint.
    for name in ("reply-files", "note-files"):
        file_box = re.search(rf'<input type="file" name="{name}"[^>]*>', page)
        assert file_box is not None
        assert f'aria-describedby="id_{name}_helptext"' in file_box.group(0)
        assert f'id="id_{name}_helptext"' in _file_group(page, name)
    assert not Attachment.objects.exists()
    # Nothing chosen, nothing said.
    page = press(
        tess, ticket_html(tess, ticket), "Insert into the note", {"note-template": template.pk}
    ).content.decode()
    assert "Choose the file" not in page


def test_a_refused_send_keeps_the_other_box(cast: Cast, ticket: Ticket, tess: Client) -> None:
    response = press(tess, ticket_html(tess, ticket), "Send", {"reply-body": "  ", "note-body": NOTE})
    assert response.status_code == 400
    page = response.content.decode()
    assert textarea_text(page, "note-body") == NOTE
    assert "Write a message." in page
    response = press(tess, ticket_html(tess, ticket), "Add the note", {"reply-body": REPLY, "note-body": ""})
    assert response.status_code == 400
    assert textarea_text(response.content.decode(), "reply-body") == REPLY.replace("\r\n", "\n")
    assert not Comment.objects.exists()


def test_sending_the_reply_sends_the_reply_only(cast: Cast, ticket: Ticket, tess: Client, as_user) -> None:
    response = press(tess, ticket_html(tess, ticket), "Send", {"reply-body": REPLY, "note-body": NOTE})
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.body, comment.internal) == (REPLY, False)
    emails = list(OutboundEmail.objects.filter(ticket=ticket).exclude(event="created"))
    assert emails
    assert all("Nous passons jeudi." in email.body for email in emails)
    assert not any("gardienne" in email.body or "gardienne" in str(email.context) for email in emails)
    member_page = html.unescape(as_user(cast.alice).get(f"/tickets/{ticket.number}/").content.decode())
    assert "Nous passons jeudi." in member_page
    assert "gardienne" not in member_page


def test_adding_the_note_adds_the_note_only(cast: Cast, ticket: Ticket, tess: Client, as_user) -> None:
    emails = OutboundEmail.objects.count()
    response = press(
        tess, ticket_html(tess, ticket), "Add the note", {"reply-body": REPLY, "note-body": NOTE}
    )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.body, comment.internal) == (NOTE, True)
    assert OutboundEmail.objects.count() == emails
    member_page = html.unescape(as_user(cast.alice).get(f"/tickets/{ticket.number}/").content.decode())
    assert "gardienne" not in member_page
    assert "Nous passons jeudi." not in member_page


def test_outsiders_cannot_insert_and_never_see_another_operators_templates(
    cast: Cast, desk: Desk, ticket: Ticket, tess: Client, as_user
) -> None:
    ours = ReplyTemplateFactory(operator=cast.operator, title="Le nôtre", body="Texte de l’opérateur")
    theirs = ReplyTemplateFactory(operator=cast.other_operator, title="Le leur", body="Texte de l’autre")
    page = ticket_html(tess, ticket)
    assert "Le leur" not in page
    assert "Texte de l’autre" not in html.unescape(page)
    typed = {"reply-body": REPLY, "note-body": NOTE}
    for button, box in (("Insert into the reply", "reply"), ("Insert into the note", "note")):
        url, data = submission(page, button, {**typed, f"{box}-template": ours.pk})
        # Another operator's template, on our ticket: as a template that does not exist.
        refused = tess.post(url, {**data, f"{box}-template": theirs.pk})
        assert refused.status_code == 404
        assert "Texte de l’autre" not in html.unescape(refused.content.decode())
        # A member's user (the requester herself), another member's user, another operator's
        # admin: nothing inserted, nothing shown, nothing sent.
        for outsider, refusals in ((cast.alice, {403, 404}), (cast.charlie, {404}), (cast.oscar, {404})):
            response = as_user(outsider).post(url, data)
            assert response.status_code in refusals, (outsider, button)
            shown = html.unescape(response.content.decode())
            assert "Texte de l’opérateur" not in shown
            assert "gardienne" not in shown
    # The other operator's admin, with their own template, on our ticket: the ticket's 404.
    oscar = as_user(cast.oscar)
    assert oscar.post(url, {**data, "note-template": theirs.pk}).status_code == 404
    assert oscar.get(f"/tickets/{ticket.number}/").status_code == 404
    assert not Comment.objects.exists()
    assert not OutboundEmail.objects.exclude(event="created").exists()
