"""Factories for the spine. Traits name the shapes tests need (an EPCI member, a site
contact, a retired asset…) instead of fixture dumps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from mutualis.registry.models import (
    Asset,
    AssetModel,
    AssetStatus,
    AssetStatusChange,
    AssetType,
    Commune,
    Departement,
    Epci,
    Member,
    MemberKind,
    Operator,
    Service,
    Site,
    SiteKind,
)

DEMO_PASSWORD = "Correct-Horse-42"


class DepartementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ("code",)

    code = "78"
    name = "Yvelines"
    region_code = "11"


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Epci

    code = factory.Sequence(lambda n: f"2000{n:05d}")
    name = factory.Sequence(lambda n: f"CA Test {n}")
    kind = "CA"


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("code",)

    # 78700-78999: clear of the real codes the cast uses (78646 Versailles, 92050 Nanterre).
    code = factory.Sequence(lambda n: f"78{n % 300 + 700:03d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    departement = factory.SubFactory(DepartementFactory)
    population = 5000
    postal_codes = factory.LazyAttribute(lambda o: [f"{o.code[:2]}{o.code[-3:]}"])
    latitude = Decimal("48.80000")
    longitude = Decimal("2.10000")


class OperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operator

    name = factory.Sequence(lambda n: f"Opérateur {n}")
    slug = factory.Sequence(lambda n: f"operator-{n}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    operator = factory.SubFactory(OperatorFactory)
    kind = MemberKind.COMMUNE
    commune = factory.SubFactory(CommuneFactory)
    name = factory.LazyAttribute(lambda o: o.commune.name if o.commune else "Membre")
    joined_on = dt.date(2020, 1, 1)

    class Params:
        epci_member = factory.Trait(
            kind=MemberKind.EPCI,
            commune=None,
            epci=factory.SubFactory(EpciFactory),
            name=factory.SelfAttribute("epci.name"),
        )
        departement_member = factory.Trait(
            kind=MemberKind.DEPARTEMENT,
            commune=None,
            departement=factory.SubFactory(DepartementFactory),
            name="Département des Yvelines",
        )
        establishment = factory.Trait(
            kind=MemberKind.ESTABLISHMENT, establishment_type="college", name="Collège Test"
        )


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("code",)

    code = "portail"
    name = "Portail et service desk"


class SiteKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteKind
        django_get_or_create = ("code",)

    code = "mairie"
    name = "Mairie"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    member = factory.SubFactory(MemberFactory)
    operator = factory.SelfAttribute("member.operator")
    kind = factory.SubFactory(SiteKindFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    commune = factory.LazyAttribute(lambda o: o.member.commune or CommuneFactory())
    address = "1 place de la Mairie"
    opening_hours = "Mo-Fr 08:30-12:00,13:30-17:30"


class AssetTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssetType
        django_get_or_create = ("code",)

    code = "tablette"
    name = "Tablette"
    expected_lifetime_months = 48


class AssetModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssetModel
        django_get_or_create = ("asset_type", "manufacturer", "name")

    asset_type = factory.SubFactory(AssetTypeFactory)
    manufacturer = "Lenovo"
    name = "Tab M10"


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset
        skip_postgeneration_save = True

    site = factory.SubFactory(SiteFactory)
    operator = factory.SelfAttribute("site.operator")
    asset_type = factory.SubFactory(AssetTypeFactory)
    inventory_tag = factory.Sequence(lambda n: f"INV-{n:06d}")
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    status = AssetStatus.IN_SERVICE
    status_changed_at = factory.LazyFunction(timezone.now)
    acquired_on = dt.date(2023, 9, 1)
    acquisition_cost = Decimal("289.00")
    warranty_ends_on = dt.date(2026, 9, 1)

    @factory.post_generation
    def history(obj: Asset, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            AssetStatusChange.objects.create(
                asset=obj, to_status=obj.status, changed_at=obj.status_changed_at
            )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Personne {n}")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def saved(obj: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    member = factory.SubFactory(MemberFactory)
    operator = factory.LazyAttribute(lambda o: o.member.operator if o.member else OperatorFactory())
    role = Role.MEMBER_AGENT

    class Params:
        operator_role = factory.Trait(member=None, role=Role.DESK_AGENT)
