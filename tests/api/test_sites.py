"""Sites: scoped lists and objects, filters, creation and changes through the verbs."""

from __future__ import annotations

import pytest

from mutualis.people.roles import Role
from mutualis.registry.models import Site
from tests.factories import (
    CommuneFactory,
    DepartementFactory,
    MemberFactory,
    MembershipFactory,
    SiteFactory,
    SiteKindFactory,
)

from .support import field_messages, ids, problem

pytestmark = pytest.mark.django_db


def _new_site(cast, **overrides):
    return {
        "member": cast.member_a.pk,
        "kind": "mairie",
        "name": "École Jules Ferry",
        "commune": "78646",
        "address": "2 rue de l'École",
        "postal_code": "78646",
        "opening_hours": "Mo-Fr 08:30-16:30",
        "latitude": 48.8049,
        "longitude": 2.1204,
        **overrides,
    }


# Reading: the tenancy door.


def test_lists_contain_exactly_the_scoped_sites(cast, api):
    other_operator_site = SiteFactory(member=MemberFactory(operator=cast.other_operator))
    assert ids(api(cast.alice).get("sites/")) == [cast.site_a.pk]
    assert ids(api(cast.bob).get("sites/")) == [cast.site_a.pk]
    assert ids(api(cast.charlie).get("sites/")) == [cast.site_b.pk]
    assert ids(api(cast.olivia).get("sites/")) == sorted([cast.site_a.pk, cast.site_b.pk])
    assert ids(api(cast.oscar).get("sites/")) == [other_operator_site.pk]


def test_a_site_contact_sees_only_their_sites(cast, api):
    second_site = SiteFactory(member=cast.member_a, name="École")
    contact = MembershipFactory(member=cast.member_a, role=Role.SITE_CONTACT)
    contact.sites.add(second_site)
    assert ids(api(contact.user).get("sites/")) == [second_site.pk]
    problem(api(contact.user).get(f"sites/{cast.site_a.pk}/"), 404)


