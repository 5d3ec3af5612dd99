"""Members: read-only, scoped, filtered."""

from __future__ import annotations

import pytest

from mutualis.registry.models import MemberService
from tests.factories import CommuneFactory, DepartementFactory, MemberFactory, ServiceFactory

from .support import field_messages, ids, problem

pytestmark = pytest.mark.django_db


def test_lists_contain_exactly_the_scoped_members(cast, api):
    other_operator_member = MemberFactory(operator=cast.other_operator)
    assert ids(api(cast.alice).get("members/")) == [cast.member_a.pk]
    assert ids(api(cast.bob).get("members/")) == [cast.member_a.pk]
    assert ids(api(cast.charlie).get("members/")) == [cast.member_b.pk]
    assert ids(api(cast.olivia).get("members/")) == sorted([cast.member_a.pk, cast.member_b.pk])
    assert ids(api(cast.oscar).get("members/")) == [other_operator_member.pk]


def test_a_member_shows_its_territory_and_services(cast, api):
    MemberService.objects.create(member=cast.member_a, service=ServiceFactory())
    response = api(cast.alice).get(f"members/{cast.member_a.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["kind"], body["insee_code"]) == ("Versailles", "commune", "78646")
    assert body["commune"] == {"code": "78646", "name": "Versailles"}
    assert body["services"] == ["portail"]
    assert body["epci"] is None


def test_outsiders_get_the_404_of_a_missing_member(cast, api):
    missing = problem(api(cast.alice).get("members/999999/"), 404)
    assert problem(api(cast.charlie).get(f"members/{cast.member_a.pk}/"), 404) == missing
    assert problem(api(cast.oscar).get(f"members/{cast.member_a.pk}/"), 404) == missing


def test_filters_by_kind_departement_service_and_text(cast, api):
    essonne = DepartementFactory(code="91", name="Essonne")
    evry = MemberFactory(
        operator=cast.operator, commune=CommuneFactory(code="91228", name="Évry", departement=essonne)
    )
    epci = MemberFactory(operator=cast.operator, epci_member=True)
    MemberService.objects.create(member=evry, service=ServiceFactory())
    olivia = api(cast.olivia)
    assert ids(olivia.get("members/", {"kind": "epci"})) == [epci.pk]
    assert ids(olivia.get("members/", {"departement": "91"})) == [evry.pk]
    assert ids(olivia.get("members/", {"service": "portail"})) == [evry.pk]
    assert ids(olivia.get("members/", {"q": "vry"})) == [evry.pk]
    assert ids(olivia.get("members/", {"updated_since": "2199-01-01T00:00:00Z"})) == []


def test_unknown_filter_values_are_refused(cast, api):
    olivia = api(cast.olivia)
    body = problem(olivia.get("members/", {"kind": "kingdom"}), 400)
    assert field_messages(body, "kind") == [
        "“kingdom” is not allowed here; use one of: commune, epci, departement, establishment."
    ]
    body = problem(olivia.get("members/", {"departement": "999"}), 400)
    assert field_messages(body, "departement") == ["No département has the code “999”."]
    body = problem(olivia.get("members/", {"service": "nope"}), 400)
    assert field_messages(body, "service") == ["No service has the code “nope”."]


def test_members_are_read_only_in_the_api(cast, api):
    problem(api(cast.adam).post("members/", {"name": "Nouveau"}), 405)
    problem(api(cast.adam).patch(f"members/{cast.member_a.pk}/", {"name": "Renommé"}), 405)


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_for_3_and_30_members(cast, api, django_assert_max_num_queries, rows):
    service = ServiceFactory()
    for _ in range(rows - 2):
        member = MemberFactory(operator=cast.operator, epci_member=True)
        MemberService.objects.create(member=member, service=service)
    olivia = api(cast.olivia)
    # Token, last-used stamp, the page, the services of the page.
    with django_assert_max_num_queries(4):
        response = olivia.get("members/", {"limit": 100})
    assert len(response.json()["results"]) == rows
