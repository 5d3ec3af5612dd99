"""The ticket endpoints: the scoped list, declaring, one ticket, and (from the mixins)
its conversation and handling. Views parse, call a verb of `servicedesk.services`, render."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from .. import services
from .conversation import ConversationActions
from .filters import TicketFilters
from .handling import HandlingActions
from .inputs import TicketCreateSerializer
from .pagination import TicketPagination
from .schema import DECLARATION, list_problems, problems
from .serializers import TicketDetailSerializer, TicketSerializer, list_rows


@extend_schema(tags=["tickets"])
@extend_schema_view(
    list=extend_schema(
        summary="List the tickets in scope, newest first",
        description="The operator's tickets for its staff, the member's for its people, those of their sites "
        "for a site contact; filtered as on the ticket pages.",
        parameters=[TicketFilters],
        responses={200: TicketSerializer, **list_problems()},
    ),
    retrieve=extend_schema(
        summary="One ticket, by its number",
        responses={200: TicketDetailSerializer, **problems(404)},
    ),
    create=extend_schema(
        summary="Declare an incident",
        description="On a site in scope, with a type of that site's catalogue (GET /api/v1/sites/{id}/catalogue/). "
        "`answers` go through the type's form: each refused answer is named `answers.<key>`. `assets` are "
        "equipment of that site. Files come with a multipart/form-data body (`answers` and `assets` then as "
        "JSON text); a file that is too large or not what its name says refuses the whole declaration. "
        "Nothing is written unless everything is accepted. The same declaration sent again within ten minutes "
        "(same requester, site, type, title, description and answers, no new file), such as a retry after a "
        "lost answer, records nothing: it is answered 200 with the ticket already recorded, and its Location.",
        request=DECLARATION,
        responses={
            201: TicketDetailSerializer,
            200: OpenApiResponse(TicketDetailSerializer, description="The declaration was already recorded."),
            **problems(400, 403, 415),
        },
    ),
)
class TicketViewSet(ConversationActions, HandlingActions, mixins.ListModelMixin):
    def list(self, request: Request) -> Response:
        # TicketSerializer's JSON built from plain values (serializers.list_rows).
        paginator = cast(TicketPagination, self.paginator)  # the base's pagination_class
        ids = paginator.page_ids(self.filter_queryset(self.get_queryset()), request, self)
        return paginator.get_paginated_response(list_rows(ids or []))

    def retrieve(self, request: Request, number: str) -> Response:
        return Response(TicketDetailSerializer(self.get_object(), context=self.get_serializer_context()).data)

    def create(self, request: Request) -> Response:
        declared = services.declare(scope=self.scope, by=self.actor, **self.parse(TicketCreateSerializer))
        location = self.reverse_action("detail", args=[declared.ticket.number])
        # The same declaration sent again (a client retrying after a lost answer) created
        # nothing: 200 with the ticket already recorded, where a new one is 201.
        status_code = 200 if declared.resent else 201
        return self.ticket_response(declared.ticket, status_code=status_code, headers={"Location": location})
