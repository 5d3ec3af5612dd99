"""The alert rule form speaks French: sensor types and attributes in words, with the Smart
Data Models code in brackets for the technician, and each state value in words beside
the code a state rule is written with."""

from __future__ import annotations

import html

import pytest

from tests.conftest import Cast

pytestmark = pytest.mark.django_db

ADD = "/backoffice/datahub/alertrule/add/"


def test_types_and_attributes_read_in_french_with_their_codes(cast: Cast, as_user) -> None:
    page = html.unescape(as_user(cast.adam).get(ADD).content.decode())
    assert (
        ">Observation de la qualité de l’air en un lieu et à un instant donnés (AirQualityObserved)</option>"
        in page
    )
    assert (
        ">Point lumineux de l’éclairage public, sur mât, sur console ou en façade (Streetlight)</option>"
        in page
    )
    assert ">Borne publique de recharge pour véhicules électriques (EVChargingStation)</option>" in page
    assert 'label="Capteur de crue' not in page
    assert (
        'label="Niveau de crue mesuré par un capteur au-dessus d’un cours d’eau ou d’un point bas (FloodMonitoring)"'
        in page
    )
    assert ">particules fines PM2,5 (pm25, µg/m³)</option>" in page
    assert ">qualité de l’air (airQualityLevel) : bonne (good), moyenne (moderate)," in page
    assert "An observation of" not in page
    assert ">airQualityLevel : good" not in page


def test_english_readers_get_the_smart_data_models_words(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    page = html.unescape(client.get(ADD).content.decode())
    assert (
        ">An observation of air quality conditions at a certain place and time (AirQualityObserved)</option>"
        in page
    )
    assert ">air quality (airQualityLevel): good, moderate," in page


def test_another_operators_admin_cannot_open_a_rule_of_ours(cast: Cast, as_user) -> None:
    response = as_user(cast.charlie).get(ADD)
    assert response.status_code in (302, 403, 404)
    assert "AirQualityObserved" not in response.content.decode()
