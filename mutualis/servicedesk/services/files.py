from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.base import ContentFile

from ..attachments import CheckedFile
from ..models import Attachment, Comment, Ticket, TicketEventKind
from .records import record

if TYPE_CHECKING:
    from mutualis.people.models import User


def keep_files(
    ticket: Ticket,
    files: list[CheckedFile],
    *,
    by: User | None,
    comment: Comment | None = None,
    internal: bool = False,
) -> list[Attachment]:
    """Store already-checked files with the ticket (and the comment they came with)."""
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
        kept.append(attachment)
    return kept
