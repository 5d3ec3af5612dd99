"""The back-office's tables of inline rows as the server writes them: every box of every
row has a label (RGAA 11.1, WCAG 1.3.1 and 4.1.2), the hidden template row that "Add another"
copies too (tests/browser/test_backoffice.py checks the copies in a browser)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.conftest import Cast

pytestmark = pytest.mark.django_db

GROUP = re.compile(r'<div class="js-inline-admin-formset.*?</fieldset>', re.S)
BOX = re.compile(r"<(?:input|select|textarea)\b[^>]*>")
LABEL = re.compile(r"(<label\b[^>]*>)(.*?)</label>", re.S)


def _attr(tag: str, name: str) -> str:
    found = re.search(rf'\s{name}="([^"]*)"', tag)
    return found.group(1) if found else ""


def _inline_tables(client) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(model label, HTML of one inline table) for every admin page of an object to add
    that has inline tables."""
    for model, model_admin in admin.site._registry.items():
        if model_admin.inlines:
            page = client.get(
                reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
            ).content.decode()
            for group in GROUP.findall(page):
                yield model._meta.label, group


def test_every_box_of_every_inline_row_has_a_label(cast: Cast, as_user) -> None:
    checked = 0
    for label, group in _inline_tables(as_user(cast.adam)):
        labels = {
            _attr(tag, "for"): (_attr(tag, "data-row-label"), text) for tag, text in LABEL.findall(group)
        }
        for box in BOX.findall(group):
            if _attr(box, "type") == "hidden":
                continue
            box_id = _attr(box, "id")
            assert box_id in labels, f"{label}: {box}"
            pattern, text = labels[box_id]
            # The template row: its label says "new row" and how a copy is numbered.
            assert "__prefix__" in box_id
            assert text.endswith(", nouvelle ligne"), text
            assert pattern.endswith(", ligne {number}"), pattern
            checked += 1
    assert checked > 20  # each table's template row, each of its boxes


def test_every_description_a_box_points_to_exists(cast: Cast, as_user) -> None:
    """Django writes aria-describedby="<id>_helptext" on a box whose field has help text;
    in an inline table's row the element must be there too (WCAG 1.3.1, 4.1.2)."""
    described = 0
    for label, group in _inline_tables(as_user(cast.adam)):
        for box in BOX.findall(group):
            for target in _attr(box, "aria-describedby").split():
                assert f'id="{target}"' in group, f"{label}: {box}"
                described += 1
    assert described > 0


def test_existing_rows_are_labelled_with_their_number(cast: Cast, as_user) -> None:
    page = as_user(cast.adam).get(f"/backoffice/people/user/{cast.alice.pk}/change/").content.decode()
    assert '<label for="id_memberships-0-role" class="visually-hidden"' in page
    assert ">Rôle, ligne 1</label>" in page
    assert ">Supprimer, ligne 1</label>" in page  # the box that deletes the row
