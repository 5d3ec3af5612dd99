"""The members' ticket list: views by role, filters, keyset paging, capped count, exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from mutualis.people.roles import Role
from mutualis.servicedesk import services
from mutualis.servicedesk.models import Ticket
from tests.conftest import Cast
from tests.factories import MembershipFactory, SiteFactory

from .conftest import Desk
from .pages import broken_screen, camera, in_english

pytestmark = pytest.mark.django_db


def numbers(page: str, tickets: list[Ticket]) -> list[int]:
    return [t.number for t in tickets if f'href="/tickets/{t.number}/"' in page]


@pytest.fixture
def tickets(cast: Cast, desk: Desk) -> dict[str, Ticket]:
    anna = MembershipFactory(
        member=cast.member_a, role=Role.MEMBER_AGENT, user__email="anna@versailles.example"
    ).user
    found = {
        "screen": broken_screen(cast, desk),
        "camera": camera(cast, desk),
        "annas": broken_screen(cast, desk, by=anna, title="Tablette d'Anna"),
    }
    services.transition(ticket=found["camera"], to="resolved", by=cast.olivia, as_staff=True)
    return found


def test_views_by_role(cast: Cast, desk: Desk, tickets: dict[str, Ticket], as_user) -> None:
    everyone = list(tickets.values())
    client = in_english(as_user, cast.alice)
    assert numbers(client.get("/tickets/").content.decode(), everyone) == [t.number for t in everyone]
    mine = client.get("/tickets/?view=mine").content.decode()
    assert numbers(mine, everyone) == [tickets["screen"].number, tickets["camera"].number]
    contact = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="claire@hoche.example"
    )
    contact.sites.add(desk.college)
    page = in_english(as_user, contact.user).get("/tickets/").content.decode()
    assert "My sites" in page
    assert numbers(page, everyone) == [tickets["screen"].number, tickets["annas"].number]
    elected = in_english(as_user, cast.bob).get("/tickets/").content.decode()
    assert numbers(elected, everyone) == [t.number for t in everyone]
    assert "Declared by me" not in elected
    assert "Declare an incident" not in elected


def test_another_members_tickets_are_not_listed(
    cast: Cast, desk: Desk, tickets: dict[str, Ticket], as_user
) -> None:
    for who in (cast.charlie, cast.oscar):
        page = as_user(who).get("/tickets/").content.decode()
        assert numbers(page, list(tickets.values())) == []
        assert "Écran fissuré" not in page


def test_filters(cast: Cast, desk: Desk, tickets: dict[str, Ticket], as_user) -> None:
    everyone = list(tickets.values())
    client = as_user(cast.alice)

    def listed(query: str) -> list[int]:
        return numbers(client.get(f"/tickets/?{query}").content.decode(), everyone)

    screen, cam, annas = (tickets[k].number for k in ("screen", "camera", "annas"))
    assert listed("state=open") == [screen, annas]
    assert listed("state=resolved") == [cam]
    assert listed(f"category={desk.camera_offline.category_id}") == [cam]
    assert listed(f"site={desk.college.pk}") == [screen, annas]
    assert listed("priority=2") == [cam]
    assert listed("q=anna") == [annas]
    assert listed(f"asset={desk.tablet.pk}") == [screen, annas]
    # A tampered value is ignored, not an error page; another member's site is not a filter.
    assert listed(f"state=banana&site={cast.site_b.pk}&priority=x&after=abc") == [screen, cam, annas]
    # The filter box says which values it could not use, rather than dropping them silently,
    # and names nothing of the other member's site.
    page = client.get(f"/tickets/?state=banana&site={cast.site_b.pk}").content.decode()
    assert page.count('class="errorlist"') == 2
    assert 'aria-invalid="true"' in page
    assert cast.site_b.name not in page


def test_keyset_paging_and_capped_count(cast: Cast, desk: Desk, as_user, monkeypatch) -> None:
    made = [camera(cast, desk, title=f"Caméra {n}") for n in range(55)]
    client = in_english(as_user, cast.alice)
    first = client.get("/tickets/?state=open").content.decode()
    assert "55 tickets" in first
    assert len(numbers(first, made)) == 50
    assert "Previous page" not in first
    assert f'href="?state=open&amp;after={made[5].pk}"' in first
    second = client.get(f"/tickets/?state=open&after={made[5].pk}").content.decode()
    assert numbers(second, made) == [t.number for t in made[:5]]
    assert f'href="?state=open&amp;before={made[4].pk}"' in second
    back = client.get(f"/tickets/?state=open&before={made[4].pk}").content.decode()
    assert len(numbers(back, made)) == 50
    monkeypatch.setattr("mutualis.servicedesk.views.common.capped_count", lambda qs: (10_000, True))
    assert "more than 10,000 tickets" in client.get("/tickets/").content.decode()


def test_the_list_reads_a_bounded_number_of_queries(
    cast: Cast, desk: Desk, as_user, django_assert_max_num_queries
) -> None:
    for n in range(30):
        broken_screen(cast, desk, title=f"Écran {n}")
    client = as_user(cast.alice)
    with django_assert_max_num_queries(10):
        client.get("/tickets/")


def test_exports_hold_every_filtered_row_and_only_visible_ones(
    cast: Cast, desk: Desk, tickets: dict[str, Ticket], as_user
) -> None:
    for n in range(55):
        camera(cast, desk, title=f"Caméra {n}")
    client = in_english(as_user, cast.alice)
    response = client.get(f"/tickets/?category={desk.camera_offline.category_id}&export=csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Number", "Title", "State", "Priority"]
    assert len(rows) == 1 + 56  # more than one page: the whole filtered list
    assert {r[4] for r in rows[1:]} == {"Versailles"}
    assert "Caméra du parking" in {r[1] for r in rows[1:]}
    xlsx = client.get("/tickets/?state=open&export=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.getvalue())).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1 + 55 + 2  # the open ones: 55 cameras, two screens
    charlie = as_user(cast.charlie).get("/tickets/?export=csv")
    assert len(b"".join(charlie.streaming_content).decode().splitlines()) == 1


def test_the_operators_staff_list_every_member_and_filter_by_member(
    cast: Cast, desk: Desk, tickets: dict[str, Ticket], as_user
) -> None:
    theirs = services.open_ticket(
        site=SiteFactory(member=cast.member_b, kind=desk.station_kind),
        incident_type=desk.camera_offline,
        title="Caméra de Nanterre",
        by=cast.charlie,
    )
    everyone = [*tickets.values(), theirs]
    client = in_english(as_user, cast.olivia)
    page = client.get("/tickets/").content.decode()
    assert numbers(page, everyone) == [t.number for t in everyone]
    assert 'name="site"' not in page  # the operator's sites are too many for a list box
    only_b = client.get(f"/tickets/?member={cast.member_b.pk}").content.decode()
    assert numbers(only_b, everyone) == [theirs.number]


HOSTILE_QUERIES = [
    "?after=99999999999999999999999",
    "?before=-1",
    "?after=%00",
    "?page=99999999999999999999",
    "?q=%00",
    "?q=" + "é" * 3000,
    "?q=%ff%fe",
    "?state=%00",
    "?sort=nope&order=-foo",
    "?view=%00",
    "?site=%00",
    "?site=99999999999999999999",
    "?asset=99999999999999999999",
    "?incident_type=1e9",
    "?exact_category=-1",
    "?category=abc",
    "?created_after=2026-13-45&created_before=99999-01-01",
    "?member=99999999999999999999&team=%00&site_kind=x",
    "?counted=%00",
    "?export=%00",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_a_tampered_query_string_is_never_a_server_error(
    cast: Cast, desk: Desk, tickets: dict[str, Ticket], as_user, query: str
) -> None:
    """Typed or tampered URLs (huge cursors, NUL, unknown filters and sorts) show the list,
    or say what is wrong; and never another member's ticket."""
    for who in (cast.alice, cast.bob, cast.olivia, cast.charlie):
        response = as_user(who).get("/tickets/" + query)
        assert response.status_code in (200, 400), (who.email, query)
        if who == cast.charlie:
            assert numbers(response.content.decode(), list(tickets.values())) == []
    ticket = tickets["screen"]
    assert as_user(cast.alice).get(f"/tickets/{ticket.number}/{query}").status_code == 200
    assert as_user(cast.charlie).get(f"/tickets/{ticket.number}/{query}").status_code == 404


