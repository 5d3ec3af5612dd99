"""The data hub's bench data: 1,000 sensors of three Smart Data Models in one member's
tenant, and their history (100 million attribute instances at scale 1.0) written with COPY
straight into the partitioned history table.

The sensors are created through the hub's own verb (`services.create_entities`) with their
latest readings; the earlier readings go in with COPY, four numeric attributes per sensor
every 15 minutes going back as far as the size asks. The history's primary key (its series
index, the only one it has) is dropped during the COPY and built again after it
(bench/loading.py, `Deferred`), then the table is analyzed. The rate of that COPY is the
"raw PostgreSQL COPY rate of the same rows" the hub's write path is compared with (issue 6).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection as django_connection
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from mutualis.datahub import history, partitions, services
from mutualis.datahub.models import Entity, Tenant
from mutualis.datahub.ngsild.timestamps import format_instant
from mutualis.datahub.smart_data_models import (
    AIR_QUALITY_OBSERVED,
    NGSI_LD_BASE,
    NOISE_LEVEL_OBSERVED,
    SDM_BASE,
    TRAFFIC_FLOW_OBSERVED,
    SdmType,
)
from mutualis.datahub.tenancy import tenant_for_member
from mutualis.registry.models import Member

from .config import HUB_CADENCE_MINUTES, HUB_ENTITIES, Config
from .database import connect
from .loading import Deferred, check_columns

Say = Callable[[str], None]
TABLE = partitions.TABLE
ID_MARK = ":bench-"  # in every bench entity id: urn:ngsi-ld:<type>:bench-0001
CADENCE = dt.timedelta(minutes=HUB_CADENCE_MINUTES)
SLOTS_PER_DAY = 24 * 60 // HUB_CADENCE_MINUTES
# (recorded_at equals observed_at: a reading stored as it arrives.)
COPY_COLUMNS = ("tenant_id", "entity_id", "attribute_id", "unit_code", "observed_at", "recorded_at", "number")
LEVELS = 256  # values each attribute takes: a daily shape + a sensor's offset + noise, as an index
NOISE = 4096
REPORT_EVERY = 10_000_000


@dataclass(frozen=True)
class Measure:
    """One of the four numbers a bench sensor reports: the term, its IRI, its unit, and
    the range its readings spread over (low at night, high at the busiest hour)."""

    term: str
    iri: str
    unit: str
    low: float
    high: float
    integer: bool = False


def _table(model: SdmType, term: str, low: float, high: float, *, integer: bool = False) -> Measure:
    attribute = model.attribute(term)
    return Measure(term, attribute.iri, attribute.unit_code, low, high, integer)


# Four numbers per model. The hub's table has only two for noise and three for traffic: the
# others are SDM attributes of the same models outside it (LAS and LAeq_d expand into the
# default context like LAeq; averageVehicleLength is a term of the Transportation context).
MODELS: tuple[tuple[SdmType, tuple[Measure, ...]], ...] = (
    (
        AIR_QUALITY_OBSERVED,
        (
            _table(AIR_QUALITY_OBSERVED, "pm10", 8, 60),
            _table(AIR_QUALITY_OBSERVED, "pm25", 4, 40),
            _table(AIR_QUALITY_OBSERVED, "no2", 10, 90),
            _table(AIR_QUALITY_OBSERVED, "temperature", 2, 24),
        ),
    ),
    (
        NOISE_LEVEL_OBSERVED,
        (
            _table(NOISE_LEVEL_OBSERVED, "LAeq", 38, 72),
            _table(NOISE_LEVEL_OBSERVED, "LAmax", 50, 95),
            Measure("LAS", f"{NGSI_LD_BASE}default-context/LAS", "2N", 35, 80),
            Measure("LAeq_d", f"{NGSI_LD_BASE}default-context/LAeq_d", "2N", 45, 68),
        ),
    ),
    (
        TRAFFIC_FLOW_OBSERVED,
        (
            _table(TRAFFIC_FLOW_OBSERVED, "intensity", 5, 900, integer=True),
            _table(TRAFFIC_FLOW_OBSERVED, "averageVehicleSpeed", 18, 55),
            _table(TRAFFIC_FLOW_OBSERVED, "occupancy", 0.01, 0.45),
            Measure(
                "averageVehicleLength",
                f"{SDM_BASE}dataModel.Transportation/averageVehicleLength",
                "MTR",
                4.2,
                6.5,
            ),
        ),
    ),
)
ATTRIBUTES_PER_SENSOR = 4


@dataclass(frozen=True)
class HubSensor:
    entity_id: str
    pk: int
    model: SdmType
    measures: tuple[Measure, ...]


@dataclass
class HubData:
    """What the hub cases work on, read back from the database (so `--reuse` works)."""

    tenant: Tenant
    sensors: list[HubSensor]
    first: dt.datetime  # the oldest reading
    last: dt.datetime  # the latest reading loaded (each sensor's current state)
    facts: dict[str, object] = field(default_factory=dict)


@dataclass
class HubLoad:
    instances: int
    copied: int
    seconds: dict[str, float]

    @property
    def copy_rows_per_s(self) -> float:
        return self.copied / max(self.seconds["hub_copy"], 1e-9)


def sensor_plan() -> list[tuple[str, SdmType, tuple[Measure, ...]]]:
    """(entity id, model, measures) of the 1,000 sensors: the three models in turn."""
    plan = []
    for index in range(HUB_ENTITIES):
        model, measures = MODELS[index % len(MODELS)]
        plan.append((f"urn:ngsi-ld:{model.name}{ID_MARK}{index + 1:04d}", model, measures))
    return plan


def _levels(measure: Measure) -> list[str]:
    """The LEVELS values of a measure as COPY text (each ending its row), low to high."""
    step = (measure.high - measure.low) / (LEVELS - 1)
    return [
        f"{round(measure.low + i * step)}\n" if measure.integer else f"{measure.low + i * step:.2f}\n"
        for i in range(LEVELS)
    ]


def _daily_shape() -> list[int]:
    """Index offsets over a day: quiet at night, peaks at 8:00 and 18:00 (0 to 150)."""
    shape = []
    for slot in range(SLOTS_PER_DAY):
        hour = slot * HUB_CADENCE_MINUTES / 60
        peak = max(0.0, 1 - abs(hour - 8) / 3) + max(0.0, 1 - abs(hour - 18) / 3.5)
        day = 0.35 if 6 <= hour <= 22 else 0.0
        shape.append(round(150 * min(1.0, day + 0.65 * peak)))
    return shape


def _value(measure: Measure, level: int) -> float:
    step = (measure.high - measure.low) / (LEVELS - 1)
    value = measure.low + level * step
    return float(round(value)) if measure.integer else round(value, 2)


def end_of_data(config: Config) -> dt.datetime:
    """The history ends at midnight UTC of the day before the run's reference date: the
    writes the run times come after it, at instants of their own (hub_cases.Slots), and
    the hub refuses a reading stamped more than ten minutes ahead of its clock, through
    NGSI-LD and compact readings alike (ngsild.timestamps.MAX_AHEAD). Midnight of the
    reference date itself, a Paris date, may still be an hour or two away in UTC."""
    return dt.datetime.combine(config.today - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)


def load(config: Config, member: Member, say: Say) -> HubLoad:
    """Create the sensors in `member`'s tenant and COPY their history."""
    seconds: dict[str, float] = {}
    started = time.monotonic()
    tenant = tenant_for_member(member)
    per_slot = HUB_ENTITIES * ATTRIBUTES_PER_SENSOR
    slots = max(1, -(-config.hub_instances // per_slot))  # rounded up: whole slots
    last = end_of_data(config) - CADENCE
    first = last - CADENCE * (slots - 1)
    partitions.ensure_partitions(first.date(), last.date())
    rng = random.Random(config.seed)
    offsets = [rng.randrange(0, 50) for _ in range(HUB_ENTITIES * ATTRIBUTES_PER_SENSOR)]
    noise = [rng.randrange(0, 56) for _ in range(NOISE)]
    shape = _daily_shape()
    plan = sensor_plan()

    # The current state, through the hub's verb: it also writes the last slot's history.
    stamp = format_instant(last)
    entities = []
    last_slot = (slots - 1) % SLOTS_PER_DAY
    for index, (entity_id, model, measures) in enumerate(plan):
        attrs: dict[str, list[dict[str, object]]] = {}
        for a, measure in enumerate(measures):
            level = shape[last_slot] + offsets[index * ATTRIBUTES_PER_SENSOR + a] + noise[0]
            attrs[measure.iri] = [
                {
                    "type": "Property",
                    "value": _value(measure, level),
                    "unitCode": measure.unit,
                    "observedAt": stamp,
                    "createdAt": stamp,
                    "modifiedAt": stamp,
                }
            ]
        entities.append({"id": entity_id, "type": [model.iri], "attrs": attrs})
    result = services.create_entities(tenant=tenant, entities=entities, now=last)
    if result.errors:
        raise SystemExit(f"The hub refused the bench sensors: {result.errors[:3]}")
    pks = dict(
        Entity.objects.filter(tenant=tenant, entity_id__contains=ID_MARK).values_list("entity_id", "pk")
    )
    ids = history.attribute_ids({m.iri for _model, measures in MODELS for m in measures})
    seconds["hub_entities"] = time.monotonic() - started
    say(
        f"  {len(plan):,} sensors in tenant {tenant.name!r}; {slots:,} slots of 15 min from {first:%Y-%m-%d %H:%M}"
    )

    # Each (sensor, attribute) row starts the same way: computed once.
    prefixes = []
    tables = []
    for entity_id, _model, measures in plan:
        for measure in measures:
            prefixes.append(f"{tenant.pk}\t{pks[entity_id]}\t{ids[measure.iri]}\t{measure.unit}\t")
            tables.append(_levels(measure))
    series = list(range(len(prefixes)))
    copied = 0
    with connect(config.database_url) as copier:
        copier.execute("SET synchronous_commit = off")
        check_columns(copier, TABLE, COPY_COLUMNS)
        deferred = Deferred(copier, [TABLE], primary_keys=True)
        deferred.drop()
        copy_started = time.monotonic()
        with copier.cursor() as cursor:
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(TABLE), sql.SQL(", ").join(sql.Identifier(n) for n in COPY_COLUMNS)
            )
            with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
                moment = first
                for slot in range(slots - 1):
                    text = moment.isoformat()
                    when = f"{text}\t{text}\t"
                    base = shape[slot % SLOTS_PER_DAY]
                    shift = slot * 7
                    copy.write(
                        "".join(
                            [
                                prefixes[i] + when + tables[i][base + offsets[i] + noise[(shift + i) % NOISE]]
                                for i in series
                            ]
                        )
                    )
                    copied += per_slot
                    moment += CADENCE
                    if copied % REPORT_EVERY < per_slot:
                        rate = copied / max(time.monotonic() - copy_started, 1e-9)
                        say(f"  {copied:,} history rows ({rate:,.0f} rows/s)")
        copier.commit()
        seconds["hub_copy"] = time.monotonic() - copy_started
        say(
            f"  COPY: {copied:,} rows in {seconds['hub_copy']:,.1f} s ({copied / max(seconds['hub_copy'], 1e-9):,.0f} rows/s)"
        )
        seconds["hub_index"] = deferred.restore(say)
        analyze_started = time.monotonic()
        # VACUUM too, as autovacuum would after a load: it sets the visibility map that lets
        # temporal queries answer from the history's index alone (an index-only scan).
        copier.commit()
        copier.autocommit = True
        copier.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(TABLE)))
        copier.autocommit = False
        seconds["hub_analyze"] = time.monotonic() - analyze_started
    return HubLoad(instances=copied + per_slot, copied=copied, seconds=seconds)


