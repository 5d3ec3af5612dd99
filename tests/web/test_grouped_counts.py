"""Counts in sentences are grouped by thousands as the reader's language writes them
("1 204 sites" in French, "1,204 sites" in English), like the counts in the tables."""

from __future__ import annotations

import html

import pytest

from mutualis.registry.models import Site
from tests.conftest import Cast
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_a_members_site_count_is_grouped_by_thousands(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    kind = SiteFactory(member=cast.member_a).kind
    Site.objects.bulk_create(
        Site(
            member=cast.member_a,
            operator=cast.member_a.operator,
            kind=kind,
            name=f"Site {i}",
            commune=cast.member_a.commune,
        )
        for i in range(1_200)
    )
    total = Site.objects.filter(member=cast.member_a).count()
    client = as_user(cast.alice)
    for language, grouped in (
        ("fr", f"{total // 1000}\u202f{total % 1000:03d} sites"),
        ("en", f"{total:,} sites"),
    ):
        client.post("/accounts/language/", {"language": language})
        page = client.get(f"/members/{cast.member_a.pk}/")
        text = html.unescape(page.content.decode())
        assert grouped in text.replace("\xa0", "\u202f"), language

    # An outsider sees no count at all.
    assert as_user(cast.charlie).get(f"/members/{cast.member_a.pk}/").status_code == 404