def test_a_site_shows_summaries_of_what_it_points_at(cast, api):
    response = api(cast.alice).get(f"sites/{cast.site_a.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["member"] == {"id": cast.member_a.pk, "name": cast.member_a.name}
    assert body["kind"] == {"code": "mairie", "name": "Mairie"}
    assert body["commune"] == {"code": "78646", "name": "Versailles"}
    assert body["opening_hours"] == "Mo-Fr 08:30-12:00,13:30-17:30"


def test_outsiders_get_the_404_of_a_missing_site(cast, api):
    missing = problem(api(cast.alice).get("sites/999999/"), 404)
    assert problem(api(cast.charlie).get(f"sites/{cast.site_a.pk}/"), 404) == missing
    assert problem(api(cast.oscar).get(f"sites/{cast.site_a.pk}/"), 404) == missing


# Filters.


def test_filters_by_member_kind_commune_departement_and_text(cast, api):
    school = SiteFactory(
        member=cast.member_a, name="Collège Rameau", kind=SiteKindFactory(code="college", name="Collège")
    )
    val_d_oise = DepartementFactory(code="95", name="Val-d'Oise")
    pontoise = SiteFactory(
        member=MemberFactory(
            operator=cast.operator, commune=CommuneFactory(code="95500", departement=val_d_oise)
        )
    )
    olivia = api(cast.olivia)
    assert ids(olivia.get("sites/", {"member": cast.member_b.pk})) == [cast.site_b.pk]
    assert ids(olivia.get("sites/", {"kind": "college"})) == [school.pk]
    assert ids(olivia.get("sites/", {"commune": "92050"})) == [cast.site_b.pk]
    assert ids(olivia.get("sites/", {"departement": "95"})) == [pontoise.pk]
    assert ids(olivia.get("sites/", {"q": "rameau"})) == [school.pk]


def test_filters_by_update_time(cast, api):
    olivia = api(cast.olivia)
    assert ids(olivia.get("sites/", {"updated_since": "2000-01-01T00:00:00Z"})) == sorted(
        [cast.site_a.pk, cast.site_b.pk]
    )
    assert ids(olivia.get("sites/", {"updated_since": "2199-01-01T00:00:00Z"})) == []


def test_a_foreign_member_filter_reads_like_an_unknown_one(cast, api):
    foreign = problem(api(cast.alice).get("sites/", {"member": cast.member_b.pk}), 400)
    unknown = problem(api(cast.alice).get("sites/", {"member": 999999}), 400)
    assert field_messages(foreign, "member") == field_messages(unknown, "member") == ["No such member."]


def test_unknown_filter_values_are_refused(cast, api):
    body = problem(api(cast.olivia).get("sites/", {"kind": "castle"}), 400)
    assert field_messages(body, "kind") == ["No kind of site has the code “castle”."]
    body = problem(api(cast.olivia).get("sites/", {"commune": "00000"}), 400)
    assert field_messages(body, "commune") == ["No commune has the INSEE code “00000”."]
    body = problem(api(cast.olivia).get("sites/", {"updated_since": "yesterday"}), 400)
    assert field_messages(body, "updated_since")


# Creating.


def test_an_operator_admin_creates_a_site_through_the_verb(cast, api):
    response = api(cast.adam).post("sites/", _new_site(cast))
    assert response.status_code == 201, response.content
    body = response.json()
    site = Site.objects.get(pk=body["id"])
    assert response["Location"].endswith(f"/api/v1/sites/{site.pk}/")
    assert site.member == cast.member_a
    assert site.operator == cast.operator
    assert body["member"] == {"id": cast.member_a.pk, "name": cast.member_a.name}
    assert body["latitude"] == 48.8049


@pytest.mark.parametrize(
    ("overrides", "field_name", "message"),
    [
        ({"commune": "92050"}, "commune", "Nanterre (92050) is outside the territory of Versailles."),
        ({"opening_hours": "Mo-Fr 25:00-26:00"}, "opening_hours", ""),
        ({"postal_code": "78000"}, "postal_code", "78000 is not a postal code of Versailles (78646)."),
        ({"longitude": None}, "longitude", "Give both latitude and longitude, or neither."),
        (
            {"kind": "castle"},
            "kind",
            "No kind of site in use has the code “castle” (see /api/v1/site-kinds/).",
        ),
    ],
)
def test_the_registry_rules_apply_to_api_writes(cast, api, overrides, field_name, message):
    body = problem(api(cast.adam).post("sites/", _new_site(cast, **overrides)), 400)
    assert body["type"].endswith("/validation")
    messages = field_messages(body, field_name)
    assert messages, body
    if message:
        assert messages == [message]
    assert not Site.objects.filter(name="École Jules Ferry").exists()


def test_a_site_for_another_operators_member_is_no_such_member(cast, api):
    foreign = MemberFactory(
        operator=cast.other_operator, commune=CommuneFactory(code="78800", name="Ailleurs")
    )
    for member_id in (foreign.pk, 999999):
        body = problem(api(cast.adam).post("sites/", _new_site(cast, member=member_id)), 400)
        assert field_messages(body, "member") == ["No such member."]
    assert not Site.objects.filter(member=foreign).exists()


@pytest.mark.parametrize(
    ("who", "can_write", "reason"),
    [
        ("alice", True, "Your role (member agent) does not allow creating sites."),
        ("charlie", True, "Your role (member agent) does not allow creating sites."),
        ("bob", True, "Your role (elected official (read-only)) gives read-only access."),
        ("olivia", True, "Your role (service-desk agent) does not allow creating sites."),
        (
            "adam",
            False,
            "This API token is read-only; create a token that allows changes on your account page.",
        ),
    ],
)
def test_refused_creations_say_why(cast, api, who, can_write, reason):
    body = problem(api(getattr(cast, who), can_write=can_write).post("sites/", _new_site(cast)), 403)
    assert body["detail"] == reason
    assert not Site.objects.filter(name="École Jules Ferry").exists()


# Changing.


def test_an_operator_admin_changes_a_site(cast, api):
    response = api(cast.adam).patch(
        f"sites/{cast.site_a.pk}/", {"name": "Hôtel de ville", "phone": "01 30 97 80 00"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Hôtel de ville"
    cast.site_a.refresh_from_db()
    assert (cast.site_a.name, cast.site_a.phone) == ("Hôtel de ville", "01 30 97 80 00")


def test_changes_are_checked_like_creations(cast, api):
    body = problem(
        api(cast.adam).patch(f"sites/{cast.site_a.pk}/", {"opening_hours": "Lu-Ve sur rendez-vous"}), 400
    )
    assert field_messages(body, "opening_hours")
    # Hours written the French way are understood, and kept in OpenStreetMap syntax.
    response = api(cast.adam).patch(f"sites/{cast.site_a.pk}/", {"opening_hours": "Lu-Ve 8h-17h"})
    assert response.status_code == 200, response.content
    assert response.json()["opening_hours"] == "Mo-Fr 08:00-17:00"
    body = problem(api(cast.adam).patch(f"sites/{cast.site_a.pk}/", {"commune": "92050"}), 400)
    assert field_messages(body, "commune") == ["Nanterre (92050) is outside the territory of Versailles."]
    cast.site_a.refresh_from_db()
    assert cast.site_a.commune.code == "78646"


def test_a_site_cannot_change_member_nor_take_unknown_fields(cast, api):
    body = problem(api(cast.adam).patch(f"sites/{cast.site_a.pk}/", {"member": cast.member_b.pk}), 400)
    assert field_messages(body, "member") == [
        "A site stays with its member: its assets, contacts and tickets belong to that member."
    ]
    body = problem(api(cast.adam).patch(f"sites/{cast.site_a.pk}/", {"nmae": "Typo"}), 400)
    assert field_messages(body, "nmae")[0].startswith("Unknown name; the accepted ones are: address, code,")


def test_outsiders_cannot_change_a_site_they_cannot_see(cast, api):
    charlie = problem(api(cast.charlie).patch(f"sites/{cast.site_a.pk}/", {"name": "Pris"}), 404)
    oscar = problem(api(cast.oscar).patch(f"sites/{cast.site_a.pk}/", {"name": "Pris"}), 404)
    assert charlie == oscar == problem(api(cast.adam).patch("sites/999999/", {"name": "Pris"}), 404)
    cast.site_a.refresh_from_db()
    assert cast.site_a.name == "Mairie de Versailles"


def test_members_read_their_sites_but_do_not_change_them(cast, api):
    body = problem(api(cast.alice).patch(f"sites/{cast.site_a.pk}/", {"name": "Pris"}), 403)
    assert body["detail"] == "Your role (member agent) does not allow changing sites."
    body = problem(api(cast.bob).patch(f"sites/{cast.site_a.pk}/", {"name": "Pris"}), 403)
    assert body["detail"] == "Your role (elected official (read-only)) gives read-only access."


def test_sites_are_not_replaced_nor_deleted(cast, api):
    response = api(cast.adam).put(f"sites/{cast.site_a.pk}/", _new_site(cast))
    problem(response, 405)
    assert "PATCH" in response["Allow"]
    problem(api(cast.adam).delete(f"sites/{cast.site_a.pk}/"), 405)
    assert Site.objects.filter(pk=cast.site_a.pk).exists()


# Cost.


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_for_3_and_30_sites(cast, api, django_assert_max_num_queries, rows):
    for _ in range(rows - 1):
        SiteFactory(member=cast.member_a)
    olivia = api(cast.olivia)
    # Token lookup, last-used stamp, the page.
    with django_assert_max_num_queries(3):
        response = olivia.get("sites/", {"limit": 100})
    assert len(response.json()["results"]) == rows + 1


def test_a_members_site_references_are_unique_but_may_be_empty(cast, api):
    adam = api(cast.adam)
    assert adam.post("sites/", _new_site(cast, name="Annexe 1")).status_code == 201
    assert adam.post("sites/", _new_site(cast, name="Annexe 2", code="")).status_code == 201
    assert adam.post("sites/", _new_site(cast, name="École A", code="0781234A")).status_code == 201
    problem(adam.post("sites/", _new_site(cast, name="École B", code="0781234A")), 400)
    problem(adam.patch(f"sites/{cast.site_a.pk}/", {"code": "0781234A"}), 400)
    assert list(Site.objects.filter(code="0781234A").values_list("name", flat=True)) == ["École A"]


def test_another_operators_admin_cannot_create_a_site_for_our_member(cast, api):
    body = problem(api(cast.oscar).post("sites/", _new_site(cast)), 400)
    assert field_messages(body, "member") == ["No such member."]
    assert not Site.objects.filter(name="École Jules Ferry").exists()
