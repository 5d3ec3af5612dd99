"""Request bodies of the registry API.

They parse and check types, references and scope; the rules of the registry (a site's
commune inside its member's territory, opening hours, postal codes, inventory tags, the
asset life cycle) are checked by the verbs of `mutualis.registry.services`, which the
views call with `validated_data`. Never call `save()` on these serializers.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from mutualis.registry.models import Asset, AssetModel, AssetType, Commune, Member, Site, SiteKind

from .fields import (
    AssetStatusField,
    IdField,
    KnownFieldsMixin,
    ScopedFieldsMixin,
    StrictChoiceField,
    code_field,
    scoped_id_field,
)


class _Input(KnownFieldsMixin, ScopedFieldsMixin, serializers.ModelSerializer):
    serializer_choice_field = StrictChoiceField


class SiteChangeSerializer(_Input):
    kind = code_field(
        SiteKind.objects.filter(is_active=True),
        _("No kind of site in use has the code “{value}” (see /api/v1/site-kinds/)."),
        help_text="Code of the kind of site (see /api/v1/site-kinds/).",
    )
    commune = code_field(
        Commune.objects.current(),
        _("No current commune has the INSEE code “{value}”."),
        help_text="INSEE code of the commune; it must lie in the member's territory.",
    )
    # Numbers in JSON, as in responses; at most the 6 decimals stored (about 10 cm).
    latitude = serializers.DecimalField(
        max_digits=8,
        decimal_places=6,
        min_value=Decimal(-90),
        max_value=Decimal(90),
        coerce_to_string=False,
        required=False,
        allow_null=True,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-180),
        max_value=Decimal(180),
        coerce_to_string=False,
        required=False,
        allow_null=True,
    )

    refused_fields = {
        "member": _("A site stays with its member: its assets, contacts and tickets belong to that member."),
    }

    class Meta:
        model = Site
        fields = [
            "kind",
            "name",
            "code",
            "address",
            "postal_code",
            "commune",
            "latitude",
            "longitude",
            "opening_hours",
            "phone",
            "is_active",
            "notes",
        ]


class SiteCreateSerializer(SiteChangeSerializer):
    member = scoped_id_field(Member, _("No such member."), help_text="Id of the member the site belongs to.")

    refused_fields = {}

    class Meta(SiteChangeSerializer.Meta):
        fields = ["member", *SiteChangeSerializer.Meta.fields]
        # The (member, reference) uniqueness is the model's: create_site checks it, as
        # update_site does, so both answer with the same message.
        validators: list[object] = []


class AssetChangeSerializer(_Input):
    site = scoped_id_field(Site, _("No such site."), help_text="Id of the site where the asset stands.")
    asset_type = code_field(
        AssetType.objects.filter(is_active=True),
        _("No type of asset in use has the code “{value}” (see /api/v1/asset-types/)."),
        help_text="Code of the type of asset (see /api/v1/asset-types/).",
    )
    model = IdField(
        queryset=AssetModel.objects.all(),
        allow_null=True,
        required=False,
        error_messages={
            "does_not_exist": _("No such model (see /api/v1/asset-models/)."),
            "incorrect_type": _("No such model (see /api/v1/asset-models/)."),
        },
        help_text="Id of the manufacturer's model (see /api/v1/asset-models/).",
    )
    parent = scoped_id_field(
        Asset,
        _("No such asset."),
        allow_null=True,
        required=False,
        help_text="Id of the equipment this one is part of.",
    )

    refused_fields = {
        "status": _("The status changes through POST /api/v1/assets/{id}/status/, which keeps the history."),
    }

    class Meta:
        model = Asset
        fields = [
            "site",
            "asset_type",
            "model",
            "inventory_tag",
            "serial_number",
            "label",
            "acquired_on",
            "acquisition_cost",
            "warranty_ends_on",
            "parent",
            "notes",
        ]


class AssetCreateSerializer(AssetChangeSerializer):
    status = AssetStatusField(required=False, help_text="The first status; in_service when not given.")
    note = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Note on the first line of the status history.",
    )

    refused_fields = {}

    class Meta(AssetChangeSerializer.Meta):
        fields = [*AssetChangeSerializer.Meta.fields, "status", "note"]


class AssetStatusSerializer(KnownFieldsMixin, serializers.Serializer):
    status = AssetStatusField(help_text="The new status.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
