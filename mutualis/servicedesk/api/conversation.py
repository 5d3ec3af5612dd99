"""A ticket's conversation: its timeline, public replies, internal notes and their files."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from mutualis.lib.problems import problem_response

from .. import selectors, services
from ..models import AttachmentState, TicketChannel
from .base import TicketApiViewSet
from .inputs import MessageSerializer
from .schema import MESSAGE, problems
from .serializers import TimelineEntrySerializer


class ConversationActions(TicketApiViewSet):
    @extend_schema(
        summary="A ticket's timeline: changes, replies and notes, oldest first",
        description="Given whole, not paged. Internal notes, their files and internal changes are "
        "listed for the operator's staff only.",
        responses={200: TimelineEntrySerializer(many=True), **problems(400, 404)},
    )
    # Not paged (pagination_class=None): without it the schema described a page of a
    # cursor-paged list and a `limit`, which NoFilters refuses.
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        self.check_no_parameters()
        entries = selectors.timeline(ticket, staff=self.scope.is_operator_staff)
        context = {**self.get_serializer_context(), "ticket": ticket}
        return Response(TimelineEntrySerializer(entries, many=True, context=context).data)

    @extend_schema(
        summary="Reply to a ticket (public)",
        description="The member and the operator both see replies. A member replying to a ticket waiting "
        "for them hands it back to the operator; replying to a resolved ticket reopens it within the "
        "operator's delay. A reply to a closed or cancelled ticket is a 409. Files come with a "
        "multipart/form-data body; one refused file refuses the reply.",
        request=MESSAGE,
        responses={201: TimelineEntrySerializer, **problems(400, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def replies(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        data = self.parse(MessageSerializer)
        comment = services.reply(
            ticket=ticket, by=self.actor, as_staff=self.as_staff, channel=TicketChannel.API, **data
        )
        return self.comment_entry(ticket, comment)

    @extend_schema(
        summary="Write an internal note (operator staff)",
        description="Seen by the operator's staff only, never by the member; so are its files.",
        request=MESSAGE,
        responses={201: TimelineEntrySerializer, **problems(400, 403, 404, 415)},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        comment = services.add_note(ticket=ticket, by=self.actor, **self.parse(MessageSerializer))
        return self.comment_entry(ticket, comment)

    @extend_schema(
        summary="Download a file of a ticket",
        description="Sent as an attachment (never shown inline) in the type its content was checked to be. "
        "Files of internal notes are served to the operator's staff only. A HEIC photo is converted to JPEG "
        "after it is received: until then (the file's `state` is `pending`) its download is a 409 problem "
        "(`Retry-After` says when to ask again), and a 409 too, `detail` saying why, if it could not be "
        "converted (`failed`).",
        responses={
            # Any type: the file goes out in the type its content was checked to be.
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file; Content-Type is the file's own."
            ),
            **problems(404, 409),
        },
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_id>[0-9]+)", url_name="file")
    def file(self, request: Request, number: str, file_id: str) -> FileResponse | Response:
        ticket = self.get_object()
        self.check_no_parameters()
        files = selectors.ticket_files(ticket, staff=self.scope.is_operator_staff)
        # DRF's get_object_or_404: an id int() refuses (5,000 digits) is a 404, not a 500.
        attachment = get_object_or_404(files, pk=file_id)
        if attachment.state == AttachmentState.PENDING:
            # Not the photo as sent (it holds the place it was taken): its JPEG, soon.
            return problem_response(
                status.HTTP_409_CONFLICT,
                _("This photo is being prepared: try again in a moment."),
                kind="file-pending",
                headers={"Retry-After": "10"},
            )
        if attachment.state == AttachmentState.FAILED:
            return problem_response(status.HTTP_409_CONFLICT, attachment.failure_message, kind="file-failed")
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        # The type was judged from the content when the file came in; a browser must not
        # guess another (an HTML page in a .txt).
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        # A file goes out in its own type whatever Accept asks (`Accept: application/pdf`
        # would otherwise be a 406 from a JSON-only API); its errors stay JSON problems.
        return super().perform_content_negotiation(request, force=force or self.action == "file")
