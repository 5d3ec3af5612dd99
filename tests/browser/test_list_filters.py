"""Filtering a list on a phone (390 px), with a keyboard and a screen reader in mind: the count
of what the filters found takes the focus and is in the title, the filters in use stay in view,
"Effacer les filtres" undoes them; axe finds nothing. Read in French, as the demo's people do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from mutualis.servicedesk import services
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.factories import AssetFactory, SiteFactory
from tests.servicedesk.conftest import Desk
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401 (fixture)
from tests.servicedesk.pages import broken_screen, camera

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(request: pytest.FixtureRequest) -> Desk:
    found: Desk = request.getfixturevalue("service_desk")
    return found


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def results(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("heading", level=2).and_(page.locator("[data-results]"))


def test_filtering_the_tickets_on_a_phone(live_server, phone: Page, cast: Cast, desk: Desk) -> None:
    screen = broken_screen(cast, desk)
    camera(cast, desk)
    broken_screen(cast, desk, title="Écran noir")
    services.transition(ticket=screen, to="resolved", by=cast.olivia, as_staff=True)
    # Another member's ticket: never listed, never counted.
    services.open_ticket(
        site=SiteFactory(member=cast.member_b, kind=desk.station_kind),
        incident_type=desk.camera_offline,
        title="Caméra de Nanterre",
        by=cast.charlie,
    )
    page = phone
    log_in(page, live_server.url, cast.alice.email)
    page.goto(f"{live_server.url}/tickets/")
    expect(page).to_have_title("Demandes (3) – Mutualis")
    # A plain visit: the results come first on a phone, the box is folded, nothing moves the focus.
    filters = page.locator("details#filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(results(page)).to_have_text("3 demandes")
    expect(results(page)).not_to_be_focused()

    filters.locator("summary").click()
    page.get_by_label("État").select_option(label="Résolu")
    page.get_by_role("button", name="Filtrer").click()

    expect(page).to_have_title("Demandes (1) – Mutualis")
    heading = results(page)
    expect(heading).to_have_text("1 demande")
    expect(heading).to_be_focused()
    expect(heading).to_be_in_viewport()
    # The filters in use are in view beside the count, and the box stays open to change them.
    chosen = page.get_by_role("list", name="Filtres appliqués :")
    expect(chosen).to_have_text("État : Résolu")
    expect(chosen).to_be_in_viewport()
    expect(page.get_by_role("link", name="Effacer les filtres")).to_be_in_viewport()
    expect(filters).to_have_attribute("open", "")
    expect(page.get_by_label("État")).to_be_visible()
    expect(page.locator("table").get_by_text("Écran fissuré", exact=True)).to_be_visible()
    expect(page.get_by_text("Caméra de Nanterre")).to_have_count(0)
    assert violations(page) == []

    # "Modifier les filtres" puts the keyboard in the box.
    page.get_by_role("link", name="Modifier les filtres").click()
    expect(page.get_by_label("Rechercher")).to_be_focused()
    page.get_by_label("Rechercher").fill("imprimante")
    page.keyboard.press("Enter")
    expect(page).to_have_title("Demandes (0) – Mutualis")
    expect(results(page)).to_have_text("Aucune demande ne correspond à ces filtres.")
    expect(results(page)).to_be_focused()
    expect(page.get_by_role("list", name="Filtres appliqués :").get_by_role("listitem")).to_have_text(
        ["Rechercher : « imprimante »", "État : Résolu"]
    )
    assert violations(page) == []

    page.get_by_role("link", name="Effacer les filtres").click()
    expect(page).to_have_title("Demandes (3) – Mutualis")
    expect(results(page)).to_have_text("3 demandes")
    expect(results(page)).to_be_focused()
    expect(page.get_by_role("link", name="Effacer les filtres")).to_have_count(0)
    # Reloaded without the filters being sent: the focus stays at the top of the page.
    page.reload()
    expect(results(page)).not_to_be_focused()


def test_the_equipment_list_shares_the_filter_box(live_server, phone: Page, cast: Cast) -> None:
    AssetFactory(site=cast.site_a, status="in_repair", inventory_tag="A-0002")
    page = phone
    log_in(page, live_server.url, cast.alice.email)
    page.goto(f"{live_server.url}/equipment/")
    expect(page).to_have_title("Équipements (2) – Mutualis")
    page.locator("details#filters summary").click()
    page.get_by_label("État").select_option(label="en réparation")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_title("Équipements (1) – Mutualis")
    expect(results(page)).to_have_text("1 équipement")
    expect(results(page)).to_be_focused()
    expect(page.get_by_role("list", name="Filtres appliqués :")).to_have_text("État : en réparation")
    expect(page.get_by_role("link", name="A-0002")).to_be_visible()
    expect(page.get_by_role("link", name="A-0001")).to_have_count(0)
    assert violations(page) == []
