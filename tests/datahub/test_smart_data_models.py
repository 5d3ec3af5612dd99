"""The Smart Data Models table is consistent, and agrees with the @contexts the hub ships."""

from __future__ import annotations

import pytest

from mutualis.datahub.ngsild.context import active_context
from mutualis.datahub.smart_data_models import (
    BY_IRI,
    KINDS_WITH_UNIT,
    SDM_TYPES,
    STREETLIGHT,
    UNITS,
    Kind,
    sdm_type,
)

ATTRIBUTES = [(t, a) for t in SDM_TYPES for a in t.attributes]


@pytest.mark.parametrize(("sdm", "attribute"), ATTRIBUTES, ids=[f"{t.name}.{a.name}" for t, a in ATTRIBUTES])
def test_every_attribute_has_a_unit_exactly_when_its_kind_needs_one(sdm, attribute):
    if attribute.kind in KINDS_WITH_UNIT:
        assert attribute.unit_code in UNITS, f"{sdm.name}.{attribute.name} has no known unit code"
        assert attribute.unit_symbol
    else:
        assert attribute.unit_code == ""


@pytest.mark.parametrize(("sdm", "attribute"), ATTRIBUTES, ids=[f"{t.name}.{a.name}" for t, a in ATTRIBUTES])
def test_enumerations_and_ranges_are_well_formed(sdm, attribute):
    if attribute.kind == Kind.ENUM:
        assert attribute.values
        assert len(set(attribute.values)) == len(attribute.values)
    else:
        assert attribute.values == ()
        assert not attribute.multiple
    if attribute.plausible is not None:
        low, high = attribute.plausible
        assert low < high
        assert attribute.kind in (Kind.NUMBER, Kind.INTEGER)


@pytest.mark.parametrize("sdm", SDM_TYPES, ids=[t.name for t in SDM_TYPES])
def test_each_type_names_its_attributes_once_and_has_a_name_and_a_location(sdm):
    names = [a.name for a in sdm.attributes]
    assert len(names) == len(set(names))
    assert len({a.iri for a in sdm.attributes}) == len(names)
    assert sdm.attribute("location").kind == Kind.GEO
    assert sdm.attribute("name").kind == Kind.TEXT
    assert sdm.observed, "a sensor type with nothing observed has no history to show"


@pytest.mark.parametrize("sdm", SDM_TYPES, ids=[t.name for t in SDM_TYPES])
def test_iris_are_what_the_shipped_sdm_context_expands_the_terms_to(sdm):
    """A client sending the SDM context of the subject in its Link header must reach the
    same attributes the demo and the rules use (the contexts ship with the hub: no network)."""
    ctx = active_context([sdm.context_url])
    assert ctx.expand_term(sdm.name) == sdm.iri
    for attribute in sdm.attributes:
        assert ctx.expand_term(attribute.name) == attribute.iri, attribute.name
        assert ctx.compact_iri(attribute.iri) == attribute.name


def test_asset_types_are_distinct_and_lookups_work():
    codes = [t.asset_type_code for t in SDM_TYPES]
    assert len(codes) == len(set(codes))
    assert all(code == code.lower() and " " not in code for code in codes)
    assert sdm_type("Streetlight") is STREETLIGHT
    assert sdm_type(STREETLIGHT.iri) is STREETLIGHT
    assert sdm_type("Unknown") is None
    assert set(BY_IRI) == {t.iri for t in SDM_TYPES}


def test_plausibility_rejects_what_a_faulty_sensor_reports():
    humidity = sdm_type("AirQualityObserved").attribute("relativeHumidity")  # type: ignore[union-attr]
    assert humidity.is_plausible(0.6)
    assert not humidity.is_plausible(60)  # a percentage where SDM wants a 0–1 ratio
    with pytest.raises(KeyError, match="no attribute 'pm1'"):
        sdm_type("AirQualityObserved").attribute("pm1")  # type: ignore[union-attr]