def test_ticket_and_file_numbers_out_of_any_range_are_not_found(
    cast: Cast, desk: Desk, tickets: dict[str, Ticket], as_user
) -> None:
    client = as_user(cast.alice)
    ticket = tickets["screen"]
    for path in (
        "/tickets/99999999999999999999/",
        "/tickets/0/",
        f"/tickets/{ticket.number}/files/99999999999999999999/",
        "/tickets/99999999999999999999/reply/",
    ):
        assert client.get(path).status_code in (404, 405), path
        assert client.post(path, {"reply-body": "x"}).status_code == 404, path


def test_each_row_names_its_columns_for_the_cards_of_a_phone(
    cast: Cast, desk: Desk, tickets: dict[str, Ticket], as_user
) -> None:
    """On a phone the rows are stacked as cards, the header row out of sight (mutualis.css,
    "Ticket lists on a phone"): each value whose column it needs says it, in the person's
    language; the number, the title and the state say themselves."""
    page = as_user(cast.alice).get("/tickets/").content.decode()
    assert '<div class="table-scroll ticket-cards">' in page
    screen = tickets["screen"]
    assert (
        f'<tr><td><a href="/tickets/{screen.number}/">n° {screen.number}</a></td>'
        f'<th scope="row">{screen.title}</th><td><span class="state state-new">Nouveau</span></td>'
        f'<td data-label="Priorité">{screen.get_priority_display()}</td>'
        f'<td data-label="Site">{screen.site.name}</td>'
    ) in page
    for label in ("Catégorie", "Déclarée", "Dernière modification"):
        assert page.count(f'<td data-label="{label}">') == 3, label
    english = in_english(as_user, cast.alice).get("/tickets/").content.decode()
    assert english.count('<td data-label="Last change">') == 3
