"""What declaring and handling refer to: a site's catalogue, the operator's teams."""

from __future__ import annotations

from django.db.models import QuerySet, prefetch_related_objects
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from mutualis.people.tenancy import get_visible_or_404
from mutualis.registry.api.base import ApiViewSet
from mutualis.registry.models import Site

from ..catalogue import catalogue
from ..models import Team
from .filters import CatalogueFilters
from .permissions import StaffReadPermission
from .schema import list_problems, problems
from .serializers import SiteCatalogueSerializer, TeamSerializer


class SiteCatalogueViewSet(ApiViewSet):
    permission_classes = [IsAuthenticated]
    # For drf-spectacular, which reads the path parameter's type from the model.
    queryset = Site.objects.none()

    @extend_schema(
        summary="The incident types a site is offered, by category",
        description="Its kind of site's catalogue, with what its member was added or hidden. Each type "
        "carries its questions (answer them by `key` when declaring) and the type of equipment to pick.",
        tags=["catalogue"],
        parameters=[CatalogueFilters],
        responses={200: SiteCatalogueSerializer, **problems(400, 404)},
    )
    def retrieve(self, request: Request, site_id: int) -> Response:
        site = get_visible_or_404(Site, self.scope, pk=site_id)
        filters = CatalogueFilters(data=request.query_params, context=self.get_serializer_context())
        filters.is_valid(raise_exception=True)
        sections = catalogue(site, filters.validated_data.get("q", ""))
        # Every type's questions in one query rather than one per type.
        prefetch_related_objects([t for section in sections for t in section.types], "fields")
        return Response(SiteCatalogueSerializer({"site": site, "categories": sections}).data)


@extend_schema(tags=["teams"])
@extend_schema_view(
    list=extend_schema(
        summary="List the operator's teams (operator staff)",
        description="To assign or route tickets (`team`). A member's people get a 403.",
        responses={200: TeamSerializer, **list_problems(403)},
    )
)
class TeamViewSet(mixins.ListModelMixin, ApiViewSet):
    permission_classes = [IsAuthenticated, StaffReadPermission]
    serializer_class = TeamSerializer

    def get_queryset(self) -> QuerySet[Team]:
        return Team.objects.visible_to(self.scope).select_related("lead").prefetch_related("members")
