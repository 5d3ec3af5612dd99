"""The back office's page titles read as French: Django's own say "Ajout de équipe" (no
elision) and "Modification de équipe"; ours name the action, then the model."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import Cast
from tests.servicedesk.factories import TeamFactory

pytestmark = pytest.mark.django_db

TEAMS = "/backoffice/servicedesk/team/"


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found is not None
    return " ".join(html.unescape(found.group(1)).split())


def _h1(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page.split('id="content"', 1)[1], re.S)
    assert found is not None
    return " ".join(html.unescape(found.group(1)).split())


def test_the_add_page_and_its_button_say_ajouter(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    listing = html.unescape(client.get(TEAMS).content.decode())
    assert re.search(r'class="addlink">\s*Ajouter : équipe\s*</a>', listing)
    page = client.get(TEAMS + "add/").content.decode()
    assert _title(page).startswith("Ajouter : équipe |")
    assert _h1(page) == "Ajouter : équipe"
    text = html.unescape(page)
    assert "&rsaquo; Ajouter : équipe" in page or "› Ajouter : équipe" in text
    assert "Ajout de" not in text
    assert "Ajouter équipe" not in text


def test_the_change_and_delete_pages_name_the_model_after_a_colon(cast: Cast, as_user) -> None:
    team = TeamFactory(operator=cast.operator, name="Équipe voirie")
    client = as_user(cast.adam)
    change = client.get(f"{TEAMS}{team.pk}/change/").content.decode()
    assert _title(change).startswith("Équipe voirie | Modifier : équipe |")
    assert _h1(change) == "Modifier : équipe"
    assert "Modification de" not in html.unescape(change)
    delete = client.get(f"{TEAMS}{team.pk}/delete/").content.decode()
    assert _title(delete).startswith("Supprimer : équipe |")
    assert "Êtes-vous sûr" not in _title(delete)


def test_a_reader_consults_rather_than_edits(cast: Cast, as_user) -> None:
    team = TeamFactory(operator=cast.operator, name="Équipe voirie")
    page = as_user(cast.olivia).get(f"{TEAMS}{team.pk}/change/")
    assert page.status_code == 200
    assert _h1(page.content.decode()) == "Consulter : équipe"
    assert "Affichage de" not in html.unescape(page.content.decode())


def test_english_readers_keep_djangos_words(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    page = client.get(TEAMS + "add/").content.decode()
    assert _h1(page) == "Add team"


def test_another_operators_team_is_not_found(cast: Cast, as_user) -> None:
    team = TeamFactory(operator=cast.other_operator, name="Équipe d’un autre opérateur")
    client = as_user(cast.adam)
    for url in (f"{TEAMS}{team.pk}/change/", f"{TEAMS}{team.pk}/delete/"):
        response = client.get(url, follow=True)
        assert "Équipe d’un autre opérateur" not in response.content.decode()
