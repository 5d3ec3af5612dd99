"""The back-office delete pages of service levels, categories and teams: what goes with the
row, or what stops its deletion, said in a number of queries that does not grow with the
rows (backoffice.deletion)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mutualis.registry.models import Member
from mutualis.servicedesk.models import Category, ServiceContract, SlaPolicy, SlaTarget, Team
from tests.conftest import Cast
from tests.factories import MemberFactory, UserFactory

from .conftest import Desk
from .pages import broken_screen, in_english
from .service_levels import Levels

pytestmark = pytest.mark.django_db


def contracts(cast: Cast, policy: SlaPolicy, count: int) -> list[Member]:
    """`count` members of the operator, each under `policy`."""
    members = [MemberFactory(operator=cast.operator, name=f"Commune contractante {n}") for n in range(count)]
    ServiceContract.objects.bulk_create(
        ServiceContract(member=member, policy=policy, starts_on=dt.date(2026, 1, 1)) for member in members
    )
    return members


def delete_page(client: Client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


class _Listed(HTMLParser):
    """The items of the page's list of rows deleted or in the way, nested ones after their
    parent, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # of <ul> inside the list, 1 within it
        self.lines: list[str] = []
        self.open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "ul" and (self.depth or ("id", "deleted-objects") in attrs):
            self.depth += 1
            self.open = False
        elif tag == "li" and self.depth:
            self.lines.append("")
            self.open = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul" and self.depth:
            self.depth -= 1
        elif tag == "li":
            self.open = False

    def handle_data(self, data: str) -> None:
        if self.depth and self.open:
            self.lines[-1] += data


def listed(page: str) -> list[str]:
    parser = _Listed()
    parser.feed(page)
    assert parser.lines, "no list of rows on the page"
    return [line.strip() for line in parser.lines]


def test_a_policys_delete_page_names_its_contracts_in_the_same_queries_for_3_or_30(
    cast: Cast, levels: Levels, as_user
) -> None:
    client = in_english(as_user, cast.adam)
    url = f"/backoffice/servicedesk/slapolicy/{levels.renforce.pk}/delete/"
    members = contracts(cast, levels.renforce, 3)
    page, few = delete_page(client, url)
    assert "Cannot delete service level" in page
    lines = listed(page)
    assert [f"Service contract: {m.name} – Renforcé" for m in members] == lines

    members += contracts(cast, levels.renforce, 27)
    page, many = delete_page(client, url)
    assert many == few
    lines = listed(page)
    names = sorted(f"Service contract: {m.name} – Renforcé" for m in members)
    assert lines == [*names[:10], "… and 20 more service contracts"]
    # The count leads to the list of them all: the contracts' list, filtered by the policy.
    link = f'<a href="/backoffice/servicedesk/servicecontract/?policy__id__exact={levels.renforce.pk}">'
    assert f"{link}… and 20 more service contracts</a>" in page
    every = client.get(link[9:-2]).content.decode()
    assert all(member.name in every for member in members)


def test_a_policy_without_contracts_shows_what_goes_with_it_then_goes(
    cast: Cast, levels: Levels, as_user
) -> None:
    client = in_english(as_user, cast.adam)
    url = f"/backoffice/servicedesk/slapolicy/{levels.video.pk}/delete/"
    page = client.get(url).content.decode()
    assert "Are you sure you want to delete the service level" in page
    lines = listed(page)
    assert lines[0] == "Service level: Vidéo 24/7"
    assert len([line for line in lines if line.startswith("Deadline by priority:")]) == 4
    assert re.search(r"Deadlines by priority: 4\b", re.sub(r"<[^>]+>", "", page))  # the count per kind

    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not SlaPolicy.objects.filter(pk=levels.video.pk).exists()
    assert not SlaTarget.objects.filter(policy_id=levels.video.pk).exists()


@pytest.mark.parametrize("kind", ["category", "team"])
def test_a_category_or_team_with_tickets_says_they_stop_its_deletion_in_the_same_queries_for_3_or_30(
    cast: Cast, desk: Desk, as_user, kind: str
) -> None:
    client = in_english(as_user, cast.adam)
    row: Category | Team = desk.broken_screen.category if kind == "category" else desk.team
    url = f"/backoffice/servicedesk/{kind}/{row.pk}/delete/"
    tickets = [broken_screen(cast, desk, title=f"Écran {n}") for n in range(3)]
    assert all(getattr(ticket, kind) == row for ticket in tickets)
    page, few = delete_page(client, url)
    # The tickets stand in the way; nobody is asked for a permission to delete them.
    assert f"Cannot delete {kind}" in page
    assert "doesn't have permission to delete" not in page
    assert [line for line in listed(page) if line.startswith("Ticket:")] == [
        f"Ticket: n° {t.number} – {t.title}" for t in reversed(tickets)
    ]

    tickets += [broken_screen(cast, desk, title=f"Écran {n}") for n in range(3, 30)]
    page, many = delete_page(client, url)
    assert many == few
    lines = listed(page)
    assert [line for line in lines if line.startswith("Ticket:")] == [
        f"Ticket: n° {t.number} – {t.title}" for t in reversed(tickets[-10:])
    ]
    assert "… and 20 more tickets" in lines
    client.post(url, {"post": "yes"})
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("kind", ["slapolicy", "category", "team"])
def test_outsiders_reach_no_delete_page(cast: Cast, desk: Desk, levels: Levels, as_user, kind: str) -> None:
    row = {"slapolicy": levels.renforce, "category": desk.broken_screen.category, "team": desk.team}[kind]
    url = f"/backoffice/servicedesk/{kind}/{row.pk}/delete/"
    # A member's user never enters the back-office: sent to its login page.
    response = as_user(cast.charlie).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login/")
    assert as_user(cast.charlie).post(url, {"post": "yes"}).status_code == 302
    # Another operator's admin: the row does not exist for them.
    response = as_user(cast.oscar).get(url)
    assert response.status_code == 302
    assert str(row) not in as_user(cast.oscar).get(url, follow=True).content.decode()
    as_user(cast.oscar).post(url, {"post": "yes"})
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_rows_beyond_those_named_are_counted_in_french(cast: Cast, desk: Desk, as_user) -> None:
    for n in range(11):
        broken_screen(cast, desk, title=f"Écran {n}")
    page = as_user(cast.adam).get(f"/backoffice/servicedesk/team/{desk.team.pk}/delete/").content.decode()
    lines = listed(page)
    assert "… et 1 autre demande" in lines
    # A name and its row as French writes them, a space before the colon.
    assert sum(line.startswith("Demande : n° ") for line in lines) == 10


def test_a_team_without_tickets_names_ten_of_its_places_then_counts_them_and_goes(
    cast: Cast, desk: Desk, as_user
) -> None:
    team = Team.objects.create(operator=cast.operator, name="Renfort été", code="renfort")
    people = [UserFactory(email=f"renfort{n}@operator.example") for n in range(12)]
    team.members.add(*people)
    client = in_english(as_user, cast.adam)
    url = f"/backoffice/servicedesk/team/{team.pk}/delete/"
    page = client.get(url).content.decode()
    assert "Are you sure you want to delete the team" in page
    lines = listed(page)
    # (Django names the rows of a many-to-many table "<model>_<field> object (<id>)".)
    places = [line for line in lines if "Team_members object" in line]
    assert len(places) == 10
    assert lines[-1].startswith("… and 2 more ")
    summary = re.sub(r"<[^>]+>", "", page)
    assert re.search(r": 12\b", summary)  # all twelve counted in the summary

    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not Team.members.through.objects.filter(team_id=team.pk).exists()
