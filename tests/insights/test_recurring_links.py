"""The recurring-failures page stays light: each row gives its counts and links to the
ticket list filtered to exactly the tickets it counted; long tables come in pages; the
number of queries does not grow with the number of rows."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mutualis.insights.views.recurring import PAGE_ROWS
from mutualis.registry.models import Asset, AssetModel, Site
from mutualis.servicedesk.models import Category, IncidentType, Ticket, TicketState
from tests.conftest import Cast
from tests.factories import AssetFactory, AssetModelFactory, SiteFactory
from tests.servicedesk.factories import CategoryFactory, IncidentTypeFactory

from .recurring_data import DEFECTIVE_MODEL, SCREEN_TAG, Fleet, build_fleet

pytestmark = pytest.mark.django_db
URL = "/insights/recurring/"
TICKET_PATH = re.compile(r'href="/tickets/(\d+)/"')


def query(fleet: Fleet, **more: object) -> dict[str, object]:
    return {"start": fleet.start.isoformat(), "end": fleet.end.isoformat(), **more}


def table(page: str, name: str) -> str:
    """The part of the page of one table (assets, sites, models), up to the next one."""
    following = {"assets": 'id="sites"', "sites": 'id="models"', "models": 'id="rates"'}[name]
    return page.split(f'id="{name}"')[1].split(following)[0]


def rows(part: str) -> list[str]:
    return part.split('<th scope="row">')[1:]


def list_link(row: str) -> str:
    """The row's link to its tickets in the ticket list."""
    [link] = re.findall(r'<a href="(/tickets/\?[^"]+)">', row)
    return html.unescape(link)


def listed(client: Client, url: str) -> list[int]:
    """The numbers of the tickets the list shows at `url`, every page of it."""
    numbers: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        numbers += [int(n) for n in TICKET_PATH.findall(page)]
        following = re.search(r'<a href="(\?[^"]+)" rel="next"', page)
        url = "/tickets/" + html.unescape(following.group(1)) if following else ""
    return numbers


def numbers(tickets) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(tickets.values_list("number", flat=True))


def declare(cast: Cast, site: Site, kind: IncidentType, at: dt.datetime, **fields: object) -> Ticket:
    last = Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0
    return Ticket.objects.create(
        operator=cast.operator,
        number=last + 1,
        member=site.member,
        site=site,
        incident_type=kind,
        category=fields.pop("category", kind.category),
        title=kind.name,
        created_at=at,
        **fields,
    )


