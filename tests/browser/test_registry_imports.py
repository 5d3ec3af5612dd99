"""The imports, keyboard only, on a desktop and a phone: upload, report, import; axe at each
step; the long steps say they are working and a second press sends nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mutualis.people.models import Role
from mutualis.registry.models import ImportBatch, ImportStatus, Site
from tests.browser.conftest import OpenPage
from tests.browser.test_accessibility import violations
from tests.browser.test_roles import log_in
from tests.conftest import Cast
from tests.factories import MembershipFactory
from tests.registry.import_files import SITE_HEADER, csv_bytes, reference_lists

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]


@pytest.fixture(autouse=True)
def _files(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))


def tab_to(page: Page, target: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return
    raise AssertionError(f"{target} not reached by Tab; stopped on {focused(page)}")


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", WIDTHS)
def test_a_file_checked_then_imported_with_the_keyboard(
    live_server, open_page: OpenPage, cast: Cast, tmp_path: Path, width: int
) -> None:
    reference_lists()
    bad = tmp_path / "sites-with-a-mistake.csv"
    bad.write_bytes(
        csv_bytes(SITE_HEADER, [("78646", "mairrie", "Annexe", "ANX", "78000", "78646")], encoding="cp1252")
    )
    good = tmp_path / "sites.csv"
    good.write_bytes(csv_bytes(SITE_HEADER, [("78646", "mairie", "Annexe", "ANX", "78000", "78646")]))
    page = open_page(viewport={"width": width, "height": 900})
    log_in(page, live_server.url, cast.adam.email)
    page.goto(f"{live_server.url}/imports/new/")
    assert violations(page) == []

    for path, expected in [(bad, "Comporte des erreurs"), (good, "Prêt à importer")]:
        page.goto(f"{live_server.url}/imports/new/")
        tab_to(page, "id_kind_0")
        tab_to(page, "id_file")
        # The system's file dialog is no part of the page: the file is given to the field
        # the keyboard reached, and the keyboard goes on from there.
        expect(page.get_by_label("Fichier (CSV ou Excel)")).to_be_focused()
        page.get_by_label("Fichier (CSV ou Excel)").set_input_files(str(path))
        page.keyboard.press("Tab")
        assert focused(page) == "Vérifier le fichier"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
        expect(page.locator("dl.facts strong")).to_have_text(expected)
        assert violations(page) == []
        assert no_sideways_scroll(page)
    # The mistake was named by line and column, with what to write instead.
    batch = ImportBatch.objects.order_by("pk").first()
    assert batch is not None
    assert batch.status == ImportStatus.INVALID
    page.goto(f"{live_server.url}/imports/{batch.pk}/")
    row = page.get_by_role("row", name=re.compile("mairrie"))
    expect(row).to_contain_text("kind")
    expect(row).to_contain_text("Vouliez-vous dire « Mairie » ?")

    page.goto(f"{live_server.url}/imports/{ImportBatch.objects.latest('pk').pk}/")
    tab_to(page, "Importer maintenant")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Importé : 1 créé, 0 mis à jour, 0 inchangé.")).to_be_visible()
    assert violations(page) == []
    assert no_sideways_scroll(page)
    assert Site.objects.filter(code="ANX").count() == 1


def test_checking_says_it_is_working_and_a_second_press_sends_nothing(
    live_server, page: Page, cast: Cast, tmp_path: Path
) -> None:
    reference_lists()
    path = tmp_path / "sites.csv"
    path.write_bytes(csv_bytes(SITE_HEADER, [("78646", "mairie", "Annexe", "ANX", "78000", "78646")]))
    log_in(page, live_server.url, cast.adam.email)
    page.goto(f"{live_server.url}/imports/new/")
    page.get_by_label("Fichier (CSV ou Excel)").set_input_files(str(path))
    # The server's long work, frozen: a listener after the page's own keeps the form from
    # leaving, and counts the submissions the page's script let through.
    page.evaluate(
        """() => {
            window.sent = 0;
            document.querySelector("form[data-busy]").addEventListener("submit", (event) => {
                if (!event.defaultPrevented) window.sent += 1;
                event.preventDefault();
            });
        }"""
    )
    button = page.get_by_role("button", name="Vérifier le fichier")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Vérification du fichier… Un fichier de plusieurs milliers de lignes prend jusqu’à une minute : "
        "restez sur cette page."
    )
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    assert page.evaluate("window.sent") == 1
    assert not ImportBatch.objects.exists()


def test_a_long_contact_address_does_not_widen_the_site_page_on_a_phone(
    live_server, open_page: OpenPage, cast: Cast
) -> None:
    contact = MembershipFactory(
        member=cast.member_a,
        role=Role.MEMBER_AGENT,
        job_title="Gestionnaire de bâtiment",
        user__email="gestionnaire.batiments.patrimoine@versailles.mutualis.example",
    )
    contact.sites.add(cast.site_a)
    page = open_page(viewport={"width": 390, "height": 900})
    log_in(page, live_server.url, cast.olivia.email)
    page.goto(f"{live_server.url}/sites/{cast.site_a.pk}/")
    expect(page.get_by_role("link", name=contact.user.email)).to_be_visible()
    assert no_sideways_scroll(page)
    assert violations(page) == []
    # A user of another member: the same page is not found.
    page = open_page(viewport={"width": 390, "height": 900})
    log_in(page, live_server.url, cast.charlie.email)
    response = page.goto(f"{live_server.url}/sites/{cast.site_a.pk}/")
    assert response is not None
    assert response.status == 404


@pytest.mark.parametrize("width", WIDTHS)
def test_the_changes_an_update_makes_read_on_a_phone(
    live_server, open_page: OpenPage, cast: Cast, width: int
) -> None:
    from mutualis.registry.imports import create_batch

    reference_lists()
    Site.objects.filter(pk=cast.site_a.pk).update(
        code="HDV", address="4 avenue de Paris, bâtiment administratif"
    )
    data = csv_bytes(
        (*SITE_HEADER, "address"),
        [("78646", "mairie", "Hôtel de ville de Versailles, accueil du public", "HDV", "78000", "78646", "")],
    )
    batch = create_batch(operator=cast.operator, kind="sites", mode="update", file_name="s.csv", data=data)
    page = open_page(viewport={"width": width, "height": 900})
    log_in(page, live_server.url, cast.adam.email)
    page.goto(f"{live_server.url}/imports/{batch.pk}/")
    table = page.get_by_role("table", name="1 ligne à mettre à jour, par ligne du fichier")
    expect(table).to_contain_text("address : « 4 avenue de Paris, bâtiment administratif » → (vide)")
    assert violations(page) == []
    assert no_sideways_scroll(page)
