"""The desk on other pages: home summaries, an asset's incidents, the menu."""

from __future__ import annotations

import pytest

from mutualis.people.roles import Role
from mutualis.servicedesk import services
from tests.conftest import Cast
from tests.factories import MembershipFactory

from .conftest import Desk
from .pages import broken_screen, camera, in_english

pytestmark = pytest.mark.django_db


def menu(client) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.label for item in client.get("/").context["menu"]]


def test_member_home_has_the_declare_button_and_the_latest_requests(cast: Cast, desk: Desk, as_user) -> None:
    screen = broken_screen(cast, desk)
    services.transition(ticket=screen, to="waiting_member", by=cast.olivia, as_staff=True)
    resolved = camera(cast, desk)
    services.transition(ticket=resolved, to="resolved", by=cast.olivia, as_staff=True)
    page = in_english(as_user, cast.alice).get("/").content.decode()
    assert 'href="/tickets/new/"' in page
    assert "Declare an incident" in page
    assert "1 open request" in page
    assert "1 waiting for your answer" in page
    assert '<span class="state state-waiting_member">Waiting for the member</span>' in page
    assert '<span class="state state-resolved">Resolved</span>' in page
    elected = in_english(as_user, cast.bob).get("/").content.decode()
    assert "Écran fissuré" in elected
    assert 'href="/tickets/new/"' not in elected
    assert "Écran fissuré" not in as_user(cast.charlie).get("/").content.decode()


def test_operator_home_counts_open_tickets(cast: Cast, desk: Desk, as_user) -> None:
    taken = broken_screen(cast, desk)
    services.take(ticket=taken, by=desk.tess)
    camera(cast, desk)
    page = in_english(as_user, desk.tess).get("/").content.decode()
    assert '<span class="stat">2</span> open tickets' in page
    assert '<a href="/desk/?queue=unassigned"><span class="stat">1</span> unassigned' in page
    assert '<a href="/desk/?queue=mine"><span class="stat">1</span> assigned to me' in page
    assert '<a href="/desk/?state=in_progress">In progress</a></th><td class="num">1</td>' in page
    other_operator = in_english(as_user, cast.oscar).get("/").content.decode()
    assert '<span class="stat">0</span> open tickets' in other_operator


def test_the_asset_page_lists_its_incidents_newest_first(cast: Cast, desk: Desk, as_user) -> None:
    first = broken_screen(cast, desk, title="Premier écran")
    second = broken_screen(cast, desk, title="Second écran")
    camera(cast, desk)
    page = in_english(as_user, cast.alice).get(f"/equipment/{desk.tablet.pk}/").content.decode()
    assert "2 incidents linked to this equipment" in page
    assert page.index("Second écran") < page.index("Premier écran")
    assert f'href="/tickets/{first.number}/"' in page
    assert f'href="/tickets/{second.number}/"' in page
    assert "Caméra du parking" not in page
    other = in_english(as_user, cast.alice).get(f"/equipment/{desk.other_tablet.pk}/").content.decode()
    assert "No incident is linked to this equipment." in other


def test_the_asset_page_shows_only_incidents_the_person_may_see(cast: Cast, desk: Desk, as_user) -> None:
    broken_screen(cast, desk, title="Vu du collège")
    contact = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="sam@mairie.example"
    )
    contact.sites.add(desk.college)
    services.link_asset(
        ticket=camera(cast, desk, title="Caméra et tablette"), asset=desk.tablet, by=cast.olivia
    )
    page = in_english(as_user, contact.user).get(f"/equipment/{desk.tablet.pk}/").content.decode()
    assert "Vu du collège" in page
    assert "Caméra et tablette" not in page  # a ticket of the fire station, not one of sam's sites


def test_menus_by_role(cast: Cast, desk: Desk, as_user) -> None:
    assert menu(in_english(as_user, cast.alice)) == [
        "Home",
        "Requests",
        "Declare",
        "Insights",
        "Sites",
        "Equipment",
    ]
    assert menu(in_english(as_user, cast.bob)) == ["Home", "Requests", "Insights", "Sites", "Equipment"]
    assert menu(in_english(as_user, cast.olivia)) == [
        "Home",
        "Queue",
        "Members",
        "Insights",
        "Sites",
        "Equipment",
        "Back-office",
    ]
    page = in_english(as_user, cast.alice).get("/tickets/").content.decode()
    assert '<a href="/tickets/" aria-current="page">Requests</a>' in page
