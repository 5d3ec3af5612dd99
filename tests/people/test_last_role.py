"""A person's last role is never taken away in the back office: without one they could still
log in, but no operator's admin could find them again (people are listed by their roles) to
deactivate them. The account is deactivated instead; roles held elsewhere count."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mutualis.people.models import Membership, User
from mutualis.people.roles import Role
from mutualis.people.services import LastRoleError, delete_memberships
from tests.conftest import Cast
from tests.factories import MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db

MEMBERSHIPS = "/backoffice/people/membership/"
LAST_ROLE = "Sans rôle, plus personne ne pourrait retrouver"


def _person_page(
    user: User, rows: list[Membership], *, delete: set[int], active: bool = True
) -> dict[str, str]:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "phone": "",
        "language": "fr",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(len(rows)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    if active:
        data["is_active"] = "on"
    for n, row in enumerate(rows):
        fields: dict[str, Any] = {
            "id": row.pk,
            "user": user.pk,
            "role": row.role,
            "member": row.member_id or "",
            "operator": row.operator_id,
            "job_title": row.job_title,
            "is_active": "on",
        }
        if row.pk in delete:
            fields["DELETE"] = "on"
        data.update({f"memberships-{n}-{name}": str(value) for name, value in fields.items()})
    return data


def _listed(client: Client, user: User) -> bool:
    return user in client.get("/backoffice/people/user/", {"q": user.email}).context["cl"].result_list


def test_the_last_role_is_not_removed_from_a_persons_page(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    role = Membership.objects.get(user=cast.alice)
    page = f"/backoffice/people/user/{cast.alice.pk}/change/"
    response = client.post(page, _person_page(cast.alice, [role], delete={role.pk}))
    assert response.status_code == 200
    assert "C’est son dernier rôle : désactivez le compte" in response.content.decode()
    assert Membership.objects.filter(pk=role.pk).exists()
    assert _listed(client, cast.alice)

    # What the message advises: the account is switched off, and stays in reach.
    response = client.post(page, _person_page(cast.alice, [role], delete=set(), active=False))
    assert response.status_code == 302
    cast.alice.refresh_from_db()
    assert not cast.alice.is_active
    assert _listed(client, cast.alice)


def test_a_role_goes_when_another_stays(cast: Cast, as_user) -> None:
    first = Membership.objects.get(user=cast.alice)
    second = MembershipFactory(user=cast.alice, member=cast.member_b, role=Role.ELECTED)
    response = as_user(cast.adam).post(
        f"/backoffice/people/user/{cast.alice.pk}/change/",
        _person_page(cast.alice, [first, second], delete={first.pk}),
    )
    assert response.status_code == 302
    assert list(Membership.objects.filter(user=cast.alice)) == [second]


def test_a_role_held_at_another_operator_counts(cast: Cast, as_user) -> None:
    """Alice also works for a member of oscar's operator: adam may take away the role she
    holds at his operator (she is then none of his business), and oscar still finds her."""
    elsewhere = MembershipFactory(
        user=cast.alice, member=MemberFactory(operator=cast.other_operator), role=Role.MEMBER_AGENT
    )
    here = Membership.objects.get(user=cast.alice, operator=cast.operator)
    adam = as_user(cast.adam)
    response = adam.post(
        f"/backoffice/people/user/{cast.alice.pk}/change/", _person_page(cast.alice, [here], delete={here.pk})
    )
    assert response.status_code == 302
    assert list(Membership.objects.filter(user=cast.alice)) == [elsewhere]
    assert not _listed(adam, cast.alice)
    assert _listed(as_user(cast.oscar), cast.alice)


def test_the_delete_page_of_a_last_role_says_why_instead_of_asking(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    role = Membership.objects.get(user=cast.alice)
    for ask in (client.get, client.post):
        response = ask(f"{MEMBERSHIPS}{role.pk}/delete/", {"post": "yes"}, follow=True)
        assert response.redirect_chain[0] == (f"{MEMBERSHIPS}{role.pk}/change/", 302)
        page = response.content.decode()
        assert LAST_ROLE in page
        assert "désactivez le compte" in page
    assert Membership.objects.filter(pk=role.pk).exists()


def test_the_delete_page_of_one_role_among_two_deletes_it(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    role = Membership.objects.get(user=cast.alice)
    MembershipFactory(user=cast.alice, member=cast.member_b, role=Role.ELECTED)
    assert client.get(f"{MEMBERSHIPS}{role.pk}/delete/").status_code == 200  # the confirmation
    assert client.post(f"{MEMBERSHIPS}{role.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=role.pk).exists()


def _bulk(client: Client, roles: list[Membership], *, confirm: bool) -> Any:
    data: dict[str, Any] = {"action": "delete_selected", "_selected_action": [r.pk for r in roles]}
    if confirm:
        data["post"] = "yes"
    return client.post(MEMBERSHIPS, data, follow=True)


def _errors(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


def test_deleting_selected_roles_keeps_everyones_last_one(cast: Cast, as_user) -> None:
    User.objects.filter(pk=cast.alice.pk).update(full_name="Alice Martin")
    User.objects.filter(pk=cast.charlie.pk).update(full_name="Charlie Dubois")
    cast.alice.refresh_from_db()
    cast.charlie.refresh_from_db()
    client = as_user(cast.adam)
    alice_first = Membership.objects.get(user=cast.alice)
    alice_second = MembershipFactory(user=cast.alice, member=cast.member_b, role=Role.ELECTED)
    charlie = Membership.objects.get(user=cast.charlie)
    for selected, stranded in (
        ([alice_first, alice_second], cast.alice),
        ([alice_first, charlie], cast.charlie),
    ):
        for confirm in (False, True):
            response = _bulk(client, selected, confirm=confirm)
            assert 'name="post"' not in response.content.decode()  # no confirmation asked
            [error] = _errors(response)
            assert LAST_ROLE in error
            # It names who would be left without a role, and no one else.
            assert stranded.full_name in error
            assert ({"Alice Martin", "Charlie Dubois"} - {stranded.full_name}).pop() not in error
    assert Membership.objects.filter(pk__in=[alice_first.pk, alice_second.pk, charlie.pk]).count() == 3

    # One of two roles of the same person: asked, confirmed, deleted.
    assert 'name="post"' in _bulk(client, [alice_first], confirm=False).content.decode()
    assert _errors(_bulk(client, [alice_first], confirm=True)) == []
    assert not Membership.objects.filter(pk=alice_first.pk).exists()


def test_a_role_is_not_handed_over_to_someone_else_when_it_is_the_last(cast: Cast, as_user) -> None:
    role = Membership.objects.get(user=cast.alice)
    response = as_user(cast.adam).post(
        f"{MEMBERSHIPS}{role.pk}/change/",
        {
            "user": cast.charlie.pk,
            "operator": cast.operator.pk,
            "member": cast.member_a.pk,
            "role": Role.MEMBER_AGENT,
            "job_title": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert LAST_ROLE in response.content.decode()
    role.refresh_from_db()
    assert role.user == cast.alice


def test_another_operators_admin_cannot_remove_the_roles(cast: Cast, as_user) -> None:
    oscar = as_user(cast.oscar)
    role = Membership.objects.get(user=cast.alice)
    MembershipFactory(user=cast.alice, member=cast.member_b, role=Role.ELECTED)  # deletable by adam
    # Django's answer for a row outside the admin's queryset: back to the index, "not found".
    assert oscar.get(f"{MEMBERSHIPS}{role.pk}/delete/").status_code == 302
    assert oscar.post(f"{MEMBERSHIPS}{role.pk}/delete/", {"post": "yes"}).status_code == 302
    _bulk(oscar, [role], confirm=True)
    page = oscar.post(
        f"/backoffice/people/user/{cast.alice.pk}/change/", _person_page(cast.alice, [role], delete={role.pk})
    )
    assert page.status_code == 302
    assert Membership.objects.filter(pk=role.pk).exists()
    assert Membership.objects.filter(user=cast.alice).count() == 2


def test_the_verb_deletes_nothing_when_someone_would_be_left_without_a_role(cast: Cast) -> None:
    alice = Membership.objects.get(user=cast.alice)
    charlie = Membership.objects.get(user=cast.charlie)
    token_holder = MembershipFactory(user=cast.charlie, member=cast.member_a, role=Role.ELECTED)
    with pytest.raises(LastRoleError) as refused:
        delete_memberships(membership_ids=[alice.pk, charlie.pk])
    assert refused.value.people == [cast.alice]
    assert Membership.objects.filter(pk__in=[alice.pk, charlie.pk]).count() == 2

    assert delete_memberships(membership_ids=[token_holder.pk]) == 1
    # A platform administrator needs no role to be found.
    cast.alice.is_superuser = True
    cast.alice.save()
    assert delete_memberships(membership_ids=[alice.pk]) == 1


def test_a_person_who_also_works_for_another_operator_is_not_deleted_from_here(cast: Cast, as_user) -> None:
    """Deleting the account would delete the roles oscar's operator gave them too."""
    MembershipFactory(user=cast.alice, member=MemberFactory(operator=cast.other_operator), role=Role.ELECTED)
    adam = as_user(cast.adam)
    page = f"/backoffice/people/user/{cast.alice.pk}/delete/"
    assert adam.post(page, {"post": "yes"}).status_code == 403
    adam.post(
        "/backoffice/people/user/",
        {"action": "delete_selected", "_selected_action": [cast.alice.pk], "post": "yes"},
    )
    assert Membership.objects.filter(user=cast.alice).count() == 2
    # A person of theirs alone, they may delete.
    assert adam.post(f"/backoffice/people/user/{cast.charlie.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=cast.charlie.pk).exists()


def test_the_account_of_a_person_shared_with_another_operator_is_not_rewritten_from_here(
    cast: Cast, as_user
) -> None:
    """Alice also works for a member of oscar's operator: adam renaming her, changing her
    address or locking her out would do it at oscar's operator too. He reads her account,
    and still manages the role she holds at his operator."""
    MembershipFactory(user=cast.alice, member=MemberFactory(operator=cast.other_operator), role=Role.ELECTED)
    here = Membership.objects.get(user=cast.alice, operator=cast.operator)
    adam = as_user(cast.adam)
    url = f"/backoffice/people/user/{cast.alice.pk}/change/"
    page = adam.get(url).content.decode()
    assert "également un rôle chez un autre opérateur" in page
    assert 'name="email"' not in page
    assert 'name="is_active"' not in page
    data = _person_page(cast.alice, [here], delete=set(), active=False)
    data.update({"email": "pris@ailleurs.example", "full_name": "Renommée", "memberships-0-job_title": "DGS"})
    response = adam.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    cast.alice.refresh_from_db()
    here.refresh_from_db()
    assert (cast.alice.email, cast.alice.is_active) == ("alice@versailles.example", True)
    assert cast.alice.full_name != "Renommée"
    assert here.job_title == "DGS"
    # A person of his operator alone, he edits.
    assert 'name="email"' in adam.get(f"/backoffice/people/user/{cast.charlie.pk}/change/").content.decode()


def test_deleting_a_member_does_not_take_someones_last_role_with_it(cast: Cast, as_user) -> None:
    member = MemberFactory(operator=cast.operator, name="Syndicat dissous")
    lone = MembershipFactory(member=member, role=Role.MEMBER_AGENT, user__full_name="Denise Seule")
    adam = as_user(cast.adam)
    page = adam.get(f"/backoffice/registry/member/{member.pk}/delete/").content.decode()
    assert "Denise Seule" in page
    assert "dernier rôle" in page
    adam.post(f"/backoffice/registry/member/{member.pk}/delete/", {"post": "yes"})
    adam.post(
        "/backoffice/registry/member/",
        {"action": "delete_selected", "_selected_action": [member.pk], "post": "yes"},
    )
    assert Membership.objects.filter(pk=lone.pk).exists()
    # Once she holds another role, the member goes, and her role there with it.
    MembershipFactory(user=lone.user, member=cast.member_a, role=Role.MEMBER_AGENT)
    response = adam.post(f"/backoffice/registry/member/{member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=lone.pk).exists()
    # Another operator's admin reaches neither the page nor the member.
    other = MemberFactory(operator=cast.operator, name="Autre syndicat")
    assert (
        as_user(cast.oscar)
        .post(f"/backoffice/registry/member/{other.pk}/delete/", {"post": "yes"})
        .status_code
        == 302
    )
    assert type(other).objects.filter(pk=other.pk).exists()
