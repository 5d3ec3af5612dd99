"""Writing the attribute history (NGSI-LD 4.5.13): rows, idempotency, partitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from mutualis.datahub import history, partitions, services
from mutualis.datahub.models import Attribute, AttributeInstance, Entity, Tenant
from mutualis.jobs.registration import get_task, periodic_tasks
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

TEMPERATURE = "https://uri.etsi.org/ngsi-ld/default-context/temperature"
STATUS = "https://uri.etsi.org/ngsi-ld/default-context/status"
SENSOR = "https://uri.etsi.org/ngsi-ld/default-context/Sensor"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def make_entity(tenant: Tenant, number: int = 1) -> Entity:
    return Entity.objects.create(
        tenant=tenant,
        entity_id=f"urn:ngsi-ld:Sensor:{number}",
        type=SENSOR,
        types=[SENSOR],
        created_at=NOW,
        modified_at=NOW,
    )


def reading(value: Any, observed: str | None, **extra: Any) -> dict[str, Any]:
    instance: dict[str, Any] = {"type": "Property", "value": value, **extra}
    if observed is not None:
        instance["observedAt"] = observed
    return instance


def test_numeric_property_goes_to_the_number_column(hub: Hub) -> None:
    entity = make_entity(hub.tenant_a)
    written = history.record_instances(
        tenant_id=hub.tenant_a.pk,
        entity_pk=entity.pk,
        attrs={TEMPERATURE: [reading(21.5, "2026-11-23T10:00:00.000Z", unitCode="CEL")]},
        recorded_at=NOW,
    )
    assert written == 1
    row = AttributeInstance.objects.get()
    assert (row.number, row.unit_code, row.value) == (21.5, "CEL", None)
    assert row.observed_at == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert row.has_observed_at is True
    assert row.recorded_at == NOW
    assert row.tenant_id == hub.tenant_a.pk
    assert Attribute.objects.get(pk=row.attribute_id).iri == TEMPERATURE


def test_anything_else_keeps_the_whole_instance(hub: Hub) -> None:
    """Text, relationships and numbers with sub-attributes are kept whole in `value`."""
    entity = make_entity(hub.tenant_a)
    qualified = reading(3, "2026-11-23T10:00:00.000Z", **{"https://example.org/accuracy": reading(0.1, None)})
    relation = {
        "type": "Relationship",
        "object": "urn:ngsi-ld:Site:1",
        "observedAt": "2026-11-23T10:00:00.000Z",
    }
    history.record_instances(
        tenant_id=hub.tenant_a.pk,
        entity_pk=entity.pk,
        attrs={
            TEMPERATURE: [qualified],
            STATUS: [reading("ok", "2026-11-23T10:00:00.000Z")],
            "urn:x:site": [relation],
        },
        recorded_at=NOW,
    )
    rows = {Attribute.objects.get(pk=row.attribute_id).iri: row for row in AttributeInstance.objects.all()}
    assert rows[TEMPERATURE].number is None
    assert rows[TEMPERATURE].value == qualified
    assert rows[STATUS].value == reading("ok", "2026-11-23T10:00:00.000Z")
    assert rows["urn:x:site"].value == relation


def test_an_instance_without_observed_at_is_placed_at_its_modification(hub: Hub) -> None:
    entity = make_entity(hub.tenant_a)
    history.record_instances(
        tenant_id=hub.tenant_a.pk,
        entity_pk=entity.pk,
        attrs={
            TEMPERATURE: [reading(20, None, modifiedAt="2026-11-23T11:30:00.000Z", datasetId="urn:ds:raw")]
        },
        recorded_at=NOW,
    )
    row = AttributeInstance.objects.get()
    assert row.observed_at == datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
    assert row.has_observed_at is False
    assert row.dataset_id == "urn:ds:raw"
    assert row.number == 20.0


def test_the_same_observation_twice_is_one_row(hub: Hub) -> None:
    """Idempotent on (entity, attribute, datasetId, observedAt): a redelivered message is a no-op."""
    entity = make_entity(hub.tenant_a)
    attrs = {TEMPERATURE: [reading(21.5, "2026-11-23T10:00:00.000Z")]}
    assert (
        history.record_instances(tenant_id=hub.tenant_a.pk, entity_pk=entity.pk, attrs=attrs, recorded_at=NOW)
        == 1
    )
    again = history.record_instances(
        tenant_id=hub.tenant_a.pk, entity_pk=entity.pk, attrs=attrs, recorded_at=NOW + timedelta(minutes=1)
    )
    assert again == 0
    assert AttributeInstance.objects.count() == 1
    # Another datasetId at the same instant is another instance.
    other = {TEMPERATURE: [reading(21.7, "2026-11-23T10:00:00.000Z", datasetId="urn:ds:calibrated")]}
    assert (
        history.record_instances(tenant_id=hub.tenant_a.pk, entity_pk=entity.pk, attrs=other, recorded_at=NOW)
        == 1
    )


@pytest.mark.parametrize("size", [3, 2500])  # both ways of writing on PostgreSQL (unnest, COPY)
def test_record_many_writes_a_batch_and_skips_duplicates(hub: Hub, size: int) -> None:
    first, second = make_entity(hub.tenant_a, 1), make_entity(hub.tenant_a, 2)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    instants = [(start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z") for i in range(size)]
    rows = [
        (
            hub.tenant_a.pk,
            first.pk,
            {TEMPERATURE: [reading(float(i), instant) for i, instant in enumerate(instants)]},
        ),
        (hub.tenant_a.pk, second.pk, {STATUS: [reading("tab\tand\\backslash\nline", instants[0])]}),
        # The same observation twice in one batch.
        (hub.tenant_a.pk, second.pk, {STATUS: [reading("tab\tand\\backslash\nline", instants[0])]}),
    ]
    assert history.record_many(rows, recorded_at=NOW) == size + 1
    assert history.record_many(rows, recorded_at=NOW) == 0
    assert AttributeInstance.objects.filter(entity_id=first.pk).count() == size
    numbers = AttributeInstance.objects.filter(entity_id=first.pk).order_by("observed_at")
    assert list(numbers.values_list("number", flat=True)) == [float(i) for i in range(size)]
    text = AttributeInstance.objects.get(entity_id=second.pk).value
    assert text is not None
    assert text["value"] == "tab\tand\\backslash\nline"


@pytest.mark.parametrize("size", [3, 2500])  # both ways of skipping stored rows on PostgreSQL
def test_a_batch_partly_stored_writes_only_the_new_instances(hub: Hub, size: int) -> None:
    """On PostgreSQL the first try is a plain COPY, which a stored row makes fail: the
    batch is then written again skipping what is there, and the values stored first stay."""
    entity = make_entity(hub.tenant_a)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    instants = [(start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z") for i in range(size)]
    stored = [(hub.tenant_a.pk, entity.pk, {TEMPERATURE: [reading(-1.0, instants[size // 2])]})]
    assert history.record_many(stored, recorded_at=NOW) == 1
    batch = [
        (hub.tenant_a.pk, entity.pk, {TEMPERATURE: [reading(float(i), at) for i, at in enumerate(instants)]})
    ]
    assert history.record_many(batch, recorded_at=NOW) == size - 1
    numbers = list(
        AttributeInstance.objects.filter(entity_id=entity.pk)
        .order_by("observed_at")
        .values_list("number", flat=True)
    )
    assert numbers == [-1.0 if i == size // 2 else float(i) for i in range(size)]


def test_attribute_ids_are_created_once() -> None:
    ids = history.attribute_ids([TEMPERATURE, STATUS])
    assert set(ids) == {TEMPERATURE, STATUS}
    assert history.attribute_ids([TEMPERATURE]) == {TEMPERATURE: ids[TEMPERATURE]}
    assert Attribute.objects.filter(iri__in=[TEMPERATURE, STATUS]).count() == 2


def test_delete_history_by_entity_attribute_and_dataset(hub: Hub) -> None:
    first, second = make_entity(hub.tenant_a, 1), make_entity(hub.tenant_a, 2)
    observed = "2026-11-23T10:00:00.000Z"
    both = {
        TEMPERATURE: [reading(1, observed), reading(2, observed, datasetId="urn:ds:b")],
        STATUS: [reading("ok", observed)],
    }
    for entity in (first, second):
        history.record_instances(tenant_id=hub.tenant_a.pk, entity_pk=entity.pk, attrs=both, recorded_at=NOW)
    history.delete_history(entity_pks=[first.pk], attribute_iri=TEMPERATURE, dataset_id="urn:ds:b")
    assert AttributeInstance.objects.filter(entity_id=first.pk).count() == 2
    history.delete_history(entity_pks=[first.pk], attribute_iri=TEMPERATURE)
    assert AttributeInstance.objects.filter(entity_id=first.pk).count() == 1
    history.delete_history(entity_pks=[first.pk])
    assert AttributeInstance.objects.filter(entity_id=first.pk).count() == 0
    assert AttributeInstance.objects.filter(entity_id=second.pk).count() == 3


def test_entity_writes_record_their_instances(hub: Hub) -> None:
    """The write verbs of the broker append each instance they store to the history."""
    entity = services.create_entity(
        tenant=hub.tenant_a,
        entity={
            "id": "urn:ngsi-ld:Sensor:9",
            "type": [SENSOR],
            "attrs": {TEMPERATURE: [reading(19.0, "2026-11-23T09:00:00.000Z")]},
        },
        now=NOW,
    )
    services.update_attributes(
        tenant=hub.tenant_a,
        entity_id="urn:ngsi-ld:Sensor:9",
        attrs={TEMPERATURE: [reading(19.5, "2026-11-23T10:00:00.000Z")]},
        now=NOW + timedelta(hours=1),
    )
    values = list(
        AttributeInstance.objects.filter(entity_id=entity.pk)
        .order_by("observed_at")
        .values_list("number", flat=True)
    )
    assert values == [19.0, 19.5]


def _partition_of(number: float) -> str:
    """The partition holding the one history row of this value."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {partitions.TABLE} WHERE number = %s", [number])  # noqa: S608
        return str(cursor.fetchone()[0])


