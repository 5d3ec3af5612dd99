"""A period the figures are not of is said above them: its two days the wrong way round,
or longer than ten years (filters.MAX_PERIOD_DAYS), on the dashboard, a panel's page and the
recurring failures. The date fields keep what was typed.

Found by probing the demo: asked from 2010 to today, the dashboard counted from 2016
with only the volumes panel's introduction giving the real first day; every other panel,
and the panels' own pages, read as figures since 2010."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.conftest import Cast

pytestmark = pytest.mark.django_db

SWAPPED = "The start date was after the end date: the two have been swapped."


def fr(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


def ten_years(start: str, end: str) -> str:
    with translation.override("fr"):
        return translation.gettext(
            "A period covers ten years at most: the figures are from %(start)s to %(end)s."
        ) % {"start": start, "end": end}


@pytest.mark.parametrize("path", ["/insights/", "/insights/panel/volumes/", "/insights/recurring/"])
def test_a_period_longer_than_ten_years_is_said_shortened(cast: Cast, as_user, path: str) -> None:  # type: ignore[no-untyped-def]
    page = as_user(cast.alice).get(path, {"start": "2010-01-01", "end": "2026-10-31"}).content.decode()
    assert ten_years("23/10/2016", "31/10/2026") in page
    assert fr(SWAPPED) not in page


@pytest.mark.parametrize("path", ["/insights/", "/insights/panel/volumes/", "/insights/recurring/"])
def test_a_start_after_the_end_is_said_swapped(cast: Cast, as_user, path: str) -> None:  # type: ignore[no-untyped-def]
    page = as_user(cast.olivia).get(path, {"start": "2026-05-01", "end": "2026-01-01"}).content.decode()
    assert fr(SWAPPED) in page
    assert "dix ans" not in page


def test_a_period_as_asked_says_nothing_of_it(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    page = (
        as_user(cast.alice).get("/insights/", {"start": "2026-01-01", "end": "2026-01-01"}).content.decode()
    )
    assert fr(SWAPPED) not in page
    assert "dix ans" not in page
    # Nor an invalid day, which the field itself says is wrong.
    page = as_user(cast.alice).get("/insights/", {"start": "2026-02-30"}).content.decode()
    assert fr(SWAPPED) not in page
    assert "dix ans" not in page
