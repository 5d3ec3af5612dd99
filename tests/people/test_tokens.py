"""API tokens on one's account page: shown once, kept out of caches, revocable."""

from __future__ import annotations

import re

import pytest

from mutualis.people.models import ApiToken
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_the_secret_is_shown_once_and_kept_out_of_caches(cast: Cast, as_user) -> None:
    client = as_user(cast.alice)
    created = client.post("/accounts/profile/tokens/", {"name": "Script d’inventaire"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    page = created.content.decode()
    secrets = re.findall(r"mut_[0-9a-f]{12}_[\w-]{20,}", page)
    assert len(secrets) == 1  # in the box to copy it from, not repeated in the example
    token = ApiToken.objects.get(name="Script d’inventaire")
    assert f"Authorization: Bearer mut_{token.key_id}_…" in page
    assert secrets[0] not in client.get("/accounts/profile/").content.decode()


def test_a_read_only_role_is_offered_no_box_that_would_do_nothing(cast: Cast, as_user) -> None:
    client = as_user(cast.bob)  # elected official: read-only
    page = client.get("/accounts/profile/").content.decode()
    assert 'name="can_write"' not in page
    assert "Votre rôle est en lecture seule : le jeton le sera aussi." in page
    client.post("/accounts/profile/tokens/", {"name": "Tableau de bord", "can_write": "on"})
    assert ApiToken.objects.get(name="Tableau de bord").can_write is False
    # A role that may write still chooses.
    assert 'name="can_write"' in as_user(cast.alice).get("/accounts/profile/").content.decode()


def test_each_revoke_button_names_its_token(cast: Cast, as_user) -> None:
    client = as_user(cast.alice)
    client.post("/accounts/profile/tokens/", {"name": "Inventaire"})
    page = client.get("/accounts/profile/").content.decode()
    assert 'aria-label="Révoquer Inventaire">Révoquer</button>' in page
