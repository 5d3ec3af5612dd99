"""The summaries nested in API objects (`RefSerializer`) read their columns straight from the
instance: what they return must be exactly what DRF's own serializer returns, for every one."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from mutualis.people.models import User
from mutualis.registry.api import serializers as registry_serializers
from mutualis.registry.api.serializers import RefSerializer
from mutualis.registry.models import (
    Asset,
    AssetModel,
    AssetType,
    Commune,
    Departement,
    Epci,
    Member,
    Site,
    SiteKind,
)
from mutualis.servicedesk.api import serializers as desk_serializers  # noqa: F401 - registers the desk's refs
from mutualis.servicedesk.models import Category, IncidentType, Team

pytestmark = pytest.mark.django_db


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _instances(cast, desk) -> dict[type, object]:  # type: ignore[no-untyped-def]
    asset: Asset = desk.tablet
    model = AssetModel.objects.create(asset_type=asset.asset_type, manufacturer="Lenovo", name="Tab M10")
    user: User = cast.alice
    return {
        Member: cast.member_a,
        Site: desk.college,
        SiteKind: desk.college_kind,
        AssetType: asset.asset_type,
        AssetModel: model,
        Commune: Commune.objects.first() or desk.college.commune,
        Departement: Departement.objects.first(),
        Epci: Epci.objects.first(),
        User: user,
        Team: desk.team,
        IncidentType: desk.broken_screen,
        Category: desk.broken_screen.category,
    }


def test_every_summary_returns_what_drf_returns(cast, desk) -> None:  # type: ignore[no-untyped-def]
    instances = _instances(cast, desk)
    refs = [ref for ref in _subclasses(RefSerializer) if hasattr(ref.Meta, "model")]
    assert {ref.__name__ for ref in refs} >= {
        "MemberRefSerializer",
        "SiteRefSerializer",
        "SiteKindRefSerializer",
        "PersonRefSerializer",
        "TeamRefSerializer",
        "CategoryRefSerializer",
    }
    checked = 0
    for ref in refs:
        instance = instances.get(ref.Meta.model)
        if instance is None:  # a reference table the test cast does not fill
            continue
        fast = ref(instance).data
        slow = serializers.ModelSerializer.to_representation(ref(), instance)
        assert fast == slow, ref.__name__
        assert [type(v) for v in fast.values()] == [type(v) for v in slow.values()], ref.__name__
        checked += 1
    assert checked >= 10
    assert registry_serializers.MemberRefSerializer(cast.member_a).data == {
        "id": cast.member_a.pk,
        "name": cast.member_a.name,
    }
