"""The declaration pages read the site and the type from the query string: a value that is
no id (a superscript digit, too many digits) is a 404, as an unknown site is, not a 500."""

from __future__ import annotations

import pytest

from tests.conftest import Cast

from .conftest import Desk

pytestmark = pytest.mark.django_db

NEW = "/tickets/new/"
# "²" is a digit to str.isdigit() and no number to int(): it was a 500.
ODD = ["²", "٣", "9" * 5000, "99999999999999999999", "-1", "+1", " 1"]


@pytest.mark.parametrize("value", ODD)
def test_a_site_that_is_no_id_is_not_found(cast: Cast, desk: Desk, as_user, value: str) -> None:
    client = as_user(cast.alice)
    assert client.get(NEW, {"site": value}).status_code == 404
    assert client.post(f"{NEW}?site={value}", {"title": "Écran cassé"}).status_code == 404


@pytest.mark.parametrize("value", ODD)
def test_a_type_that_is_no_id_is_not_found(cast: Cast, desk: Desk, as_user, value: str) -> None:
    client = as_user(cast.alice)
    assert client.get(NEW, {"site": desk.college.pk, "type": value}).status_code == 404


def test_an_outsider_gets_the_same_404_for_another_members_site(cast: Cast, desk: Desk, as_user) -> None:
    client = as_user(cast.charlie)
    assert client.get(NEW, {"site": desk.college.pk}).status_code == 404
    assert client.get(NEW, {"site": desk.college.pk, "type": desk.broken_screen.pk}).status_code == 404
