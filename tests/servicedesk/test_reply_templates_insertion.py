"""Inserting a reply template without JavaScript: the insert button is a submit button of
the reply's or the note's own form, so what the agent typed comes along; the page comes
back with it followed by the template's text, and nothing is sent, saved or changed. Only
the templates offered, only to the operator's staff (404 otherwise), CSRF as for any post."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Attachment, Comment, OutboundEmail, Ticket, TicketEvent
from mutualis.servicedesk.reply_placeholders import fill
from tests.conftest import Cast

from .conftest import Desk
from .factories import ReplyTemplateFactory, TeamFactory
from .pages import broken_screen, in_english
from .submission import textarea_text

pytestmark = pytest.mark.django_db

TYPED = "Bonjour,\r\nJe regarde la tablette cet après-midi."
BODY = "Pouvez-vous envoyer le numéro de série (demande n° {numéro}) ?"


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return broken_screen(cast, desk)


def _nothing_happened(ticket: Ticket) -> None:
    before = Ticket.objects.values("state", "assignee_id", "updated_at").get(pk=ticket.pk)
    assert before == {
        "state": ticket.state,
        "assignee_id": ticket.assignee_id,
        "updated_at": ticket.updated_at,
    }
    assert not Comment.objects.exists()
    assert not Attachment.objects.exists()
    assert not OutboundEmail.objects.filter(ticket=ticket).exclude(event="created").exists()


def test_inserting_without_script_keeps_what_was_typed_and_sends_nothing(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    template = ReplyTemplateFactory(operator=cast.operator, title="Numéro de série", body=BODY)
    filled = fill(BODY, ticket=ticket, agent=desk.tess)
    client = in_english(as_user, desk.tess)
    events = TicketEvent.objects.count()
    emails = OutboundEmail.objects.count()

    response = client.post(
        f"/tickets/{ticket.number}/reply/",
        {"reply-body": TYPED, "reply-template": template.pk, "insert_template": "reply"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert textarea_text(page, "reply-body") == f"{TYPED}\n\n{filled}".replace("\r\n", "\n")
    assert textarea_text(page, "note-body") == ""
    assert "“Numéro de série” is in the public reply box: read it over, then send it." in html.unescape(page)
    focused = page[page.index('name="reply-body"') - 200 : page.index('name="reply-body"') + 200]
    assert "autofocus" in focused
    _nothing_happened(ticket)

    # Into the note, with a file chosen: the file is named to be chosen again, not kept.
    photo = SimpleUploadedFile("ecran.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    response = client.post(
        f"/tickets/{ticket.number}/note/",
        {
            "note-body": "Vu au téléphone.",
            "note-template": template.pk,
            "insert_template": "note",
            "note-files": photo,
        },
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert textarea_text(page, "note-body") == f"Vu au téléphone.\n\n{filled}"
    assert textarea_text(page, "reply-body") == ""
    assert "“Numéro de série” is in the internal note box: read it over, then add the note." in page
    assert "Choose the file “ecran.png” again: the page shown again cannot keep it." in page
    _nothing_happened(ticket)
    assert (TicketEvent.objects.count(), OutboundEmail.objects.count()) == (events, emails)

    # An empty box gets the template alone; then the note is added as usual.
    page = client.post(
        f"/tickets/{ticket.number}/note/",
        {"note-body": "  ", "note-template": template.pk, "insert_template": "note"},
    ).content.decode()
    assert textarea_text(page, "note-body") == filled
    assert client.post(f"/tickets/{ticket.number}/note/", {"note-body": filled}).status_code == 302
    assert Comment.objects.get().internal


def test_in_french_the_insertion_is_said_in_french(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    template = ReplyTemplateFactory(operator=cast.operator, title="Numéro de série", body=BODY)
    page = html.unescape(
        as_user(desk.tess)
        .post(
            f"/tickets/{ticket.number}/reply/",
            {"reply-body": "Bonjour", "reply-template": template.pk, "insert_template": "reply"},
        )
        .content.decode()
    )
    assert "La réponse type « Numéro de série » est insérée dans la réponse publique" in page
    assert "Réponse type pour la réponse publique" in page
    assert "Insérer dans la note" in page


def test_an_insertion_is_a_post_like_any_other_for_csrf(cast: Cast, desk: Desk, ticket: Ticket) -> None:
    template = ReplyTemplateFactory(operator=cast.operator, body=BODY)
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.tess)
    data = {"reply-body": TYPED, "reply-template": template.pk, "insert_template": "reply"}
    assert client.post(f"/tickets/{ticket.number}/reply/", data).status_code == 403
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        f"/tickets/{ticket.number}/reply/", {**data, "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 200
    assert textarea_text(response.content.decode(), "reply-body").startswith("Bonjour,")
    _nothing_happened(ticket)


def test_a_template_not_offered_or_a_person_without_templates_gets_a_404(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    ReplyTemplateFactory(operator=cast.operator, title="Offerte")
    inactive = ReplyTemplateFactory(operator=cast.operator, inactive=True, body="Secret")
    other_team = ReplyTemplateFactory(
        operator=cast.operator, team=TeamFactory(operator=cast.operator), body="Secret"
    )
    elsewhere = ReplyTemplateFactory(operator=cast.other_operator, body="Secret")
    client = as_user(desk.tess)
    for asked in (inactive.pk, other_team.pk, elsewhere.pk, "abc", "", "99999999999999999999"):
        for box in ("reply", "note"):
            response = client.post(
                f"/tickets/{ticket.number}/{box}/",
                {f"{box}-body": TYPED, f"{box}-template": asked, "insert_template": box},
            )
            assert response.status_code == 404
            assert "Secret" not in response.content.decode()
    offered = ReplyTemplateFactory(operator=cast.operator, body="Texte interne {numéro}")
    data = {"reply-body": TYPED, "reply-template": offered.pk, "insert_template": "reply"}
    # A member's user: nothing is offered them, nothing is sent in their name either.
    assert as_user(cast.alice).post(f"/tickets/{ticket.number}/reply/", data).status_code == 404
    # Another member's user, another operator's admin: the ticket's own 404.
    assert as_user(cast.charlie).post(f"/tickets/{ticket.number}/reply/", data).status_code == 404
    assert as_user(cast.oscar).post(f"/tickets/{ticket.number}/reply/", data).status_code == 404
    _nothing_happened(ticket)
    # A closed request takes no reply: a template goes into its note only.
    services.transition(ticket=ticket, to="resolved", by=cast.olivia, as_staff=True)
    services.transition(ticket=ticket, to="closed", by=cast.olivia, as_staff=True)
    olivia = as_user(cast.olivia)
    assert olivia.post(f"/tickets/{ticket.number}/reply/", data).status_code == 404
    note = {"note-body": "", "note-template": offered.pk, "insert_template": "note"}
    page = olivia.post(f"/tickets/{ticket.number}/note/", note).content.decode()
    assert textarea_text(page, "note-body") == f"Texte interne {ticket.number}"
    assert not Comment.objects.exists()