def describe(member: Member) -> HubData:
    """The bench sensors of `member`'s tenant and the time span of their history."""
    tenant = tenant_for_member(member)
    by_type = {model.iri: (model, measures) for model, measures in MODELS}
    sensors = []
    rows = Entity.objects.filter(tenant=tenant, entity_id__contains=ID_MARK).order_by("entity_id")
    for entity_id, pk, type_iri in rows.values_list("entity_id", "pk", "type"):
        if type_iri in by_type:
            model, measures = by_type[type_iri]
            sensors.append(HubSensor(entity_id, pk, model, measures))
    if not sensors:
        raise SystemExit(f"No bench sensors in tenant {tenant.name!r}: run without --reuse first.")
    probe = sensors[0]
    attribute = history.attribute_ids([probe.measures[0].iri])[probe.measures[0].iri]
    with django_connection.cursor() as cursor:
        # One series of one sensor: its bounds are the history's (every sensor has every slot).
        cursor.execute(
            f"SELECT min(observed_at), max(observed_at) FROM {TABLE}"  # noqa: S608 (the module's table name)
            " WHERE entity_id = %s AND attribute_id = %s AND dataset_id = ''",
            [probe.pk, attribute],
        )
        first, last = cursor.fetchone() or (None, None)
        cursor.execute(
            "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint, coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
            " WHERE p.relname = %s",
            [TABLE],
        )
        estimate, size = cursor.fetchone() or (0, 0)
        cursor.execute(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        months = (cursor.fetchone() or (0,))[0]
    if first is None or last is None:
        raise SystemExit(f"The bench sensors of tenant {tenant.name!r} have no history.")
    return HubData(
        tenant=tenant,
        sensors=sensors,
        first=first,
        last=last,
        facts={
            "tenant": tenant.name,
            "entities": len(sensors),
            "types": sorted({s.model.name for s in sensors}),
            "attributes_per_entity": ATTRIBUTES_PER_SENSOR,
            "cadence_minutes": HUB_CADENCE_MINUTES,
            "history_from": first.isoformat(),
            "history_to": last.isoformat(),
            "history_days": round((last - first).total_seconds() / 86400, 1),
            "history_rows_estimate": int(estimate),
            "history_bytes": int(size),
            "history_partitions": int(months),
        },
    )
