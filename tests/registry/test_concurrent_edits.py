"""Two people editing the same equipment, site or member at once: a back-office form opened
before someone else changed one of the values it shows does not silently write back what it
showed. It comes back with a message naming what changed and its value now, keeping what
the person typed."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from typing import Any

import pytest

from mutualis.registry import services
from mutualis.registry.models import Asset, AssetStatus, Member, Site
from tests.conftest import Cast

from .backoffice_pages import form_values, opened

pytestmark = pytest.mark.django_db


def _asset_page(cast: Cast) -> str:
    return f"/backoffice/registry/asset/{cast.asset_a.pk}/change/"


def _page_errors(response: Any) -> list[str]:
    page = response.content.decode()
    return [
        html.unescape(message)
        for block in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
        for message in re.findall(r"<li>(.*?)</li>", block, re.S)
    ]


def test_the_page_carries_a_fingerprint_of_each_value_it_shows(cast: Cast, as_user) -> None:
    form = opened(as_user(cast.adam), _asset_page(cast), "asset")
    shown = json.loads(form["values_shown"])
    assert set(shown) == {
        "site",
        "asset_type",
        "model",
        "inventory_tag",
        "serial_number",
        "label",
        "status",
        "acquired_on",
        "acquisition_cost",
        "warranty_ends_on",
        "parent",
        "notes",
    }


def test_a_form_opened_before_a_status_change_does_not_undo_it(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    form = opened(client, _asset_page(cast), "asset")
    # Meanwhile, a technician puts the tablet in repair through the API.
    services.change_asset_status(asset=cast.asset_a, status=AssetStatus.IN_REPAIR, by=cast.olivia)
    history = cast.asset_a.status_changes.count()
    refused = client.post(_asset_page(cast), {**form, "label": "Tablette du maire"})
    assert refused.status_code == 200
    assert (
        "Pendant votre modification, quelqu’un d’autre a changé : État (maintenant « en réparation »). "
        "Rien n’a été enregistré." in _page_errors(refused)[0]
    )
    again = form_values(refused, "asset")
    assert (again["status"], again["label"]) == ("in_repair", "Tablette du maire")
    asset = Asset.objects.get(pk=cast.asset_a.pk)
    assert (asset.status, asset.label) == (AssetStatus.IN_REPAIR, "")
    assert asset.status_changes.count() == history
    # Saved again from the page sent back, the label changes and the status stays.
    saved = client.post(_asset_page(cast), again)
    assert saved.status_code == 302, _page_errors(saved)
    asset.refresh_from_db()
    assert (asset.status, asset.label) == (AssetStatus.IN_REPAIR, "Tablette du maire")
    assert asset.status_changes.count() == history


def test_a_form_opened_before_any_other_change_does_not_undo_it(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    form = opened(client, _asset_page(cast), "asset")
    # Meanwhile, a script renames it and corrects its serial number through the API.
    services.update_asset(
        asset=Asset.objects.get(pk=cast.asset_a.pk), label="Tablette de l'accueil", serial_number="R52T"
    )
    refused = client.post(_asset_page(cast), {**form, "notes": "Étui fourni"})
    errors = _page_errors(refused)
    assert (
        "Numéro de série (maintenant « R52T »), Libellé (maintenant « Tablette de l'accueil »)" in errors[0]
    )
    assert (
        errors.count(
            "Changé par quelqu’un d’autre pendant votre modification ; le formulaire montre maintenant sa valeur "
            "actuelle."
        )
        == 2
    )
    again = form_values(refused, "asset")
    assert (again["label"], again["serial_number"], again["notes"]) == (
        "Tablette de l'accueil",
        "R52T",
        "Étui fourni",
    )
    assert Asset.objects.get(pk=cast.asset_a.pk).notes == ""
    assert client.post(_asset_page(cast), again).status_code == 302
    asset = Asset.objects.get(pk=cast.asset_a.pk)
    assert (asset.label, asset.serial_number, asset.notes) == ("Tablette de l'accueil", "R52T", "Étui fourni")


def test_a_value_both_changed_keeps_what_the_person_typed_and_says_what_it_is_now(
    cast: Cast, as_user
) -> None:
    client = as_user(cast.adam)
    form = opened(client, _asset_page(cast), "asset")
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), acquired_on=None)
    refused = client.post(_asset_page(cast), {**form, "acquired_on": "15/09/2023"})
    errors = _page_errors(refused)
    assert "Acquis le (maintenant « vide »)" in errors[0]
    assert (
        "Changé par quelqu’un d’autre pendant votre modification, en « vide » ; le formulaire garde votre saisie."
        in errors
    )
    again = form_values(refused, "asset")
    assert again["acquired_on"] == "15/09/2023"
    assert Asset.objects.get(pk=cast.asset_a.pk).acquired_on is None
    # Saving again is a choice made knowing the current value.
    assert client.post(_asset_page(cast), again).status_code == 302
    assert str(Asset.objects.get(pk=cast.asset_a.pk).acquired_on) == "2023-09-15"


def test_typing_the_value_someone_else_just_saved_is_no_conflict(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    form = opened(client, _asset_page(cast), "asset")
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), label="Tablette du maire")
    saved = client.post(_asset_page(cast), {**form, "label": "Tablette du maire", "notes": "Étui"})
    assert saved.status_code == 302, _page_errors(saved)
    asset = Asset.objects.get(pk=cast.asset_a.pk)
    assert (asset.label, asset.notes) == ("Tablette du maire", "Étui")


def test_a_status_changed_knowingly_goes_through(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    form = opened(client, _asset_page(cast), "asset")
    response = client.post(_asset_page(cast), {**form, "status": "lost", "status_note": "Volée"})
    assert response.status_code == 302, _page_errors(response)
    asset = Asset.objects.get(pk=cast.asset_a.pk)
    assert asset.status == AssetStatus.LOST
    assert asset.status_changes.first().changed_by == cast.adam


def test_a_form_sent_without_the_fingerprint_is_saved_as_before(cast: Cast, as_user) -> None:
    # A script posting the form, or a page opened before the fingerprint existed.
    client = as_user(cast.adam)
    form = opened(client, _asset_page(cast), "asset")
    del form["values_shown"]
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), notes="Étui")
    assert client.post(_asset_page(cast), {**form, "label": "Tablette du maire"}).status_code == 302
    assert Asset.objects.get(pk=cast.asset_a.pk).label == "Tablette du maire"


def test_a_site_form_opened_before_a_change_does_not_undo_it(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    url = f"/backoffice/registry/site/{cast.site_a.pk}/change/"
    form = opened(client, url, "site")
    services.update_site(site=Site.objects.get(pk=cast.site_a.pk), phone="01 30 97 80 00", is_active=False)
    refused = client.post(url, {**form, "notes": "Accès par la cour"})
    errors = _page_errors(refused)
    assert "Téléphone (maintenant « 01 30 97 80 00 »)" in errors[0]
    assert "Ouvert (maintenant « non »)" in errors[0]
    again = form_values(refused, "site")
    assert (again["phone"], "is_active" in again, again["notes"]) == (
        "01 30 97 80 00",
        False,
        "Accès par la cour",
    )
    assert client.post(url, again).status_code == 302
    site = Site.objects.get(pk=cast.site_a.pk)
    assert (site.phone, site.is_active, site.notes) == ("01 30 97 80 00", False, "Accès par la cour")


def test_a_member_form_opened_before_a_change_does_not_undo_it(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    url = f"/backoffice/registry/member/{cast.member_a.pk}/change/"
    form = opened(client, url, "member")
    Member.objects.filter(pk=cast.member_a.pk).update(email="dsi@versailles.example")
    refused = client.post(url, {**form, "phone": "01 30 97 80 00"})
    assert "Adresse de contact (maintenant « dsi@versailles.example »)" in _page_errors(refused)[0]
    member = Member.objects.get(pk=cast.member_a.pk)
    assert (member.email, member.phone) == ("dsi@versailles.example", "")
    assert client.post(url, form_values(refused, "member")).status_code == 302
    member.refresh_from_db()
    assert (member.email, member.phone) == ("dsi@versailles.example", "01 30 97 80 00")


def test_an_outsider_cannot_save_a_form_of_equipment_they_cannot_see(cast: Cast, as_user) -> None:
    form = opened(as_user(cast.adam), _asset_page(cast), "asset")
    client = as_user(cast.oscar)
    response = client.post(_asset_page(cast), {**form, "label": "Pris"}, follow=True)
    # Django's admin answers a missing (or hidden) object by a redirect with a message.
    assert response.redirect_chain[-1][0] == "/backoffice/"
    assert "A-0001" not in response.content.decode()
    assert Asset.objects.get(pk=cast.asset_a.pk).label == ""


def test_an_invalid_value_typed_in_a_field_changed_meanwhile_is_kept_to_be_corrected(
    cast: Cast, as_user
) -> None:
    client = as_user(cast.adam)
    form = opened(client, _asset_page(cast), "asset")
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), acquisition_cost=Decimal("310.00"))
    refused = client.post(_asset_page(cast), {**form, "acquisition_cost": "trois cents"})
    assert (
        "Changé par quelqu’un d’autre pendant votre modification, en « 310,00 » ; le formulaire garde votre saisie."
        in _page_errors(refused)
    )
    assert form_values(refused, "asset")["acquisition_cost"] == "trois cents"
    assert Asset.objects.get(pk=cast.asset_a.pk).acquisition_cost == Decimal("310.00")
