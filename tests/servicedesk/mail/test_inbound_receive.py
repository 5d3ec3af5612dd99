"""Email in, the verb: real messages (eml/) in, replies and tickets out, or set aside with
a reason; never lost."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from mutualis.people.roles import Role
from mutualis.servicedesk import services
from mutualis.servicedesk.mail import inbound as inbound_module
from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.mail.inbound_routing import find_sender
from mutualis.servicedesk.models import (
    Attachment,
    Comment,
    DeskSettings,
    InboundEmail,
    InboundReason,
    InboundSource,
    InboundStatus,
    Ticket,
    TicketChannel,
    TicketState,
)
from tests.factories import MembershipFactory, SiteFactory

from .inbound_support import MailDesk, eml, simple

pytestmark = pytest.mark.django_db
PIPE = InboundSource.PIPE


def stored(inbound: InboundEmail) -> bytes:
    with inbound.raw.open("rb") as f:
        return f.read()


# Replies ------------------------------------------------------------------------------------
def test_a_gmail_reply_in_french_becomes_the_members_reply_without_the_quoted_history(
    mail_desk: MailDesk,
) -> None:
    ticket = mail_desk.ticket
    raw = eml("reply_gmail_fr.eml", ticket)
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason, inbound.ticket_id) == (InboundStatus.REPLIED, "", ticket.pk)
    comment = Comment.objects.get(ticket=ticket)
    assert comment == inbound.comment
    assert (comment.author, comment.channel, comment.internal) == (
        mail_desk.cast.alice,
        TicketChannel.EMAIL,
        False,
    )
    assert comment.body == (
        "Bonjour,\n\nL'écran est toujours fissuré ce matin, et la tablette ne s'allume plus.\n"
        "Pouvez-vous passer avant jeudi ? Le code de la salle est « 1789 ».\n\nMerci d'avance,"
    )
    # The signature logo of the HTML part is not a file the member sent.
    assert not Attachment.objects.filter(ticket=ticket).exists()
    # Stored byte for byte, with what the review page lists.
    assert stored(inbound) == raw
    assert inbound.size == len(raw)
    assert inbound.from_address == "alice@versailles.example"  # From was "Alice@Versailles.example"
    assert inbound.from_name == "Alice Lefèvre"
    assert inbound.subject == f"Re: [#{ticket.number}] Écran cassé – tablette du CDI"
    assert inbound.message_id == "<CAGm9bQx7WmK2p3vYw4D5f8Jq9Lm0nR1sT2uV3wX4yZ5aB6cD7e@mail.gmail.com>"


def test_an_outlook_reply_is_found_by_its_reply_address_and_read_in_latin_1(mail_desk: MailDesk) -> None:
    ticket = mail_desk.ticket
    inbound = receive(eml("reply_outlook_fr.eml", ticket), source=PIPE, operator=mail_desk.cast.operator)

    assert inbound.status == InboundStatus.REPLIED
    assert Comment.objects.get(ticket=ticket).body == (
        "Bonjour,\n\nLe technicien est passé : c'est réparé, merci à vous !\nCordialement,\n\n"
        "Alice Lefèvre\nMairie de Versailles"
    )


def test_a_member_replying_to_a_ticket_waiting_for_them_hands_it_back(mail_desk: MailDesk) -> None:
    cast, ticket = mail_desk.cast, mail_desk.ticket
    services.take(ticket=ticket, by=cast.olivia)
    services.transition(ticket=ticket, to=TicketState.WAITING_MEMBER, by=cast.olivia, as_staff=True)

    receive(eml("reply_gmail_fr.eml", ticket), source=PIPE, operator=cast.operator)

    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.IN_PROGRESS


def test_staff_replying_by_email_write_a_public_reply(mail_desk: MailDesk) -> None:
    cast, ticket = mail_desk.cast, mail_desk.ticket
    raw = eml("reply_gmail_fr.eml", ticket).replace(b"Alice@Versailles.example", b"olivia@operator.example")

    inbound = receive(raw, source=PIPE, operator=cast.operator)

    comment = Comment.objects.get(ticket=ticket)
    assert (inbound.status, comment.author, comment.internal) == (InboundStatus.REPLIED, cast.olivia, False)
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is not None


def test_a_subject_tag_alone_finds_the_ticket_of_a_person_who_sees_it(mail_desk: MailDesk) -> None:
    ticket = mail_desk.ticket
    raw = simple(subject=f"Suite de ma demande [#{ticket.number}]", body="Toujours en panne.\n")

    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.ticket_id) == (InboundStatus.REPLIED, ticket.pk)


def test_a_reply_to_a_merged_ticket_goes_to_the_ticket_that_goes_on(mail_desk: MailDesk) -> None:
    cast = mail_desk.cast
    duplicate = mail_desk.ticket
    kept = services.open_ticket(
        site=cast.site_a, incident_type=mail_desk.screen, title="Tablette du CDI", by=cast.alice
    )
    services.merge(duplicate=duplicate, into=kept, by=cast.olivia)

    inbound = receive(eml("reply_gmail_fr.eml", duplicate), source=PIPE, operator=cast.operator)

    assert (inbound.status, inbound.ticket_id) == (InboundStatus.REPLIED, kept.pk)
    assert not Comment.objects.filter(ticket=duplicate).exists()


# New requests -----------------------------------------------------------------------------
def test_an_html_only_email_opens_a_ticket_on_the_senders_only_site(mail_desk: MailDesk) -> None:
    cast = mail_desk.cast
    inbound = receive(eml("new_request_html_only.eml"), source=PIPE, operator=cast.operator)

    assert inbound.status == InboundStatus.OPENED
    ticket = inbound.ticket
    assert ticket is not None
    assert (ticket.site, ticket.incident_type, ticket.requester, ticket.channel) == (
        cast.site_a,
        mail_desk.request_type,
        cast.alice,
        TicketChannel.EMAIL,
    )
    assert ticket.title == "Imprimante de l’accueil en panne"  # Windows-1252 0x92 in an encoded word
    assert ticket.description == (
        "Bonjour,\n\nL’imprimante de l’accueil affiche « Bourrage papier » depuis ce matin :\n\n"
        "- bac 2 vide ;\n- voyant orange clignotant.\n\n"
        "La notice est ici (https://www.example.org/notice-imprimante.pdf).\n"
        "Merci & bonne journée,\nAlice"
    )
    assert "ne pas afficher" not in ticket.description  # <script>
    assert "font-family" not in ticket.description  # <style>


def test_files_are_attached_and_a_disguised_program_is_refused_and_noted(mail_desk: MailDesk) -> None:
    cast = mail_desk.cast
    inbound = receive(eml("new_request_attachments.eml"), source=PIPE, operator=cast.operator)

    assert inbound.status == InboundStatus.OPENED
    ticket = inbound.ticket
    assert ticket is not None
    assert ticket.title == "Vidéoprojecteur salle du conseil"  # "TR: Fwd:" removed
    files = {a.name: a.content_type for a in Attachment.objects.filter(ticket=ticket)}
    assert files == {"devis.pdf": "application/pdf", "photo-écran.png": "image/png"}
    assert ticket.description.startswith(
        "Bonjour,\n\nLe vidéoprojecteur de la salle du conseil ne s'allume plus depuis lundi."
    )
    # The refusal is in the description, for the member and the desk, and on the row.
    assert "facture.pdf" in ticket.description
    assert "facture.pdf" in inbound.notes
    assert "devis.pdf" not in inbound.notes


def test_files_over_the_operators_count_are_noted_not_attached(mail_desk: MailDesk) -> None:
    DeskSettings.objects.filter(operator=mail_desk.cast.operator).update(max_attachments=1)
    inbound = receive(eml("new_request_attachments.eml"), source=PIPE, operator=mail_desk.cast.operator)

    assert [a.name for a in Attachment.objects.filter(ticket=inbound.ticket)] == ["devis.pdf"]
    assert "photo-écran.png" in inbound.notes


def test_a_person_with_several_sites_has_their_request_set_aside_to_choose_the_site(
    mail_desk: MailDesk,
) -> None:
    SiteFactory(member=mail_desk.cast.member_a, name="École Jean Jaurès")
    inbound = receive(eml("new_request_html_only.eml"), source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason, inbound.ticket_id) == (
        InboundStatus.SET_ASIDE,
        InboundReason.CHOOSE_SITE,
        None,
    )
    assert Ticket.objects.count() == 1  # alice's ticket only


def test_a_site_contact_declares_on_their_only_site(mail_desk: MailDesk) -> None:
    cast = mail_desk.cast
    other = SiteFactory(member=cast.member_a, name="École Jean Jaurès", kind=cast.site_a.kind)
    contact = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="sam@versailles.example"
    )
    contact.sites.add(other)

    inbound = receive(
        simple(sender="Sam <SAM@versailles.example>", subject="Wi-Fi"), source=PIPE, operator=cast.operator
    )

    assert inbound.status == InboundStatus.OPENED
    assert inbound.ticket is not None
    assert (inbound.ticket.site, inbound.ticket.requester) == (other, contact.user)


def test_without_a_type_for_email_requests_new_requests_are_set_aside(mail_desk: MailDesk) -> None:
    DeskSettings.objects.filter(operator=mail_desk.cast.operator).update(email_incident_type=None)
    inbound = receive(eml("new_request_html_only.eml"), source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.NO_EMAIL_TYPE)


def test_a_read_only_person_cannot_declare_by_email(mail_desk: MailDesk) -> None:
    inbound = receive(simple(sender="bob@versailles.example"), source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.NOT_ALLOWED)


# Set aside, never attached ------------------------------------------------------------------
def test_a_forged_in_reply_to_never_attaches_to_another_members_ticket(mail_desk: MailDesk) -> None:
    cast, ticket = mail_desk.cast, mail_desk.ticket
    inbound = receive(eml("forged_reply.eml", ticket), source=PIPE, operator=cast.operator)

    assert (inbound.status, inbound.reason, inbound.ticket_id, inbound.comment_id) == (
        InboundStatus.SET_ASIDE,
        InboundReason.NOT_ALLOWED,
        None,
        None,
    )
    assert inbound.sender == cast.charlie
    assert not Comment.objects.exists()
    assert Ticket.objects.count() == 1  # nor a new ticket for charlie on his own site
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.NEW
    assert str(ticket.number) in inbound.detail


def test_a_read_only_person_of_the_same_member_cannot_reply_either(mail_desk: MailDesk) -> None:
    raw = eml("forged_reply.eml", mail_desk.ticket).replace(
        b"charlie@nanterre.example", b"bob@versailles.example"
    )
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.NOT_ALLOWED)
    assert not Comment.objects.exists()


def test_a_subject_tag_of_a_ticket_the_sender_cannot_see_is_not_followed(mail_desk: MailDesk) -> None:
    raw = simple(sender="charlie@nanterre.example", subject=f"[#{mail_desk.ticket.number}] Clos")
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.NOT_ALLOWED)
    assert not Comment.objects.exists()


def test_a_reference_to_another_operators_ticket_is_not_followed(mail_desk: MailDesk) -> None:
    cast = mail_desk.cast
    # Oscar's operator receives alice's reply (its hook or mailbox): alice is nobody there.
    MembershipFactory(member=None, operator=cast.other_operator, role=Role.DESK_AGENT, user=cast.alice)
    inbound = receive(eml("reply_gmail_fr.eml", mail_desk.ticket), source=PIPE, operator=cast.other_operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.NOT_ALLOWED)
    assert not Comment.objects.exists()


def test_a_reply_to_a_closed_ticket_is_set_aside_for_review(mail_desk: MailDesk) -> None:
    cast, ticket = mail_desk.cast, mail_desk.ticket
    services.transition(ticket=ticket, to=TicketState.CANCELLED, by=cast.alice, as_staff=False)

    inbound = receive(eml("reply_gmail_fr.eml", ticket), source=PIPE, operator=cast.operator)

    assert (inbound.status, inbound.reason, inbound.ticket_id) == (
        InboundStatus.SET_ASIDE,
        InboundReason.TICKET_CLOSED,
        ticket.pk,
    )
    assert inbound.comment_id is None
    assert not Comment.objects.exists()
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("auto_reply.eml", InboundReason.AUTO_REPLY),
        ("bounce.eml", InboundReason.AUTO_REPLY),
        ("loop.eml", InboundReason.LOOP),
        ("unknown_sender.eml", InboundReason.UNKNOWN_SENDER),
        ("malformed.eml", InboundReason.MALFORMED),
    ],
)
def test_what_a_person_did_not_write_to_us_is_set_aside_with_its_reason(
    mail_desk: MailDesk, fixture: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw = eml(fixture, mail_desk.ticket)
    with caplog.at_level(logging.WARNING, logger="mutualis.mail"):
        inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, reason)
    assert inbound.detail
    assert stored(inbound) == raw  # kept whole
    assert not Comment.objects.exists()
    assert Ticket.objects.count() == 1
    assert any(f"mail {inbound.pk} " in r.getMessage() and reason in r.getMessage() for r in caplog.records)


def test_an_unknown_senders_text_and_name_are_read_for_the_review(mail_desk: MailDesk) -> None:
    inbound = receive(eml("unknown_sender.eml"), source=PIPE, operator=mail_desk.cast.operator)

    assert inbound.from_name == "Jérôme Inconnu"
    assert inbound.text == "Bonjour, pourriez-vous m'envoyer un devis pour dix tablettes ? Jérôme"


def test_an_inactive_account_is_an_unknown_sender(mail_desk: MailDesk) -> None:
    type(mail_desk.cast.alice).objects.filter(pk=mail_desk.cast.alice.pk).update(is_active=False)
    inbound = receive(
        eml("reply_gmail_fr.eml", mail_desk.ticket), source=PIPE, operator=mail_desk.cast.operator
    )

    assert inbound.reason == InboundReason.UNKNOWN_SENDER


def test_the_sender_is_found_whatever_the_case_but_not_by_another_spelling(mail_desk: MailDesk) -> None:
    """As at login: on PostgreSQL, iexact compares in upper case, where "ſ" is "S", so
    another address reached the account."""
    operator_id = mail_desk.cast.operator.pk
    alice = mail_desk.cast.alice

    assert find_sender(operator_id, alice.email.upper()) == alice
    assert find_sender(operator_id, alice.email.replace("s", "ſ")) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "bulk"},
        {"Precedence": "list"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Return-Path": "<>"},
    ],
)
def test_automatic_replies_are_recognised_by_their_headers(
    mail_desk: MailDesk, headers: dict[str, str]
) -> None:
    raw = simple(subject=f"Re: [#{mail_desk.ticket.number}] Écran", headers=headers)
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert inbound.reason == InboundReason.AUTO_REPLY
    assert not Comment.objects.exists()


def test_an_out_of_office_subject_alone_is_enough_to_set_aside(mail_desk: MailDesk) -> None:
    raw = simple(subject=f"Absence du bureau : Re: [#{mail_desk.ticket.number}] Écran")
    assert receive(raw, source=PIPE, operator=mail_desk.cast.operator).reason == InboundReason.AUTO_REPLY


def test_auto_submitted_no_is_a_person_writing(mail_desk: MailDesk) -> None:
    raw = simple(subject=f"Re: [#{mail_desk.ticket.number}]", headers={"Auto-Submitted": "no"})
    assert receive(raw, source=PIPE, operator=mail_desk.cast.operator).status == InboundStatus.REPLIED


def test_mail_from_our_own_address_is_a_loop(mail_desk: MailDesk) -> None:
    raw = simple(sender="Mutualis <ne-pas-repondre@mutualis.localhost>")
    assert receive(raw, source=PIPE, operator=mail_desk.cast.operator).reason == InboundReason.LOOP


def test_a_message_with_nothing_written_above_the_quote_is_set_aside(mail_desk: MailDesk) -> None:
    body = "Le lun. 3 mars 2025 à 10:12, Support <support@mutualis.localhost> a écrit :\n> Bonjour\n"
    raw = simple(subject=f"Re: [#{mail_desk.ticket.number}]", body=body)
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.EMPTY)


# Bad input ------------------------------------------------------------------------------------
def test_control_characters_in_the_headers_and_text_neither_lose_the_message_nor_reach_the_ticket(
    mail_desk: MailDesk,
) -> None:
    # PostgreSQL refuses a NUL in a text column: a NUL in the subject kept the message from
    # being stored at all, one in the body set a member's reply aside as an error.
    number = mail_desk.ticket.number
    raw = simple(subject=f"Re: [#{number}] \x00Écran\x07", body="Toujours\x00 en panne.\x1b\nMerci\n")
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.ticket_id) == (InboundStatus.REPLIED, mail_desk.ticket.pk)
    assert inbound.subject == f"Re: [#{number}] \ufffdÉcran\ufffd"
    assert Comment.objects.get().body == "Toujours en panne.\nMerci"
    assert stored(inbound) == raw  # the message as received is kept, NULs and all

    new_request = simple(subject="Nouvelle\x00 demande", body="Le vidéoprojecteur\x00 ne s'allume plus.\n")
    opened = receive(new_request, source=PIPE, operator=mail_desk.cast.operator)
    assert opened.status == InboundStatus.OPENED
    assert opened.ticket is not None
    assert "\x00" not in opened.ticket.title
    assert opened.ticket.description == "Le vidéoprojecteur ne s'allume plus."


def test_an_address_with_a_nul_in_it_is_nobodys_address(mail_desk: MailDesk) -> None:
    raw = simple(sender="ali\x00ce@versailles.example", subject=f"Re: [#{mail_desk.ticket.number}]")
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.UNKNOWN_SENDER)
    assert inbound.from_address == "ali\ufffdce@versailles.example"
    assert not Comment.objects.exists()


def test_a_redelivered_message_is_stored_as_a_duplicate_and_adds_no_second_reply(mail_desk: MailDesk) -> None:
    raw = eml("reply_gmail_fr.eml", mail_desk.ticket)
    first = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    again = receive(raw, source=InboundSource.IMAP, operator=mail_desk.cast.operator)

    assert first.status == InboundStatus.REPLIED
    assert (again.status, again.duplicate_of) == (InboundStatus.DUPLICATE, first)
    assert Comment.objects.count() == 1
    assert stored(again) == raw  # kept too


def test_a_message_without_message_id_is_a_duplicate_when_its_bytes_are_the_same(mail_desk: MailDesk) -> None:
    raw = simple(subject=f"[#{mail_desk.ticket.number}]").replace(b"Message-ID:", b"X-No-Id:")
    receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    assert receive(raw, source=PIPE, operator=mail_desk.cast.operator).status == InboundStatus.DUPLICATE
    assert Comment.objects.count() == 1


def test_a_redelivery_finishes_a_message_whose_processing_was_interrupted(mail_desk: MailDesk) -> None:
    raw = eml("reply_gmail_fr.eml", mail_desk.ticket)
    first = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    # As if the process had died after storing it: back to "received", its reply undone.
    Comment.objects.all().delete()
    InboundEmail.objects.filter(pk=first.pk).update(status=InboundStatus.RECEIVED, comment=None)

    again = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert again.status == InboundStatus.DUPLICATE
    assert InboundEmail.objects.get(pk=first.pk).status == InboundStatus.REPLIED
    assert Comment.objects.count() == 1


def test_mail_bombs_are_rate_limited_per_sender_and_kept(mail_desk: MailDesk) -> None:
    cast = mail_desk.cast
    assert DeskSettings().mail_per_sender_per_hour == 20
    DeskSettings.objects.filter(operator=cast.operator).update(mail_per_sender_per_hour=3)
    number = mail_desk.ticket.number
    results = [
        receive(simple(subject=f"[#{number}] relance {i}"), source=PIPE, operator=cast.operator)
        for i in range(5)
    ]

    assert [r.status for r in results] == [InboundStatus.REPLIED] * 3 + [InboundStatus.SET_ASIDE] * 2
    assert {r.reason for r in results[3:]} == {InboundReason.RATE_LIMITED}
    assert Comment.objects.count() == 3
    # Others are not held up by alice's flood.
    other = receive(
        simple(sender="olivia@operator.example", subject=f"[#{number}] ok"),
        source=PIPE,
        operator=cast.operator,
    )
    assert other.status == InboundStatus.REPLIED


def test_the_rate_limit_counts_the_last_hour_only(mail_desk: MailDesk) -> None:
    cast = mail_desk.cast
    DeskSettings.objects.filter(operator=cast.operator).update(mail_per_sender_per_hour=1)
    old = receive(simple(subject=f"[#{mail_desk.ticket.number}] hier"), source=PIPE, operator=cast.operator)
    InboundEmail.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(minutes=61))

    fresh = receive(
        simple(subject=f"[#{mail_desk.ticket.number}] ce matin"), source=PIPE, operator=cast.operator
    )

    assert fresh.status == InboundStatus.REPLIED


def test_an_oversized_message_is_kept_unread_and_set_aside(mail_desk: MailDesk, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAIL_IN_MAX_BYTES = 5_000
    raw = simple(subject=f"[#{mail_desk.ticket.number}] photos", body="x" * 6_000 + "\n")

    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.OVERSIZED)
    assert inbound.text == ""  # not parsed
    assert inbound.subject.endswith("photos")  # its headers are still listed
    assert stored(inbound) == raw
    assert not Comment.objects.exists()


def test_an_error_while_processing_leaves_the_message_set_aside_and_logged(
    mail_desk: MailDesk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(inbound_module.services, "reply", broken)
    raw = eml("reply_gmail_fr.eml", mail_desk.ticket)
    with caplog.at_level(logging.ERROR, logger="mutualis.mail"):
        inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.ERROR)
    assert "disk full" in inbound.detail
    assert stored(inbound) == raw
    assert any(r.exc_info and "disk full" in str(r.exc_info[1]) for r in caplog.records)


def test_a_source_without_an_operator_uses_the_only_one_or_says_it_cannot_choose(mail_desk: MailDesk) -> None:
    from django.core.exceptions import ImproperlyConfigured

    # The cast has two operators: the pipe and IMAP must then be told which.
    with pytest.raises(ImproperlyConfigured):
        receive(simple(), source=PIPE)
    assert not InboundEmail.objects.exists()


def test_a_from_address_that_failed_dmarc_is_set_aside_not_posted_as_its_owner(mail_desk: MailDesk) -> None:
    verdict = "mx.mutualis.localhost; spf=fail smtp.mailfrom=evil.example; dmarc=fail (p=QUARANTINE) header.from=versailles.example"
    raw = simple(subject=f"Re: [#{mail_desk.ticket.number}]", headers={"Authentication-Results": verdict})

    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)

    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.SPOOFED)
    assert not Comment.objects.exists()


def test_a_dmarc_pass_changes_nothing(mail_desk: MailDesk) -> None:
    verdict = "mx.mutualis.localhost; dkim=pass header.d=versailles.example; dmarc=pass header.from=versailles.example"
    raw = simple(subject=f"Re: [#{mail_desk.ticket.number}]", headers={"Authentication-Results": verdict})

    assert receive(raw, source=PIPE, operator=mail_desk.cast.operator).status == InboundStatus.REPLIED


# With email out (mail/outbound.py): a real notification, and a reply to it -----------------
def test_a_reply_to_a_real_notification_comes_back_to_its_ticket(mail_desk: MailDesk) -> None:
    from email import message_from_bytes
    from email.message import EmailMessage
    from email.policy import SMTP, default
    from email.utils import make_msgid

    from mutualis.jobs import run_pending
    from mutualis.servicedesk.mail.outbound import build_message
    from mutualis.servicedesk.models import OutboundEmail

    cast, ticket = mail_desk.cast, mail_desk.ticket
    run_pending()  # what a worker does: the notices of the new ticket are written, and sent
    sent = build_message(OutboundEmail.objects.get(ticket=ticket, to=cast.alice.email)).message().as_bytes()
    # As Alice's mail program reads it.
    notification = message_from_bytes(sent, policy=default)

    # The notification itself, forwarded back to the desk by some alias: a loop.
    assert receive(sent, source=PIPE, operator=cast.operator).reason == InboundReason.LOOP

    # Alice answers from her mail program, quoting it below an attribution line.
    reply = EmailMessage(policy=SMTP)
    reply["From"] = "Alice Lefèvre <alice@versailles.example>"
    reply["To"] = str(notification["Reply-To"])
    reply["Subject"] = f"Re: {notification['Subject']}"
    reply["Message-ID"] = make_msgid(domain="versailles.example")
    reply["In-Reply-To"] = str(notification["Message-ID"])
    reply["References"] = f"{notification['References']} {notification['Message-ID']}"
    body = notification.get_body(preferencelist=("plain",))
    assert body is not None
    original = body.get_content()
    quoted = "\n".join(f"> {line}" for line in original.splitlines())
    reply.set_content(
        "Merci, la tablette est au secrétariat.\n\n"
        f"Le mar. 4 mars 2025 à 10:12, Service desk Mutualis <{notification['Reply-To']}> a écrit :\n{quoted}\n"
    )

    inbound = receive(reply.as_bytes(), source=PIPE, operator=cast.operator)

    assert (inbound.status, inbound.ticket_id) == (InboundStatus.REPLIED, ticket.pk)
    assert Comment.objects.get(ticket=ticket).body == "Merci, la tablette est au secrétariat."
