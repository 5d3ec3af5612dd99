"""A filtered list says what it found: its count in the page's title and in the heading of its
results (includes/results.html), the filters in use in words, and a link that clears them.

Read in French, as the people of the demo read them: French counts 0 and 1 in the singular.
"""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from mutualis.servicedesk import services
from mutualis.servicedesk.models import Ticket
from tests.conftest import Cast
from tests.factories import AssetFactory, MemberFactory, SiteFactory
from tests.servicedesk.conftest import Desk
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401 (fixture)
from tests.servicedesk.pages import broken_screen, camera

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
HEADING = re.compile(r'<h2 class="results-count"[^>]*>(.*?)</h2>', re.S)
CHOSEN = re.compile(r'<ul class="active-filters"[^>]*>(.*?)</ul>', re.S)
CLEAR = re.compile(r'<a href="([^"]*)" data-filters-sent>Effacer les filtres</a>')


def said(client: Client, path: str) -> dict[str, object]:
    """What the list page at `path` says of its results: title, heading, filters in use, and
    the address of "Effacer les filtres" (None when no filter is in use)."""
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    chosen = CHOSEN.search(page)
    clear = CLEAR.search(page)
    return {
        "title": html.unescape(TITLE.search(page).group(1)).strip(),  # type: ignore[union-attr]
        "heading": html.unescape(HEADING.search(page).group(1)).strip(),  # type: ignore[union-attr]
        "chosen": [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", chosen.group(1))]
        if chosen
        else [],
        "clear": html.unescape(clear.group(1)) if clear else None,
    }


@pytest.fixture
def desk(request: pytest.FixtureRequest) -> Desk:
    found: Desk = request.getfixturevalue("service_desk")
    return found


def test_the_ticket_list_counts_none_one_and_many(cast: Cast, desk: Desk, as_user) -> None:
    alice = as_user(cast.alice)
    assert said(alice, "/tickets/") == {
        "title": "Demandes (0) – Mutualis",
        "heading": "0 demande",
        "chosen": [],
        "clear": None,
    }
    screen = broken_screen(cast, desk)
    assert said(alice, "/tickets/")["heading"] == "1 demande"
    assert said(alice, "/tickets/")["title"] == "Demandes (1) – Mutualis"
    camera(cast, desk)
    broken_screen(cast, desk, title="Écran noir")
    assert said(alice, "/tickets/")["heading"] == "3 demandes"
    assert said(alice, "/tickets/")["title"] == "Demandes (3) – Mutualis"

    services.transition(ticket=screen, to="resolved", by=cast.olivia, as_staff=True)
    assert said(alice, "/tickets/?view=member&state=resolved&q=") == {
        "title": "Demandes (1) – Mutualis",
        "heading": "1 demande",
        "chosen": ["État : Résolu"],
        "clear": "?view=member",  # the chosen view is kept, the filters go
    }
    assert said(alice, f"/tickets/?view=mine&state=open&site={desk.college.pk}") == {
        "title": "Demandes (1) – Mutualis",
        "heading": "1 demande",
        "chosen": ["État : Ouvertes (pas encore résolues)", "Site : Collège Hoche"],
        "clear": "?view=mine",
    }
    assert said(alice, "/tickets/?q=imprimante&priority=1") == {
        "title": "Demandes (0) – Mutualis",
        "heading": "Aucune demande ne correspond à ces filtres.",
        "chosen": ["Rechercher : « imprimante »", "Priorité : P1 – critique"],
        "clear": "?view=member",
    }
    # A value the list could not use is not said as in use (the box says it beside its
    # field), but it can be cleared.
    assert said(alice, "/tickets/?state=banana") == {
        "title": "Demandes (3) – Mutualis",
        "heading": "3 demandes",
        "chosen": [],
        "clear": "?view=member",
    }


def test_a_capped_count_says_more_than(cast: Cast, desk: Desk, as_user, monkeypatch) -> None:
    camera(cast, desk)
    camera(cast, desk, title="Caméra du portail")
    monkeypatch.setattr("mutualis.servicedesk.views.common.capped_count", lambda qs: (10_000, True))
    # The list fits on one page: it is its own count, whatever a capped count would say.
    assert said(as_user(cast.alice), "/tickets/")["heading"] == "2 demandes"
    monkeypatch.setattr("mutualis.servicedesk.views.common.PAGE_SIZE", 1)
    with_cap = said(as_user(cast.olivia), "/tickets/?state=open")
    assert with_cap["heading"] == "plus de 10\xa0000 demandes"
    assert with_cap["title"] == "Demandes (plus de 10\xa0000) – Mutualis"


def test_another_members_tickets_are_never_counted(cast: Cast, desk: Desk, as_user) -> None:
    broken_screen(cast, desk)
    camera(cast, desk)
    charlie = as_user(cast.charlie)
    assert said(charlie, "/tickets/")["title"] == "Demandes (0) – Mutualis"
    # Member A's site as a filter is a value charlie may not use: refused, never counted.
    refused = said(charlie, f"/tickets/?site={desk.college.pk}")
    assert (refused["heading"], refused["chosen"]) == ("0 demande", [])
    assert "Collège Hoche" not in charlie.get(f"/tickets/?site={desk.college.pk}").content.decode()
    nanterre = services.open_ticket(
        site=SiteFactory(member=cast.member_b, kind=desk.station_kind),
        incident_type=desk.camera_offline,
        title="Caméra de Nanterre",
        by=cast.charlie,
    )
    assert Ticket.objects.count() == 3
    assert said(charlie, "/tickets/")["heading"] == "1 demande"
    assert said(charlie, f"/tickets/?q={nanterre.title}")["title"] == "Demandes (1) – Mutualis"
    # Another operator's staff count none of them.
    assert said(as_user(cast.oscar), "/tickets/")["title"] == "Demandes (0) – Mutualis"
    assert said(as_user(cast.olivia), "/tickets/")["heading"] == "3 demandes"


def test_the_registry_lists_count_and_name_their_filters(cast: Cast, as_user) -> None:
    alice = as_user(cast.alice)
    assert said(alice, "/sites/") == {
        "title": "Sites (1) – Mutualis",
        "heading": "1 site",
        "chosen": [],
        "clear": None,
    }
    SiteFactory(member=cast.member_a, name="École Jules Ferry")
    assert said(alice, "/sites/")["heading"] == "2 sites"
    assert said(alice, "/sites/?q=ferry") == {
        "title": "Sites (1) – Mutualis",
        "heading": "1 site",
        "chosen": ["Rechercher : « ferry »"],
        "clear": "?",
    }
    assert said(alice, "/sites/?active=no")["heading"] == "Aucun site ne correspond à ces filtres."

    assert said(alice, "/equipment/")["heading"] == "1 équipement"
    AssetFactory(site=cast.site_a, status="in_repair")
    AssetFactory(site=cast.site_a, status="in_repair")
    assert said(alice, "/equipment/") == {
        "title": "Équipements (3) – Mutualis",
        "heading": "3 équipements",
        "chosen": [],
        "clear": None,
    }
    repairs = said(alice, "/equipment/?status=in_repair")
    assert (repairs["heading"], repairs["chosen"]) == ("2 équipements", ["État : en réparation"])
    assert said(alice, "/equipment/?status=lost")["title"] == "Équipements (0) – Mutualis"

    olivia = as_user(cast.olivia)
    MemberFactory(operator=cast.other_operator, name="Commune d'un autre opérateur")
    assert said(olivia, "/members/")["title"] == "Adhérents (2) – Mutualis"
    only_b = said(olivia, f"/members/?q={cast.member_b.name}")
    assert only_b["heading"] == "1 adhérent"


def test_another_members_sites_and_equipment_are_never_counted(cast: Cast, as_user) -> None:
    for _ in range(3):
        AssetFactory(site=SiteFactory(member=cast.member_a))
    charlie = as_user(cast.charlie)
    assert said(charlie, "/sites/")["heading"] == "1 site"
    assert said(charlie, "/equipment/")["title"] == "Équipements (1) – Mutualis"
    # Member A's name as a search finds nothing of member A's.
    assert said(charlie, "/sites/?q=Versailles")["heading"] == "Aucun site ne correspond à ces filtres."
    assert said(as_user(cast.oscar), "/sites/")["title"] == "Sites (0) – Mutualis"
