"""Members: kinds, territory, parents, identifiers."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mutualis.registry.identifiers import validate_siren, validate_siret
from mutualis.registry.models import Member
from tests.conftest import Cast
from tests.factories import CommuneFactory, EpciFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("siren", ["217806462", "229200506", "200058782"])
def test_real_sirens_are_valid(siren: str) -> None:
    validate_siren(siren)


@pytest.mark.parametrize("siren", ["217806463", "12345678", "ABCDEFGHI"])
def test_bad_sirens_are_refused(siren: str) -> None:
    with pytest.raises(ValidationError):
        validate_siren(siren)


def test_siret_check_digit_and_la_poste_exception() -> None:
    validate_siret("21780646200016")
    validate_siret("35600000000042")
    with pytest.raises(ValidationError):
        validate_siret("21780646200018")


def test_epci_member_territory_is_its_communes(cast: Cast) -> None:
    epci = EpciFactory()
    inside = CommuneFactory(epci=epci)
    member = MemberFactory(operator=cast.operator, epci_member=True, epci=epci)
    assert member.covers(inside)
    assert not member.covers(cast.member_a.commune)
    assert member.insee_code == epci.code


def test_establishment_covers_its_parents_territory(cast: Cast) -> None:
    dep = MemberFactory(operator=cast.operator, departement_member=True)
    college = MemberFactory(
        operator=cast.operator,
        establishment=True,
        commune=cast.member_a.commune,
        parent=dep,
        name="Collège Hoche",
    )
    college.full_clean()
    assert college.covers(cast.member_b.commune) is False  # Nanterre is in 92, the parent is 78
    assert college.covers(cast.member_a.commune)


def test_parent_rules(cast: Cast) -> None:
    cast.member_a.parent = cast.member_b  # a commune cannot be a commune's parent
    with pytest.raises(ValidationError) as error:
        cast.member_a.full_clean()
    assert "parent" in error.value.message_dict
    epci = MemberFactory(operator=cast.other_operator, epci_member=True)
    cast.member_a.parent = epci
    with pytest.raises(ValidationError):
        cast.member_a.full_clean()


def test_one_member_per_commune_per_operator(cast: Cast) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            operator=cast.operator, kind="commune", commune=cast.member_a.commune, name="Doublon"
        )
    # Another operator may count the same commune among its members.
    Member.objects.create(
        operator=cast.other_operator, kind="commune", commune=cast.member_a.commune, name="Versailles"
    )


def test_kind_needs_its_territory(cast: Cast) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(operator=cast.operator, kind="epci", name="EPCI sans code")
    member = Member(operator=cast.operator, kind="epci", name="EPCI sans code")
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "epci" in error.value.message_dict
