"""What the back office offers to choose from (list filters, drop-downs): the staff
member's own operator's rows only, named in a bounded number of queries whatever their
number (an N+1 found by probing the demo: every category's name walked its parents one
query at a time, every team its lead, every token its membership, every sensor its
equipment's type)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mutualis.datahub.models import Entity, Tenant
from mutualis.people.models import ApiToken, Role
from tests.conftest import Cast
from tests.factories import AssetFactory, MembershipFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _tree(operator, name: str, size: int) -> None:
    """`size` categories three levels deep, each with an incident type and a team."""
    top = CategoryFactory(operator=operator, name=f"{name} racine")
    for n in range(size):
        middle = CategoryFactory(operator=operator, parent=top, name=f"{name} {n}")
        leaf = CategoryFactory(operator=operator, parent=middle, name=f"{name} {n} feuille")
        IncidentTypeFactory(category=leaf, name=f"{name} panne {n}")
        lead = MembershipFactory(member=None, operator=operator, role=Role.DESK_AGENT).user
        TeamFactory(operator=operator, name=f"{name} équipe {n}", lead=lead)


PAGES = [
    "/backoffice/servicedesk/category/",
    "/backoffice/servicedesk/category/add/",
    "/backoffice/servicedesk/incidenttype/",
    "/backoffice/servicedesk/incidenttype/add/",
    "/backoffice/servicedesk/team/",
    "/backoffice/servicedesk/desksettings/add/",
    "/backoffice/servicedesk/categoryservicelevel/add/",
]


@pytest.mark.parametrize("path", PAGES)
def test_choices_are_the_operators_own(cast: Cast, as_user, path: str) -> None:
    _tree(cast.operator, "Réseau", 2)
    _tree(cast.other_operator, "Secret", 2)
    page = as_user(cast.adam).get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Réseau" in text
    assert "Secret" not in text
    # And the other way round: the outsider operator sees only its own.
    outsider = as_user(cast.oscar).get(path).content.decode()
    assert "Secret" in outsider
    assert "Réseau" not in outsider


@pytest.mark.parametrize("path", PAGES)
def test_choices_cost_the_same_queries_for_three_or_thirty(cast: Cast, as_user, path: str) -> None:
    client = as_user(cast.adam)
    _tree(cast.operator, "Petit", 3)
    client.get(path)  # sessions, caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    _tree(cast.operator, "Grand", 27)
    with CaptureQueriesContext(connection) as many:
        assert client.get(path).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_token_list_names_memberships_without_a_query_each(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    membership = cast.adam.memberships.get()
    ApiToken.issue(membership=membership, name="jeton 0", can_write=False)
    client.get("/backoffice/people/apitoken/")
    with CaptureQueriesContext(connection) as few:
        client.get("/backoffice/people/apitoken/")
    for n in range(1, 15):
        other = MembershipFactory(member=cast.member_a, role=Role.MEMBER_AGENT)
        ApiToken.issue(membership=other, name=f"jeton {n}", can_write=False)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/backoffice/people/apitoken/")
    assert "jeton 14" in page.content.decode()
    assert len(many) == len(few)


def test_sensor_list_names_equipment_without_a_query_each(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    tenant = Tenant.objects.create(operator=cast.operator, member=cast.member_a, name="78646")

    def sensor(n: int) -> None:
        asset = AssetFactory(site=cast.site_a, inventory_tag=f"CAPT-{n:03d}")
        Entity.objects.create(
            tenant=tenant,
            entity_id=f"urn:ngsi-ld:Sensor:{n}",
            type="https://uri.etsi.org/ngsi-ld/default-context/Sensor",
            types=["https://uri.etsi.org/ngsi-ld/default-context/Sensor"],
            asset=asset,
            created_at=timezone.now(),
            modified_at=timezone.now(),
        )

    sensor(0)
    client.get("/backoffice/datahub/entity/")
    with CaptureQueriesContext(connection) as few:
        client.get("/backoffice/datahub/entity/")
    for n in range(1, 20):
        sensor(n)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/backoffice/datahub/entity/")
    assert "CAPT-019" in page.content.decode()
    assert len(many) == len(few)


def test_an_operators_admin_sees_and_edits_their_operator_alone(cast: Cast, as_user) -> None:
    """Operators are the installation's tenants: the other one is not listed, not opened,
    not changed, not deleted, and no operator admin creates or deletes one."""
    client = as_user(cast.adam)
    listing = client.get("/backoffice/registry/operator/").content.decode()
    assert cast.operator.name in listing
    assert cast.other_operator.name not in listing
    theirs = f"/backoffice/registry/operator/{cast.other_operator.pk}"
    # Django's admin answers a row outside its queryset by sending back to the index.
    assert client.get(f"{theirs}/change/").status_code == 302
    before = cast.other_operator.name
    client.post(f"{theirs}/change/", {"name": "Pris", "slug": "pris"})
    cast.other_operator.refresh_from_db()
    assert cast.other_operator.name == before
    assert client.get(f"{theirs}/delete/").status_code in (302, 403)
    client.post(f"{theirs}/delete/", {"post": "yes"})
    assert type(cast.other_operator).objects.filter(pk=cast.other_operator.pk).exists()
    assert client.get("/backoffice/registry/operator/add/").status_code == 403
    assert client.get(f"/backoffice/registry/operator/{cast.operator.pk}/delete/").status_code == 403
    # Their own operator stays theirs to edit.
    assert client.get(f"/backoffice/registry/operator/{cast.operator.pk}/change/").status_code == 200
