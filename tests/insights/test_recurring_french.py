"""The recurring-failures tables' captions in correct French: the colon between what a
table lists and what it counts is the translation's, with its space before it."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import Cast

from .recurring_data import build_fleet

pytestmark = pytest.mark.django_db


def test_a_recurring_table_caption_puts_a_space_before_the_colon(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    fleet = build_fleet(cast)
    page = as_user(cast.olivia).get(
        "/insights/recurring/", {"start": fleet.start.isoformat(), "end": fleet.end.isoformat()}
    )
    found = re.findall(r'<caption class="visually-hidden">(.*?)</caption>', page.content.decode(), re.S)
    captions = [html.unescape(c) for c in found if "incidents ou plus" in c]
    assert "Site : 3 incidents ou plus de même nature sur 90 jours, les plus nombreux d’abord" in captions
    assert all(not re.search(r"\S: ", c) for c in captions), captions
