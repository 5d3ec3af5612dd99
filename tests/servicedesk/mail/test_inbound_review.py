"""The review of mail set aside, /desk/mail/: the operator's staff list it by reason, read it
(escaped, never as HTML), and attach, open or discard; nobody else gets there."""

from __future__ import annotations

import pytest
from django.test import Client

from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import (
    Comment,
    InboundEmail,
    InboundReason,
    InboundSource,
    InboundStatus,
    Ticket,
    TicketChannel,
)

from .inbound_support import MailDesk, eml, simple

pytestmark = pytest.mark.django_db
PIPE = InboundSource.PIPE


def set_aside(mail_desk: MailDesk, raw: bytes) -> InboundEmail:
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    assert inbound.status == InboundStatus.SET_ASIDE
    return inbound


def test_staff_see_the_mail_set_aside_with_counts_by_reason(
    client: Client, mail_desk: MailDesk, as_user
) -> None:  # type: ignore[no-untyped-def]
    set_aside(mail_desk, eml("unknown_sender.eml"))
    set_aside(mail_desk, eml("auto_reply.eml", mail_desk.ticket))
    set_aside(mail_desk, eml("bounce.eml"))
    replied = receive(
        eml("reply_gmail_fr.eml", mail_desk.ticket), source=PIPE, operator=mail_desk.cast.operator
    )

    page = as_user(mail_desk.cast.olivia).get("/desk/mail/").content.decode()

    assert page.count("data-mail=") == 3  # the reply that went through is not to review
    assert f'data-mail="{replied.pk}"' not in page
    assert "Demande de devis pour des tablettes" in page
    assert '<li data-reason="auto_reply" data-count="2">' in page
    assert '<li data-reason="unknown_sender" data-count="1">' in page

    filtered = client.get("/desk/mail/?reason=unknown_sender").content.decode()
    assert filtered.count("data-mail=") == 1
    everything = client.get("/desk/mail/?status=all").content.decode()
    assert everything.count("data-mail=") == 4


def test_the_desk_links_to_the_review(mail_desk: MailDesk, as_user) -> None:  # type: ignore[no-untyped-def]
    assert 'href="/desk/mail/"' in as_user(mail_desk.cast.olivia).get("/desk/").content.decode()


