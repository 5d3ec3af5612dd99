"""The territory pages as their users see them: who sees which sensors on the map, the
commune, member and sensor pages, exports, the menu entry, and bounded queries."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone, translation

from mutualis.datahub.models import AlertRule, Entity
from mutualis.datahub.models.alerts import Comparison, RuleKind
from mutualis.datahub.smart_data_models import (
    AIR_QUALITY_OBSERVED,
    NOISE_LEVEL_OBSERVED,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
    WATER_OBSERVED,
)
from mutualis.datahub.tenancy import tenant_for_member
from mutualis.people.roles import Role
from mutualis.servicedesk.models import Category, IncidentType
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor, record
from tests.factories import MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db

PM25 = AIR_QUALITY_OBSERVED.attribute("pm25").iri
SECRET = "Capteur secret de Nanterre"


@dataclass
class Scene:
    air: Entity
    light: Entity
    secret: Entity
    now: dt.datetime


def _hour(now: dt.datetime) -> dt.datetime:
    return now.replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def scene(cast: Cast) -> Scene:
    now = _hour(timezone.now())
    tenant_a, tenant_b = tenant_for_member(cast.member_a), tenant_for_member(cast.member_b)
    school = SiteFactory(member=cast.member_a, name="École des Lilas", commune=cast.member_a.commune)
    air = make_sensor(
        tenant_a,
        AIR_QUALITY_OBSERVED,
        1,
        site=cast.site_a,
        name="Air de la mairie",
        now=now,
        latest={"pm25": 8.0},
    )
    record(air, PM25, [(now - dt.timedelta(hours=h), 8.0 + h % 3) for h in range(30)])
    light = make_sensor(
        tenant_a,
        STREETLIGHT,
        2,
        site=school,
        name="Lampadaire de l'école",
        now=now,
        latest={"status": "defectiveLamp"},
    )
    secret = make_sensor(
        tenant_b, NOISE_LEVEL_OBSERVED, 3, site=cast.site_b, name=SECRET, now=now, latest={"LAeq": 55.0}
    )
    return Scene(air=air, light=light, secret=secret, now=now)


def test_a_members_agent_sees_the_members_sensors_on_the_map_and_nothing_else(
    cast: Cast, scene: Scene, as_user
) -> None:
    page = as_user(cast.alice).get("/territory/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'class="territory-map-svg"' in body
    # Each sensor is a link on the map and a row of the table, with its state in words.
    assert body.count(f'href="/territory/sensor/{scene.air.pk}/"') >= 2
    assert "Lampadaire de l&#x27;école" in body
    assert SECRET not in body
    assert f"/territory/sensor/{scene.secret.pk}/" not in body


def test_operator_staff_see_every_commune_and_open_each(cast: Cast, scene: Scene, as_user) -> None:
    client = as_user(cast.olivia)
    overview = client.get("/territory/").content.decode()
    assert "Versailles" in overview
    assert "Nanterre" in overview
    assert 'href="/territory/commune/78646/"' in overview
    versailles = client.get("/territory/commune/78646/").content.decode()
    assert "Air de la mairie" in versailles
    assert SECRET not in versailles
    nanterre = client.get("/territory/commune/92050/").content.decode()
    assert SECRET in nanterre
    member_page = client.get(f"/territory/member/{cast.member_b.pk}/").content.decode()
    assert SECRET in member_page


def test_a_site_contact_sees_only_the_sensors_of_their_sites(cast: Cast, scene: Scene, as_user) -> None:
    contact = MembershipFactory(
        member=cast.member_a, role=Role.SITE_CONTACT, user__email="ecole@versailles.example"
    )
    contact.sites.add(scene.light.site)
    body = as_user(contact.user).get("/territory/").content.decode()
    assert "Lampadaire de l&#x27;école" in body
    assert "Air de la mairie" not in body
    assert as_user(contact.user).get(f"/territory/sensor/{scene.air.pk}/").status_code == 404


def test_outsiders_get_a_404_on_another_members_pages(cast: Cast, scene: Scene, as_user) -> None:
    for who in (cast.charlie, cast.oscar):
        client = as_user(who)
        for url in (
            f"/territory/sensor/{scene.air.pk}/",
            f"/territory/sensor/{scene.air.pk}/?export=csv",
            f"/territory/member/{cast.member_a.pk}/",
            "/territory/commune/78646/",
        ):
            response = client.get(url)
            assert response.status_code == 404, (who, url)
            assert "Air de la mairie" not in response.content.decode()


def test_the_elected_official_reads_a_plain_summary(cast: Cast, scene: Scene, as_user) -> None:
    body = html.unescape(as_user(cast.bob).get("/territory/").content.decode())
    assert 'id="summary-heading"' in body
    # The one light is out of service (since it was installed: no "ok" before), in the
    # words of the French catalogue, whatever its translator chose.
    with translation.override("fr"):
        sentence = translation.ngettext(
            "%(faults)s street light of %(count)s is out of service",
            "%(faults)s street lights of %(count)s are out of service",
            1,
        ) % {"faults": 1, "count": 1}
    assert sentence in body


def test_the_sensor_page_charts_a_series_and_exports_it(cast: Cast, scene: Scene, as_user) -> None:
    client = as_user(cast.alice)
    page = client.get(f"/territory/sensor/{scene.air.pk}/?period=24h&attr=pm25")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'class="chart-svg"' in body
    export = client.get(f"/territory/sensor/{scene.air.pk}/?period=24h&attr=pm25&export=csv")
    assert export.status_code == 200
    rows = list(
        csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == 1 + 24  # the header, then one row per hour of the last 24
    readings = {row[0]: row for row in rows[1:] if row[4] != "0"}
    # Hourly readings 8, 9, 10, 8, 9, 10…: each hour holds one, its mean is the reading.
    assert len(readings) == 24
    assert {float(row[1].replace(",", ".")) for row in readings.values()} == {8.0, 9.0, 10.0}


def test_dashboard_tables_export_as_csv(cast: Cast, scene: Scene, as_user) -> None:
    response = as_user(cast.alice).get("/territory/?export=csv&table=lights")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert "Lampadaire de l'école" in lines[1]
    assert as_user(cast.alice).get("/territory/?export=csv&table=nothing").status_code == 404
    # Two tables named at once are neither (the last one was exported, as if alone).
    assert as_user(cast.alice).get("/territory/?export=csv&table=nothing&table=lights").status_code == 404


def test_a_threshold_rule_draws_its_line_on_a_water_level_chart(cast: Cast, scene: Scene, as_user) -> None:
    category = Category.objects.create(operator=cast.operator, name="Crues")
    incident_type = IncidentType.objects.create(operator=cast.operator, category=category, name="Crue")
    AlertRule.objects.create(
        operator=cast.operator,
        name="Seine en vigilance",
        entity_type=WATER_OBSERVED.iri,
        attribute=WATER_OBSERVED.attribute("height").iri,
        kind=RuleKind.THRESHOLD,
        comparison=Comparison.ABOVE,
        threshold=3.2,
        incident_type=incident_type,
    )
    gauge = make_sensor(
        tenant_for_member(cast.member_a),
        WATER_OBSERVED,
        4,
        site=cast.site_a,
        now=scene.now,
        latest={"height": 2.5},
    )
    record(gauge, WATER_OBSERVED.attribute("height").iri, [(scene.now - dt.timedelta(hours=2), 3.5)])
    body = as_user(cast.alice).get("/territory/?period=24h").content.decode()
    assert "Seine en vigilance (3,2 m)" in body or "Seine en vigilance (3.2 m)" in body
    sensor_page = as_user(cast.alice).get(f"/territory/sensor/{gauge.pk}/?period=24h").content.decode()
    assert "Seine en vigilance" in sensor_page


def test_the_menu_offers_the_territory_to_those_who_have_sensors(cast: Cast, scene: Scene, as_user) -> None:
    assert 'href="/territory/"' in as_user(cast.alice).get("/").content.decode()
    assert 'href="/territory/"' in as_user(cast.olivia).get("/").content.decode()
    scene.secret.delete()
    assert 'href="/territory/"' not in as_user(cast.charlie).get("/").content.decode()


def _add_sensors(cast: Cast, count: int, now: dt.datetime, start: int) -> None:
    tenant = tenant_for_member(cast.member_a)
    for i in range(count):
        sensor = make_sensor(
            tenant, AIR_QUALITY_OBSERVED, start + i, site=cast.site_a, now=now, latest={"pm25": 9.0}
        )
        record(sensor, PM25, [(now - dt.timedelta(hours=h), 9.0) for h in range(3)])
        make_sensor(
            tenant, STREETLIGHT, 1000 + start + i, site=cast.site_a, now=now, latest={"status": "columnIssue"}
        )


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["alice", "olivia"])
def test_queries_do_not_grow_with_the_number_of_sensors(cast: Cast, scene: Scene, as_user, who: str) -> None:
    client = as_user(getattr(cast, who))
    urls = [
        "/territory/",
        "/territory/commune/78646/",
        f"/territory/member/{cast.member_a.pk}/",
        f"/territory/sensor/{scene.air.pk}/",
    ]
    before = {url: _queries(client, url) for url in urls}
    _add_sensors(cast, 12, scene.now, 100)
    after = {url: _queries(client, url) for url in urls}
    assert after == before
    assert max(after.values()) <= 25


def test_a_members_people_open_only_the_communes_of_their_territory(
    cast: Cast, scene: Scene, as_user
) -> None:
    client = as_user(cast.bob)
    assert client.get("/territory/commune/78646/").status_code == 200
    response = client.get("/territory/commune/92050/")
    assert response.status_code == 404
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize("who", ["bob", "olivia"])
def test_a_commune_code_with_a_nul_is_a_404(cast: Cast, scene: Scene, as_user, who: str) -> None:
    """No commune's code holds a NUL: PostgreSQL refused the query, a server error (probe
    of the demo). It is a code like any other that names no commune."""
    client = as_user(getattr(cast, who))
    assert client.get("/territory/commune/78646%00/").status_code == 404
    assert client.get("/territory/commune/%00/").status_code == 404


def test_any_series_exports_as_xlsx_too(cast: Cast, scene: Scene, as_user) -> None:
    from openpyxl import load_workbook

    response = as_user(cast.alice).get("/territory/?period=24h&export=xlsx&table=air-chart-0")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    # The header (period, the station, the WHO guideline), then the 24 hours.
    assert len(rows) == 1 + 24
    assert rows[0][1] == "Air de la mairie"
    assert {row[2] for row in rows[1:]} == {15}
    assert {row[1] for row in rows[1:]} <= {8.0, 9.0, 10.0, None}


def test_the_counts_read_as_sentences_when_nothing_needs_attention(cast: Cast, scene: Scene, as_user) -> None:
    # "0 est à surveiller" read as a count of nothing; the sentence says none instead.
    client = as_user(cast.olivia)
    with translation.override("fr"):
        page = client.get(f"/territory/member/{cast.member_b.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    text = " ".join(html.unescape(page.content.decode()).split())
    assert "1 capteur. Aucun n’est à surveiller." in text
    assert "0 est à surveiller" not in text


def test_the_period_is_said_by_the_days_chosen(cast: Cast, scene: Scene, as_user) -> None:
    """Chosen days 1 to 20 November read "to 21/11/2026 00:00" (the period's exclusive end),
    a day more than chosen: days are said as days, instants only for the hourly presets."""
    client = as_user(cast.alice)
    body = html.unescape(
        client.get("/territory/?period=custom&start=2026-11-01&end=2026-11-20").content.decode()
    )
    assert "Du 01/11/2026 au 20/11/2026, par jour." in body
    assert "21/11/2026" not in body
    body = html.unescape(
        client.get("/territory/?period=custom&start=2026-11-20&end=2026-11-20").content.decode()
    )
    assert "Le 20/11/2026, par heure." in body
    body = html.unescape(client.get("/territory/?period=24h").content.decode())
    assert re.search(r"Du \d\d/\d\d/\d{4} \d\d:\d\d au \d\d/\d\d/\d{4} \d\d:\d\d, par heure\.", body)


def test_todays_total_still_filling_is_not_drawn_as_a_collapse(cast: Cast, as_user) -> None:
    """A counter's daily totals: the day in progress (an hour or two in) was drawn at a
    tenth of the days before, read by an elected official as traffic collapsing. It is said
    "in progress" and not drawn; a download keeps its partial count."""
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    counter = make_sensor(
        tenant_for_member(cast.member_a), TRAFFIC_FLOW_OBSERVED, 7, site=cast.site_a, name="Comptage", now=now
    )
    intensity = TRAFFIC_FLOW_OBSERVED.attribute("intensity").iri
    hours = int((now - today).total_seconds() // 3600)
    # 100 vehicles an hour: 2,400 a whole day; today as many hours as have passed.
    record(
        counter,
        intensity,
        [(today - dt.timedelta(hours=h), 100.0) for h in range(1, 24 * 3 + 1)]
        + [(today + dt.timedelta(hours=h, minutes=1), 100.0) for h in range(hours)],
    )
    client = as_user(cast.alice)
    page = html.unescape(
        client.get(f"/territory/sensor/{counter.pk}/?period=30d&attr=intensity").content.decode()
    )
    label = f"{timezone.localtime(now):%d/%m}"
    assert f'<th scope="row">{label} (en cours)</th><td class="num">–</td>' in page
    yesterday = f"{timezone.localtime(today - dt.timedelta(hours=1)):%d/%m}"
    assert f'<th scope="row">{yesterday}</th><td class="num">2\xa0400</td>' in page  # a whole day
    export = client.get(f"/territory/sensor/{counter.pk}/?period=30d&attr=intensity&export=csv")
    rows = list(
        csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";")
    )
    assert rows[-1][4] == str(hours)  # today's readings so far, its partial total beside them
