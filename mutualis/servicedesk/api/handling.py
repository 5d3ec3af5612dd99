"""Moving a ticket along: the life cycle (anyone who may reply, on their side of it) and
the operator's handling (assign, take, change, equipment, merge)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from .. import services
from .base import TicketApiViewSet
from .inputs import (
    AssignSerializer,
    LinkAssetSerializer,
    MergeSerializer,
    NoBodySerializer,
    TicketChangeSerializer,
    TransitionSerializer,
)
from .schema import problems
from .serializers import TicketAssetSerializer, TicketDetailSerializer


class HandlingActions(TicketApiViewSet):
    @extend_schema(
        summary="Move a ticket through its life cycle",
        description="Operator staff move tickets along every arrow of the life cycle. A member's people may "
        "cancel a new ticket they declared, reopen a resolved ticket (to `in_progress`) within the "
        "operator's delay, and hand back a ticket waiting for them. `note` becomes a public reply. "
        "`allowed_transitions` on the ticket lists what the caller may do now; anything else is a 409 "
        "whose `detail` says why and what to do.",
        request=TransitionSerializer,
        responses={200: TicketDetailSerializer, **problems(400, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        data = self.parse(TransitionSerializer)
        services.transition(ticket=ticket, by=self.actor, as_staff=self.as_staff, **data)
        return self.ticket_response(ticket)

    @extend_schema(
        summary="Assign a ticket (operator staff)",
        description="To someone of the operator's staff (a new ticket becomes `assigned`), or to nobody "
        "(`null`: an assigned ticket goes back to `new`); `team` routes it at the same time.",
        request=AssignSerializer,
        responses={200: TicketDetailSerializer, **problems(400, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        data = self.parse(AssignSerializer)
        services.assign(ticket=ticket, assignee=data["assignee"], team=data.get("team"), by=self.actor)
        return self.ticket_response(ticket)

    @extend_schema(
        summary="Take a ticket (operator staff)",
        description="Assigned to the caller and in progress. No body.",
        request=None,
        responses={200: TicketDetailSerializer, **problems(400, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def take(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        self.parse(NoBodySerializer)
        services.take(ticket=ticket, by=self.actor)
        return self.ticket_response(ticket)

    @extend_schema(
        summary="Change a ticket's priority, team or classification (operator staff)",
        description="Send only what changes. Each change is a line of the timeline. The state, the assignee "
        "and the equipment change through their own endpoints.",
        request=TicketChangeSerializer,
        responses={200: TicketDetailSerializer, **problems(400, 403, 404, 415)},
    )
    def partial_update(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        data = self.parse(TicketChangeSerializer)
        # One request, one change: all of it is written, or none.
        with transaction.atomic():
            if "priority" in data:
                services.change_priority(ticket=ticket, priority=data["priority"], by=self.actor)
            if "team" in data:
                services.route_to_team(ticket=ticket, team=data["team"], by=self.actor)
            if "incident_type" in data or "category" in data:
                services.reclassify(
                    ticket=ticket,
                    by=self.actor,
                    incident_type=data.get("incident_type"),
                    category=data.get("category"),
                )
        return self.ticket_response(ticket)

    @extend_schema(
        summary="Link equipment to a ticket (operator staff)",
        description="Equipment of the ticket's member; its page then lists the ticket. Linking it twice "
        "changes nothing.",
        request=LinkAssetSerializer,
        responses={200: TicketDetailSerializer, **problems(400, 403, 404, 415)},
    )
    @action(detail=True, methods=["post"], url_path="assets", url_name="assets")
    def link_asset(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        data = self.parse(LinkAssetSerializer)
        services.link_asset(ticket=ticket, asset=data["asset"], by=self.actor)
        return self.ticket_response(ticket)

    @extend_schema(
        summary="Equipment linked to a ticket",
        description="404 when the equipment is not linked to the ticket.",
        responses={200: TicketAssetSerializer, **problems(404)},
    )
    @action(detail=True, methods=["get"], url_path=r"assets/(?P<asset_id>[0-9]+)", url_name="asset")
    def linked_asset(self, request: Request, number: str, asset_id: str) -> Response:
        ticket = self.get_object()
        self.check_no_parameters()
        # DRF's get_object_or_404: an id int() refuses (5,000 digits) is a 404, not a 500.
        asset = get_object_or_404(ticket.assets.select_related("asset_type"), pk=asset_id)
        return Response(TicketAssetSerializer(asset).data)

    @extend_schema(
        summary="Unlink equipment from a ticket (operator staff)",
        responses={204: None, **problems(403, 404)},
    )
    @linked_asset.mapping.delete
    def unlink_asset(self, request: Request, number: str, asset_id: str) -> Response:
        ticket = self.get_object()
        asset = get_object_or_404(ticket.assets.all(), pk=asset_id)
        services.unlink_asset(ticket=ticket, asset=asset, by=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Merge a duplicate into another ticket (operator staff)",
        description="This ticket (the duplicate) is closed and points to `into`, a ticket of the same member "
        "that goes on; its equipment moves over and both timelines say so. Answers with the duplicate.",
        request=MergeSerializer,
        responses={200: TicketDetailSerializer, **problems(400, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        data = self.parse(MergeSerializer)
        services.merge(duplicate=ticket, into=data["into"], by=self.actor)
        return self.ticket_response(ticket)
