"""The dashboard's figures on known tickets (tests/insights/dashboard_world.py): exact
numbers per panel, for the operator's staff and for a member's users."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from mutualis.insights.figures import member_month, sentences
from mutualis.insights.filters import InsightFilter
from mutualis.insights.views.dashboard_panels import PANELS, Context, PanelData
from mutualis.people.models import Membership, User
from mutualis.people.tenancy import Scope

from .dashboard_world import PERIOD, World, desk, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> None:
    """Labels are checked in English, the source language (French comes with the catalogue)."""
    translation.activate("en")


MONTHLY = [2, 2, 2, 2, 2, 2, 2, 2, 10, 2, 2, 2]


def scope_of(user: User) -> Scope:
    return Scope.for_membership(Membership.objects.get(user=user))


def build(user: User, name: str, **data: str) -> PanelData:
    scope = scope_of(user)
    # In English, the source language, whatever the last request left active.
    with translation.override("en"):
        form = InsightFilter(scope, {**PERIOD, **data})
        ctx = Context(
            scope=scope,
            values=form.values(),
            today=timezone.localdate(),
            now=timezone.now(),
            by=data.get("by", ""),
        )
        return PANELS[name].build(ctx)


def facts(panel: PanelData) -> dict[str, Any]:
    return {f.label: f.value for f in panel.facts}


def column(panel: PanelData, chart: int = 0, index: int = 1) -> dict[str, Any]:
    return {row[0]: row[index] for row in panel.charts[chart].rows}


def test_volumes_by_month_show_the_september_surge(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    staff = build(world.cast.olivia, "volumes")
    counts = [row[1] for row in staff.charts[0].rows]
    assert counts == [2, 2, 5, 2, 2, 2, 2, 2, 10, 2, 2, 2]  # member B's three in March
    assert max(range(12), key=counts.__getitem__) == 8  # September
    assert facts(staff)["Incidents declared"] == 35
    assert facts(staff)["Busiest period"] == staff.charts[0].rows[8][0]
    member = build(world.cast.alice, "volumes")
    assert [row[1] for row in member.charts[0].rows] == MONTHLY
    assert facts(member)["Incidents declared"] == 32


def test_volumes_by_week_and_by_day(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    weekly = build(world.cast.alice, "volumes", step="week")
    assert sum(row[1] for row in weekly.charts[0].rows) == 32
    assert len(weekly.charts[0].rows) == 53  # the weeks touching 2024 (Monday 1 January to 30 December)
    # A year day by day is too many bars: by week instead.
    assert len(build(world.cast.alice, "volumes", step="day").charts[0].rows) == 53
    september = build(world.cast.alice, "volumes", step="day", start="2024-09-01", end="2024-09-30")
    assert [row[1] for row in september.charts[0].rows] == [1] * 10 + [0] * 20


def test_every_figure_follows_the_filters(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    d = world.desk
    by_kind = build(world.cast.olivia, "volumes", site_kind=str(d.college_kind.pk))
    assert facts(by_kind)["Incidents declared"] == 16
    by_member = build(world.cast.olivia, "volumes", member=str(world.cast.member_b.pk))
    assert facts(by_member)["Incidents declared"] == 3
    # A category counts its sub-categories' incidents.
    tablets = build(world.cast.olivia, "volumes", category=str(d.broken_screen.category_id))
    assert facts(tablets)["Incidents declared"] == 16
    by_team = build(world.cast.olivia, "backlog", team=str(d.team.pk))
    assert facts(by_team)["Open incidents"] == 1
    summer = build(world.cast.alice, "volumes", start="2024-06-01", end="2024-08-31")
    assert facts(summer)["Incidents declared"] == 6
    by_site = build(world.cast.alice, "volumes", site=str(d.station.pk))
    assert facts(by_site)["Incidents declared"] == 16


def test_breakdowns(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    d = world.desk
    assert column(build(world.cast.olivia, "breakdown")) == {"Tablette": 16, "Vidéoprotection": 19}
    assert column(build(world.cast.olivia, "breakdown", by="site_kind")) == {
        d.college_kind.name: 16,
        d.station_kind.name: 16,
        world.cast.site_b.kind.name: 3,
    }
    assert column(build(world.cast.olivia, "breakdown", by="member")) == {"Versailles": 32, "Nanterre": 3}
    assert column(build(world.cast.olivia, "breakdown", by="team")) == {"No team": 34, d.team.name: 1}
    assert column(build(world.cast.alice, "breakdown", by="site")) == {d.college.name: 16, d.station.name: 16}
    # Members have no "by member" (nor by team): the category instead.
    assert column(build(world.cast.alice, "breakdown", by="member")) == {
        "Tablette": 16,
        "Vidéoprotection": 16,
    }
    over_time = build(world.cast.alice, "breakdown").charts[1]
    assert over_time.columns[1:] == ["Tablette", "Vidéoprotection"]
    assert over_time.rows[8][1:] == [5, 5]


def test_backlog_and_its_age(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    backlog = build(world.cast.olivia, "backlog")
    assert facts(backlog)["Open incidents"] == 2
    assert facts(backlog)["Assigned"] == 1
    assert facts(backlog)["New"] == 1
    ages = [row[1] for row in backlog.charts[0].rows]
    assert ages == [0, 0, 0, 0, 2]  # declared in December 2024: more than 90 days ago


def test_backlog_ages_by_calendar_day(cast, desk) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    from .dashboard_world import make_ticket

    today = timezone.localdate()
    for days in (0, 1, 2, 7, 8, 30, 31, 90, 91):
        make_ticket(
            site=desk.college,
            incident_type=desk.broken_screen,
            created=timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time(12))),
            state="new",
            response=None,
            resolution=None,
        )
    start = (today - dt.timedelta(days=200)).isoformat()
    backlog = build(cast.olivia, "backlog", start=start, end=today.isoformat())
    assert [row[1] for row in backlog.charts[0].rows] == [2, 2, 2, 2, 1]


def test_durations(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    durations = build(world.cast.olivia, "durations")
    found = facts(durations)
    assert found["Incidents measured, taking charge"] == 33
    assert found["Incidents measured, resolution"] == 33
    assert found["Median time to taking charge"] == pytest.approx(1.0, rel=0.05)
    assert found["Median time to resolution"] == pytest.approx(48.0, rel=0.05)
    assert found["90th percentile, resolution"] == pytest.approx(48.0, rel=0.05)
    histogram = durations.charts[0].rows
    assert [row[1] for row in histogram] == [0, 33, 0, 0, 0, 0, 0, 0]  # taking charge: 1 h each
    assert [row[2] for row in histogram] == [0, 0, 0, 0, 0, 33, 0, 0]  # resolution: 2 days (2 of 5)


def test_service_levels(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    found = facts(build(world.cast.olivia, "sla"))
    # Taking charge: 33 within 4 hours, December's two never answered and past due.
    assert found["Deadlines to take charge met"] == pytest.approx(100 * 33 / 35, abs=0.1)
    # Resolving: 31 in time, 2 late in September, December's 2 past due.
    assert found["Deadlines to resolve met"] == pytest.approx(100 * 31 / 35, abs=0.1)
    assert found["Missed deadlines recorded, resolve"] == 1
    assert found["Missed deadlines recorded, take charge"] == 0
    chart = build(world.cast.olivia, "sla").charts[0]
    assert chart.rows == [["Take charge", 33, 2, 0], ["Resolve", 31, 4, 0]]
    member = facts(build(world.cast.charlie, "sla"))
    assert member["Deadlines to resolve met"] == 100.0


def test_reopen_rate(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    reopen = build(world.cast.olivia, "reopen")
    found = facts(reopen)
    assert (found["Incidents resolved at least once"], found["Reopened after being resolved"]) == (33, 1)
    assert found["Reopen rate"] == pytest.approx(3.0, abs=0.05)
    rates = [row[1] for row in reopen.charts[0].rows]
    assert rates[9] == 50.0  # October: one of two
    assert rates[11] is None  # December: nothing resolved yet
    assert facts(build(world.cast.charlie, "reopen"))["Reopened after being resolved"] == 0


def test_satisfaction(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    panel = build(world.cast.alice, "satisfaction")
    assert facts(panel)["Ratings"] == 3
    assert facts(panel)["Mean rating (out of 5)"] == pytest.approx(3.67)
    assert [row[1] for row in panel.charts[0].rows] == [0, 1, 0, 1, 1]
    assert facts(build(world.cast.charlie, "satisfaction"))["Ratings"] == 0


def test_technician_load(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    panel = build(world.cast.olivia, "load")
    assert column(panel) == {world.desk.tess.full_name: 1, "Unassigned": 1}


def test_member_month_in_plain_words(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    month = member_month(scope_of(world.cast.alice), dt.date(2024, 9, 15))
    assert (month.tickets, month.previous, month.delta) == (10, 2, 8)
    assert (month.resolved_with_deadline, month.resolved_on_time) == (10, 8)
    assert month.on_time_share == 80.0
    assert month.median_take_charge == pytest.approx(3600, rel=0.05)
    assert month.top_categories == [("Tablette", 5), ("Vidéoprotection", 5)]
    assert month.satisfaction_mean is None
    with translation.override("en"):
        said = sentences(month, current=False)
        assert said[0] == (
            "10 incidents in September 2024, 8 more than the month before; 80% resolved within the deadlines."
        )
        assert said[1] == "Half of the incidents were taken charge of within 1 h."
        assert said[2] == "Most frequent categories: Tablette (5), Vidéoprotection (5)."
        may = member_month(scope_of(world.cast.alice), dt.date(2024, 5, 1))
        assert sentences(may)[0].startswith("2 incidents this month, as many as last month;")
        assert sentences(may)[-1] == "Satisfaction: 4.5 out of 5 (2 ratings)."
        march_b = member_month(scope_of(world.cast.charlie), dt.date(2024, 4, 1))
        assert sentences(march_b)[0] == "0 incidents this month, 3 fewer than last month."
        one = member_month(scope_of(world.cast.charlie), dt.date(2024, 3, 1))
        assert one.tickets == 3
    with translation.override("fr"):
        # A month within a sentence takes no capital in French.
        assert sentences(month, current=False)[0].startswith("10 incidents en septembre 2024, ")
    # The staff's month is the operator's: both members.
    assert member_month(scope_of(world.cast.olivia), dt.date(2024, 3, 1)).tickets == 5


def test_one_incident_is_singular(cast, desk) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    from .dashboard_world import at, make_ticket

    make_ticket(site=desk.college, incident_type=desk.broken_screen, created=at(dt.date(2024, 2, 10)))
    month = member_month(scope_of(cast.alice), dt.date(2024, 2, 1))
    with translation.override("en"):
        assert (
            sentences(month)[0]
            == "1 incident this month, 1 more than last month; 100% resolved within the deadlines."
        )


@pytest.mark.parametrize("name", sorted(PANELS))
def test_each_panel_runs_a_bounded_number_of_queries(
    client: Client,
    world: World,  # noqa: F811 - pytest fixtures imported from dashboard_world
    as_user,
    django_assert_max_num_queries,
    name: str,  # type: ignore[no-untyped-def]
) -> None:
    c = as_user(world.cast.olivia)
    filters = {
        **PERIOD,
        "category": str(world.desk.broken_screen.category_id),
        "member": str(world.cast.member_a.pk),
    }
    # Session, user and scope (5), the filter's choices (member, category ids: 3), the panel (≤ 4).
    with django_assert_max_num_queries(12):
        response = c.get(f"/insights/panel/{name}/", filters)
    assert response.status_code == 200


def test_the_dashboard_shows_every_panel_without_script(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    page = as_user(world.cast.olivia).get("/insights/", PERIOD).content.decode()
    for name in PANELS:
        assert f'id="panel-{name}"' in page
    assert page.count("<svg") >= len(PANELS)
    assert '<nav class="tabs"' in page or "Dashboard" in page
    member_page = as_user(world.cast.bob).get("/insights/", PERIOD)  # an elected official
    assert member_page.status_code == 200
    assert 'id="panel-load"' not in member_page.content.decode()
    assert as_user(world.cast.alice).get("/insights/panel/load/").status_code == 404
    assert as_user(world.cast.alice).get("/insights/panel/nothing/").status_code == 404


def test_a_panel_opened_alone_is_a_whole_page_with_its_title(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    """A panel's own address, followed from a link or a bookmark, was a bare fragment: no
    <title>, no language, no way back. It is a page of the section, the panel under it."""
    response = as_user(world.cast.olivia).get("/insights/panel/volumes/", PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    # The page's title starts with the panel's, its heading.
    heading = page.split('<h2 id="panel-volumes-title">', 1)[1].split("</h2>", 1)[0]
    with translation.override(response["Content-Language"]):
        title = f"<title>{heading} – {translation.gettext('Dashboard')} – {translation.gettext('Insights')}"
        back = translation.gettext("The whole dashboard, with the same filters")
    assert heading
    assert title in page
    assert page.startswith("<!doctype html>")
    assert f'<html lang="{response["Content-Language"]}">' in page
    assert page.count("<h1>") == 1
    assert 'id="panel-volumes"' in page
    assert f"{back}</a>" in page
    assert 'href="/insights/?' in page
    assert '#panel-volumes"' in page
    # Outsiders: the same answers as the dashboard's (the tickets' contents: tests/outsiders).
    assert as_user(world.cast.alice).get("/insights/panel/load/", PERIOD).status_code == 404
    client.logout()
    assert client.get("/insights/panel/volumes/").url.startswith("/accounts/login/")


def test_the_panels_choices_name_each_parameter_once(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    """The volumes' step and the breakdown's dimension links replace the current choice
    instead of appending a second one (a crawl found `step=month&step=week`)."""
    import html
    import re
    from urllib.parse import parse_qs, urlsplit

    page = as_user(world.cast.olivia).get("/insights/", {**PERIOD, "step": "month"}).content.decode()
    links = [html.unescape(h) for h in re.findall(r'<ul class="link-row">(.*?)</ul>', page, re.S)]
    hrefs = [href for block in links for href in re.findall(r'href="([^"]+)"', block)]
    assert len(hrefs) == 3 + 4  # month, week, day; category, kind of site, member, team
    for href in hrefs:
        query = parse_qs(urlsplit(href).query)
        assert all(len(values) == 1 for values in query.values()), href
        assert query["start"] == [PERIOD["start"]]
    assert {parse_qs(urlsplit(h).query)["step"][0] for h in hrefs[:3]} == {"month", "week", "day"}


def test_the_menu_offers_insights_to_staff_members_and_elected(client: Client, cast, as_user) -> None:  # type: ignore[no-untyped-def]
    for user in (cast.olivia, cast.alice, cast.bob):
        page = as_user(user).get("/").content.decode()
        assert 'href="/insights/"' in page, user


def test_a_tampered_filter_is_ignored(world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    other = build(
        world.cast.alice, "volumes", member=str(world.cast.member_b.pk), site=str(world.cast.site_b.pk)
    )
    assert facts(other)["Incidents declared"] == 32  # B's site is not a choice of alice: ignored
    swapped = build(world.cast.alice, "volumes", start="2024-12-31", end="2024-01-01")
    assert facts(swapped)["Incidents declared"] == 32
    garbage = build(world.cast.alice, "volumes", start="yesterday", step="fortnight")
    # The defaults: the start of the last twelve months (here after the end: swapped), by month.
    assert [label for _query, label, current in garbage.choices if current] == ["Per month"]
    assert garbage.intro.startswith("Incidents declared from 12/31/2024 to ")
