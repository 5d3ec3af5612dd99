"""Exports of the figures (dashboard panels, recurring failures, equipment at risk) with a
filter naming what the person may not see: no file (the unfiltered figures would pass for
the filtered ones), the page saying why, nothing of the outsider; valid filters still export."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mutualis.insights.models import AssetRisk, BatchState, ForecastBatch
from mutualis.insights.views.dashboard_panels import PANELS
from tests.conftest import Cast
from tests.export_checks import CORRECT_FIRST, DOWNLOAD_LINK, csv_rows, refused_page
from tests.factories import MemberFactory
from tests.servicedesk.pages import in_english

from .recurring_data import build_fleet

pytestmark = pytest.mark.django_db


def test_no_panel_exports_with_another_members_site(cast: Cast, as_user) -> None:
    client = in_english(as_user, cast.alice)
    for name, spec in PANELS.items():
        if spec.staff_only:
            continue
        for table in ("facts", "0"):
            response = client.get(
                f"/insights/panel/{name}/", {"site": cast.site_b.pk, "export": "csv", "table": table}
            )
            page = refused_page(response, field="site", absent=["Nanterre"])
            # The dashboard answers (its links are the panels'), and its filters go back to it.
            assert 'action="/insights/"' in page
    rows = csv_rows(client.get("/insights/panel/volumes/", {"site": cast.site_a.pk, "export": "csv"}))
    assert len(rows) == 13  # the header and the twelve months of the default period


def test_the_dashboard_and_a_panel_offer_no_download_while_a_filter_is_wrong(cast: Cast, as_user) -> None:
    client = in_english(as_user, cast.olivia)
    elsewhere = MemberFactory(operator=cast.other_operator, name="Commune lointaine")
    for url in ("/insights/", "/insights/panel/volumes/"):
        response = client.get(url, {"member": elsewhere.pk})
        assert response.status_code == 200
        page = response.content.decode()
        assert CORRECT_FIRST in page
        assert DOWNLOAD_LINK.search(page) is None
        assert "Commune lointaine" not in page
    assert 'id="id_member_error"' in client.get("/insights/", {"member": elsewhere.pk}).content.decode()
    refused_page(
        client.get("/insights/panel/load/", {"member": elsewhere.pk, "export": "csv"}),
        field="member",
        absent=["Commune lointaine"],
    )
    assert DOWNLOAD_LINK.search(client.get("/insights/panel/volumes/").content.decode())


def test_recurring_failures_export_nothing_with_a_wrong_filter(cast: Cast, as_user) -> None:
    fleet = build_fleet(cast)
    period = {"start": fleet.start.isoformat(), "end": fleet.end.isoformat()}
    client = in_english(as_user, cast.alice)
    for table in ("assets", "sites", "models", "rates"):
        response = client.get(
            "/insights/recurring/", {**period, "site": cast.site_b.pk, "export": "csv", "table": table}
        )
        refused_page(response, field="site", absent=["Nanterre"])
    # What "recurring" means is a filter of the tables too.
    response = client.get(
        "/insights/recurring/", {**period, "window_days": 0, "export": "csv", "table": "sites"}
    )
    refused_page(response, field="window_days")
    site = fleet.network_site
    rows = csv_rows(
        client.get(
            "/insights/recurring/",
            {**period, "site": site.pk, "same": "category", "export": "csv", "table": "sites"},
        )
    )
    assert [r[0] for r in rows[1:]] == [site.name]


def test_equipment_at_risk_exports_nothing_for_another_operators_member(cast: Cast, as_user) -> None:
    batch = ForecastBatch.objects.create(
        operator=cast.operator, state=BatchState.DONE, finished_at=timezone.now()
    )
    for asset in (cast.asset_a, cast.asset_b):
        AssetRisk.objects.create(
            batch=batch, operator=cast.operator, asset=asset, expected=0.5, probability=0.4
        )
    elsewhere = MemberFactory(operator=cast.other_operator, name="Commune lointaine")
    client = in_english(as_user, cast.olivia)
    response = client.get("/insights/forecast/assets/", {"member": elsewhere.pk, "export": "csv"})
    refused_page(response, field="member", absent=["Commune lointaine"])
    rows = csv_rows(client.get("/insights/forecast/assets/", {"member": cast.member_a.pk, "export": "csv"}))
    assert [r[0] for r in rows[1:]] == [cast.asset_a.inventory_tag]