def test_history_spanning_months_and_a_far_past_observation(hub: Hub) -> None:
    """On PostgreSQL rows go to their month's partition, a far-past one to the default
    partition until `ensure_partitions` creates its month and moves it; SQLite has one table."""
    entity = make_entity(hub.tenant_a)
    attrs = {
        TEMPERATURE: [
            reading(1, "2026-11-30T23:59:59.000Z"),
            reading(2, "2026-12-01T00:00:00.000Z"),
            reading(3, "2001-06-15T12:00:00.000Z"),
        ]
    }
    partitions.ensure_partitions(date(2026, 11, 1), date(2026, 12, 1))
    history.record_instances(tenant_id=hub.tenant_a.pk, entity_pk=entity.pk, attrs=attrs, recorded_at=NOW)
    assert set(AttributeInstance.objects.values_list("number", flat=True)) == {1.0, 2.0, 3.0}
    if partitions.is_partitioned():
        assert _partition_of(1.0) == partitions.partition_name(date(2026, 11, 1))
        assert _partition_of(2.0) == partitions.partition_name(date(2026, 12, 1))
        assert _partition_of(3.0) == partitions.DEFAULT_PARTITION
        assert partitions.ensure_partitions(date(2001, 6, 1), date(2001, 6, 30)) == [
            "datahub_attributeinstance_y2001m06"
        ]
        assert _partition_of(3.0) == "datahub_attributeinstance_y2001m06"
    else:
        assert connection.vendor == "sqlite"
        assert partitions.ensure_partitions(date(2001, 6, 1), date(2001, 6, 30)) == []
    assert AttributeInstance.objects.filter(observed_at__year=2001).count() == 1


