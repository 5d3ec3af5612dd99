"""Logging in with ProConnect in a real browser, with the keyboard alone: the button on the
login page, the round trip through a local stand-in for ProConnect, and logging out of both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from mutualis.people import proconnect
from tests.browser.test_accessibility import violations
from tests.browser.test_people import focused, tab_to
from tests.conftest import Cast
from tests.people.fake_proconnect import CLIENT_ID, CLIENT_SECRET, FakeProConnect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(live_server, settings: Any) -> Iterator[FakeProConnect]:  # type: ignore[no-untyped-def]
    fake = FakeProConnect().start()
    settings.PROCONNECT_ISSUER = fake.issuer
    settings.PROCONNECT_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
    settings.SITE_URL = live_server.url  # where ProConnect sends the browser back
    proconnect.clear_caches()
    yield fake
    fake.stop()
    proconnect.clear_caches()


def test_log_in_and_out_with_proconnect_with_the_keyboard(
    live_server, page: Page, cast: Cast, provider: FakeProConnect
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    assert violations(page) == []
    tab_to(page, "S’identifier avec ProConnect")
    # The focus is seen: the project's ring, not the browser's default or nothing.
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    expect(page.get_by_role("button", name="S’identifier avec ProConnect")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page).startswith("Qu’est-ce que ProConnect ?")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("link", name=cast.alice.full_name)).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté de Mutualis et de ProConnect.")
    assert page.url == f"{live_server.url}/accounts/login/"
    assert len(provider.ended_sessions) == 1


def test_an_unknown_agent_reads_whom_to_ask(
    live_server, page: Page, cast: Cast, provider: FakeProConnect
) -> None:
    provider.email = "nouvel.agent@versailles.example"
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion avec ProConnect")
    expect(page.get_by_role("alert")).to_contain_text("aucun compte Mutualis actif n’utilise cette adresse")
    assert violations(page) == []
    page.get_by_role("link", name="Retour à la page de connexion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Mutualis")
