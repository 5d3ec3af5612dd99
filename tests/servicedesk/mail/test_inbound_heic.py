"""Email in, with an iPhone's photo: iPhones send their photos by e-mail as HEIC. The
message's files go through the same check as a form's (attachments.check_upload)."""

from __future__ import annotations

import io
import uuid
from email.message import EmailMessage

import pytest
from PIL import Image

from mutualis.jobs import run_pending
from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.models import (
    Attachment,
    AttachmentState,
    InboundSource,
    InboundStatus,
    TicketEventKind,
)
from tests.servicedesk.pages import heic_with_location, shown_upright

from .inbound_support import MailDesk

pytestmark = pytest.mark.django_db


def with_photo(photo: bytes, name: str = "IMG_2041.HEIC") -> bytes:
    """A message as an iPhone's Mail sends it: a few words, the photo as image/heic."""
    message = EmailMessage()
    message["From"] = "alice@versailles.example"
    message["To"] = "support@mutualis.localhost"
    message["Subject"] = "Écran du CDI cassé"
    message["Date"] = "Mon, 10 Mar 2025 09:00:00 +0100"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@icloud.example>"
    message.set_content("Bonjour,\nVoici la photo de l’écran.\n")
    message.add_attachment(photo, maintype="image", subtype="heic", filename=name)
    return message.as_bytes()


def test_a_heic_photo_sent_by_email_is_kept_as_a_jpeg_without_its_metadata(
    mail_desk: MailDesk, django_capture_on_commit_callbacks
) -> None:
    inbound = receive(
        with_photo(heic_with_location()), source=InboundSource.PIPE, operator=mail_desk.cast.operator
    )
    # Converted by the job the message queued, as for a form's photo.
    assert Attachment.objects.get().state == AttachmentState.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()

    assert inbound.status == InboundStatus.OPENED
    assert inbound.notes == ""
    ticket = inbound.ticket
    assert ticket is not None
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.name, attachment.content_type) == ("IMG_2041.jpg", "image/jpeg")
    with attachment.file.open("rb") as stored:
        kept = stored.read()
    photo = Image.open(io.BytesIO(kept))
    assert photo.format == "JPEG"
    assert dict(photo.getexif()) == {}
    assert b"Fairphone" not in kept
    assert shown_upright(photo)
    event = ticket.events.get(kind=TicketEventKind.ATTACHMENT)
    assert (event.old_label, event.new_label) == ("IMG_2041.HEIC", "IMG_2041.jpg")


def test_a_damaged_heic_photo_sent_by_email_is_noted_not_attached(mail_desk: MailDesk) -> None:
    damaged = heic_with_location()[:-40]
    inbound = receive(with_photo(damaged), source=InboundSource.PIPE, operator=mail_desk.cast.operator)

    assert inbound.status == InboundStatus.OPENED  # the request itself is kept
    ticket = inbound.ticket
    assert ticket is not None
    assert not Attachment.objects.filter(ticket=ticket).exists()
    refusal = "« IMG_2041.HEIC » ne peut pas être lu comme une photo HEIC"
    assert refusal in ticket.description
    assert refusal in inbound.notes
