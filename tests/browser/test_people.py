"""One's account in a real browser, with the keyboard alone and on a phone: a forgotten
password reset through a link received by a real SMTP server, API tokens at 390 px."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from mutualis.jobs import run_pending
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Un-Nouveau-Secret-2026"
PHONE = {"width": 390, "height": 844}


@dataclass
class Inbox:
    """What the SMTP server received: (recipients, plain text body)."""

    messages: list[tuple[list[str], str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        self.messages.append((list(envelope.rcpt_tos), str(body.get_content())))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield received
    finally:
        controller.stop()


def focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.textContent.trim() || document.activeElement.id"))


def tab_to(page: Page, name: str, most: int = 30) -> None:
    for _ in range(most):
        page.keyboard.press("Tab")
        if focused(page) == name:
            return
    raise AssertionError(f"{name!r} not reached with Tab")


def test_a_forgotten_password_with_the_keyboard_on_a_phone(
    live_server, browser: Browser, cast: Cast, inbox: Inbox, settings: Any
) -> None:
    settings.SITE_URL = live_server.url  # the address the emailed link points at
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, "Mot de passe oublié ?")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié ?")
    assert violations(page) == []
    page.keyboard.type(cast.alice.email)  # the field has the focus
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos courriels")
    assert violations(page) == []

    run_pending()  # the worker sends the email
    [(to, text)] = inbox.messages
    assert to == [cast.alice.email]
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", text)
    assert link is not None, text

    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un nouveau mot de passe")
    assert "/set-password/" in page.url  # the token left the address bar
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    tab_to(page, "id_new_password1")
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Votre mot de passe a été changé. Connectez-vous avec celui-ci."
    )

    page.get_by_label("Adresse électronique").fill(cast.alice.email)
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    # The same link once more: it says so, and what to do instead.
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien ne fonctionne plus")
    expect(page.get_by_role("link", name="Demander un nouveau lien")).to_be_visible()
    assert violations(page) == []
    context.close()


def test_api_tokens_on_a_phone_stay_within_the_screen(live_server, browser: Browser, cast: Cast) -> None:
    """Found at 390 px: the table's hidden button texts, placed outside its scrolling box,
    made the whole page scroll sideways, and so did the secret repeated in the example."""
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server.url, cast.alice.email)
    for name in ["Inventaire des tablettes du collège", "Supervision"]:
        page.goto(f"{live_server.url}/accounts/profile/")
        page.get_by_label("Nom du jeton").fill(name)
        page.get_by_label("Nom du jeton").press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Jeton créé")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert violations(page) == []
    page.goto(f"{live_server.url}/accounts/profile/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_role("button", name="Révoquer Supervision")).to_be_visible()
    assert violations(page) == []
    page.get_by_role("button", name="Révoquer Supervision").press("Enter")
    expect(page.get_by_role("status")).to_have_text("Le jeton « Supervision » est révoqué.")
    context.close()
