"""Keeping a ticket's files, and converting the HEIC photos among them to JPEG.

A HEIC photo is checked from its header in the request and kept aside as sent, `pending`
(in the storage's `pending/` folder, never served: it holds the place it was taken). The
job `servicedesk.convert_photo` (jobs.py), queued in the same transaction, decodes it,
keeps it as JPEG without its metadata and deletes the original; or, when it cannot be
decoded after all, marks it `failed` with the reason, deletes the original, and fails, so
that `jobs_status` and the back-office's jobs count it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction

from mutualis.jobs import enqueue

from ..attachments import CheckedFile
from ..models import (
    ATTACHMENT_TRANSITIONS,
    Attachment,
    AttachmentFailure,
    AttachmentState,
    Comment,
    Ticket,
    TicketEventKind,
)
from ..photo_reencoding import PhotoTooLargeError, PhotoUnreadableError, heic_as_jpeg
from .records import record

if TYPE_CHECKING:
    from mutualis.people.models import User

CONVERT_PHOTO = "servicedesk.convert_photo"


class PhotoConversionFailed(Exception):  # noqa: N818 - said as what happened, in the jobs' list
    """A photo could not be converted; the attachment says why (Attachment.failure)."""

    def __init__(self, attachment: Attachment) -> None:
        super().__init__(
            f"Attachment {attachment.pk} of ticket id {attachment.ticket_id} ({attachment.sent_name}): "
            f"{attachment.failure}, the photo could not be converted to JPEG."
        )


def keep_files(
    ticket: Ticket,
    files: list[CheckedFile],
    *,
    by: User | None,
    comment: Comment | None = None,
    internal: bool = False,
) -> list[Attachment]:
    """Store already-checked files with the ticket (and the comment they came with); a HEIC
    photo is kept aside as sent and its conversion queued (`convert_photo`)."""
    kept = []
    for checked in files:
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            name=checked.name,
            content_type=checked.kind.content_type,
            size=len(checked.data),
            sha256=checked.sha256,
            internal=internal,
            uploaded_by=by,
            state=AttachmentState.PENDING if checked.to_convert else AttachmentState.READY,
            sent_name=checked.converted_from,
            sent_sha256=checked.sha256 if checked.to_convert else "",
        )
        attachment.file.save(checked.sha256, ContentFile(checked.data), save=False)
        attachment.save()
        record(
            ticket,
            TicketEventKind.ATTACHMENT,
            by=by,
            new=str(attachment.pk),
            new_label=checked.name,
            # A converted photo's name as sent: the timeline says it was converted.
            old_label=checked.converted_from,
            public=not internal,
        )
        if checked.to_convert:
            enqueue(CONVERT_PHOTO, attachment_id=attachment.pk, operator_id=ticket.operator_id)
        kept.append(attachment)
    return kept


def _move(attachment: Attachment, to_state: str, **changes: Any) -> bool:
    """Move the attachment from pending to `to_state` if it is still pending (one of two
    runs of the same job wins); False when another run moved it first."""
    if to_state not in ATTACHMENT_TRANSITIONS[AttachmentState.PENDING]:
        raise ValueError(f"An attachment cannot go from pending to {to_state}.")
    moved = Attachment.objects.filter(
        pk=attachment.pk, state=AttachmentState.PENDING, file=attachment.file.name
    ).update(state=to_state, **changes)
    return bool(moved)


def _delete_after_commit(attachment: Attachment, name: str | None) -> None:
    """Delete a stored file once the change that stops pointing at it is committed: a
    rolled-back change keeps the file it still points at."""
    storage = attachment.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def convert_photo(*, attachment_id: int) -> Attachment | None:
    """Convert a pending HEIC photo to JPEG (the task `servicedesk.convert_photo`).

    Running it twice gives the same result: a converted photo is left as it is, a failed
    one fails again with the same reason, and of two runs at once one records its JPEG
    (the other deletes its own). None when the attachment is gone (its ticket deleted)."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or attachment.state == AttachmentState.READY:
        return attachment
    if attachment.state == AttachmentState.FAILED:
        raise PhotoConversionFailed(attachment)
    original = attachment.file.name
    failure = ""
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        failure = AttachmentFailure.LOST
    else:
        try:
            jpeg = heic_as_jpeg(data)
        except PhotoTooLargeError:
            failure = AttachmentFailure.TOO_MANY_PIXELS
        except PhotoUnreadableError:
            failure = AttachmentFailure.UNREADABLE
    if failure:
        with transaction.atomic():
            if _move(attachment, AttachmentState.FAILED, failure=failure, file=""):
                _delete_after_commit(attachment, original)
        attachment.refresh_from_db()
        raise PhotoConversionFailed(attachment)
    converted = _converted(attachment, jpeg)
    with transaction.atomic():
        if _move(
            attachment,
            AttachmentState.READY,
            file=converted.file.name,
            content_type=converted.content_type,
            size=converted.size,
            sha256=converted.sha256,
        ):
            _delete_after_commit(attachment, original)
        else:
            # Another run of this job converted it first: its JPEG stands, not this one.
            _delete_after_commit(attachment, converted.file.name)
    attachment.refresh_from_db()
    return attachment


def _converted(attachment: Attachment, jpeg: bytes) -> Attachment:
    """The JPEG stored where kept files go (not yet recorded on the row): an unsaved copy
    of the attachment that knows its name, type, size and digest."""
    copy = Attachment(
        pk=attachment.pk,
        ticket=attachment.ticket,
        name=attachment.name,
        content_type="image/jpeg",
        size=len(jpeg),
        sha256=hashlib.sha256(jpeg).hexdigest(),
        state=AttachmentState.READY,
    )
    copy.file.save(copy.sha256, ContentFile(jpeg), save=False)
    return copy
