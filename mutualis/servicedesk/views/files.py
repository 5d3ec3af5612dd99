"""Serving a ticket's files to those allowed to read them, and to no one else.

Files live outside the web root and no URL maps to their folder: this view is the only
way to them. It checks the ticket through the tenancy door and keeps internal files for
the operator's staff; anything else is the same 404 as a file that does not exist.
A HEIC photo waiting for its conversion is not served (the original holds the place it
was taken): 409, a page saying it is being prepared; one whose conversion failed, 410 with
the reason.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from mutualis.people.tenancy import ScopedRequest
from mutualis.web.decorators import member_area

from .. import attachments
from ..models import Attachment, AttachmentState, Ticket
from ..selectors import ticket_files
from .common import visible_ticket

# Shown in the browser rather than downloaded: photos the browser itself can display.
INLINE_TYPES = frozenset(
    kind.content_type
    for kind in (attachments.JPEG, attachments.PNG, attachments.GIF, attachments.WEBP)
    if kind.inline
)


@member_area
def download(request: ScopedRequest, number: int, pk: int) -> HttpResponse:
    scope = request.scope
    ticket = visible_ticket(scope, number)
    attachment = get_object_or_404(ticket_files(ticket, staff=scope.is_operator_staff), pk=pk)
    if attachment.state != AttachmentState.READY:
        return _not_ready(request, ticket, attachment)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=attachment.content_type not in INLINE_TYPES,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    # The stored type was decided from the content when the file was accepted; the
    # browser must not guess another (nosniff), and whatever it shows runs nothing: no
    # script, no form, no same-origin access (CSP sandbox, CSP Level 2 §7.14).
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    # A FileResponse streams the file; the decorators' types expect an HttpResponse.
    return response  # type: ignore[return-value]


def _not_ready(request: ScopedRequest, ticket: Ticket, attachment: Attachment) -> HttpResponse:
    """A photo not served: 409 while it is converted (RFC 9110 15.5.10), it will be there
    shortly; 410 when its conversion failed, it never will."""
    pending = attachment.state == AttachmentState.PENDING
    response = render(
        request,
        "servicedesk/file_not_ready.html",
        {"ticket": ticket, "file": attachment},
        status=409 if pending else 410,
    )
    response["Cache-Control"] = "private, no-store"
    if pending:
        response["Retry-After"] = "10"
    return response
