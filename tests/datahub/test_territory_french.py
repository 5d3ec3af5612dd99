"""The territory map and the charts in correct French: a space before each colon the code
puts between a name and its value, and each count agreeing with its noun."""

from __future__ import annotations

import html
import re

import pytest
from django.utils import timezone, translation

from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED, STREETLIGHT
from mutualis.datahub.tenancy import tenant_for_member
from mutualis.datahub.territory.labels import code_label
from mutualis.insights.charts import bar_chart
from tests.conftest import Cast
from tests.datahub.territory_support import make_sensor

pytestmark = pytest.mark.django_db


def _titles(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<title>(.*?)</title>", page, re.S)]


def _desc(page: str) -> str:
    found = re.search(r'<desc id="territory-map-desc">(.*?)</desc>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def test_a_sensor_on_the_map_says_its_state_then_a_spaced_colon(cast: Cast, as_user) -> None:
    now = timezone.now()
    make_sensor(
        tenant_for_member(cast.member_a),
        STREETLIGHT,
        1,
        site=cast.site_a,
        name="Lampadaire du parvis",
        now=now,
        latest={"status": "ok"},
    )
    page = as_user(cast.alice).get("/territory/").content.decode()
    titles = [t for t in _titles(page) if t.startswith("Lampadaire du parvis")]
    assert titles
    assert all(re.search(r"\S : \S", t) and not re.search(r"\S: ", t) for t in titles), titles
    assert "Lampadaire du parvis – point lumineux, en fonctionnement : en fonctionnement" in titles


def test_the_map_description_counts_one_commune_centre_in_the_singular(cast: Cast, as_user) -> None:
    now = timezone.now()
    make_sensor(
        tenant_for_member(cast.member_a),
        AIR_QUALITY_OBSERVED,
        1,
        site=cast.site_a,
        now=now,
        latest={"pm25": 7},
    )
    desc = _desc(as_user(cast.alice).get("/territory/").content.decode())
    assert desc.startswith("Carte simple sans fond de plan : 1 centre de commune, ")
    assert "1 capteur." in desc
    assert "centres de communes" not in desc


def test_a_chart_bar_tooltip_puts_a_space_before_the_colon() -> None:
    with translation.override("fr"):
        chart = bar_chart(
            title="Incidents ouverts par ancienneté",
            labels=["0 à 2 jours"],
            series={"Incidents ouverts": [9]},
            value_label="incidents",
            links={"Incidents ouverts": ["/desk/?state=open"]},
        )
    assert "<title>0 à 2 jours, Incidents ouverts : 9</title>" in chart.svg
    assert "ouverts: 9" not in chart.svg


def test_an_object_value_is_said_with_spaced_colons() -> None:
    with translation.override("fr"):
        assert code_label({"lampe": "defectiveLamp", "mât": "ok"}) == (
            "lampe : lampe défectueuse, mât : en fonctionnement"
        )
