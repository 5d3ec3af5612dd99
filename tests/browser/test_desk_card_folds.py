"""The desk's queue on a phone (390 px): a ticket at a site named as its member (a collège and
its one building, as the demo's twelve collèges) names it once. Its card read "Collège
Joliot-Curie · Collège Joliot-Curie (Collège)", a line and more repeating the one above (232 px
high in the demo, among its tallest); it reads "Collège Joliot-Curie (Collège)" now (215 px),
for screen readers too, and nothing else is left out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from mutualis.servicedesk.models import Ticket
from tests.browser.test_accessibility import violations
from tests.browser.test_servicedesk import log_in
from tests.browser.test_ticket_lists_phone import PHONE, on, tickets  # noqa: F401 (fixture)
from tests.conftest import Cast
from tests.servicedesk.conftest import desk as service_desk  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A collège's card here was 159 px high with its name twice, as the fire station's still are
# (a member, then a site of another name); 142 px with it once.
FOLDED = 150

CARDS = """() => [...document.querySelectorAll('.ticket-cards tbody tr')].map((row) => ({
  height: Math.round(row.getBoundingClientRect().height),
  where: row.querySelector('td[data-label="Adhérent et site"]').innerText.replace(/\\s+/g, ' ').trim(),
}))"""


def test_a_site_named_as_its_member_is_named_once_on_a_card(
    live_server,
    browser: Browser,
    cast: Cast,
    tickets: list[Ticket],  # noqa: F811
) -> None:
    college, station = tickets[0].site, tickets[1].site  # the screens', the cameras'
    member = college.member
    member.name = "Collège Jules-Ferry de Conflans-Sainte-Honorine"
    member.save(update_fields=["name"])
    college.name = member.name
    college.save(update_fields=["name"])
    context, page = on(browser, PHONE)
    log_in(page, live_server.url, cast.olivia)
    page.goto(f"{live_server.url}/desk/")
    cards = page.evaluate(CARDS)
    at_station = [card for card in cards if station.name in card["where"]]
    at_college = [card for card in cards if card not in at_station]
    assert len(at_college) == 3, cards
    for card in at_college:
        assert card["where"] == f"{member.name} ({college.kind.name})", card
        assert card["height"] < FOLDED, card
    # Elsewhere, the member and then its site, as before.
    assert len(at_station) == 3, cards
    for card in at_station:
        assert card["where"].startswith(station.member.name), card
        assert card["where"].endswith(f"{station.name} ({station.kind.name})"), card
        assert card["height"] >= FOLDED, card
    assert violations(page) == []
    context.close()
