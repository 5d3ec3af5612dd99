"""What the API returns. Read-only: request bodies are parsed by `inputs`.

Objects carry small summaries of what they point at (a site's member id and name, its
kind's code and name…) so that a client lists them without one call per row; the views
fetch those with the same query (`with_list_related()`, `select_related`).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from mutualis.registry.models import (
    Asset,
    AssetModel,
    AssetStatusChange,
    AssetType,
    Commune,
    Departement,
    Epci,
    Member,
    Site,
    SiteKind,
)

from .fields import AssetStatusField


class _ReadOnly(serializers.ModelSerializer):
    """Every field read-only: these serializers never parse a body."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


# Summaries nested in other objects.
class RefSerializer(_ReadOnly):
    """A summary nested in other objects: a few plain columns (ids, codes, names) read
    straight from the instance. DRF's own to_representation walks the fields and calls two
    methods per field and row: with eight summaries per ticket, that was a quarter of the
    ticket API's list at a million tickets (docs/benchmarks-history.md). The fields and the schema
    stay DRF's (Meta.fields); only plain columns belong here, which
    tests/api/test_refs.py checks against DRF's own output."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {name: getattr(instance, name) for name in self.Meta.fields}


class MemberRefSerializer(RefSerializer):
    class Meta:
        model = Member
        fields = ["id", "name"]


class SiteRefSerializer(RefSerializer):
    class Meta:
        model = Site
        fields = ["id", "name"]


class CodeNameSerializer(RefSerializer):
    class Meta:
        fields = ["code", "name"]


class SiteKindRefSerializer(CodeNameSerializer):
    class Meta(CodeNameSerializer.Meta):
        model = SiteKind


class AssetTypeRefSerializer(CodeNameSerializer):
    class Meta(CodeNameSerializer.Meta):
        model = AssetType


class CommuneRefSerializer(CodeNameSerializer):
    class Meta(CodeNameSerializer.Meta):
        model = Commune


class DepartementRefSerializer(CodeNameSerializer):
    class Meta(CodeNameSerializer.Meta):
        model = Departement


class EpciRefSerializer(CodeNameSerializer):
    class Meta(CodeNameSerializer.Meta):
        model = Epci


class AssetModelRefSerializer(RefSerializer):
    class Meta:
        model = AssetModel
        fields = ["id", "manufacturer", "name"]


# The registry.
class MemberSerializer(_ReadOnly):
    insee_code = serializers.CharField(
        help_text="The commune's or département's INSEE code, or the EPCI's SIREN."
    )
    commune = CommuneRefSerializer(allow_null=True)
    epci = EpciRefSerializer(allow_null=True)
    departement = DepartementRefSerializer(allow_null=True)
    parent = MemberRefSerializer(allow_null=True)
    services = serializers.ManyRelatedField(
        child_relation=serializers.SlugRelatedField(slug_field="code", read_only=True),
        read_only=True,
        help_text="Codes of the services the member subscribes to.",
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "kind",
            "establishment_type",
            "siren",
            "siret",
            "insee_code",
            "commune",
            "epci",
            "departement",
            "parent",
            "joined_on",
            "left_on",
            "services",
            "created_at",
            "updated_at",
        ]


class SiteSerializer(_ReadOnly):
    member = MemberRefSerializer()
    kind = SiteKindRefSerializer()
    commune = CommuneRefSerializer()
    # Coordinates are numbers in JSON, as GeoJSON and map libraries expect them. The bounds
    # are the schema's: from the digits alone it said ±100 and ±1000, exclusive.
    latitude = serializers.DecimalField(
        max_digits=8, decimal_places=6, coerce_to_string=False, allow_null=True, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True, min_value=-180, max_value=180
    )

    class Meta:
        model = Site
        fields = [
            "id",
            "name",
            "code",
            "member",
            "kind",
            "address",
            "postal_code",
            "commune",
            "latitude",
            "longitude",
            "opening_hours",
            "phone",
            "is_active",
            "notes",
            "created_at",
            "updated_at",
        ]


class AssetSerializer(_ReadOnly):
    status = AssetStatusField()
    asset_type = AssetTypeRefSerializer()
    model = AssetModelRefSerializer(allow_null=True)
    site = SiteRefSerializer()
    member = MemberRefSerializer(source="site.member")

    class Meta:
        model = Asset
        fields = [
            "id",
            "inventory_tag",
            "serial_number",
            "label",
            "status",
            "status_changed_at",
            "asset_type",
            "model",
            "site",
            "member",
            "parent",
            "acquired_on",
            "acquisition_cost",
            "warranty_ends_on",
            "notes",
            "created_at",
            "updated_at",
        ]


class AssetStatusChangeSerializer(_ReadOnly):
    from_status = AssetStatusField(allow_null=True, help_text="Null on the first line of the history.")
    to_status = AssetStatusField()
    changed_by = serializers.CharField(
        source="changed_by.full_name", allow_null=True, help_text="Who made the change, when known."
    )

    class Meta:
        model = AssetStatusChange
        fields = ["id", "from_status", "to_status", "changed_at", "changed_by", "note"]

    def to_representation(self, instance: AssetStatusChange) -> dict[str, Any]:
        data = super().to_representation(instance)
        # The model stores "" where there was no previous status; JSON says that with null.
        data["from_status"] = data["from_status"] or None
        return data


# The territory and the operator's reference lists.
class DepartementSerializer(_ReadOnly):
    class Meta:
        model = Departement
        fields = ["code", "name", "region_code", "chef_lieu_code", "is_current"]


class EpciSerializer(_ReadOnly):
    class Meta:
        model = Epci
        fields = ["code", "name", "kind", "financing", "population", "commune_count", "is_current"]


class CommuneSerializer(_ReadOnly):
    departement = serializers.CharField(source="departement.code", help_text="Code of the département.")
    epci = serializers.CharField(source="epci.code", allow_null=True, help_text="SIREN of the EPCI.")
    ept = serializers.CharField(
        source="ept.code",
        allow_null=True,
        help_text="SIREN of the territorial body (EPT), in the Grand Paris.",
    )
    postal_codes = serializers.ListField(child=serializers.CharField())
    latitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, coerce_to_string=False, allow_null=True, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, coerce_to_string=False, allow_null=True, min_value=-180, max_value=180
    )

    class Meta:
        model = Commune
        fields = [
            "code",
            "name",
            "departement",
            "epci",
            "ept",
            "siren",
            "population",
            "postal_codes",
            "latitude",
            "longitude",
            "is_current",
        ]


class SiteKindSerializer(_ReadOnly):
    class Meta:
        model = SiteKind
        fields = ["code", "name", "description", "is_active"]


class AssetTypeSerializer(_ReadOnly):
    class Meta:
        model = AssetType
        fields = ["code", "name", "description", "expected_lifetime_months", "is_active"]


class AssetModelSerializer(_ReadOnly):
    asset_type = serializers.CharField(source="asset_type.code", help_text="Code of the type of asset.")

    class Meta:
        model = AssetModel
        fields = ["id", "asset_type", "manufacturer", "name"]
