"""The back office's autocomplete boxes: every box answers, and whatever else the address is
asked (other fields, reverse relations, bad pages, NUL characters) is a 4xx, never a 500;
so is a NUL character in the query string of any back-office page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin

from mutualis.people.models import User
from tests.conftest import Cast
from tests.factories import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

URL = "/backoffice/autocomplete/"
USER_BOX = {"app_label": "people", "model_name": "membership", "field_name": "user"}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 403),
        ({"app_label": "people"}, 403),
        ({"app_label": "people", "model_name": "membership"}, 403),
        ({**USER_BOX, "app_label": "nope"}, 403),
        ({**USER_BOX, "model_name": "nope"}, 403),
        ({**USER_BOX, "app_label": "people.membership", "model_name": ""}, 403),
        ({**USER_BOX, "field_name": "nope"}, 403),
        ({**USER_BOX, "field_name": "change"}, 403),
        ({**USER_BOX, "field_name": "role"}, 403),  # not a relation
        ({**USER_BOX, "field_name": "user__email"}, 403),
        # Relations no box asks for, forward and reverse (the reverse ones were 500s).
        ({**USER_BOX, "field_name": "operator"}, 403),
        ({"app_label": "people", "model_name": "apitoken", "field_name": "membership"}, 403),
        ({"app_label": "people", "model_name": "user", "field_name": "memberships"}, 403),
        ({"app_label": "people", "model_name": "user", "field_name": "groups"}, 403),
        ({"app_label": "registry", "model_name": "member", "field_name": "sites"}, 403),
        ({"app_label": "registry", "model_name": "site", "field_name": "contacts"}, 403),
        # Text no database holds (PostgreSQL refused the search with a 500).
        ({**USER_BOX, "term": "Ali\x00ce"}, 400),
        ({**USER_BOX, "app_label": "people\x00"}, 400),
        ({**USER_BOX, "page": "\x00"}, 400),
        # Pages that do not exist: Django's 404.
        ({**USER_BOX, "page": "abc"}, 404),
        ({**USER_BOX, "page": "0"}, 404),
        ({**USER_BOX, "page": "-1"}, 404),
        ({**USER_BOX, "page": "1.5"}, 404),
        ({**USER_BOX, "page": "99999"}, 404),
        ({**USER_BOX, "page": "9" * 400}, 404),
        # Parameters the view does not read are ignored.
        ({**USER_BOX, "user": "change"}, 200),
        ({**USER_BOX, "page": "last"}, 200),
        ({**USER_BOX, "term": "x" * 5000}, 200),
    ],
)
def test_what_no_box_asks_is_a_4xx(cast: Cast, as_user, params: dict[str, str], status: int) -> None:
    assert as_user(cast.adam).get(URL, params).status_code == status


def test_every_box_of_the_back_office_answers(cast: Cast, client) -> None:  # type: ignore[no-untyped-def]
    root = User.objects.create_superuser("root@platform.example", DEMO_PASSWORD, full_name="Platform")
    client.force_login(root)
    site: Any = admin.site
    boxes = sorted(site.autocomplete_fields())
    assert ("people.membership", "user") in boxes
    assert ("people.membership", "sites") in boxes  # a box of the roles inline on a person's page
    for label, field_name in boxes:
        app_label, model_name = label.split(".")
        params = {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": "a"}
        response = client.get(URL, params)
        assert response.status_code == 200, (label, field_name)
        assert set(response.json()) == {"results", "pagination"}


def _names(client: Any, term: str) -> list[str]:
    response = client.get(URL, {**USER_BOX, "term": term})
    assert response.status_code == 200
    return [row["text"] for row in response.json()["results"]]


def test_the_people_box_offers_the_operators_people_only(cast: Cast, as_user) -> None:
    assert any("alice@versailles.example" in name for name in _names(as_user(cast.adam), "alice"))
    assert _names(as_user(cast.oscar), "alice") == []
    # Members' people never reach the back office at all.
    assert as_user(cast.alice).get(URL, {**USER_BOX, "term": "alice"}).status_code == 302


@pytest.mark.parametrize(
    "query",
    ["?memberships__role=%00", "?q=Ali%00ce", "?is_active__exact=%00", "?o=%00", "?p=%00", "?%00=1"],
)
def test_a_list_asked_for_a_nul_character_is_a_400(cast: Cast, as_user, query: str) -> None:
    """The same for every page of the back office: on PostgreSQL a list filter holding NUL
    was a 500."""
    client = as_user(cast.adam)
    assert client.get(f"/backoffice/people/user/{query}").status_code == 400
    assert client.get(f"/backoffice/registry/site/{query}").status_code == 400
    assert client.get("/backoffice/people/user/?memberships__role=member_agent").status_code == 200
