"""Batch upsert without reading the rows back (`services.readings`, NGSI-LD 5.6.8 with the
5.6.3 append semantics) answers, stores, records and notifies exactly what the general path
does.

Each scenario is played twice from the same start, in member A's tenant with the shortcut
and in member B's with it turned off, at the same instants; the results, the stored
entities, the history, the queued notifications and the alert states must be the same.
The start is the sensors created, then written once by an upsert (a gateway's previous
batch, which makes the process know their rows), each transaction's on-commit work run as
its commit would run it. On PostgreSQL the tests also check which entities took the
shortcut (so that a scenario meant to exercise it does); on SQLite there is none, and the
comparison still holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from mutualis.datahub import services
from mutualis.datahub import smart_data_models as sdm
from mutualis.datahub.models import AlertRule, AlertState, AttributeInstance, Entity, Tenant
from mutualis.datahub.models.alerts import Comparison, RuleKind
from mutualis.datahub.ngsild.context import core_context
from mutualis.datahub.ngsild.geo import LOCATION_IRI
from mutualis.datahub.selectors import entity_from_row
from mutualis.datahub.services import SITE_IRI, SITE_URN, readings
from mutualis.datahub.subscriptions.notify import NOTIFY_TASK
from mutualis.datahub.subscriptions.services import create_subscription
from mutualis.jobs.models import Job
from tests.datahub.conftest import Hub
from tests.servicedesk.factories import IncidentTypeFactory

from .test_subscriptions_support import subscription_payload

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 23, 10, 0, 5, 123456, tzinfo=UTC)
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
SENSOR = DEFAULT + "Sensor"
DEVICE = DEFAULT + "Device"
PM25 = sdm.AIR_QUALITY_OBSERVED.attribute("pm25").iri
ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _nothing_known() -> None:
    """Each test starts with a process that has written nothing (what earlier tests left
    would only be checked and refused by the stored rows, but the tests say which entities
    take the shortcut)."""
    readings.forget()


def reading(value: Any, *, unit: str | None = "GQ", at: str = "2026-11-23T10:00:00.000Z") -> dict[str, Any]:
    instance: dict[str, Any] = {"type": "Property", "value": value, "observedAt": at}
    if unit is not None:
        instance["unitCode"] = unit
    return instance


def entity(n: int, attrs: dict[str, Any], *, types: list[str] | None = None, **more: Any) -> dict[str, Any]:
    return {"id": f"urn:ngsi-ld:Sensor:{n}", "type": types or [SENSOR], "attrs": attrs, **more}


def stamped(attrs: dict[str, list[dict[str, Any]]], at: str) -> dict[str, list[dict[str, Any]]]:
    """Attributes as normalization hands them over (the write's stamps on each instance)."""
    return {
        iri: [{**i, "createdAt": at, "modifiedAt": at} for i in instances] for iri, instances in attrs.items()
    }


STAMP = "2026-11-23T10:00:05.123Z"
PRIMED = "2026-11-23T09:30:00.000Z"
START = [
    entity(1, {DEFAULT + "t": [reading(1.5)], DEFAULT + "h": [reading(40, unit="P1")]}),
    entity(2, {DEFAULT + "t": [reading(2.5)]}),
    # A multi-attribute (4.5.5): one instance per datasetId.
    entity(
        3,
        {
            DEFAULT + "t": [
                reading(3.0),
                {**reading(3.5), "datasetId": "urn:ngsi-ld:Dataset:raw"},
            ]
        },
    ),
    entity(4, {DEFAULT + "t": [reading(4.0)]}, types=[SENSOR, DEVICE]),
    entity(5, {DEFAULT + "t": [reading(5.0)]}, scope=["/Versailles/Air"]),
    entity(
        6,
        {
            DEFAULT + "t": [reading(6.0)],
            LOCATION_IRI: [{"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.1, 48.8]}}],
        },
    ),
    entity(7, {DEFAULT + "t": [reading(7.0)]}, types=[sdm.AIR_QUALITY_OBSERVED.iri]),
]


def _start(tenant: Tenant, site_pk: int) -> None:
    """The sensors as created through the API at T0 (their instances stamped, 4.8)."""
    linked = entity(
        8,
        {
            DEFAULT + "t": [reading(8.0)],
            SITE_IRI: [{"type": "Relationship", "object": f"{SITE_URN}{site_pk}"}],
        },
    )
    start = [{**e, "attrs": stamped(e["attrs"], "2026-11-23T09:00:00.000Z")} for e in [*START, linked]]
    result = services.create_entities(tenant=tenant, entities=start, now=T0)
    assert not result.errors, result.errors
    again = [{**e, "attrs": stamped(e["attrs"], PRIMED)} for e in start]
    result = services.upsert_entities(
        tenant=tenant, entities=again, replace=False, now=T0 + timedelta(minutes=30)
    )
    assert not result.errors, result.errors


def _spying() -> tuple[Callable[..., set[str]], set[str]]:
    """`readings.write` wrapped to collect the ids it wrote, and the set they go to."""
    taken: set[str] = set()
    write = readings.write

    def spy(**kwargs: Any) -> set[str]:
        done = write(**kwargs)
        taken.update(done)
        return done

    return spy, taken


def _played(
    hub: Hub,
    monkeypatch: pytest.MonkeyPatch,
    committed: Callable[..., Any],
    batch: Callable[[Hub, Tenant], list[dict[str, Any]]],
    *,
    setup: Callable[[Hub, Tenant], None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """The batch played with the shortcut (tenant A) and without (tenant B): what each
    left, and the ids the shortcut wrote (`committed`: pytest-django's
    django_capture_on_commit_callbacks)."""
    spy, taken = _spying()

    states = []
    for tenant, site, shortcut in (
        (hub.tenant_a, hub.cast.site_a, True),
        (hub.tenant_b, hub.cast.site_b, False),
    ):
        monkeypatch.setattr(readings, "write", spy if shortcut else lambda **_kwargs: set())
        with committed(execute=True):
            _start(tenant, site.pk)
        if setup is not None:
            setup(hub, tenant)
        taken.clear()  # what the batch itself wrote by the shortcut
        with committed(execute=True):
            result = services.upsert_entities(
                tenant=tenant, entities=batch(hub, tenant), replace=False, now=T1
            )
        states.append(_state(tenant, result))
        if shortcut:
            found = set(taken)
    return states[0], states[1], found


def _state(tenant: Tenant, result: services.BatchResult) -> dict[str, Any]:
    rows = Entity.objects.filter(tenant=tenant).order_by("entity_id")
    columns = [
        (row.entity_id, row.type, row.types, row.scopes, row.geo_min_x, row.geo_max_y, row.asset_id is None)
        for row in rows
    ]
    history = sorted(
        (
            i.entity.entity_id,
            i.attribute.iri,
            i.dataset_id,
            i.observed_at,
            i.has_observed_at,
            i.recorded_at,
            i.number,
            i.unit_code,
            i.value,
        )
        for i in AttributeInstance.objects.filter(tenant_id=tenant.pk)
        .exclude(attribute__iri=SITE_IRI)  # each tenant links its own site
        .select_related("entity", "attribute")
    )
    notifications = [
        [e["id"] for e in job.kwargs["notification"]["data"]]
        for job in Job.objects.filter(name=NOTIFY_TASK, kwargs__notification__isnull=False).order_by("pk")
        if job.kwargs["subscription_pk"] in set(tenant.subscriptions.values_list("pk", flat=True))
    ]
    alert_states = sorted(
        (s.rule.name, s.entity.entity_id, s.status, s.since)
        for s in AlertState.objects.filter(entity__tenant=tenant).select_related("rule", "entity")
    )
    return {
        "result": (result.success, result.errors, result.created),
        "entities": [_without_site(entity_from_row(row)) for row in rows],
        "columns": columns,
        "history": history,
        "notifications": notifications,
        "alerts": alert_states,
    }


def _without_site(found: dict[str, Any]) -> dict[str, Any]:
    """The entity with its site link's target left out: each tenant links its own site."""
    if SITE_IRI in found["attrs"]:
        found["attrs"][SITE_IRI] = [{**i, "object": "(the tenant's site)"} for i in found["attrs"][SITE_IRI]]
    return found


def _same(with_shortcut: dict[str, Any], without: dict[str, Any]) -> None:
    for key in with_shortcut:
        assert with_shortcut[key] == without[key], key


def _expect_taken(taken: set[str], *numbers: int) -> None:
    assert taken == ({f"urn:ngsi-ld:Sensor:{n}" for n in numbers} if ON_POSTGRES else set())


def test_readings_of_existing_sensors_take_the_shortcut(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def batch(_hub: Hub, _tenant: Tenant) -> list[dict[str, Any]]:
        return [
            # a new value of t and h (createdAt kept), an integer, a new attribute (createdAt now)
            entity(
                1,
                stamped({DEFAULT + "t": [reading(10)], DEFAULT + "p": [reading(1013.2, unit="A97")]}, STAMP),
            ),
            # no unitCode, no observedAt (the history places it at its modifiedAt)
            entity(2, stamped({DEFAULT + "t": [{"type": "Property", "value": -2.25}]}, STAMP)),
            # a type the entity already has among others
            entity(4, stamped({DEFAULT + "t": [reading(40.5)]}, STAMP), types=[DEVICE]),
            # an untouched location stays
            entity(6, stamped({DEFAULT + "t": [reading(60.5)]}, STAMP)),
            # text and a boolean: merged alike, the history keeps the whole instance
            entity(5, stamped({DEFAULT + "t": [reading("high", unit=None)]}, STAMP)),
            entity(
                7,
                stamped({DEFAULT + "t": [reading(True, unit=None)]}, STAMP),
                types=[sdm.AIR_QUALITY_OBSERVED.iri],
            ),
        ]

    with_shortcut, without, taken = _played(hub, monkeypatch, django_capture_on_commit_callbacks, batch)
    _same(with_shortcut, without)
    _expect_taken(taken, 1, 2, 4, 5, 6, 7)
    by_id = {e["id"]: e for e in with_shortcut["entities"]}
    one = by_id["urn:ngsi-ld:Sensor:1"]["attrs"]
    assert one[DEFAULT + "t"][0]["createdAt"] == "2026-11-23T09:00:00.000Z"  # 4.8: kept
    assert one[DEFAULT + "t"][0]["modifiedAt"] == STAMP
    assert one[DEFAULT + "p"][0]["createdAt"] == STAMP
    assert one[DEFAULT + "h"][0]["value"] == 40  # untouched
    assert by_id["urn:ngsi-ld:Sensor:1"]["modifiedAt"] == STAMP
    assert with_shortcut["result"] == (
        [f"urn:ngsi-ld:Sensor:{n}" for n in (1, 2, 4, 6, 5, 7)],
        [],
        [],
    )


def test_what_the_shortcut_cannot_decide_takes_the_general_path(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def batch(_hub: Hub, _tenant: Tenant) -> list[dict[str, Any]]:
        return [
            entity(9, stamped({DEFAULT + "t": [reading(9.0)]}, STAMP)),  # new: created
            entity(1, stamped({DEFAULT + "t": [reading(11.0)]}, STAMP)),  # shortcut
            entity(
                4, stamped({DEFAULT + "t": [reading(41.0)]}, STAMP), types=[DEFAULT + "Other"]
            ),  # new type
            entity(5, stamped({DEFAULT + "t": [reading(51.0)]}, STAMP), scope=["/Nanterre"]),  # a scope
            entity(
                6,
                stamped(
                    {
                        LOCATION_IRI: [
                            {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.2, 48.9]}}
                        ]
                    },
                    STAMP,
                ),
            ),
            entity(8, stamped({DEFAULT + "t": [reading(81.0)]}, STAMP)),  # stored with a registry link
            entity(10, {}),  # new, nothing else
            entity(3, stamped({DEFAULT + "t": [reading(30.0)]}, STAMP)),  # stored with two instances
            entity(
                2, stamped({DEFAULT + "u": [{**reading(21.0), "datasetId": "urn:ngsi-ld:Dataset:b"}]}, STAMP)
            ),
            entity(7, {}),  # nothing to write
        ]

    with_shortcut, without, taken = _played(hub, monkeypatch, django_capture_on_commit_callbacks, batch)
    _same(with_shortcut, without)
    _expect_taken(taken, 1)
    success, errors, created = with_shortcut["result"]
    assert success == [f"urn:ngsi-ld:Sensor:{n}" for n in (9, 1, 4, 5, 6, 8, 10, 3, 2, 7)]
    assert (errors, created) == ([], ["urn:ngsi-ld:Sensor:9", "urn:ngsi-ld:Sensor:10"])


def test_an_id_given_twice_takes_the_general_path(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def batch(_hub: Hub, _tenant: Tenant) -> list[dict[str, Any]]:
        return [
            entity(1, stamped({DEFAULT + "t": [reading(12.0)]}, STAMP)),
            entity(2, stamped({DEFAULT + "t": [reading(22.0)]}, STAMP)),
            entity(1, stamped({DEFAULT + "t": [reading(13.0, at="2026-11-23T10:15:00.000Z")]}, STAMP)),
        ]

    with_shortcut, without, taken = _played(hub, monkeypatch, django_capture_on_commit_callbacks, batch)
    _same(with_shortcut, without)
    _expect_taken(taken)


def test_an_error_of_the_general_path_keeps_the_batch_order(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def batch(hub: Hub, tenant: Tenant) -> list[dict[str, Any]]:
        # The other member's site: refused for this entity only (registry links).
        foreign = hub.cast.site_b if tenant == hub.tenant_a else hub.cast.site_a
        bad = {SITE_IRI: [{"type": "Relationship", "object": f"{SITE_URN}{foreign.pk}"}]}
        return [
            entity(2, stamped({DEFAULT + "t": [reading(23.0)]}, STAMP)),
            entity(6, stamped(bad, STAMP)),
            entity(1, stamped({DEFAULT + "t": [reading(14.0)]}, STAMP)),
        ]

    with_shortcut, without, taken = _played(hub, monkeypatch, django_capture_on_commit_callbacks, batch)
    _expect_taken(taken, 1, 2)
    # The detail names the site, which differs between the two tenants: compared apart.
    for state in (with_shortcut, without):
        success, errors, _created = state["result"]
        assert success == ["urn:ngsi-ld:Sensor:2", "urn:ngsi-ld:Sensor:1"]
        assert [e["entityId"] for e in errors] == ["urn:ngsi-ld:Sensor:6"]
        assert errors[0]["error"]["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"
        state.pop("result")
    _same(with_shortcut, without)


def test_a_subscription_in_the_tenant_turns_the_shortcut_off(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def subscribe(_hub: Hub, tenant: Tenant) -> None:
        create_subscription(tenant=tenant, payload=subscription_payload(), ctx=core_context(), now=T0)

    def batch(_hub: Hub, _tenant: Tenant) -> list[dict[str, Any]]:
        return [entity(1, stamped({DEFAULT + "t": [reading(15.0)]}, STAMP))]

    with_shortcut, without, taken = _played(
        hub, monkeypatch, django_capture_on_commit_callbacks, batch, setup=subscribe
    )
    _same(with_shortcut, without)
    _expect_taken(taken)
    assert with_shortcut["notifications"] == [["urn:ngsi-ld:Sensor:1"]]


def test_sensors_of_a_type_an_alert_rule_watches_take_the_general_path(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    incident_type = IncidentTypeFactory(operator=hub.cast.operator)
    AlertRule.objects.create(
        operator=hub.cast.operator,
        incident_type=incident_type,
        name="PM2.5",
        entity_type=sdm.AIR_QUALITY_OBSERVED.iri,
        attribute=PM25,
        kind=RuleKind.THRESHOLD,
        comparison=Comparison.ABOVE,
        threshold=50.0,
        clear_value=40.0,
        for_minutes=30,
    )

    def batch(_hub: Hub, _tenant: Tenant) -> list[dict[str, Any]]:
        return [
            entity(7, stamped({PM25: [reading(80.0)]}, STAMP), types=[sdm.AIR_QUALITY_OBSERVED.iri]),
            entity(1, stamped({DEFAULT + "t": [reading(16.0)]}, STAMP)),
        ]

    with_shortcut, without, taken = _played(hub, monkeypatch, django_capture_on_commit_callbacks, batch)
    _same(with_shortcut, without)
    _expect_taken(taken, 1)
    assert [(name, eid, status) for name, eid, status, _since in with_shortcut["alerts"]] == [
        ("PM2.5", "urn:ngsi-ld:Sensor:7", "pending")
    ]


def test_the_http_answer_is_the_same(
    hub: Hub, ngsi, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """6.15.3.1: 204 when every entity existed, 201 with the created ids otherwise."""
    for tenant, site in ((hub.tenant_a, hub.cast.site_a), (hub.tenant_b, hub.cast.site_b)):
        with django_capture_on_commit_callbacks(execute=True):
            _start(tenant, site.pk)
    spy, taken = _spying()

    monkeypatch.setattr(readings, "write", spy)
    body = [
        {
            "id": "urn:ngsi-ld:Sensor:1",
            "type": "Sensor",
            "t": {"type": "Property", "value": 17.5, "unitCode": "CEL"},
        },
        {
            "id": "urn:ngsi-ld:Sensor:2",
            "type": "Sensor",
            "t": {"type": "Property", "value": 27, "observedAt": "2026-11-23T10:00:00Z"},
        },
    ]
    answers = []
    for token, shortcut in ((hub.alice_rw, True), (hub.charlie_rw, False)):
        if not shortcut:
            monkeypatch.setattr(readings, "write", lambda **_kwargs: set())
        client = ngsi(token)
        with django_capture_on_commit_callbacks(execute=True):
            updated = client.post("entityOperations/upsert", body, options="update")
        with django_capture_on_commit_callbacks(execute=True):
            created = client.post(
                "entityOperations/upsert",
                [
                    *body,
                    {"id": "urn:ngsi-ld:Sensor:99", "type": "Sensor", "t": {"type": "Property", "value": 1}},
                ],
            )
        read = client.get("entities/urn:ngsi-ld:Sensor:1")
        answers.append(
            (
                updated.status_code,
                updated.content,
                created.status_code,
                created.json(),
                read.json()["t"]["value"],
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][:4] == (204, b"", 201, ["urn:ngsi-ld:Sensor:99"])
    assert answers[0][4] == 17.5
    # With the shortcut, both requests wrote the two sensors by it (the 99th was created).
    _expect_taken(taken, 1, 2)


def test_rows_changed_since_are_checked_where_they_are(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """Other verbs (or processes) wrote the rows after this process: a change elsewhere in
    the entity does not matter (the patch is merged into what is stored); an attribute
    deleted and created again (another createdAt) or an entity deleted is not as assumed,
    and takes the general path."""
    later = T0 + timedelta(minutes=45)

    def change(_hub: Hub, tenant: Tenant) -> None:
        def fresh(value: float) -> dict[str, Any]:
            return {**reading(value, unit="P1"), "createdAt": "2026-11-23T09:45:00.000Z", "modifiedAt": STAMP}

        services.update_attributes(
            tenant=tenant, entity_id="urn:ngsi-ld:Sensor:1", attrs={DEFAULT + "h": [fresh(45)]}, now=later
        )
        services.delete_attribute(
            tenant=tenant, entity_id="urn:ngsi-ld:Sensor:2", attr_iri=DEFAULT + "t", now=later
        )
        services.append_attributes(
            tenant=tenant, entity_id="urn:ngsi-ld:Sensor:2", attrs={DEFAULT + "t": [fresh(2.0)]}, now=later
        )
        services.delete_entity(tenant=tenant, entity_id="urn:ngsi-ld:Sensor:4", now=later)

    def batch(_hub: Hub, _tenant: Tenant) -> list[dict[str, Any]]:
        return [
            entity(1, stamped({DEFAULT + "t": [reading(17.0)]}, STAMP)),
            entity(2, stamped({DEFAULT + "t": [reading(27.0)]}, STAMP)),
            entity(4, stamped({DEFAULT + "t": [reading(47.0)]}, STAMP)),
            entity(6, stamped({DEFAULT + "t": [reading(67.0)]}, STAMP)),
        ]

    with_shortcut, without, taken = _played(
        hub, monkeypatch, django_capture_on_commit_callbacks, batch, setup=change
    )
    _same(with_shortcut, without)
    _expect_taken(taken, 1, 6)
    by_id = {e["id"]: e["attrs"] for e in with_shortcut["entities"]}
    one, two = by_id["urn:ngsi-ld:Sensor:1"], by_id["urn:ngsi-ld:Sensor:2"]
    assert (one[DEFAULT + "h"][0]["value"], one[DEFAULT + "t"][0]["value"]) == (45, 17.0)
    assert two[DEFAULT + "t"][0]["createdAt"] == "2026-11-23T09:45:00.000Z"
    assert with_shortcut["result"][2] == ["urn:ngsi-ld:Sensor:4"]  # created again


def test_a_rolled_back_write_is_not_remembered(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def fail_after_writing(tenant: Tenant) -> None:
        with transaction.atomic():
            services.upsert_entities(
                tenant=tenant,
                entities=[entity(1, stamped({DEFAULT + "t": [reading(99.0)]}, STAMP))],
                replace=False,
                now=T0 + timedelta(minutes=50),
            )
            raise RuntimeError("the request failed after the write")

    def rolled_back(_hub: Hub, tenant: Tenant) -> None:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError, match="failed"):
            fail_after_writing(tenant)

    def batch(_hub: Hub, _tenant: Tenant) -> list[dict[str, Any]]:
        return [entity(1, stamped({DEFAULT + "t": [reading(18.0)]}, STAMP))]

    with_shortcut, without, taken = _played(
        hub, monkeypatch, django_capture_on_commit_callbacks, batch, setup=rolled_back
    )
    _same(with_shortcut, without)
    _expect_taken(taken, 1)  # what is known is still the committed row
    assert [
        (h[1], h[6]) for h in with_shortcut["history"] if h[0] == "urn:ngsi-ld:Sensor:1" and h[6] == 99.0
    ] == []