def test_a_message_is_shown_escaped_never_as_html(mail_desk: MailDesk, as_user) -> None:  # type: ignore[no-untyped-def]
    raw = simple(
        sender='"<b>Mallory</b>" <mallory@evil.example>',
        subject="<script>alert(1)</script>",
        body="<img src=x onerror=alert(2)> bonjour\n",
    )
    inbound = set_aside(mail_desk, raw)

    page = as_user(mail_desk.cast.olivia).get(f"/desk/mail/{inbound.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(2)&gt; bonjour" in page
    assert "<b>Mallory</b>" not in page
    assert 'data-reason="unknown_sender"' in page


def test_an_html_message_is_shown_as_its_text(mail_desk: MailDesk, as_user) -> None:  # type: ignore[no-untyped-def]
    raw = eml("new_request_html_only.eml").replace(b"alice@versailles.example", b"inconnue@exemple.fr")
    inbound = set_aside(mail_desk, raw)

    page = as_user(mail_desk.cast.olivia).get(f"/desk/mail/{inbound.pk}/").content.decode()

    assert "- bac 2 vide ;<br>" in page
    assert "document.write" not in page
    assert "<ul>" not in page.split("data-text>")[1].split("</div>")[0]


def test_the_raw_message_is_downloaded_never_displayed(client: Client, mail_desk: MailDesk, as_user) -> None:  # type: ignore[no-untyped-def]
    raw = eml("unknown_sender.eml")
    inbound = set_aside(mail_desk, raw)

    response = as_user(mail_desk.cast.olivia).get(f"/desk/mail/{inbound.pk}/raw/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == raw


def test_attach_a_set_aside_reply_to_the_ticket(client: Client, mail_desk: MailDesk, as_user) -> None:  # type: ignore[no-untyped-def]
    cast, ticket = mail_desk.cast, mail_desk.ticket
    inbound = set_aside(mail_desk, eml("auto_reply.eml", ticket))

    response = as_user(cast.olivia).post(f"/desk/mail/{inbound.pk}/attach/", {"attach-number": ticket.number})

    assert response.status_code == 302
    inbound.refresh_from_db()
    comment = Comment.objects.get(ticket=ticket)
    assert (comment.author, comment.channel) == (cast.alice, TicketChannel.EMAIL)
    assert comment.body.startswith("Je suis absente jusqu'au 10 mars.")
    assert (inbound.status, inbound.comment, inbound.reviewed_by) == (
        InboundStatus.REPLIED,
        comment,
        cast.olivia,
    )
    assert inbound.reason == InboundReason.AUTO_REPLY  # why it was set aside stays known
    assert inbound.reviewed_at is not None


def test_attaching_is_still_refused_for_a_sender_who_may_not_see_the_ticket(
    client: Client, mail_desk: MailDesk, as_user
) -> None:  # type: ignore[no-untyped-def]
    inbound = set_aside(mail_desk, eml("forged_reply.eml", mail_desk.ticket))

    response = as_user(mail_desk.cast.olivia).post(
        f"/desk/mail/{inbound.pk}/attach/", {"attach-number": mail_desk.ticket.number}
    )

    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not Comment.objects.exists()
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.SET_ASIDE


def test_attaching_an_unknown_senders_message_is_refused(
    client: Client, mail_desk: MailDesk, as_user
) -> None:  # type: ignore[no-untyped-def]
    inbound = set_aside(mail_desk, eml("unknown_sender.eml"))

    response = as_user(mail_desk.cast.olivia).post(
        f"/desk/mail/{inbound.pk}/attach/", {"attach-number": mail_desk.ticket.number}
    )

    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_attaching_to_a_ticket_number_that_does_not_exist_says_so(
    client: Client, mail_desk: MailDesk, as_user
) -> None:  # type: ignore[no-untyped-def]
    inbound = set_aside(mail_desk, eml("auto_reply.eml", mail_desk.ticket))

    response = as_user(mail_desk.cast.olivia).post(
        f"/desk/mail/{inbound.pk}/attach/", {"attach-number": 999_999}
    )

    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_open_a_ticket_for_an_unknown_sender_on_a_chosen_site(
    client: Client, mail_desk: MailDesk, as_user
) -> None:  # type: ignore[no-untyped-def]
    cast = mail_desk.cast
    inbound = set_aside(mail_desk, eml("unknown_sender.eml"))

    response = as_user(cast.olivia).post(
        f"/desk/mail/{inbound.pk}/open/",
        {"open-site": cast.site_b.pk, "open-incident_type": mail_desk.request_type.pk},
    )

    ticket = Ticket.objects.get(site=cast.site_b)
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert (ticket.requester, ticket.channel, ticket.title) == (
        cast.olivia,
        TicketChannel.EMAIL,
        "Demande de devis pour des tablettes",
    )
    # Whom it came from, first: the requester is the reviewer.
    assert "Jérôme Inconnu <jerome.inconnu@exemple.fr>" in ticket.description.splitlines()[0]
    assert "dix tablettes" in ticket.description
    inbound.refresh_from_db()
    assert (inbound.status, inbound.ticket, inbound.reviewed_by) == (
        InboundStatus.OPENED,
        ticket,
        cast.olivia,
    )


def test_open_a_ticket_for_a_known_sender_who_must_follow_the_site(
    client: Client, mail_desk: MailDesk, as_user
) -> None:  # type: ignore[no-untyped-def]
    cast = mail_desk.cast
    inbound = set_aside(mail_desk, eml("forged_reply.eml", mail_desk.ticket))  # from charlie (member B)
    as_user(cast.olivia)

    refused = client.post(
        f"/desk/mail/{inbound.pk}/open/",
        {"open-site": cast.site_a.pk, "open-incident_type": mail_desk.request_type.pk},
    )
    assert refused.status_code == 400  # charlie does not see member A's site
    assert Ticket.objects.count() == 1

    client.post(
        f"/desk/mail/{inbound.pk}/open/",
        {"open-site": cast.site_b.pk, "open-incident_type": mail_desk.request_type.pk},
    )
    ticket = Ticket.objects.get(site=cast.site_b)
    assert ticket.requester == cast.charlie


def test_discard_keeps_the_message_and_says_who(client: Client, mail_desk: MailDesk, as_user) -> None:  # type: ignore[no-untyped-def]
    inbound = set_aside(mail_desk, eml("bounce.eml"))

    response = as_user(mail_desk.cast.olivia).post(f"/desk/mail/{inbound.pk}/discard/")

    assert response.status_code == 302
    inbound.refresh_from_db()
    assert (inbound.status, inbound.reviewed_by) == (InboundStatus.DISCARDED, mail_desk.cast.olivia)
    assert inbound.raw.storage.exists(inbound.raw.name)
    assert f'data-mail="{inbound.pk}"' not in client.get("/desk/mail/").content.decode()
    assert f'data-mail="{inbound.pk}"' in client.get("/desk/mail/?status=discarded").content.decode()
    # Handled once: a second action is refused, nothing changes.
    client.post(f"/desk/mail/{inbound.pk}/attach/", {"attach-number": mail_desk.ticket.number})
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.DISCARDED


def test_members_never_reach_the_review(client: Client, mail_desk: MailDesk, as_user) -> None:  # type: ignore[no-untyped-def]
    inbound = set_aside(mail_desk, eml("auto_reply.eml", mail_desk.ticket))
    as_user(mail_desk.cast.alice)

    assert client.get("/desk/mail/").status_code == 403
    assert client.get(f"/desk/mail/{inbound.pk}/").status_code == 403
    assert client.get(f"/desk/mail/{inbound.pk}/raw/").status_code == 403
    assert (
        client.post(
            f"/desk/mail/{inbound.pk}/attach/", {"attach-number": mail_desk.ticket.number}
        ).status_code
        == 403
    )
    assert not Comment.objects.exists()


def test_another_operators_staff_get_a_404_and_an_empty_list(
    client: Client, mail_desk: MailDesk, as_user
) -> None:  # type: ignore[no-untyped-def]
    inbound = set_aside(mail_desk, eml("unknown_sender.eml"))
    as_user(mail_desk.cast.oscar)

    assert "Demande de devis" not in client.get("/desk/mail/?status=all").content.decode()
    for tail in ("", "raw/"):
        assert client.get(f"/desk/mail/{inbound.pk}/{tail}").status_code == 404
    for action in ("attach", "open", "discard"):
        assert client.post(f"/desk/mail/{inbound.pk}/{action}/").status_code == 404
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.SET_ASIDE


def test_an_oversized_message_is_listed_by_its_headers(mail_desk: MailDesk, as_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAIL_IN_MAX_BYTES = 2_000
    inbound = set_aside(mail_desk, simple(subject="Photos du chantier", body="x" * 3_000))

    response = as_user(mail_desk.cast.olivia).get(f"/desk/mail/{inbound.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-reason="oversized"' in page
    assert "Photos du chantier" in page
    assert "data-text" not in page


def test_a_message_whose_processing_was_interrupted_is_listed_for_review(
    mail_desk: MailDesk, as_user
) -> None:  # type: ignore[no-untyped-def]
    inbound = set_aside(mail_desk, eml("unknown_sender.eml"))
    InboundEmail.objects.filter(pk=inbound.pk).update(status=InboundStatus.RECEIVED, reason="")

    page = as_user(mail_desk.cast.olivia).get("/desk/mail/").content.decode()

    assert f'data-mail="{inbound.pk}"' in page
    assert '<li data-reason="" data-count="1">' in page
