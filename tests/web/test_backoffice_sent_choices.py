"""A back-office form sent back with a value that is no id in an autocomplete box or a list
of rows ("x", "1e309", an id past 2^63: a script, a tampered page) is shown again with the
field's error, nothing written. Django's autocomplete widget looked the value up to show it
again (ValueError, OverflowError) and its list field looked ids up with `pk__in`
(OverflowError): both were 500s."""

from __future__ import annotations

import pytest

from mutualis.people.models import Membership
from mutualis.registry.models import Site
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

NO_IDS = ["x", "1e309", "\x00", "99999999999999999999", str(2**63)]


@pytest.mark.parametrize("value", NO_IDS)
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/backoffice/registry/site/add/", "member"),  # an autocomplete box
        ("/backoffice/registry/asset/add/", "site"),
        ("/backoffice/registry/member/add/", "commune"),
        ("/backoffice/people/membership/add/", "member"),
        ("/backoffice/people/membership/add/", "sites"),  # several rows, in an autocomplete box
    ],
)
def test_a_choice_that_is_no_id_is_a_form_error(
    cast: Cast, as_user, url: str, field: str, value: str
) -> None:
    sites, memberships = Site.objects.count(), Membership.objects.count()
    response = as_user(cast.adam).post(url, {field: value, "name": "Gymnase"})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert (Site.objects.count(), Membership.objects.count()) == (sites, memberships)


def test_a_known_choice_is_shown_again_with_the_forms_errors(cast: Cast, as_user) -> None:
    response = as_user(cast.adam).post("/backoffice/registry/site/add/", {"member": cast.member_a.pk})
    assert response.status_code == 200
    assert (
        f'<option value="{cast.member_a.pk}" selected>{cast.member_a.name}</option>'
        in response.content.decode()
    )


def test_an_outsider_gets_no_form(cast: Cast, as_user) -> None:
    response = as_user(cast.charlie).post("/backoffice/registry/site/add/", {"member": "x"})
    assert response.status_code == 302
    assert "/backoffice/login/" in response["Location"]
    response = as_user(cast.oscar).post("/backoffice/registry/site/add/", {"member": cast.member_a.pk})
    assert cast.member_a.name not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "due_at__year=99999999999999999999",  # OverflowError in Django's datetime()
        "due_at__year=9999",  # the end of the year 9999 is past datetime's last
        "due_at__year=9999&due_at__month=12",
        "due_at__year=1",  # its local midnight is in the year 0 in UTC
        "due_at__year=²",
        "due_at__year=2026&due_at__month=13",
    ],
)
def test_a_date_hierarchy_link_it_cannot_read_shows_the_whole_list(cast: Cast, as_user, query: str) -> None:
    response = as_user(cast.adam).get(f"/backoffice/servicedesk/slabreach/?{query}")
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/servicedesk/slabreach/?e=1"


def test_a_date_hierarchy_link_it_can_read_filters(cast: Cast, as_user) -> None:
    response = as_user(cast.adam).get("/backoffice/servicedesk/slabreach/?due_at__year=2026&due_at__month=2")
    assert response.status_code == 200
