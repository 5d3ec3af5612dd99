"""The breakdown's `?by=`: only a dimension the person has is shown and carried into the
panels' links; anything else shows the breakdown by category, and is not written back."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from .dashboard_world import PERIOD, World, desk, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def breakdown_title(html: str) -> str:
    found = re.search(r"Incidents par [^<\"]*", html)
    assert found is not None
    return found.group(0)


def test_a_known_dimension_is_kept_in_the_links(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    html = as_user(world.cast.olivia).get("/insights/", {**PERIOD, "by": "member"}).content.decode()
    assert breakdown_title(html) == "Incidents par adhérent"
    assert any("by=member&amp;export=csv" in href for href in hrefs(html))


@pytest.mark.parametrize(
    "given",
    [
        ["category&export=csv"],  # text that would have been carried into each link as it came
        ["member", "team"],  # given twice: neither is taken for the other
        ["site"],  # a member's dimension, not the operator's staff's
    ],
)
def test_anything_else_shows_categories_and_is_not_carried(  # type: ignore[no-untyped-def]
    client: Client,
    world: World,  # noqa: F811 - pytest fixture imported from dashboard_world
    as_user,
    given: list[str],
) -> None:
    response = as_user(world.cast.olivia).get("/insights/", {**PERIOD, "by": given})
    assert response.status_code == 200
    html = response.content.decode()
    assert breakdown_title(html) == "Incidents par catégorie"
    links = [href for href in hrefs(html) if "/insights/panel/" in href]
    assert links
    assert not [href for href in links if "by=" in href]
    assert not [href for href in links if href.count("export=") > 1]


def test_a_members_user_has_sites_not_members(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c = as_user(world.cast.alice)
    assert (
        breakdown_title(c.get("/insights/", {**PERIOD, "by": "site"}).content.decode())
        == "Incidents par site"
    )
    html = c.get("/insights/", {**PERIOD, "by": "member"}).content.decode()
    assert breakdown_title(html) == "Incidents par catégorie"
    assert not [href for href in hrefs(html) if "by=member" in href]