def test_a_site_row_lists_exactly_the_incidents_it_counted(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    """Same category, filtered by that category: the network site's row. A cancelled
    ticket, a merged duplicate and a ticket of a category under "Réseau" are at that site
    too; the row does not count them, and its list does not show them."""
    fleet = build_fleet(cast)
    site, network = fleet.network_site, fleet.network
    wifi = fleet.types["Wi-Fi en panne"]
    recent = timezone.now() - dt.timedelta(days=2)
    original = Ticket.objects.filter(site=site).latest("created_at")
    cancelled = declare(cast, site, wifi, recent, state=TicketState.CANCELLED)
    duplicate = declare(cast, site, wifi, recent, merged_into=original, state=TicketState.CLOSED)
    fibre = Category.objects.create(operator=cast.operator, name="Fibre", parent=network)
    below = declare(
        cast, site, IncidentType.objects.create(operator=cast.operator, category=fibre, name="Fibre"), recent
    )

    client: Client = as_user(cast.olivia)
    page = client.get(URL, query(fleet, category=network.pk, same="category")).content.decode()
    first = rows(table(page, "sites"))[0]
    assert site.name in first
    assert f'<td class="number">{fleet.network_faults}</td>' in first
    assert f"Voir les {fleet.network_faults} demandes" in first
    shown = listed(client, list_link(first))
    assert sorted(shown) == numbers(
        Ticket.objects.filter(site=site, category=network).exclude(pk__in=[cancelled.pk, duplicate.pk])
    )
    assert len(shown) == fleet.network_faults
    assert not {cancelled.number, duplicate.number, below.number} & set(shown)


def test_an_equipment_row_lists_its_tickets_and_only_to_those_who_may_see_them(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    fleet = build_fleet(cast)
    screen = Asset.objects.get(inventory_tag=SCREEN_TAG)
    broken = fleet.types["Écran cassé"]
    alice: Client = as_user(cast.alice)
    page = alice.get(URL, query(fleet, window_days=90, min_count=4)).content.decode()
    first = rows(table(page, "assets"))[0]
    assert SCREEN_TAG in first
    link = list_link(first)
    expected = numbers(Ticket.objects.filter(assets=screen, incident_type=broken))
    assert len(expected) >= 4
    assert sorted(listed(alice, link)) == expected
    # The page names no ticket itself: the list does.
    assert not TICKET_PATH.search(table(page, "assets"))

    # Member B's agent following member A's link sees none of A's tickets.
    charlie: Client = as_user(cast.charlie)
    assert not set(listed(charlie, link)) & set(expected)
    assert SCREEN_TAG not in charlie.get(link).content.decode()


def test_a_model_row_lists_the_tickets_naming_its_equipment_once_each(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    fleet = build_fleet(cast)
    model = fleet.models[DEFECTIVE_MODEL]
    # One ticket naming two tablets of the model: one incident, listed once.
    pair = list(Asset.objects.filter(model=model, site__member=cast.member_a)[:2])
    kind = fleet.types["Batterie"]
    twice = declare(cast, pair[0].site, kind, timezone.now() - dt.timedelta(days=1))
    twice.assets.add(*pair)

    client: Client = as_user(cast.olivia)
    page = client.get(URL, query(fleet, category=fleet.tablet_category.pk)).content.decode()
    row = next(r for r in rows(table(page, "models")) if DEFECTIVE_MODEL in r and "Batterie" in r)
    shown = listed(client, list_link(row))
    expected = numbers(Ticket.objects.filter(assets__model=model, incident_type=kind).distinct())
    assert sorted(shown) == expected
    assert shown.count(twice.number) == 1
    assert f'<td class="number">{len(expected)}</td>' in row


def test_each_table_has_pages_and_says_how_many_rows_in_all(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    kind = IncidentTypeFactory(category=CategoryFactory(operator=cast.operator))
    total = PAGE_ROWS + 5
    build_recurring_sites(cast, kind, total)
    client: Client = as_user(cast.olivia)
    page = client.get(URL).content.decode()
    sites = table(page, "sites")
    assert f"{total} sites ont eu 3 incidents ou plus" in sites
    assert len(rows(sites)) == PAGE_ROWS
    assert f"Lignes 1 à {PAGE_ROWS} sur {total}" in sites
    assert "Page 1 sur 2" in sites
    following = html.unescape(re.search(r'href="\?([^"]+)" rel="next"', sites).group(1))  # type: ignore[union-attr]
    assert following == "sites_page=2#sites"
    second = table(client.get(f"{URL}?sites_page=2").content.decode(), "sites")
    assert len(rows(second)) == total - PAGE_ROWS
    assert "Page 2 sur 2" in second
    names = {re.search(r">(Récurrent \d+)<", r).group(1) for r in rows(sites) + rows(second)}  # type: ignore[union-attr]
    assert names == {f"Récurrent {i:02d}" for i in range(total)}
    # Another table's page is kept when one changes its own.
    assets = table(client.get(f"{URL}?sites_page=2").content.decode(), "assets")
    assert 'href="?sites_page=2&amp;assets_page=2#assets" rel="next"' in assets
    # A page beyond the last (the filters changed since) shows the first.
    assert len(rows(table(client.get(f"{URL}?sites_page=9").content.decode(), "sites"))) == PAGE_ROWS
    # So does a page number that is no number: negative, a superscript digit, 5,000 digits.
    for odd in ["-2", "0", "²", "9" * 5000, "2.5"]:
        answer = client.get(URL, {"sites_page": odd})
        assert answer.status_code == 200, odd
        assert "Page 1 sur 2" in table(answer.content.decode(), "sites"), odd


def build_recurring_sites(cast: Cast, kind: IncidentType, count: int, *, start: int = 0) -> None:
    """`count` sites of member A, each with one tablet of a model of its own, broken three
    times in twenty days: a row in each of the three tables."""
    now = timezone.now()
    for i in range(start, start + count):
        site = SiteFactory(member=cast.member_a, name=f"Récurrent {i:02d}")
        asset = AssetFactory(site=site, model=AssetModelFactory(name=f"Modèle {i:02d}"))
        for day in (40, 30, 20):
            declare(cast, site, kind, now - dt.timedelta(days=day + i / 100)).assets.add(asset)


def test_the_number_of_queries_does_not_grow_with_the_rows(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    kind = IncidentTypeFactory(category=CategoryFactory(operator=cast.operator))
    client: Client = as_user(cast.olivia)

    def page_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(URL).content.decode()
        return len(rows(table(page, "sites"))), len(queries.captured_queries)

    build_recurring_sites(cast, kind, 3)
    three, queries_for_three = page_queries()
    build_recurring_sites(cast, kind, 27, start=3)
    thirty, queries_for_thirty = page_queries()
    assert (three, thirty) == (3, PAGE_ROWS)
    assert AssetModel.objects.filter(name__startswith="Modèle").count() == 30
    assert queries_for_thirty == queries_for_three


def test_the_list_by_model_reads_the_models_tickets_once_not_per_ticket(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    # A correlated EXISTS per ticket took SQLite 7.6 s for the page and as much for its count
    # at the demo's full scale (docs/benchmarks-history.md, sixteenth session).
    fleet = build_fleet(cast)
    model = fleet.models[DEFECTIVE_MODEL]
    client: Client = as_user(cast.olivia)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/tickets/", {"model": model.pk, "view": "all"})
    assert response.status_code == 200
    expected = numbers(Ticket.objects.filter(assets__model=model).distinct())
    shown = {int(n) for n in TICKET_PATH.findall(response.content.decode())}
    assert shown
    assert shown <= set(expected)  # the list's default period shows the latest of them
    by_model = [q["sql"] for q in queries.captured_queries if '"model_id"' in q["sql"]]
    assert by_model
    assert not [sql for sql in by_model if "EXISTS" in sql.upper()]
