"""Exports of the ticket list, the desk and the satisfaction results with a filter naming
what the person may not see: no file (a file of the whole list would pass for the filtered
one), the page saying why, nothing of the outsider; valid filters still export. A filter
given twice exports nothing either (web/exports.py)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mutualis.registry.models import Member
from mutualis.servicedesk import services
from mutualis.servicedesk.models import Team, Ticket
from tests.conftest import Cast
from tests.export_checks import CORRECT_FIRST, DOWNLOAD_LINK, csv_rows, refused_page, repeated_page
from tests.factories import MemberFactory, SiteFactory

from .conftest import Desk
from .factories import TeamFactory
from .pages import broken_screen, camera, in_english

pytestmark = pytest.mark.django_db


@pytest.fixture
def nanterre_ticket(cast: Cast, desk: Desk) -> Ticket:
    """A ticket of member B, at a site of its own."""
    return services.open_ticket(
        site=SiteFactory(member=cast.member_b, kind=desk.station_kind, name="Caserne de Nanterre"),
        incident_type=desk.camera_offline,
        title="Caméra de Nanterre",
        by=cast.charlie,
    )


@pytest.fixture
def elsewhere(cast: Cast) -> tuple[Member, Team]:
    """A member and a team of another operator."""
    return (
        MemberFactory(operator=cast.other_operator, name="Commune lointaine"),
        TeamFactory(operator=cast.other_operator, name="Équipe lointaine"),
    )


def test_the_ticket_list_exports_nothing_for_another_members_site_or_equipment(
    cast: Cast, desk: Desk, nanterre_ticket: Ticket, as_user
) -> None:
    broken_screen(cast, desk)
    camera(cast, desk)
    client = in_english(as_user, cast.alice)
    outsider = ["Nanterre", "Caméra de Nanterre", cast.asset_b.inventory_tag]
    for name, value in (("site", nanterre_ticket.site_id), ("asset", cast.asset_b.pk)):
        for fmt in ("csv", "xlsx"):
            response = client.get("/tickets/", {name: value, "state": "open", "export": fmt})
            page = refused_page(response, field=name, absent=outsider)
            # The valid filter is kept; the invalid value is shown as such, not sent again.
            assert 'value="open" selected' in page
    # A value set by a link (the equipment's tickets) is said too, though it has no box.
    page = client.get("/tickets/", {"asset": cast.asset_b.pk}).content.decode()
    assert 'id="id_asset_error"' in page
    assert 'name="asset"' not in page
    # Her own site: the file holds that site's tickets, and only them.
    rows = csv_rows(client.get("/tickets/", {"site": desk.college.pk, "export": "csv"}))
    assert [r[1] for r in rows[1:]] == ["Écran fissuré"]


def test_the_ticket_list_page_says_the_filter_is_wrong_and_offers_no_export(
    cast: Cast, desk: Desk, nanterre_ticket: Ticket, as_user
) -> None:
    client = in_english(as_user, cast.alice)
    response = client.get("/tickets/", {"site": nanterre_ticket.site_id})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_site_error"' in page
    assert CORRECT_FIRST in page
    assert DOWNLOAD_LINK.search(page) is None
    assert "Nanterre" not in page
    assert DOWNLOAD_LINK.search(client.get("/tickets/", {"site": desk.college.pk}).content.decode())


def test_operator_staff_export_nothing_for_another_operators_member_team_or_person(
    cast: Cast, desk: Desk, elsewhere: tuple[Member, Team], as_user
) -> None:
    member, team = elsewhere
    broken_screen(cast, desk)
    client = in_english(as_user, cast.olivia)
    outsider = ["Commune lointaine", "Équipe lointaine", cast.oscar.email, cast.oscar.full_name]
    for name, value in (("member", member.pk), ("team", team.pk), ("assignee", cast.oscar.pk)):
        refused_page(client.get("/desk/", {name: value, "export": "csv"}), field=name, absent=outsider)
    rows = csv_rows(client.get("/desk/", {"member": cast.member_a.pk, "state": "", "export": "csv"}))
    assert [r[4] for r in rows[1:]] == ["Versailles"]


def test_the_desk_exports_nothing_for_a_queue_that_is_not_the_persons(
    cast: Cast, desk: Desk, elsewhere: tuple[Member, Team], as_user
) -> None:
    broken_screen(cast, desk)
    client = in_english(as_user, cast.olivia)
    # A team of her operator she is not in (tess's), and a team of another operator.
    for team in (desk.team, elsewhere[1]):
        response = client.get("/desk/", {"queue": f"team-{team.pk}", "export": "csv"})
        page = refused_page(response, field=None, absent=["Équipe lointaine"])
        assert "This queue is not one of yours: all tickets are shown." in page
    # tess, in the team, exports its queue.
    rows = csv_rows(
        in_english(as_user, desk.tess).get("/desk/", {"queue": f"team-{desk.team.pk}", "export": "csv"})
    )
    assert [r[1] for r in rows[1:]] == ["Écran fissuré"]


def test_the_desk_exports_nothing_for_two_queues_at_once(cast: Cast, desk: Desk, as_user) -> None:
    """`?queue=mine&queue=unassigned` showed and exported the last tab alone."""
    broken_screen(cast, desk)
    two_queues = {"queue": ["unassigned", f"team-{desk.team.pk}"], "state": ""}
    page = as_user(desk.tess).get("/desk/", {**two_queues, "export": "csv"}).content.decode()
    assert ("2 onglets sont donnés à la fois : choisissez-en un. L’onglet « Tous » est affiché.") in page
    client = in_english(as_user, desk.tess)
    for fmt in ("csv", "xlsx"):
        page = refused_page(client.get("/desk/", {**two_queues, "export": fmt}), field=None)
        assert "2 tabs are given at once: choose one. The tab “All” is shown." in page
    # The page itself shows every ticket, says why, and offers no export.
    page = client.get("/desk/", two_queues).content.decode()
    assert "2 tabs are given at once" in page
    assert "Écran fissuré" in page
    assert DOWNLOAD_LINK.search(page) is None
    # One tab still exports.
    rows = csv_rows(client.get("/desk/", {"queue": f"team-{desk.team.pk}", "export": "csv"}))
    assert [r[1] for r in rows[1:]] == ["Écran fissuré"]
    # A member's elected official never reaches the desk, nor its files.
    response = as_user(cast.bob).get("/desk/", {**two_queues, "export": "csv"})
    assert response.status_code == 403
    assert not response.has_header("Content-Disposition")


def test_the_ticket_list_exports_nothing_for_two_views_at_once(
    cast: Cast, desk: Desk, nanterre_ticket: Ticket, as_user
) -> None:
    """`?view=mine&view=member` exported the last view alone; the page shows the default."""
    broken_screen(cast, desk)
    two_views = {"view": ["mine", "member"]}
    page = as_user(cast.alice).get("/tickets/", {**two_views, "export": "xlsx"}).content.decode()
    assert (
        "2 onglets sont donnés à la fois : choisissez-en un. L’onglet « Tout mon adhérent » est affiché."
        in page
    )
    client = in_english(as_user, cast.alice)
    for fmt in ("csv", "xlsx"):
        page = refused_page(
            client.get("/tickets/", {**two_views, "export": fmt}), field=None, absent=["Nanterre"]
        )
        assert "2 tabs are given at once: choose one. The tab “All of my member” is shown." in page
    page = client.get("/tickets/", two_views).content.decode()
    assert "Écran fissuré" in page
    assert "Nanterre" not in page
    assert DOWNLOAD_LINK.search(page) is None
    # One view exports; member B's agent, given the same tabs, sees only B's tickets.
    assert [r[1] for r in csv_rows(client.get("/tickets/", {"view": "member", "export": "csv"}))[1:]] == [
        "Écran fissuré"
    ]
    page = refused_page(
        in_english(as_user, cast.charlie).get("/tickets/", {**two_views, "export": "csv"}),
        field=None,
        absent=["Écran fissuré"],
    )
    assert "Caméra de Nanterre" in page


def test_the_ticket_list_exports_nothing_for_a_tab_the_person_does_not_have(
    cast: Cast, desk: Desk, nanterre_ticket: Ticket, as_user
) -> None:
    """An elected official declares nothing: `?view=mine` showed and exported the whole
    member's tickets, a file that would pass for "declared by me"."""
    broken_screen(cast, desk)
    page = as_user(cast.bob).get("/tickets/", {"view": "mine", "export": "csv"}).content.decode()
    assert "Cet onglet n’est pas l’un des vôtres : l’onglet « Tout mon adhérent » est affiché." in page
    client = in_english(as_user, cast.bob)
    for fmt in ("csv", "xlsx"):
        page = refused_page(
            client.get("/tickets/", {"view": "mine", "export": fmt}), field=None, absent=["Nanterre"]
        )
        assert "This tab is not one of yours: the tab “All of my member” is shown." in page
    # His own member's tickets are shown, and a tab he has exports them.
    page = client.get("/tickets/", {"view": "mine"}).content.decode()
    assert "Écran fissuré" in page
    assert "Nanterre" not in page
    rows = csv_rows(client.get("/tickets/", {"view": "member", "export": "csv"}))
    assert [r[1] for r in rows[1:]] == ["Écran fissuré"]