def test_partitions_are_prepared_daily() -> None:
    """The job `datahub.partitions` runs every day and prepares the coming months."""
    assert periodic_tasks()["datahub.partitions"] == timedelta(days=1)
    get_task("datahub.partitions").func()
    if partitions.is_partitioned():
        today = datetime.now(UTC).date()
        assert partitions.partition_name(partitions.month_start(today)) in partitions.existing_partitions()


def test_the_history_is_keyed_by_the_instance_itself() -> None:
    """Migration 0007: the primary key is (entity, attribute, datasetId, observedAt), the
    row's own identity, and there is no surrogate id column to write on every row."""
    table = partitions.TABLE
    with connection.cursor() as cursor:
        columns = {column.name for column in connection.introspection.get_table_description(cursor, table)}
        constraints = connection.introspection.get_constraints(cursor, table)
    assert "id" not in columns
    primary = [c["columns"] for c in constraints.values() if c["primary_key"]]
    if connection.vendor == "sqlite":
        # Django lists SQLite's key columns in the table's order; the key's own order is
        # each column's position in it.
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA table_info({table})")
            primary = [
                [name for position, name in sorted((row[5], row[1]) for row in cursor.fetchall() if row[5])]
            ]
    assert primary == [["entity_id", "attribute_id", "dataset_id", "observed_at"]]
    # Nothing else to maintain on every write but that key (and, on SQLite, the attribute's
    # foreign-key index).
    others = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert others in ([], [["attribute_id"]])
