"""Query parameters of the list endpoints.

Each filter set parses `request.query_params` like a body (an unknown name or value is a
400 naming it) and applies itself to a queryset that already went through the tenancy
door. The filters the registry pages also offer are applied by `registry.selectors`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from mutualis.lib.search import folded_contains
from mutualis.registry import selectors
from mutualis.registry.models import (
    Asset,
    AssetType,
    Commune,
    Departement,
    Epci,
    Member,
    MemberKind,
    Service,
    Site,
    SiteKind,
)

from .fields import (
    AssetStatusField,
    KnownFieldsMixin,
    ScopedFieldsMixin,
    StrictChoiceField,
    code_field,
    scoped_id_field,
    updated_since_field,
)

_DEPARTEMENT = _("No département has the code “{value}”.")
_COMMUNE = _("No commune has the INSEE code “{value}”.")


def _search() -> Any:
    return serializers.CharField(required=False, max_length=100, help_text="Text to look for.")


def _updated_since() -> Any:
    return updated_since_field(
        help_text="Only rows changed at or after this ISO 8601 time, e.g. 2025-01-31T08:00:00Z."
    )


class ListFilters(KnownFieldsMixin, ScopedFieldsMixin, serializers.Serializer):
    """Filters of one list; the paging parameters are read by the paginator."""

    also_allowed = frozenset({"cursor", "limit"})

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The filtered queryset; a list with no filters returns it unchanged."""
        return queryset


class MemberFilters(ListFilters):
    kind = StrictChoiceField(choices=MemberKind.choices, required=False)
    departement = code_field(
        Departement.objects.all(),
        _DEPARTEMENT,
        required=False,
        help_text="Members of this département (code).",
    )
    service = code_field(
        Service.objects.all(),
        _("No service has the code “{value}”."),
        required=False,
        help_text="Members subscribing to this service (code).",
    )
    q = _search()
    updated_since = _updated_since()

    def apply(self, queryset: QuerySet[Member]) -> QuerySet[Member]:
        data = self.validated_data
        queryset = selectors.filter_members(queryset, data)
        if "updated_since" in data:
            queryset = queryset.filter(updated_at__gte=data["updated_since"])
        return queryset


class SiteFilters(ListFilters):
    member = scoped_id_field(Member, _("No such member."), required=False, help_text="Id of the member.")
    kind = code_field(
        SiteKind.objects.all(),
        _("No kind of site has the code “{value}”."),
        required=False,
        help_text="Code of the kind of site.",
    )
    commune = code_field(
        Commune.objects.all(), _COMMUNE, required=False, help_text="INSEE code of the commune."
    )
    departement = code_field(
        Departement.objects.all(), _DEPARTEMENT, required=False, help_text="Code of the département."
    )
    q = _search()
    updated_since = _updated_since()

    def apply(self, queryset: QuerySet[Site]) -> QuerySet[Site]:
        data = self.validated_data
        queryset = selectors.filter_sites(queryset, data)
        if "commune" in data:
            queryset = queryset.filter(commune=data["commune"])
        if "updated_since" in data:
            queryset = queryset.filter(updated_at__gte=data["updated_since"])
        return queryset


class AssetFilters(ListFilters):
    asset_type = code_field(
        AssetType.objects.all(),
        _("No type of asset has the code “{value}”."),
        required=False,
        help_text="Code of the type of asset.",
    )
    status = AssetStatusField(required=False)
    site = scoped_id_field(Site, _("No such site."), required=False, help_text="Id of the site.")
    member = scoped_id_field(Member, _("No such member."), required=False, help_text="Id of the member.")
    site_kind = code_field(
        SiteKind.objects.all(),
        _("No kind of site has the code “{value}”."),
        required=False,
        help_text="Code of the kind of site the asset stands at.",
    )
    warranty = StrictChoiceField(
        choices=[("running", _("under warranty")), ("expired", _("warranty expired"))], required=False
    )
    inventory_tag = serializers.CharField(required=False, max_length=64, help_text="Exact inventory tag.")
    serial_number = serializers.CharField(required=False, max_length=128, help_text="Exact serial number.")
    q = _search()
    updated_since = _updated_since()

    def apply(self, queryset: QuerySet[Asset]) -> QuerySet[Asset]:
        data = self.validated_data
        queryset = selectors.filter_assets(queryset, data)
        # Exact matches: both columns are indexed, and a technician types what is printed.
        if "inventory_tag" in data:
            queryset = queryset.filter(inventory_tag=data["inventory_tag"])
        if "serial_number" in data:
            queryset = queryset.filter(serial_number=data["serial_number"])
        if "updated_since" in data:
            queryset = queryset.filter(updated_at__gte=data["updated_since"])
        return queryset


class EpciFilters(ListFilters):
    q = serializers.CharField(required=False, max_length=100, help_text="Part of the name, or the SIREN.")

    def apply(self, queryset: QuerySet[Epci]) -> QuerySet[Epci]:
        q = self.validated_data.get("q")
        return queryset.filter(folded_contains("name", q) | Q(code=q)) if q else queryset


class CommuneFilters(ListFilters):
    departement = code_field(
        Departement.objects.all(), _DEPARTEMENT, required=False, help_text="Code of the département."
    )
    epci = code_field(
        Epci.objects.all(),
        _("No EPCI has the SIREN “{value}”."),
        required=False,
        help_text="SIREN of the EPCI (or EPT) the commune belongs to.",
    )
    q = serializers.CharField(
        required=False, max_length=100, help_text="Part of the name, or the INSEE code."
    )

    def apply(self, queryset: QuerySet[Commune]) -> QuerySet[Commune]:
        data = self.validated_data
        if "departement" in data:
            queryset = queryset.filter(departement=data["departement"])
        if "epci" in data:
            # As for members' territories: a Grand Paris commune belongs to its EPT too.
            queryset = queryset.filter(Q(epci=data["epci"]) | Q(ept=data["epci"]))
        if data.get("q"):
            queryset = queryset.filter(folded_contains("name", data["q"]) | Q(code=data["q"]))
        return queryset


class AssetModelFilters(ListFilters):
    asset_type = code_field(
        AssetType.objects.all(),
        _("No type of asset has the code “{value}”."),
        required=False,
        help_text="Code of the type of asset.",
    )

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if "asset_type" in self.validated_data:
            queryset = queryset.filter(asset_type=self.validated_data["asset_type"])
        return queryset
