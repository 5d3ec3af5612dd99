"""Reference lists, read-only and the same for every authenticated user: the INSEE
territory (shared by all operators) and the kinds of sites, types and models of assets."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated

from mutualis.registry.models import AssetModel, AssetType, Commune, Departement, Epci, SiteKind

from .base import ApiViewSet
from .filters import AssetModelFilters, CommuneFilters, EpciFilters, ListFilters
from .schema import list_problems
from .serializers import (
    AssetModelSerializer,
    AssetTypeSerializer,
    CommuneSerializer,
    DepartementSerializer,
    EpciSerializer,
    SiteKindSerializer,
)


class _ReferenceViewSet(mixins.ListModelMixin, ApiViewSet):
    # Not member data: no tenancy door, and no role needed beyond being signed in.
    permission_classes = [IsAuthenticated]


def _listing(summary: str, serializer: Any, filters: type[ListFilters]) -> Any:
    # drf-spectacular cannot explode a filter set without fields into parameters.
    parameters = [] if filters is ListFilters else [filters]
    return extend_schema_view(
        list=extend_schema(
            summary=summary,
            tags=["reference"],
            parameters=parameters,
            responses={200: serializer, **list_problems()},
        )
    )


@_listing("List the départements", DepartementSerializer, ListFilters)
class DepartementViewSet(_ReferenceViewSet):
    serializer_class = DepartementSerializer
    queryset = Departement.objects.all()


@_listing("List the EPCI (intercommunal bodies)", EpciSerializer, EpciFilters)
class EpciViewSet(_ReferenceViewSet):
    serializer_class = EpciSerializer
    filter_class = EpciFilters
    queryset = Epci.objects.all()


@_listing("List the communes", CommuneSerializer, CommuneFilters)
class CommuneViewSet(_ReferenceViewSet):
    serializer_class = CommuneSerializer
    filter_class = CommuneFilters

    def get_queryset(self) -> QuerySet[Commune]:
        return Commune.objects.select_related("departement", "epci", "ept")


@_listing("List the kinds of sites", SiteKindSerializer, ListFilters)
class SiteKindViewSet(_ReferenceViewSet):
    serializer_class = SiteKindSerializer
    queryset = SiteKind.objects.all()


@_listing("List the types of assets", AssetTypeSerializer, ListFilters)
class AssetTypeViewSet(_ReferenceViewSet):
    serializer_class = AssetTypeSerializer
    queryset = AssetType.objects.all()


@_listing("List the models of assets", AssetModelSerializer, AssetModelFilters)
class AssetModelViewSet(_ReferenceViewSet):
    serializer_class = AssetModelSerializer
    filter_class = AssetModelFilters

    def get_queryset(self) -> QuerySet[AssetModel]:
        return AssetModel.objects.select_related("asset_type")
