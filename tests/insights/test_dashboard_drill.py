"""Every figure's link leads to a list of exactly the tickets it counted: the desk for the
operator's staff, the members' list for a member's users."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from mutualis.insights.filters import drill_down_url
from mutualis.insights.views.dashboard_panels import PanelData

from .dashboard_world import World, desk, names, titles, world  # noqa: F401 - fixtures
from .test_dashboard import build, scope_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def follow(client: Client, link: str | None) -> set[str]:
    assert link is not None
    response = client.get(link)
    assert response.status_code == 200, link
    return titles(response.content.decode())


def links(panel: PanelData, chart: int = 0, column: int = 1) -> dict[str, str | None]:
    found = panel.charts[chart]
    return {row[0]: found.links[i][column] for i, row in enumerate(found.rows)}


def test_the_busiest_month_leads_to_its_tickets(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    staff = build(world.cast.olivia, "volumes")
    september = staff.charts[0].links[8][1]
    assert september is not None
    assert september.startswith("/desk/?")
    assert follow(as_user(world.cast.olivia), september) == names(world.by_month[9])
    march = staff.charts[0].links[2][1]
    assert follow(as_user(world.cast.olivia), march) == names(world.by_month[3] + world.b)
    member = build(world.cast.alice, "volumes")
    link = member.charts[0].links[8][1]
    assert link is not None
    assert link.startswith("/tickets/?")
    assert follow(as_user(world.cast.alice), link) == names(world.by_month[9])
    # The panel's own link: every ticket it counted.
    assert follow(as_user(world.cast.olivia), staff.link) == names(world.a + world.b)


def test_breakdown_bars_lead_to_their_tickets(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c = as_user(world.cast.olivia)
    by_category = links(build(world.cast.olivia, "breakdown"))
    tablets = {t.title for t in world.a if t.category.name in ("Tablette", "Écrans")}
    assert len(tablets) == 16
    assert follow(c, by_category["Tablette"]) == tablets  # the sub-category's ticket included
    by_member = links(build(world.cast.olivia, "breakdown", by="member"))
    assert follow(c, by_member["Nanterre"]) == names(world.b)
    by_kind = links(build(world.cast.olivia, "breakdown", by="site_kind"))
    assert follow(c, by_kind[world.desk.station_kind.name]) == {
        t.title for t in world.a if t.site == world.desk.station
    }
    by_team = links(build(world.cast.olivia, "breakdown", by="team"))
    assert follow(c, by_team[world.desk.team.name]) == {world.open[0].title}
    assert by_team["No team"] is None  # the lists cannot show "no team": no link rather than a wrong one
    by_site = links(build(world.cast.alice, "breakdown", by="site"))
    assert follow(as_user(world.cast.alice), by_site[world.desk.college.name]) == {
        t.title for t in world.a if t.site == world.desk.college
    }


def test_filtered_figures_keep_their_filters_in_the_link(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    panel = build(world.cast.olivia, "volumes", site_kind=str(world.desk.college_kind.pk))
    expected = {t.title for t in world.by_month[9] if t.site == world.desk.college}
    assert len(expected) == 5
    assert follow(as_user(world.cast.olivia), panel.charts[0].links[8][1]) == expected


def test_backlog_and_load_lead_to_the_open_tickets(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c = as_user(world.cast.olivia)
    backlog = build(world.cast.olivia, "backlog")
    assert follow(c, backlog.link) == names(world.open)
    facts = {f.label: f.link for f in backlog.facts}
    assert follow(c, facts["Assigned"]) == {world.open[0].title}
    assert follow(c, links(backlog)["more than 90 days"]) == names(world.open)
    assert links(backlog)["today or yesterday"] is None  # no day of 2024 is that young
    load = links(build(world.cast.olivia, "load"))
    assert follow(c, load[world.desk.tess.full_name]) == {world.open[0].title}
    assert follow(c, load["Unassigned"]) == {world.open[1].title}
    member = build(world.cast.alice, "backlog")
    assert follow(as_user(world.cast.alice), member.link) == names(world.open)


def test_drill_down_url_speaks_each_list_s_names(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    staff = drill_down_url(scope_of(world.cast.olivia), member=world.cast.member_a, start=None, state="open")
    assert staff == f"/desk/?member={world.cast.member_a.pk}&state=open"
    # The desk shows open tickets unless told: "every state" is said.
    assert drill_down_url(scope_of(world.cast.olivia)) == "/desk/?state="
    member = drill_down_url(
        scope_of(world.cast.alice), category=world.desk.broken_screen.category, team=world.desk.team
    )
    assert member == f"/tickets/?category={world.desk.broken_screen.category_id}"
    with pytest.raises(ValueError, match="colour"):
        drill_down_url(scope_of(world.cast.alice), colour="red")
