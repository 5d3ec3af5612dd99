"""The registry's REST endpoints: members, sites, assets.

Views parse, call a verb of `registry.services`, render. Every queryset comes from
`visible_to(request.scope)`; an object outside the scope is a 404 like a missing one.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from mutualis.lib.problems import problem_response
from mutualis.people.models import User
from mutualis.registry import services
from mutualis.registry.models import Asset, Member, Site

from .base import ApiViewSet
from .conditional import (
    ETAG_HEADER,
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    PRECONDITION_FAILED,
    ConditionalObjectMixin,
)
from .filters import AssetFilters, ListFilters, MemberFilters, SiteFilters
from .inputs import (
    AssetChangeSerializer,
    AssetCreateSerializer,
    AssetStatusSerializer,
    SiteChangeSerializer,
    SiteCreateSerializer,
)
from .pagination import NewestFirstPagination
from .permissions import ASSET, SITE
from .schema import list_problems, problems
from .serializers import AssetSerializer, AssetStatusChangeSerializer, MemberSerializer, SiteSerializer


class _RegistryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    @property
    def actor(self) -> User:
        # IsAuthenticated has let only users through.
        return cast(User, self.request.user)

    def created(self, data: Any, pk: int) -> Response:
        location = self.reverse_action("detail", args=[pk])
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})


@extend_schema(tags=["members"])
@extend_schema_view(
    list=extend_schema(
        summary="List the members in scope",
        parameters=[MemberFilters],
        responses={200: MemberSerializer, **list_problems()},
    ),
    retrieve=extend_schema(summary="One member", responses={200: MemberSerializer, **problems(404)}),
)
class MemberViewSet(_RegistryViewSet):
    serializer_class = MemberSerializer
    filter_class = MemberFilters

    def get_queryset(self) -> QuerySet[Member]:
        # What a member shows (territory, parent, services) in one query plus one.
        return (
            Member.objects.visible_to(self.scope)
            .select_related("commune", "epci", "departement", "parent")
            .prefetch_related("services")
        )


@extend_schema(tags=["sites"])
@extend_schema_view(
    list=extend_schema(
        summary="List the sites in scope",
        parameters=[SiteFilters],
        responses={200: SiteSerializer, **list_problems()},
    ),
    retrieve=extend_schema(
        summary="One site",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: SiteSerializer, **NOT_MODIFIED, **problems(404)},
    ),
    create=extend_schema(
        summary="Create a site (operator staff whose role allows it)",
        description="The commune must lie in the member's territory, the postal code be one of the commune's, "
        "the opening hours follow the OpenStreetMap syntax, and the coordinates come both or not at all.",
        request=SiteCreateSerializer,
        responses={201: SiteSerializer, **problems(400, 403, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a site",
        description="Send only the fields that change; a site cannot change member. Send the ETag of "
        "your last GET in If-Match, so that a change made meanwhile is not overwritten.",
        parameters=[IF_MATCH, ETAG_HEADER],
        request=SiteChangeSerializer,
        responses={200: SiteSerializer, **problems(400, 403, 404, 415), **PRECONDITION_FAILED},
    ),
)
class SiteViewSet(ConditionalObjectMixin, _RegistryViewSet):
    serializer_class = SiteSerializer
    filter_class = SiteFilters
    write_model = SITE
    stale_detail = gettext_lazy(
        "The site changed since you read it: nothing was written. GET it again, apply your "
        "change to what it is now, and send it with the new ETag in If-Match."
    )

    def get_queryset(self) -> QuerySet[Site]:
        return Site.objects.visible_to(self.scope).with_list_related()

    def create(self, request: Request) -> Response:
        site = services.create_site(by=self.actor, **self.parse(SiteCreateSerializer))
        return self.created(SiteSerializer(site).data, site.pk)

    def partial_update(self, request: Request, pk: str) -> Response:
        def write(site: Site) -> None:
            changes = self.parse(SiteChangeSerializer, instance=site, partial=True)
            services.update_site(site=site, by=self.actor, **changes)

        return self.write_if_unchanged(self.get_object(), write)


@extend_schema(tags=["assets"])
@extend_schema_view(
    list=extend_schema(
        summary="List the assets in scope",
        parameters=[AssetFilters],
        responses={200: AssetSerializer, **list_problems()},
    ),
    retrieve=extend_schema(
        summary="One asset",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: AssetSerializer, **NOT_MODIFIED, **problems(404)},
    ),
    create=extend_schema(
        summary="Register an asset (operator staff whose role allows it)",
        description="The inventory tag is unique across the operator's fleet; `status` (default in_service) "
        "and `note` make the first line of the status history.",
        request=AssetCreateSerializer,
        responses={201: AssetSerializer, **problems(400, 403, 415)},
    ),
    partial_update=extend_schema(
        summary="Change an asset",
        description="Send only the fields that change. A new `site` moves the asset. The status is refused "
        "here: change it with POST /api/v1/assets/{id}/status/, which keeps the history. Send the ETag of "
        "your last GET in If-Match, so that a change made meanwhile is not overwritten.",
        parameters=[IF_MATCH, ETAG_HEADER],
        request=AssetChangeSerializer,
        responses={200: AssetSerializer, **problems(400, 403, 404, 415), **PRECONDITION_FAILED},
    ),
)
class AssetViewSet(ConditionalObjectMixin, _RegistryViewSet):
    serializer_class = AssetSerializer
    filter_class = AssetFilters
    write_model = ASSET
    stale_detail = gettext_lazy(
        "The asset changed since you read it: nothing was written. GET it again, apply your "
        "change to what it is now, and send it with the new ETag in If-Match."
    )

    def get_queryset(self) -> QuerySet[Asset]:
        return Asset.objects.visible_to(self.scope).with_list_related()

    def create(self, request: Request) -> Response:
        asset = services.register_asset(by=self.actor, **self.parse(AssetCreateSerializer))
        return self.created(AssetSerializer(asset).data, asset.pk)

    def partial_update(self, request: Request, pk: str) -> Response:
        def write(asset: Asset) -> None:
            changes = self.parse(AssetChangeSerializer, instance=asset, partial=True)
            services.update_asset(asset=asset, by=self.actor, **changes)

        return self.write_if_unchanged(self.get_object(), write)

    @extend_schema(
        summary="Move an asset through its life cycle",
        description="Writes a line of the status history. A transition the life cycle does not allow "
        "(from retired, or to the current status) is a 409 problem whose `errors` name `status`. Send "
        "the ETag of your last GET in If-Match: a status someone set meanwhile (lost, say) is then not "
        "replaced by one decided on what the asset was before.",
        parameters=[IF_MATCH, ETAG_HEADER],
        request=AssetStatusSerializer,
        responses={200: AssetSerializer, **problems(400, 403, 404, 409, 415), **PRECONDITION_FAILED},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str) -> Response:
        asset = self.get_object()
        data = self.parse(AssetStatusSerializer)

        def write(locked: Asset) -> None:
            services.change_asset_status(
                asset=locked, status=data["status"], note=data["note"], by=self.actor
            )

        try:
            return self.write_if_unchanged(asset, write)
        except services.IllegalTransition as exc:
            # 409 rather than 400: the request is well formed, the asset's current state
            # refuses it (RFC 9110, 15.5.10).
            return problem_response(
                status.HTTP_409_CONFLICT,
                exc.messages[0],
                kind="illegal-transition",
                errors=[{"field": "status", "message": message} for message in exc.messages],
            )

    @extend_schema(
        summary="The asset's status history, latest first",
        responses={200: AssetStatusChangeSerializer(many=True), **problems(400, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstPagination)
    def history(self, request: Request, pk: str) -> Response:
        asset = self.get_object()
        changes = self.apply_filters(asset.status_changes.select_related("changed_by"), ListFilters)
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(AssetStatusChangeSerializer(page, many=True).data)
