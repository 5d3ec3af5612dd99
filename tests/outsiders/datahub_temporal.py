"""Outsider cases of the data hub (datahub_temporal): the temporal API (NGSI-LD 6.18 to 6.24).

Member A's sensor with a history; outsiders reach the API with their session (reads) and
land in their own tenant, where the entity does not exist. Writes and the POST query need
a token: those cases for charlie's and oscar's tokens are in tests/datahub/test_temporal.py
(`test_an_outsider_cannot_read_or_change_the_history`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from mutualis.datahub import history, services
from mutualis.datahub.models import AttributeInstance
from mutualis.datahub.tenancy import tenant_for_member
from tests.conftest import Cast

from . import Case, Check, Extra

ENTITY_ID = "urn:ngsi-ld:Sensor:versailles-secret-sensor"
TEMPERATURE = "https://uri.etsi.org/ngsi-ld/default-context/temperature"


def _sensor(cast: Cast) -> int:
    tenant = tenant_for_member(cast.member_a)
    readings = [
        {"type": "Property", "value": value, "observedAt": f"2026-11-23T0{hour}:00:00.000Z"}
        for hour, value in enumerate([18.5, 19.0, 19.5])
    ]
    row = services.create_entity(
        tenant=tenant,
        entity={
            "id": ENTITY_ID,
            "type": ["https://uri.etsi.org/ngsi-ld/default-context/Sensor"],
            "attrs": {TEMPERATURE: readings[-1:]},
        },
    )
    history.record_instances(
        tenant_id=tenant.pk, entity_pk=row.pk, attrs={TEMPERATURE: readings}, recorded_at=datetime.now(UTC)
    )
    return row.pk


OBJECTS: dict[str, Case] = {
    "ngsild:temporal-entity": Case(
        lambda c, x: f"/ngsi-ld/v1/temporal/entities/{ENTITY_ID}",
        ("charlie", "oscar"),
        secret=lambda c: "18.5",
    ),
}
LISTS: dict[str, Case] = {
    "ngsild:temporal-entities": Case(
        lambda c, x: "/ngsi-ld/v1/temporal/entities?type=Sensor&attrs=temperature",
        ("charlie", "oscar"),
        (200,),
        secret=lambda c: ENTITY_ID,
    ),
}
NO_MEMBER_DATA: dict[str, str] = {
    "ngsild:temporal-entity-attrs": "POST only (a session GET gets 405 before anything is read); "
    "outsiders' token POSTs get 404 (tests/datahub/test_temporal.py).",
    "ngsild:temporal-query": "POST only (a session GET gets 405); the query runs in the caller's own "
    "tenant: outsiders' token queries find nothing of A's (tests/datahub/test_temporal.py).",
}
EXTRA: Extra = {"temporal_sensor": _sensor}


def _history_unchanged(cast: Cast, extra: dict[str, int]) -> None:
    assert AttributeInstance.objects.filter(entity_id=extra["temporal_sensor"]).count() == 3


CHECKS: dict[str, Check] = {"ngsild:temporal-entity": _history_unchanged}