def test_satisfaction_results_export_nothing_for_another_operators_team(
    cast: Cast, desk: Desk, elsewhere: tuple[Member, Team], as_user
) -> None:
    month = timezone.localdate().strftime("%Y-%m")
    period = {"start": month, "end": month}
    client = in_english(as_user, cast.olivia)
    response = client.get("/desk/satisfaction/", {**period, "team": elsewhere[1].pk, "export": "csv"})
    refused_page(response, field="team", absent=["Équipe lointaine"])
    rows = csv_rows(client.get("/desk/satisfaction/", {**period, "team": desk.team.pk, "export": "csv"}))
    assert rows[0][0] == "Team"


@pytest.mark.parametrize(("url", "who"), [("/desk/", "olivia"), ("/tickets/", "alice")])
def test_a_filter_given_twice_exports_nothing(
    cast: Cast, desk: Desk, nanterre_ticket: Ticket, as_user, url: str, who: str
) -> None:
    """`?state=new&state=closed` was read as the closed tickets alone: a file of them would
    pass for the new and the closed ones."""
    broken_screen(cast, desk)
    client = in_english(as_user, getattr(cast, who))
    outsider = ["Caméra de Nanterre"] if who == "alice" else []
    for fmt in ("csv", "xlsx"):
        response = client.get(url, {"state": ["new", "closed"], "export": fmt})
        repeated_page(response, label="State")
        for text in outsider:
            assert text not in response.content.decode()
    # An empty value counts: it is a value the form would have read instead.
    repeated_page(client.get(url, {"state": ["new", "closed", ""], "export": "csv"}), label="State", times=3)
    rows = csv_rows(client.get(url, {"state": "new", "export": "csv"}))
    titles = [r[1] for r in rows[1:]]
    assert "Écran fissuré" in titles
    assert ("Caméra de Nanterre" in titles) is (who == "olivia")


def test_a_filter_given_twice_is_said_in_french(cast: Cast, desk: Desk, as_user) -> None:
    response = as_user(cast.olivia).get("/desk/", {"priority": ["2", "4"], "state": "", "export": "xlsx"})
    assert response.status_code == 400
    assert not response.has_header("Content-Disposition")
    page = response.content.decode()
    assert (
        "Le filtre « Priorité » est donné 2 fois : choisissez une seule valeur. Rien n’a été exporté."
    ) in page
    response = as_user(cast.olivia).get("/desk/", {"state": ["new", "closed"], "export": "csv"})
    assert "Le filtre « État » est donné 2 fois : choisissez une seule valeur." in response.content.decode()
