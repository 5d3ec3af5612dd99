"""The data hub's demo: sensors in the right tenants, tied to their member's sites and
assets, a plausible history, and a second run that replaces instead of duplicating."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max, Min

from mutualis.datahub.demo import DEMO_ID_MARK, build, remove_hub_data
from mutualis.datahub.models import Attribute, AttributeInstance, Entity, Tenant
from mutualis.datahub.smart_data_models import (
    AIR_QUALITY_OBSERVED,
    BY_IRI,
    SDM_TYPES,
    STREETLIGHT,
    TRAFFIC_FLOW_OBSERVED,
    Kind,
)
from mutualis.demo.builder import DEMO_SLUG
from mutualis.registry.models import Asset, AssetType, Operator

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 15, 10, 7, tzinfo=dt.UTC)
SENSOR_TYPE_CODES = {t.asset_type_code for t in SDM_TYPES}


@pytest.fixture
def demo_operator() -> Operator:
    call_command(
        "demo_data", "--scale", "0.02", "--today", "2026-03-15", stdout=StringIO(), stderr=StringIO()
    )
    return Operator.objects.get(slug=DEMO_SLUG)


def demo_entities(operator: Operator):  # type: ignore[no-untyped-def]
    return Entity.objects.filter(tenant__operator=operator, entity_id__contains=DEMO_ID_MARK)


def test_sensors_live_in_their_members_tenant_tied_to_its_sites_and_assets(demo_operator):
    summary = build(operator=demo_operator, now=NOW, scale=0.2, days=3)

    assert len(summary.communes) == 3
    entities = list(demo_entities(demo_operator).select_related("tenant__member", "site", "asset__site"))
    assert len(entities) == summary.sensors
    # Three communes are enough to show every type (a stream gauge when none is riverside).
    assert {e.type for e in entities} == {t.iri for t in SDM_TYPES}
    for entity in entities:
        member = entity.tenant.member
        assert member is not None
        assert member.kind == "commune"
        assert entity.site is not None
        assert entity.site.member_id == member.pk
        assert entity.asset is not None
        assert entity.asset.site.member_id == member.pk
        assert entity.asset.asset_type.code == BY_IRI[entity.type].asset_type_code
        assert entity.entity_id.startswith(f"urn:ngsi-ld:{BY_IRI[entity.type].name}:{member.insee_code}:")
        # The location is a Point a few hundred metres from the site, and indexed for geo-queries.
        lon, lat = entity.attributes["https://uri.etsi.org/ngsi-ld/location"][0]["value"]["coordinates"]
        assert abs(lat - float(entity.site.latitude)) < 0.005
        assert abs(lon - float(entity.site.longitude)) < 0.005
        assert entity.geo_min_x == pytest.approx(lon)
    # Sensors are new assets of the registry; chargers were the fleet's already.
    charger = next(e for e in entities if BY_IRI[e.type].name == "EVChargingStation")
    assert charger.asset.inventory_tag.startswith("IRVE-")
    assert summary.assets_created == sum(1 for e in entities if BY_IRI[e.type].name != "EVChargingStation")


def test_history_covers_the_period_with_plausible_values(demo_operator):
    summary = build(operator=demo_operator, now=NOW, scale=0.2, days=3)
    history = AttributeInstance.objects.filter(entity__in=demo_entities(demo_operator))

    assert summary.history_rows == history.count() > 3 * 96 * 4
    span = history.filter(has_observed_at=True).aggregate(first=Min("observed_at"), last=Max("observed_at"))
    assert span["first"] >= NOW - dt.timedelta(days=3)
    assert span["last"] <= NOW
    for sdm in SDM_TYPES:
        for attribute in sdm.observed:
            rows = history.filter(attribute__iri=attribute.iri, entity__type=sdm.iri)
            assert rows.exists(), f"no history for {sdm.name}.{attribute.name}"
            if attribute.plausible is not None and attribute.kind in (Kind.NUMBER, Kind.INTEGER):
                low, high = attribute.plausible
                bounds = rows.aggregate(low=Min("number"), high=Max("number"))
                assert low <= bounds["low"] <= bounds["high"] <= high, (
                    f"{sdm.name}.{attribute.name}: {bounds}"
                )
            if attribute.unit_code:
                assert set(rows.values_list("unit_code", flat=True).distinct()) == {attribute.unit_code}
            if attribute.kind == Kind.ENUM:
                seen = {row["value"] for row in rows.values_list("value", flat=True)}
                assert seen <= set(attribute.values)


def test_the_history_has_the_shapes_of_a_city(demo_operator):
    build(operator=demo_operator, now=NOW, scale=0.2, days=4)
    paris = ZoneInfo("Europe/Paris")

    def mean_by_hour(sdm_name: str, iri: str, hours: set[int]) -> float:
        rows = AttributeInstance.objects.filter(
            entity__in=demo_entities(demo_operator).filter(type=BY_IRI_NAME[sdm_name]), attribute__iri=iri
        ).values_list("observed_at", "number")
        values = [
            n for at, n in rows if at.astimezone(paris).hour in hours and at.astimezone(paris).weekday() < 5
        ]
        return sum(values) / len(values)

    intensity = TRAFFIC_FLOW_OBSERVED.attribute("intensity").iri
    no2 = AIR_QUALITY_OBSERVED.attribute("no2").iri
    assert mean_by_hour("TrafficFlowObserved", intensity, {8}) > 5 * mean_by_hour(
        "TrafficFlowObserved", intensity, {3}
    )
    assert mean_by_hour("AirQualityObserved", no2, {8, 18}) > mean_by_hour("AirQualityObserved", no2, {3, 4})
    # Street lights switch on at dusk and off at dawn (mid-March: about 18:45 and 07:00 in Paris).
    power = Attribute.objects.get(iri=STREETLIGHT.attribute("powerState").iri)
    switching: dict[str, set[int]] = {}
    for at, instance in AttributeInstance.objects.filter(attribute=power).values_list("observed_at", "value"):
        switching.setdefault(instance["value"], set()).add(at.astimezone(paris).hour)
    assert switching["on"] <= {18, 19}
    assert switching["off"] <= {6, 7}
    assert switching["low"] == {23}


BY_IRI_NAME = {t.name: t.iri for t in SDM_TYPES}


def test_running_again_replaces_the_demo_instead_of_duplicating_it(demo_operator):
    first = build(operator=demo_operator, now=NOW, scale=0.2, days=2)
    entities = demo_entities(demo_operator)
    ids = set(entities.values_list("entity_id", flat=True))
    sensor_assets = Asset.objects.filter(operator=demo_operator, asset_type__code__in=SENSOR_TYPE_CODES)
    assets = sensor_assets.count()
    rows = AttributeInstance.objects.count()

    second = build(operator=demo_operator, now=NOW, scale=0.2, days=2)

    assert set(entities.values_list("entity_id", flat=True)) == ids
    assert sensor_assets.count() == assets
    assert AttributeInstance.objects.count() == rows
    assert second.sensors == first.sensors
    assert second.history_rows == first.history_rows
    # Nothing left pointing at the assets of the first run.
    assert not Entity.objects.filter(tenant__operator=demo_operator, asset__isnull=True, entity_id__in=ids)


def test_a_commune_without_coordinates_on_its_sites_gets_points_near_its_town_centre(hub, ngsi):
    """The cast's sites have no coordinates: sensors fall back on the commune's position. The
    member reads its sensors through the API with the SDM context; the outsider does not."""
    cast = hub.cast
    charger_type, _ = AssetType.objects.get_or_create(
        code="borne-recharge", defaults={"name": "Borne de recharge"}
    )
    Asset.objects.create(site=cast.site_a, asset_type=charger_type, inventory_tag="IRVE-78-000001")

    summary = build(operator=cast.operator, now=NOW, scale=0.1, days=1)

    assert sorted(summary.communes) == ["Nanterre", "Versailles"]
    entities = demo_entities(cast.operator)
    assert {e.tenant_id for e in entities} == {hub.tenant_a.pk, hub.tenant_b.pk}
    for entity in entities.select_related("site"):
        lon, lat = entity.attributes["https://uri.etsi.org/ngsi-ld/location"][0]["value"]["coordinates"]
        assert abs(lat - 48.8) < 0.005
        assert abs(lon - 2.1) < 0.005
    assert entities.filter(tenant=hub.tenant_a, type=BY_IRI_NAME["EVChargingStation"]).count() == 1

    link = f'<{AIR_QUALITY_OBSERVED.context_url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    answer = ngsi(hub.alice_rw, tenant=hub.tenant_a.name).request(
        "GET", "entities", headers={"Link": link}, type="AirQualityObserved"
    )
    assert answer.status_code == 200, answer.content
    [station] = answer.json()
    assert station["id"].startswith("urn:ngsi-ld:AirQualityObserved:78646:")
    assert station["pm10"]["unitCode"] == "GQ"
    outsider = ngsi(hub.charlie_rw, tenant=hub.tenant_a.name).request(
        "GET", "entities", headers={"Link": link}, type="AirQualityObserved"
    )
    assert outsider.status_code in (403, 404)


def test_the_command_reports_what_it_made_and_needs_an_operator(demo_operator):
    out = StringIO()
    call_command("datahub_demo", "--scale", "0.1", "--days", "1", stdout=out, stderr=StringIO())

    text = out.getvalue()
    assert "sensors in 2 communes" in text
    assert "AirQualityObserved" in text
    assert "history rows" in text
    with pytest.raises(CommandError, match="No operator with slug 'nowhere'"):
        call_command("datahub_demo", "--operator", "nowhere", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="must cover 1 to 366 days"):
        call_command("datahub_demo", "--days", "0", stdout=StringIO(), stderr=StringIO())


def test_the_demo_reset_can_remove_the_hub_data_that_protects_members(demo_operator):
    build(operator=demo_operator, now=NOW, scale=0.1, days=1)

    remove_hub_data(demo_operator)

    assert not Tenant.objects.filter(operator=demo_operator).exists()
    assert not AttributeInstance.objects.exists()
    call_command(
        "demo_data",
        "--reset",
        "--scale",
        "0.02",
        "--today",
        "2026-03-15",
        stdout=StringIO(),
        stderr=StringIO(),
    )
