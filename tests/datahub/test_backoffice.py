"""The data hub in the back-office: read-only pages through the tenancy door."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from mutualis.datahub.models import Entity, Subscription
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

STREETLIGHT = "https://smartdatamodels.org/dataModel.Streetlighting/Streetlight"


def _entity(hub: Hub) -> Entity:
    now = timezone.now()
    return Entity.objects.create(
        tenant=hub.tenant_a,
        entity_id="urn:ngsi-ld:Streetlight:versailles-0001",
        type=STREETLIGHT,
        types=[STREETLIGHT],
        attributes={},
        site=hub.cast.site_a,
        created_at=now,
        modified_at=now,
    )


def test_operator_staff_see_their_operators_entities_read_only(hub: Hub, as_user) -> None:
    entity = _entity(hub)
    client = as_user(hub.cast.olivia)
    assert "versailles-0001" in client.get("/backoffice/datahub/entity/").content.decode()
    page = client.get(f"/backoffice/datahub/entity/{entity.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get("/backoffice/datahub/entity/add/").status_code == 403
    admin = as_user(hub.cast.adam)
    assert admin.post(f"/backoffice/datahub/entity/{entity.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Entity.objects.filter(pk=entity.pk).exists()


def test_another_operators_admin_does_not_see_the_entity_or_subscription(hub: Hub, as_user) -> None:
    entity = _entity(hub)
    subscription = Subscription.objects.create(
        tenant=hub.tenant_a,
        subscription_id="urn:ngsi-ld:Subscription:secret-a",
        endpoint="http://127.0.0.1:9/",
    )
    client = as_user(hub.cast.oscar)
    assert "versailles-0001" not in client.get("/backoffice/datahub/entity/").content.decode()
    response = client.get(f"/backoffice/datahub/entity/{entity.pk}/change/", follow=True)
    assert response.redirect_chain[-1][0] == "/backoffice/"
    assert "versailles-0001" not in response.content.decode()
    assert "secret-a" not in client.get("/backoffice/datahub/subscription/").content.decode()
    response = client.get(f"/backoffice/datahub/subscription/{subscription.pk}/change/", follow=True)
    assert "secret-a" not in response.content.decode()


def test_member_users_never_reach_the_hub_back_office(hub: Hub, as_user) -> None:
    _entity(hub)
    response = as_user(hub.cast.charlie).get("/backoffice/datahub/entity/")
    assert response.status_code == 302
    assert "/backoffice/login/" in response["Location"]


def test_an_entitys_attributes_scroll_from_the_keyboard(hub: Hub, as_user) -> None:
    """On a phone the attributes' JSON is wider than the screen: its box must take the
    keyboard's focus to scroll, and say what it holds (axe: scrollable-region-focusable)."""
    entity = _entity(hub)
    page = as_user(hub.cast.olivia).get(f"/backoffice/datahub/entity/{entity.pk}/change/").content.decode()
    with translation.override("fr"):
        name = translation.gettext("attributes")
    assert f'<pre tabindex="0" role="region" aria-label="{name}">' in page
    # An outsider does not reach it.
    response = as_user(hub.cast.oscar).get(f"/backoffice/datahub/entity/{entity.pk}/change/", follow=True)
    assert "<pre" not in response.content.decode()


def test_the_entitys_data_space_is_labelled_in_french(hub: Hub, as_user) -> None:
    entity = _entity(hub)
    client = as_user(hub.cast.adam)
    listing = client.get("/backoffice/datahub/entity/").content.decode()
    page = client.get(f"/backoffice/datahub/entity/{entity.pk}/change/").content.decode()
    for html in (listing, page):
        assert "Espace de données" in html
        assert "Tenant" not in html
