"""Each "Download" link of a territory page downloads what it stands under."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.utils import timezone, translation

from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED
from mutualis.datahub.tenancy import tenant_for_member
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_sensor_pages_latest_readings_download_as_that_table(cast: Cast, as_user) -> None:
    """ "Download this table" under the latest readings gave the time series instead."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    air = make_sensor(
        tenant_for_member(cast.member_a),
        AIR_QUALITY_OBSERVED,
        1,
        site=cast.site_a,
        name="Air de la mairie",
        now=now,
        latest={"pm25": 12.5, "no2": 30.0},
    )
    record(air, AIR_QUALITY_OBSERVED.attribute("pm25").iri, [(now - dt.timedelta(hours=1), 12.0)])
    client = as_user(cast.bob)
    page = client.get(f"/territory/sensor/{air.pk}/?period=24h").content.decode()
    assert "?period=24h&amp;export=csv&amp;table=latest" in page
    rows = _rows(client.get(f"/territory/sensor/{air.pk}/?period=24h&export=csv&table=latest"))
    with translation.override("fr"):
        assert rows[0] == [translation.gettext(h) for h in ("Attribute", "Value", "Observed")]
        pm25 = translation.pgettext("sensor attribute", "PM2.5 fine particles")
    assert len(rows) == 1 + 2
    assert [pm25, "12,5 µg/m³"] in [row[:2] for row in rows[1:]]
    # The series still downloads from its own link.
    series = _rows(client.get(f"/territory/sensor/{air.pk}/?period=24h&attr=pm25&export=csv"))
    assert len(series) == 1 + 24
    # Two tables named at once are neither (the series was exported, as for a name it lacks).
    assert client.get(f"/territory/sensor/{air.pk}/?export=csv&table=latest&table=x").status_code == 404
    # An outsider downloads neither.
    for url in (
        f"/territory/sensor/{air.pk}/?export=csv&table=latest",
        f"/territory/sensor/{air.pk}/?export=xlsx&table=latest",
    ):
        assert as_user(cast.charlie).get(url).status_code == 404


def test_each_download_link_says_what_it_downloads(cast: Cast, as_user) -> None:
    """A screen reader's list of links read "CSV, XLSX, CSV, XLSX…" sixteen times: each link
    now names its table or chart (WCAG 2.4.4), and the French label puts its space before
    the colon."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    air = make_sensor(
        tenant_for_member(cast.member_a),
        AIR_QUALITY_OBSERVED,
        1,
        site=cast.site_a,
        name="Air de la mairie",
        now=now,
        latest={"pm25": 12.5},
    )
    record(
        air,
        AIR_QUALITY_OBSERVED.attribute("pm25").iri,
        [(now - dt.timedelta(hours=h), 12.0) for h in range(30)],
    )
    client = as_user(cast.bob)
    for url in ("/territory/?period=7d", f"/territory/sensor/{air.pk}/?period=7d"):
        body = html.unescape(client.get(url).content.decode())
        names = [
            re.sub(r"<[^>]+>", "", inner).strip()
            for inner in re.findall(r'<a href="\?[^"]*export=(?:csv|xlsx)[^"]*">(.*?)</a>', body, flags=re.S)
        ]
        assert len(names) >= 4, url
        assert len(set(names)) == len(names), names
        assert all(name.startswith(("CSV – ", "XLSX – ")) for name in names), names
        assert "Télécharger ce tableau :" in body
