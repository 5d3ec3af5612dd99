"""People in the back office: an operator admin manages the roles of their own operator's
people, and nothing of another operator's (no role there for anyone, not even themselves)."""

from __future__ import annotations

from typing import Any

import pytest

from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from tests.conftest import Cast
from tests.factories import MemberFactory, SiteFactory

pytestmark = pytest.mark.django_db

MEMBERSHIP_ADD = "/backoffice/people/membership/add/"


def _membership(**fields: Any) -> dict[str, Any]:
    data = {"user": "", "operator": "", "member": "", "role": "", "job_title": "", "is_active": "on"}
    data.update({name: str(value) for name, value in fields.items()})
    return data


def test_an_operator_admin_cannot_make_themselves_admin_of_another_operator(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    response = client.post(
        MEMBERSHIP_ADD,
        _membership(user=cast.adam.pk, operator=cast.other_operator.pk, role=Role.OPERATOR_ADMIN),
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Membership.objects.filter(user=cast.adam, operator=cast.other_operator).exists()
    # The form offers their own operator only, already chosen.
    page = client.get(MEMBERSHIP_ADD).content.decode()
    assert cast.operator.name in page
    assert cast.other_operator.name not in page


def test_an_operator_admin_cannot_give_a_role_at_another_operators_member(cast: Cast, as_user) -> None:
    foreign_member = MemberFactory(operator=cast.other_operator)
    response = as_user(cast.adam).post(
        MEMBERSHIP_ADD,
        _membership(
            user=cast.alice.pk, operator=cast.operator.pk, member=foreign_member.pk, role=Role.MEMBER_AGENT
        ),
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=cast.alice, member=foreign_member).exists()


def test_an_operator_admin_cannot_take_in_another_operators_person(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    response = client.post(
        MEMBERSHIP_ADD, _membership(user=cast.oscar.pk, operator=cast.operator.pk, role=Role.TECHNICIAN)
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=cast.oscar, operator=cast.operator).exists()
    # So oscar stays out of their reach: no page to change (or deactivate) him.
    change = client.get(f"/backoffice/people/user/{cast.oscar.pk}/change/")
    assert change.status_code == 302
    cast.oscar.refresh_from_db()
    assert cast.oscar.is_active


def test_a_site_contact_is_given_sites_of_their_member_only(cast: Cast, as_user) -> None:
    response = as_user(cast.adam).post(
        MEMBERSHIP_ADD,
        _membership(
            user=cast.charlie.pk, operator=cast.operator.pk, member=cast.member_a.pk, role=Role.SITE_CONTACT
        )
        | {"sites": str(cast.site_b.pk)},
    )
    assert response.status_code == 200
    assert "Nanterre" in response.content.decode()  # the error names the site that does not fit
    assert not Membership.objects.filter(user=cast.charlie, member=cast.member_a).exists()


def test_an_operator_admin_still_gives_roles_in_their_own_operator(cast: Cast, as_user) -> None:
    response = as_user(cast.adam).post(
        MEMBERSHIP_ADD,
        _membership(
            user=cast.charlie.pk, operator=cast.operator.pk, member=cast.member_a.pk, role=Role.SITE_CONTACT
        )
        | {"sites": str(cast.site_a.pk)},
    )
    assert response.status_code == 302
    added = Membership.objects.get(user=cast.charlie, member=cast.member_a)
    assert list(added.sites.all()) == [cast.site_a]


def _user_page(user: User, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, str]:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "phone": "",
        "language": "fr",
        "is_active": "on",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(initial),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data.update({f"memberships-{n}-{name}": str(value) for name, value in row.items()})
    return data


def test_a_role_added_on_a_persons_page_stays_in_the_operator(cast: Cast, as_user) -> None:
    response = as_user(cast.adam).post(
        f"/backoffice/people/user/{cast.alice.pk}/change/",
        _user_page(
            cast.alice,
            [
                {
                    "id": Membership.objects.get(user=cast.alice).pk,
                    "user": cast.alice.pk,
                    "role": Role.MEMBER_AGENT,
                    "member": cast.member_a.pk,
                    "operator": cast.operator.pk,
                    "is_active": "on",
                },
                {
                    "user": cast.alice.pk,
                    "role": Role.OPERATOR_ADMIN,
                    "operator": cast.other_operator.pk,
                    "is_active": "on",
                },
            ],
            initial=1,
        ),
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=cast.alice, operator=cast.other_operator).exists()


def test_the_roles_a_person_holds_elsewhere_are_not_shown_to_another_operator(cast: Cast, as_user) -> None:
    foreign_member = MemberFactory(operator=cast.other_operator, name="Commune de l’autre opérateur")
    SiteFactory(member=foreign_member)
    Membership.objects.create(
        user=cast.alice, member=foreign_member, role=Role.ELECTED, operator=cast.other_operator
    )
    page = as_user(cast.adam).get(f"/backoffice/people/user/{cast.alice.pk}/change/").content.decode()
    assert "Versailles" in page
    assert "Commune de l’autre opérateur" not in page


def test_a_new_person_is_given_a_role_or_not_created(cast: Cast, as_user) -> None:
    """Without a role nobody could find the account again (people are listed by their roles),
    and its email address could not be used for a new one."""
    client = as_user(cast.adam)
    newcomer = User(email="nouvelle@versailles.example", full_name="Nouvelle Personne")
    data = _user_page(newcomer, []) | {"password": "Bienvenue-Mutualis-2026"}
    refused = client.post("/backoffice/people/user/add/", data)
    assert refused.status_code == 200
    assert "Donnez-lui au moins un rôle" in refused.content.decode()
    assert not User.objects.filter(email="nouvelle@versailles.example").exists()

    row = {
        "role": Role.MEMBER_AGENT,
        "member": cast.member_a.pk,
        "operator": cast.operator.pk,
        "is_active": "on",
    }
    created = client.post(
        "/backoffice/people/user/add/", _user_page(newcomer, [row]) | {"password": "Bienvenue-Mutualis-2026"}
    )
    assert created.status_code == 302
    user = User.objects.get(email="nouvelle@versailles.example")
    assert client.get(f"/backoffice/people/user/{user.pk}/change/").status_code == 200


def test_no_button_beside_the_operator_adds_or_deletes_operators(cast: Cast, as_user) -> None:
    page = as_user(cast.adam).get(f"/backoffice/people/user/{cast.alice.pk}/change/").content.decode()
    assert 'id="id_memberships-0-operator"' in page
    for button in ("add", "change", "delete", "view"):
        assert f'id="{button}_id_memberships-0-operator"' not in page
