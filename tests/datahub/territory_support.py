"""Sensors with a known history for the territory dashboards' tests: entities of the Smart
Data Models table written through the hub's verbs, tied to a site (hence a commune), and
readings at chosen instants through the history's writer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mutualis.datahub import history, services
from mutualis.datahub.models import Entity, Tenant
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.datahub.smart_data_models import LOCATION_IRI, SdmType
from mutualis.registry.models import Site

PARIS = dt.timezone(dt.timedelta(hours=1))  # November: Paris is UTC+1


def prop(value: Any, at: dt.datetime | None = None) -> dict[str, Any]:
    instance: dict[str, Any] = {"type": "Property", "value": value}
    if at is not None:
        instance["observedAt"] = format_instant(at)
    return instance


def make_sensor(
    tenant: Tenant,
    sdm: SdmType,
    number: int,
    *,
    site: Site | None = None,
    name: str = "",
    now: dt.datetime,
    position: tuple[float, float] = (2.13, 48.80),
    latest: dict[str, Any] | None = None,
    static: dict[str, Any] | None = None,
) -> Entity:
    """A sensor whose latest readings (`latest`, term → value) were observed at `now`."""
    attrs: dict[str, list[dict[str, Any]]] = {
        sdm.attribute("name").iri: [prop(name or f"{sdm.name} {number}")],
        LOCATION_IRI: [{"type": "GeoProperty", "value": {"type": "Point", "coordinates": list(position)}}],
    }
    for term, value in (latest or {}).items():
        attrs[sdm.attribute(term).iri] = [prop(value, now)]
    for term, value in (static or {}).items():
        attrs[sdm.attribute(term).iri] = [prop(value)]
    if site is not None:
        attrs[services.SITE_IRI] = [{"type": "Relationship", "object": f"{services.SITE_URN}{site.pk}"}]
    entity = {"id": f"urn:ngsi-ld:{sdm.name}:test-{tenant.pk}-{number}", "type": [sdm.iri], "attrs": attrs}
    return services.create_entity(tenant=tenant, entity=entity, now=now)


def record(entity: Entity, iri: str, readings: list[tuple[dt.datetime, Any]]) -> None:
    history.record_instances(
        tenant_id=entity.tenant_id,
        entity_pk=entity.pk,
        attrs={iri: [prop(value, at) for at, value in readings]},
        recorded_at=dt.datetime.now(dt.UTC),
    )
