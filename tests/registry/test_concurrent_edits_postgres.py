"""Two back-office pages opened on the same equipment, saved at the same instant with
different labels: one is saved, the other comes back saying what the first wrote. On the
real PostgreSQL server, each request in its own thread with its own connection (collected
only there: see conftest.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from mutualis.registry.admin import AssetAdmin
from mutualis.registry.models import Asset
from tests.conftest import Cast, login
from tests.threads import together

from .backoffice_pages import opened

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# Between a page's comparison of what it showed and the commit of its save, a few
# milliseconds; here half a second, so that without the row lock both pages, sent
# together, would compare before either saves, every time rather than now and then.
WIDENED = 0.5


@pytest.fixture
def slow_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    save_model = AssetAdmin.save_model

    def slowed(self: AssetAdmin, *args: Any, **kwargs: Any) -> None:
        time.sleep(WIDENED)
        save_model(self, *args, **kwargs)

    monkeypatch.setattr(AssetAdmin, "save_model", slowed)


def test_two_pages_saved_at_once_do_not_overwrite_each_other(cast: Cast, slow_saves: None) -> None:
    url = f"/backoffice/registry/asset/{cast.asset_a.pk}/change/"
    browsers = [login(Client(), cast.adam), login(Client(), cast.adam)]
    forms = [opened(browser, url, "asset") for browser in browsers]
    labels = ["Tablette du maire", "Tablette de l'accueil"]
    responses = together(
        [
            lambda b=b, f=f, label=label: b.post(url, {**f, "label": label})
            for b, f, label in zip(browsers, forms, labels, strict=True)
        ]
    )

    assert sorted(r.status_code for r in responses) == [200, 302]
    saved = labels[[r.status_code for r in responses].index(302)]
    refused = next(r for r in responses if r.status_code == 200).content.decode()
    assert f"Libellé (maintenant « {saved} »)".replace("'", "&#x27;") in refused
    assert Asset.objects.get(pk=cast.asset_a.pk).label == saved
