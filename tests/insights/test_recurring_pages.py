"""The recurring-failures page: its tables, lead sentences, exports and outsiders."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from tests.conftest import Cast

from .recurring_data import DEFECTIVE_MODEL, NETWORK_SITE, SCREEN_TAG, Fleet, build_fleet

pytestmark = pytest.mark.django_db
URL = "/insights/recurring/"


def query(fleet: Fleet, **more: object) -> dict[str, object]:
    return {"start": fleet.start.isoformat(), "end": fleet.end.isoformat(), **more}


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_staff_see_each_injected_pattern(cast: Cast, as_user, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    fleet = build_fleet(cast)
    client: Client = as_user(cast.olivia)
    with django_assert_max_num_queries(40):
        response = client.get(URL, query(fleet, category=fleet.network.pk, same="category"))
    assert response.status_code == 200
    page = response.content.decode()
    sites = page.split('id="sites"')[1].split('id="models"')[0]
    assert NETWORK_SITE in sites.split('<th scope="row">')[1]  # ranked first
    response = client.get(URL, query(fleet))
    page = response.content.decode()
    assets = page.split('id="assets"')[1].split('id="sites"')[0]
    assert SCREEN_TAG in assets
    rates = page.split('id="rates"')[1]
    assert rates.index(DEFECTIVE_MODEL) < rates.index("Tab M10")
    assert rates.count(_("abnormal")) >= 1
    assert "<svg" in rates  # the chart, with its table


def test_member_users_read_a_plain_sentence(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    fleet = build_fleet(cast)
    page = as_user(cast.alice).get(URL, query(fleet, window_days=90, min_count=4)).content.decode()
    assert "1 équipement a eu 4 incidents ou plus de même nature sur 90 jours." in page  # in French
    assert SCREEN_TAG in page.split('id="assets"')[1].split('<th scope="row">')[1]


def test_exports_carry_the_numbers_of_the_tables(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    fleet = build_fleet(cast)
    client: Client = as_user(cast.olivia)
    response = client.get(
        URL, query(fleet, category=fleet.network.pk, same="category", export="csv", table="sites")
    )
    assert response.status_code == 200
    header, first, *_rest = csv_rows(response)
    assert first[0] == NETWORK_SITE
    assert first[header.index(str(_("Most incidents within %(days)s days") % {"days": 90}))] == "5"
    assert first[header.index(str(_("Incidents in the period")))] == str(fleet.network_faults)
    latest = first[header.index(str(_("Latest tickets (%(count)s at most)") % {"count": 20}))]
    assert len(latest.split(", ")) == min(20, fleet.network_faults)
    # The row's tickets, all of them, in the ticket list: the address says which.
    address = first[header.index(str(_("All its tickets, in the ticket list")))]
    assert address.startswith("http://testserver/tickets/?")
    listed = client.get(address.removeprefix("http://testserver"))
    assert f"{fleet.network_faults} demandes" in listed.content.decode()
    assert set(latest.split(", ")) <= set(re.findall(r'href="/tickets/(\d+)/"', listed.content.decode()))

    response = client.get(URL, query(fleet, export="xlsx", table="rates"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]
    header, first = list(rows[0]), rows[1]
    assert first[header.index(str(_("Model")))] == f"Fabricant {DEFECTIVE_MODEL}"
    assert first[header.index(str(_("Incidents")))] == fleet.events[DEFECTIVE_MODEL]
    assert first[header.index(str(_("Abnormal")))] == str(_("yes"))
    low = first[header.index(str(_("95 % interval, low")))]
    high = first[header.index(str(_("95 % interval, high")))]
    assert low < first[header.index(str(_("Failures per 100 assets per year")))] < high
    assert [r[header.index(str(_("Abnormal")))] for r in rows[2:]] == [str(_("no"))] * (len(rows) - 2)

    for table in ("assets", "models"):
        assert client.get(URL, query(fleet, export="csv", table=table)).status_code == 200
    assert client.get(URL, query(fleet, export="csv", table="nothing")).status_code == 404
    # Two tables named at once are neither (the last one was exported, as if alone).
    assert client.get(URL, query(fleet, export="csv", table=["nothing", "models"])).status_code == 404


def test_outsiders_find_none_of_member_a(cast: Cast, as_user, client: Client) -> None:  # type: ignore[no-untyped-def]
    fleet = build_fleet(cast)
    secrets = (NETWORK_SITE, SCREEN_TAG, "Collège A0")
    page = as_user(cast.charlie).get(URL, query(fleet, min_count=2, same="category")).content.decode()
    assert "Collège B0" in page  # charlie's own recurring sites
    assert not any(secret in page for secret in secrets)
    export = csv_rows(
        as_user(cast.charlie).get(
            URL, query(fleet, min_count=2, same="category", export="csv", table="sites")
        )
    )
    assert export[1:]
    assert not any(secret in cell for row in export for cell in row for secret in secrets)
    page = as_user(cast.oscar).get(URL, query(fleet, min_count=2)).content.decode()
    assert not any(secret in page for secret in (*secrets, "Collège B0", DEFECTIVE_MODEL))
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
