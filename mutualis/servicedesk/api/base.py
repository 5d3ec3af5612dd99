"""What every ticket endpoint shares: the ticket looked up by number through the tenancy
door, JSON bodies (and forms where files come along), and the life cycle's refusals as 409
problems."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from rest_framework import status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from mutualis.lib.json_input import StrictJSONParser
from mutualis.lib.problems import problem_response
from mutualis.people.models import User
from mutualis.registry.api.base import ApiViewSet

from .. import permissions, selectors
from ..lifecycle import IllegalTransition
from ..models import Comment, Ticket
from .filters import NoFilters, TicketFilters
from .pagination import TicketPagination
from .permissions import TicketWritePermission
from .serializers import TicketDetailSerializer, TicketSerializer, TimelineEntrySerializer

# The writes that may carry files, as multipart/form-data.
UPLOAD_ACTIONS = frozenset({"create", "replies", "notes"})

# Which field of the body a 409 is about, by action.
CONFLICT_FIELDS = {"transitions": "to", "merge": "into", "assign": "assignee", "take": "assignee"}


class TicketApiViewSet(ApiViewSet):
    permission_classes = [IsAuthenticated, TicketWritePermission]
    pagination_class = TicketPagination
    filter_class = TicketFilters
    serializer_class = TicketSerializer
    # The number people quote, unique within the operator; the tenancy door keeps the
    # lookup inside the caller's operator (and member).
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Ticket]:
        return (
            Ticket.objects.visible_to(self.scope)
            .with_list_related()
            .select_related("requester", "merged_into")
        )

    def get_parsers(self) -> list[BaseParser]:
        # DRF builds the parsers before it sets `self.action`; the route's map says which
        # action this method leads to (drf-spectacular sets `action` itself).
        action = getattr(self, "action", None)
        if action is None and self.request is not None and self.request.method:
            action = getattr(self, "action_map", {}).get(self.request.method.lower())
        if action in UPLOAD_ACTIONS:
            return [StrictJSONParser(), MultiPartParser()]
        return super().get_parsers()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IllegalTransition):
            # 409 rather than 400: the request is well formed, the ticket's current state
            # refuses it (RFC 9110, 15.5.10), as for an asset's status.
            field = CONFLICT_FIELDS.get(self.action or "", "")
            return problem_response(
                status.HTTP_409_CONFLICT,
                exc.messages[0],
                kind="illegal-transition",
                errors=[{"field": field, "message": message} for message in exc.messages],
            )
        return super().handle_exception(exc)

    @property
    def actor(self) -> User:
        # IsAuthenticated has let only users through.
        return cast(User, self.request.user)

    @property
    def as_staff(self) -> bool:
        return permissions.can_handle(self.scope)

    def check_no_parameters(self) -> None:
        """A resource given whole takes no query parameter: a stray one is a 400."""
        NoFilters(data=self.request.query_params, context=self.get_serializer_context()).is_valid(
            raise_exception=True
        )

    def ticket_response(
        self, ticket: Ticket, *, status_code: int = status.HTTP_200_OK, **kwargs: Any
    ) -> Response:
        """The ticket as it is now: verbs return the row they locked, without its relations."""
        current = self.get_queryset().get(pk=ticket.pk)
        data = TicketDetailSerializer(current, context=self.get_serializer_context()).data
        return Response(data, status=status_code, **kwargs)

    def comment_entry(self, ticket: Ticket, comment: Comment) -> Response:
        """A new reply or note, as its line of the timeline."""
        entry = selectors.Entry(
            at=comment.created_at, kind="comment", comment=comment, files=list(comment.attachments.all())
        )
        context = {**self.get_serializer_context(), "ticket": ticket}
        return Response(TimelineEntrySerializer(entry, context=context).data, status=status.HTTP_201_CREATED)
