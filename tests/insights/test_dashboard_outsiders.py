"""Outsiders never see another's figures: a user of member B none of member A's (page,
every panel, every export), another operator's staff none of this operator's, anonymous
visitors the login page."""

from __future__ import annotations

import pytest
from django.test import Client

from mutualis.insights.views.dashboard_panels import PANELS

from .dashboard_world import PERIOD, World, desk, world  # noqa: F401 - fixtures
from .test_dashboard_exports import csv_rows

pytestmark = pytest.mark.django_db


def test_a_user_of_member_b_sees_only_b(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c = as_user(world.cast.charlie)
    page = c.get("/insights/", {**PERIOD, "by": "site"}).content.decode()
    assert world.desk.college.name not in page
    assert world.desk.station.name not in page
    for ticket in world.a:
        assert ticket.title not in page
    rows = csv_rows(c.get("/insights/panel/volumes/", {**PERIOD, "export": "csv"}))
    assert [int(r[1]) for r in rows[1:]] == [0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    # Member A's site by its id is no site of charlie's: no file (tests/insights/test_export_filters.py).
    refused = c.get("/insights/panel/volumes/", {**PERIOD, "site": world.desk.college.pk, "export": "csv"})
    assert refused.status_code == 400
    assert world.desk.college.name not in refused.content.decode()
    # Member A by its id: no filter of a member's users, whose figures are their member's.
    rows = csv_rows(
        c.get("/insights/panel/volumes/", {**PERIOD, "member": world.cast.member_a.pk, "export": "csv"})
    )
    assert sum(int(r[1]) for r in rows[1:]) == 3
    by_site = csv_rows(c.get("/insights/panel/breakdown/", {**PERIOD, "by": "site", "export": "csv"}))
    assert [r[0] for r in by_site[1:]] == [world.cast.site_b.name]
    for name in PANELS:
        response = c.get(f"/insights/panel/{name}/", PERIOD)
        if name == "load":
            assert response.status_code == 404
            continue
        body = response.content.decode()
        assert world.desk.college.name not in body, name
        assert world.desk.tess.full_name not in body, name
        for fmt in ("csv", "xlsx"):
            response = c.get(f"/insights/panel/{name}/", {**PERIOD, "export": fmt})
            assert response.status_code == 200
            response.getvalue()  # read to the end, as a browser does: that closes an XLSX download's file


def test_another_operator_s_staff_see_none_of_this_operator(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c = as_user(world.cast.oscar)
    page = c.get("/insights/", PERIOD).content.decode()
    assert "Versailles" not in page
    assert "Nanterre" not in page
    assert world.desk.tess.full_name not in page
    for name in ("volumes", "backlog", "durations", "sla", "reopen", "satisfaction"):
        facts = csv_rows(c.get(f"/insights/panel/{name}/", {**PERIOD, "export": "csv", "table": "facts"}))
        assert all(r[1] in ("0", "") for r in facts[1:]), (name, facts)
    volumes = csv_rows(c.get("/insights/panel/volumes/", {**PERIOD, "export": "csv"}))
    assert sum(int(r[1]) for r in volumes[1:]) == 0
    assert len(csv_rows(c.get("/insights/panel/load/", {**PERIOD, "export": "csv"}))) == 1  # the header alone
    tampered = c.get(
        "/insights/panel/volumes/", {**PERIOD, "member": world.cast.member_a.pk, "export": "csv"}
    )
    assert tampered.status_code == 400  # no file, and nothing of member A on the page
    assert "Versailles" not in tampered.content.decode()


def test_anonymous_visitors_go_to_the_login_page(client: Client, world: World) -> None:  # noqa: F811 - pytest fixtures imported from dashboard_world
    for url in ("/insights/", "/insights/panel/volumes/", "/insights/panel/volumes/?export=csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
