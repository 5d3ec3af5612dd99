"""The ticket page and what a member does on it: read, reply, cancel, reopen, download."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mutualis.people.roles import Role
from mutualis.servicedesk import services
from mutualis.servicedesk.attachments import check_uploads
from mutualis.servicedesk.models import Attachment, Comment, Ticket
from tests.conftest import Cast
from tests.factories import MembershipFactory

from .conftest import Desk
from .pages import broken_screen, camera, in_english, photo, png_bytes, program_named_pdf

pytestmark = pytest.mark.django_db


def page_of(client, ticket: Ticket) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def checked(*uploads: SimpleUploadedFile):  # type: ignore[no-untyped-def]
    return check_uploads(list(uploads), max_bytes=10_000_000, max_count=5)


@pytest.fixture
def ticket(cast: Cast, desk: Desk) -> Ticket:
    return broken_screen(cast, desk)


def test_the_page_says_everything_in_words(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    services.take(ticket=ticket, by=desk.tess)
    services.reply(
        ticket=ticket, body="Nous passons jeudi.", by=desk.tess, as_staff=True, files=checked(photo())
    )
    page = page_of(in_english(as_user, cast.alice), ticket)
    assert f"n° {ticket.number} – Écran fissuré" in page
    assert '<span class="state state-in_progress">In progress</span>' in page
    assert "P3 – normal" in page
    assert "Collège Hoche" in page
    assert "Tablette › Écran cassé" in page
    assert "Support tablettes" in page
    assert desk.tess.full_name in page
    assert "<dt>Utilisable ?</dt><dd>Non</dd>" in page
    assert f'href="/equipment/{desk.tablet.pk}/"' in page
    assert "State: new → assigned." in page
    assert "Nous passons jeudi." in page
    file = ticket.attachments.get()
    assert f'href="/tickets/{ticket.number}/files/{file.pk}/"' in page
    assert "Handling (operator)" not in page


def test_internal_notes_are_for_the_staff_only_and_marked_in_words(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    services.add_note(
        ticket=ticket, body="Client difficile", by=cast.olivia, files=checked(photo("note.png"))
    )
    member_page = page_of(in_english(as_user, cast.alice), ticket)
    assert "Client difficile" not in member_page
    assert "note.png" not in member_page
    staff_page = page_of(in_english(as_user, cast.olivia), ticket)
    assert '<li class="comment internal">' in staff_page
    assert "<strong>Internal note</strong>" in staff_page
    assert "Client difficile" in staff_page
    assert "note.png" in staff_page


def test_the_page_reads_a_bounded_number_of_queries(
    cast: Cast, desk: Desk, ticket: Ticket, as_user, django_assert_max_num_queries
) -> None:
    for n in range(10):
        services.reply(
            ticket=ticket, body=f"Message {n}", by=cast.alice, as_staff=False, files=checked(photo())
        )
        services.add_note(ticket=ticket, body=f"Note {n}", by=cast.olivia)
    for who in (cast.alice, cast.olivia):
        client = as_user(who)
        with django_assert_max_num_queries(18):
            client.get(f"/tickets/{ticket.number}/")


def test_a_member_replies_with_a_photo(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, cast.alice)
    response = client.post(
        f"/tickets/{ticket.number}/reply/", {"reply-body": "Merci", "reply-files": [photo()]}
    )
    assert response["Location"] == f"/tickets/{ticket.number}/#timeline"
    comment = Comment.objects.get()
    assert (comment.body, comment.internal, comment.author) == ("Merci", False, cast.alice)
    assert comment.attachments.get().name == "ecran.png"
    assert "Your reply is sent." in page_of(client, ticket)


def test_a_reply_with_a_disguised_file_writes_nothing(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    client = in_english(as_user, cast.alice)
    response = client.post(
        f"/tickets/{ticket.number}/reply/", {"reply-body": "Voici", "reply-files": [program_named_pdf()]}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Please correct the following:" in page
    assert "is not a real PDF file" in page
    assert 'href="#id_reply-files"' in page
    assert Comment.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_a_closed_ticket_says_why_no_reply_and_refuses_one(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    services.transition(ticket=ticket, to="resolved", by=cast.olivia, as_staff=True)
    services.transition(ticket=ticket, to="closed", by=cast.olivia, as_staff=True)
    client = in_english(as_user, cast.alice)
    page = page_of(client, ticket)
    assert 'name="reply-body"' not in page
    assert (
        f"This request is closed: no more replies. If the problem comes back, declare a new incident and mention n° {ticket.number}."
        in page
    )
    refused = client.post(f"/tickets/{ticket.number}/reply/", {"reply-body": "Encore ?"}).content.decode()
    assert "This ticket is closed: declare a new incident" in refused
    assert Comment.objects.count() == 0


def test_elected_officials_read_but_do_not_write(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, cast.bob)
    page = page_of(client, ticket)
    assert "You can read this request" in page
    assert 'name="reply-body"' not in page
    assert client.post(f"/tickets/{ticket.number}/reply/", {"reply-body": "Bonjour"}).status_code == 403
    assert client.post(f"/tickets/{ticket.number}/cancel/").status_code == 403
    assert client.get(f"/tickets/{ticket.number}/cancel/").status_code == 403
    assert Comment.objects.count() == 0
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_the_declarant_cancels_their_new_ticket(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, cast.alice)
    assert "Cancel my request" in page_of(client, ticket)
    # The page's link asks first: a cancelled ticket cannot be brought back (WCAG 3.3.4).
    confirm = client.get(f"/tickets/{ticket.number}/cancel/").content.decode()
    assert f"Cancel request n° {ticket.number}?" in confirm
    assert "Yes, cancel my request" in confirm
    assert f'href="/tickets/{ticket.number}/">No, back to the request</a>' in confirm
    ticket.refresh_from_db()
    assert ticket.state == "new"
    client.post(f"/tickets/{ticket.number}/cancel/")
    ticket.refresh_from_db()
    assert ticket.state == "cancelled"
    assert f"Your request n° {ticket.number} is cancelled." in page_of(client, ticket)


def test_cancelling_is_refused_to_others_and_once_handling_started(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    anna = MembershipFactory(
        member=cast.member_a, role=Role.MEMBER_AGENT, user__email="anna@versailles.example"
    ).user
    client = in_english(as_user, anna)
    assert "Cancel my request" not in page_of(client, ticket)
    # No confirmation to someone who may not cancel: back to the ticket.
    assert client.get(f"/tickets/{ticket.number}/cancel/")["Location"] == f"/tickets/{ticket.number}/"
    client.post(f"/tickets/{ticket.number}/cancel/")
    assert "Only the person who declared this ticket can cancel it." in page_of(client, ticket)
    services.take(ticket=ticket, by=desk.tess)
    client = in_english(as_user, cast.alice)
    client.post(f"/tickets/{ticket.number}/cancel/")
    assert "reply to it instead of cancelling it" in page_of(client, ticket)
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"


def test_reopening_within_the_delay_with_a_reason(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    services.transition(ticket=ticket, to="resolved", by=desk.tess, as_staff=True, note="Écran changé.")
    client = in_english(as_user, cast.alice)
    page = page_of(client, ticket)
    assert "Écran changé." in page
    assert "Not solved? You can reopen it until" in page
    missing = client.post(f"/tickets/{ticket.number}/reopen/", {"reopen-reason": ""}).content.decode()
    assert 'href="#id_reopen-reason"' in missing
    ticket.refresh_from_db()
    assert ticket.state == "resolved"
    client.post(f"/tickets/{ticket.number}/reopen/", {"reopen-reason": "L'écran clignote encore."})
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    assert ticket.comments.last().body == "L'écran clignote encore."


def test_reopening_after_the_delay_is_refused(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    services.transition(ticket=ticket, to="resolved", by=desk.tess, as_staff=True)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    client = in_english(as_user, cast.alice)
    assert "You can reopen it until" not in page_of(client, ticket)
    client.post(f"/tickets/{ticket.number}/reopen/", {"reopen-reason": "Toujours cassé"})
    assert "resolved too long ago to be reopened" in page_of(client, ticket)
    ticket.refresh_from_db()
    assert ticket.state == "resolved"


def test_a_merged_ticket_points_to_the_one_that_goes_on(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    other = broken_screen(cast, desk, title="Même écran")
    services.merge(duplicate=other, into=ticket, by=cast.olivia)
    page = page_of(in_english(as_user, cast.alice), other)
    assert f"This ticket was merged into n° {ticket.number}" in page
    assert f'href="/tickets/{ticket.number}/"' in page
    assert f"Replies go to n° {ticket.number}" in page


def test_files_are_served_with_safe_headers(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    pdf = SimpleUploadedFile("devis.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    services.reply(ticket=ticket, body="Pièces", by=cast.alice, as_staff=False, files=checked(photo(), pdf))
    image, document = ticket.attachments.order_by("pk")
    client = as_user(cast.alice)
    shown = client.get(f"/tickets/{ticket.number}/files/{image.pk}/")
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert shown["Content-Security-Policy"] == "sandbox"
    assert b"".join(shown.streaming_content) == png_bytes()
    downloaded = client.get(f"/tickets/{ticket.number}/files/{document.pk}/")
    assert downloaded["Content-Type"] == "application/pdf"
    assert downloaded["Content-Disposition"] == 'attachment; filename="devis.pdf"'
    b"".join(downloaded.streaming_content)


def test_internal_files_and_files_of_other_tickets_are_not_found(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    services.add_note(ticket=ticket, body="Facture", by=cast.olivia, files=checked(photo("interne.png")))
    internal = ticket.attachments.get()
    other = camera(cast, desk)
    client = as_user(cast.alice)
    assert client.get(f"/tickets/{ticket.number}/files/{internal.pk}/").status_code == 404
    assert client.get(f"/tickets/{other.number}/files/{internal.pk}/").status_code == 404
    assert client.get(f"/tickets/{ticket.number}/files/999999/").status_code == 404
    staff = as_user(cast.olivia).get(f"/tickets/{ticket.number}/files/{internal.pk}/")
    assert staff.status_code == 200
    b"".join(staff.streaming_content)


def test_a_reply_in_the_timeline_is_named_as_a_reply_in_french(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    services.reply(ticket=ticket, body="Nous passons jeudi.", by=desk.tess, as_staff=True, files=[])
    page = page_of(as_user(cast.alice), ticket)
    assert "<strong>Réponse</strong>" in page
    assert f"par {desk.tess.full_name}," in page


def test_an_action_s_error_is_an_alert_and_its_success_a_status(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    """Screen readers interrupt for an alert, not for a status (WCAG 4.1.3): a refused
    action is said as the first, a done one as the second."""
    client = in_english(as_user, cast.olivia)
    refused = client.post(f"/tickets/{ticket.number}/state/", {"state-to": "closed"}, follow=True)
    assert refused.redirect_chain[-1][0].endswith("#handling")
    alert = refused.content.decode().split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert "cannot go from “new” to “closed”" in alert
    done = client.post(f"/tickets/{ticket.number}/take/", follow=True).content.decode()
    assert 'role="status">' in done
    assert 'role="alert">' not in done


def test_another_member_cannot_reach_the_cancellation_of_a_ticket(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    for outsider in (cast.charlie, cast.oscar):
        client = in_english(as_user, outsider)
        assert client.get(f"/tickets/{ticket.number}/cancel/").status_code == 404
        assert client.post(f"/tickets/{ticket.number}/cancel/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_an_empty_reply_or_reopening_says_what_to_write(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    client = in_english(as_user, cast.alice)
    empty = client.post(f"/tickets/{ticket.number}/reply/", {"reply-body": "  \n "}).content.decode()
    assert "Write a message." in empty
    services.transition(ticket=ticket, to="resolved", by=desk.tess, as_staff=True)
    missing = client.post(f"/tickets/{ticket.number}/reopen/", {"reopen-reason": ""}).content.decode()
    assert "Say what is still wrong, so that the technician knows what to look at." in missing
    assert "This field is required." not in empty + missing
    ticket.refresh_from_db()
    assert (ticket.state, ticket.comments.count()) == ("resolved", 0)


def test_a_reply_to_a_closed_ticket_is_refused_in_correct_french(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    """ "Cette demande est clos" was the message: a state's name is not an adjective that
    agrees with "demande"."""
    services.transition(ticket=ticket, to="cancelled", by=cast.alice, as_staff=False)
    refused = as_user(cast.alice).post(f"/tickets/{ticket.number}/reply/", {"reply-body": "Encore ?"})
    assert (
        f"Cette demande est à l’état « annulé » : déclarez un nouvel incident, en mentionnant le n° {ticket.number}."
        in refused.content.decode()
    )
    for outsider in (cast.charlie, cast.oscar):
        response = as_user(outsider).post(f"/tickets/{ticket.number}/reply/", {"reply-body": "Encore ?"})
        assert response.status_code == 404
    assert Comment.objects.count() == 0


def test_a_refused_reply_asks_for_its_photo_again(cast: Cast, desk: Desk, ticket: Ticket, as_user) -> None:
    client = in_english(as_user, cast.alice)
    refused = client.post(f"/tickets/{ticket.number}/reply/", {"reply-body": "", "reply-files": [photo()]})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "Choose the file “ecran.png” again: a form sent back to be corrected cannot keep it." in page
    assert 'href="#id_reply-files"' in page
    assert Attachment.objects.count() == 0
    outsider = as_user(cast.charlie).post(
        f"/tickets/{ticket.number}/reply/", {"reply-body": "", "reply-files": [photo()]}
    )
    assert outsider.status_code == 404
    assert "ecran.png" not in outsider.content.decode()


def test_a_refused_internal_note_asks_for_its_file_again(
    cast: Cast, desk: Desk, ticket: Ticket, as_user
) -> None:
    client = in_english(as_user, cast.olivia)
    refused = client.post(f"/tickets/{ticket.number}/note/", {"note-body": " ", "note-files": [photo()]})
    assert refused.status_code == 400
    assert "Choose the file “ecran.png” again" in refused.content.decode()
    assert 'href="#id_note-files"' in refused.content.decode()
    outsider = as_user(cast.oscar).post(f"/tickets/{ticket.number}/note/", {"note-body": "x"})
    assert outsider.status_code == 404
    assert (Attachment.objects.count(), Comment.objects.count()) == (0, 0)
