"""In a real browser: what a member agent and an operator agent each see."""

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from tests.conftest import Cast
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def french(text: str) -> str:
    """A menu label as the French catalogue says it (whatever its translator chose)."""
    with translation.override("fr"):
        return translation.gettext(text)


def menu_labels(page: Page) -> list[str]:
    return [
        t.strip()
        for t in page.get_by_role("navigation", name="Menu principal").get_by_role("link").all_inner_texts()
    ]


def test_member_agent_sees_their_member_only(live_server, page: Page, cast: Cast) -> None:
    log_in(page, live_server.url, cast.alice.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Versailles")
    assert menu_labels(page) == [
        "Accueil",
        french("Requests"),
        french("Declare"),
        french("Insights"),
        "Sites",
        "Équipements",
    ]
    expect(page.get_by_role("link", name="Mairie de Versailles")).to_be_visible()
    expect(page.get_by_text("Nanterre")).to_have_count(0)

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Équipements").click()
    expect(page).to_have_title("Équipements (1) – Mutualis")
    expect(page.get_by_role("link", name="A-0001")).to_be_visible()
    expect(page.get_by_role("link", name="B-0001")).to_have_count(0)

    # Another member's equipment by its address: the same "not found" as a missing page.
    response = page.goto(f"{live_server.url}/equipment/{cast.asset_b.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")


def test_operator_agent_sees_every_member_and_the_back_office(live_server, page: Page, cast: Cast) -> None:
    log_in(page, live_server.url, cast.olivia.email)
    expect(page.get_by_role("heading", level=1)).to_have_text(cast.operator.name)
    assert menu_labels(page) == [
        "Accueil",
        french("Queue"),
        "Adhérents",
        french("Insights"),
        "Sites",
        "Équipements",
        "Back-office",
    ]
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Adhérents").click()
    expect(page.get_by_role("link", name="Versailles")).to_be_visible()
    expect(page.get_by_role("link", name="Nanterre")).to_be_visible()
    page.get_by_role("link", name="Back-office").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Référentiel et personnes")


def test_keyboard_user_reaches_the_content_through_the_skip_link(live_server, page: Page, cast: Cast) -> None:
    log_in(page, live_server.url, cast.alice.email)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_pages_fit_a_phone_screen(live_server, browser, cast: Cast) -> None:
    # 320 px: the width WCAG 1.4.10 asks a page to reflow to (at 320 px the accessibility
    # statement's web address, one long word, pushed the page 30 px sideways).
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 740}, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server.url, cast.olivia.email)
    for path in (
        "/",
        "/members/",
        "/sites/",
        "/equipment/",
        f"/sites/{cast.site_a.pk}/",
        f"/equipment/{cast.asset_a.pk}/",
        f"/members/{cast.member_a.pk}/",
        "/accessibility/",
    ):
        page.goto(live_server.url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    context.close()
