"""API tokens on one's account page: shown once, kept out of caches, revocable for good, and
bound to the person and member of the role they were issued for."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mutualis.people.models import ApiToken, Membership
from tests.conftest import Cast
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_secret_is_shown_once_and_kept_out_of_caches(cast: Cast, as_user) -> None:
    client = as_user(cast.alice)
    created = client.post("/accounts/profile/tokens/", {"name": "Script d’inventaire"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    page = created.content.decode()
    secrets = re.findall(r"mut_[0-9a-f]{12}_[\w-]{20,}", page)
    assert len(secrets) == 1  # in the box to copy it from, not repeated in the example
    token = ApiToken.objects.get(name="Script d’inventaire")
    assert f"Authorization: Bearer mut_{token.key_id}_…" in page
    assert secrets[0] not in client.get("/accounts/profile/").content.decode()


def test_a_read_only_role_is_offered_no_box_that_would_do_nothing(cast: Cast, as_user) -> None:
    client = as_user(cast.bob)  # elected official: read-only
    page = client.get("/accounts/profile/").content.decode()
    assert 'name="can_write"' not in page
    assert "Votre rôle est en lecture seule : le jeton le sera aussi." in page
    client.post("/accounts/profile/tokens/", {"name": "Tableau de bord", "can_write": "on"})
    assert ApiToken.objects.get(name="Tableau de bord").can_write is False
    # A role that may write still chooses.
    assert 'name="can_write"' in as_user(cast.alice).get("/accounts/profile/").content.decode()


def test_each_revoke_button_names_its_token(cast: Cast, as_user) -> None:
    client = as_user(cast.alice)
    client.post("/accounts/profile/tokens/", {"name": "Inventaire"})
    page = client.get("/accounts/profile/").content.decode()
    assert 'aria-label="Révoquer Inventaire">Révoquer</button>' in page


def _change_membership(client: Client, membership: Membership, **changes: object) -> None:
    data = {
        "user": membership.user_id,
        "operator": membership.operator_id,
        "member": membership.member_id or "",
        "role": membership.role,
        "job_title": membership.job_title,
        "is_active": "on",
    }
    data.update(changes)
    response = client.post(f"/backoffice/people/membership/{membership.pk}/change/", data)
    errors = re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    assert response.status_code == 302, errors


def test_handing_a_role_to_someone_else_ends_the_tokens_issued_for_it(cast: Cast, as_user) -> None:
    """Alice leaves the town hall and her role goes to her successor: the script she kept
    must not go on working, now in her successor's name."""
    MembershipFactory(user=cast.alice, member=cast.member_b)  # she keeps a role elsewhere
    role = Membership.objects.get(user=cast.alice, member=cast.member_a)
    _token, clear = ApiToken.issue(membership=role, name="Script d’Alice", can_write=True)
    # Her successor already works for the operator (the back office offers only its people).
    successor = MembershipFactory(member=cast.member_b, user__email="dora@versailles.example").user
    _change_membership(as_user(cast.adam), role, user=successor.pk)
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert response.status_code == 401
    assert not ApiToken.objects.filter(membership=role).exists()  # nor listed on Dora's page
    # The successor issues their own.
    _new, mine = ApiToken.issue(membership=role, name="Script de Dora")
    me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {mine}")
    assert me.json()["user"]["email"] == "dora@versailles.example"


def test_moving_a_role_to_another_member_ends_its_tokens(cast: Cast, as_user) -> None:
    """A token was made to act for one member: it must not start acting for another."""
    role = Membership.objects.get(user=cast.alice, member=cast.member_a)
    _token, clear = ApiToken.issue(membership=role, name="Inventaire")
    _change_membership(as_user(cast.adam), role, member=cast.member_b.pk)
    response = Client().get(f"/api/v1/sites/{cast.site_b.pk}/", HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert response.status_code == 401
    # Changing anything else of the role (here its title) keeps its tokens.
    _kept, still = ApiToken.issue(membership=role, name="Inventaire 2")
    role.refresh_from_db()
    _change_membership(as_user(cast.adam), role, job_title="Secrétaire de mairie")
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {still}").status_code == 200


def test_the_scheme_name_is_case_insensitive(cast: Cast) -> None:
    """RFC 9110 11.1: "bearer" is "Bearer"; some HTTP clients send it in lower case."""
    membership = Membership.objects.get(user=cast.alice)
    _token, clear = ApiToken.issue(membership=membership, name="Script")
    for scheme in ("bearer", "BEARER"):
        response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"{scheme} {clear}")
        assert response.status_code == 200, scheme
        assert response.json()["authentication"] == "token"


def test_a_revoked_token_cannot_be_revived_in_the_back_office(cast: Cast, as_user) -> None:
    """Revoked because it leaked, perhaps: clearing the date would bring the leaked secret back."""
    membership = Membership.objects.get(user=cast.alice)
    token, clear = ApiToken.issue(membership=membership, name="Fuité")
    as_user(cast.alice).post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    client = as_user(cast.adam)
    page = client.get(f"/backoffice/people/apitoken/{token.pk}/change/").content.decode()
    assert 'name="revoked_at' not in page
    client.post(
        f"/backoffice/people/apitoken/{token.pk}/change/",
        {
            "name": "Fuité",
            "can_write": "on",
            "expires_at_0": "",
            "expires_at_1": "",
            "revoked_at_0": "",
            "revoked_at_1": "",
        },
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {clear}").status_code == 401
