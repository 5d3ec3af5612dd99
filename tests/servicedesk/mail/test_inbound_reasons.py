"""Why a message was set aside, as the reviewer reads it: in the interface's language,
the headers that decided it quoted as they are."""

from __future__ import annotations

import pytest

from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import InboundReason, InboundSource

from .inbound_support import MailDesk, eml, simple

pytestmark = pytest.mark.django_db
PIPE = InboundSource.PIPE


def test_our_own_mail_coming_back_is_explained_in_french(mail_desk: MailDesk) -> None:
    inbound = receive(eml("loop.eml", mail_desk.ticket), source=PIPE, operator=mail_desk.cast.operator)
    assert inbound.reason == InboundReason.LOOP
    assert "créé par le centre de services" in inbound.detail

    raw = simple(sender="Mutualis <ne-pas-repondre@mutualis.localhost>")
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    assert inbound.detail == (
        "From : ne-pas-repondre@mutualis.localhost est l’adresse du centre de services lui-même."
    )

    raw = simple(headers={"X-Mutualis-Ticket": "1-1"})
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    assert inbound.detail == "En-tête X-Mutualis-Ticket : envoyé par le centre de services."


def test_a_delivery_report_is_explained_in_french(mail_desk: MailDesk) -> None:
    inbound = receive(simple(headers={"Return-Path": "<>"}), source=PIPE, operator=mail_desk.cast.operator)
    assert (inbound.reason, inbound.detail) == (
        InboundReason.AUTO_REPLY,
        "Return-Path: <> (un avis de remise)",
    )

    inbound = receive(simple(headers={"X-Autoreply": ""}), source=PIPE, operator=mail_desk.cast.operator)
    assert inbound.detail == "X-Autoreply: (présent)"


def test_a_message_without_a_sender_is_explained_in_french(mail_desk: MailDesk) -> None:
    raw = b"To: support@mutualis.localhost\r\nSubject: anonyme\r\nMessage-ID: <anon@x.example>\r\n\r\nBonjour\r\n"
    inbound = receive(raw, source=PIPE, operator=mail_desk.cast.operator)
    assert (inbound.reason, inbound.detail) == (
        InboundReason.MALFORMED,
        "Le message n’a pas d’adresse d’expéditeur (From).",
    )
