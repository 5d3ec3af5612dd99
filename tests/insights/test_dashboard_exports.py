"""Each panel's tables as CSV and XLSX, with the panel's filters."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from mutualis.insights.views.dashboard_panels import PANELS

from .dashboard_world import PERIOD, World, desk, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return [line.split(";") for line in text.strip().splitlines()]


def test_volumes_as_csv_and_xlsx(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c = as_user(world.cast.alice)
    response = c.get("/insights/panel/volumes/", {**PERIOD, "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert len(rows) == 13  # the header and twelve months
    assert [int(r[1]) for r in rows[1:]] == [2, 2, 2, 2, 2, 2, 2, 2, 10, 2, 2, 2]
    response = c.get("/insights/panel/volumes/", {**PERIOD, "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[9][1] == 10  # September, after the header


def test_key_figures_and_second_tables(client: Client, world: World, as_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c = as_user(world.cast.olivia)
    facts = csv_rows(c.get("/insights/panel/volumes/", {**PERIOD, "export": "csv", "table": "facts"}))
    assert facts[1][1] == "35"
    over_time = csv_rows(c.get("/insights/panel/breakdown/", {**PERIOD, "export": "csv", "table": "1"}))
    assert len(over_time) == 13
    assert len(over_time[0]) == 3
    filtered = csv_rows(
        c.get("/insights/panel/volumes/", {**PERIOD, "export": "csv", "member": world.cast.member_b.pk})
    )
    assert sum(int(r[1]) for r in filtered[1:]) == 3
    assert c.get("/insights/panel/volumes/", {"export": "csv", "table": "7"}).status_code == 404
    assert c.get("/insights/panel/volumes/", {"export": "csv", "table": "x"}).status_code == 404
    # Two tables named at once are neither: the first chart was exported as if none was named.
    assert c.get("/insights/panel/volumes/", {"export": "csv", "table": ["facts", "0"]}).status_code == 404


@pytest.mark.parametrize("name", sorted(PANELS))
def test_every_panel_exports_every_table(client: Client, world: World, as_user, name: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - pytest fixtures imported from dashboard_world
    c = as_user(world.cast.olivia)
    page = c.get(f"/insights/panel/{name}/", PERIOD).content.decode()
    tables = page.count("export=csv&amp;table=")
    assert tables >= 1
    for fmt in ("csv", "xlsx"):
        for table in ["facts", *map(str, range(tables))]:
            if table == "facts" and "table=facts" not in page:
                continue
            if table != "facts" and f'table={table}"' not in page:
                continue
            response = c.get(f"/insights/panel/{name}/", {**PERIOD, "export": fmt, "table": table})
            assert response.status_code == 200, (name, fmt, table)
            response.getvalue()  # read to the end, as a browser does: that closes an XLSX download's file
