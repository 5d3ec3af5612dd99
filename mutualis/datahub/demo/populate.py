"""Writing the demo: registry assets for the sensors, their entities through the hub's
batch verbs, and their history in large batches (`build`); removing an earlier run's."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from mutualis.demo.progress import Progress
from mutualis.registry.models import Asset, AssetModel, AssetStatus, AssetStatusChange, AssetType, Operator

from .. import history, partitions, services
from ..models import AttributeInstance, Entity, Subscription, Tenant
from ..smart_data_models import LOCATION_IRI, SDM_TYPES
from .climate import Clock, Weather
from .sensors import DEMO_ID_MARK, SENSOR_KINDS, Sensor
from .series import GENERATORS, Series, prop
from .towns import choose_towns, plan_sensors

COMMUNES_AT_SCALE_1 = 15
DEFAULT_DAYS = 30
DEFAULT_SEED = 2026
# History goes to the database in batches of about this many instances: large enough for
# COPY on PostgreSQL, small enough to keep memory flat.
HISTORY_BATCH = 40_000


@dataclass
class DemoHubSummary:
    """What the hub's demo holds after a build, for the command's report."""

    communes: list[str]
    entities: dict[str, int]  # per SDM type name
    assets_created: int
    history_rows: int
    first: dt.datetime
    last: dt.datetime
    seconds: float

    @property
    def sensors(self) -> int:
        return sum(self.entities.values())


def ensure_asset_types() -> dict[str, tuple[AssetType, list[AssetModel]]]:
    """The sensors' asset types and models, added when missing (never renamed: they are
    editable lists of the back-office)."""
    result: dict[str, tuple[AssetType, list[AssetModel]]] = {}
    for kind in SENSOR_KINDS.values():
        sdm = kind.sdm
        asset_type, _created = AssetType.objects.get_or_create(
            code=sdm.asset_type_code,
            defaults={"name": sdm.asset_type_name, "expected_lifetime_months": kind.lifetime_months},
        )
        models = [
            AssetModel.objects.get_or_create(asset_type=asset_type, manufacturer=maker, name=model)[0]
            for maker, model in kind.models
        ]
        result[sdm.name] = (asset_type, models)
    return result


def create_assets(sensors: list[Sensor], *, operator: Operator, now: dt.datetime, rng: random.Random) -> int:
    """One registry asset per sensor that has none (chargers already have theirs)."""
    types = ensure_asset_types()
    counters: dict[tuple[str, str], int] = {}
    made: list[Asset] = []
    for sensor in sensors:
        if sensor.asset is not None:
            continue
        asset_type, models = types[sensor.kind.sdm.name]
        departement = sensor.site.commune.departement.code
        key = (sensor.kind.tag_prefix, departement)
        counters[key] = counters.get(key, 0) + 1
        acquired = (now - dt.timedelta(days=rng.randint(60, 3 * 365))).date()
        sensor.asset = Asset(
            operator_id=operator.pk,
            site=sensor.site,
            asset_type=asset_type,
            model=rng.choice(models) if models else None,
            inventory_tag=f"{sensor.kind.tag_prefix}-{departement}-{counters[key]:06d}",
            serial_number=f"{rng.randrange(16**10):010X}",
            label=sensor.name[:200],
            status=AssetStatus.IN_SERVICE,
            status_changed_at=dt.datetime.combine(acquired, dt.time(10), tzinfo=dt.UTC),
            acquired_on=acquired,
            warranty_ends_on=acquired + dt.timedelta(days=2 * 365),
        )
        made.append(sensor.asset)
    Asset.objects.bulk_create(made, batch_size=500)
    AssetStatusChange.objects.bulk_create(
        [
            AssetStatusChange(
                asset=a, from_status="", to_status=AssetStatus.IN_SERVICE, changed_at=a.status_changed_at
            )
            for a in made
        ],
        batch_size=500,
    )
    return len(made)


def remove_previous(operator: Operator) -> int:
    """Delete the demo's entities (with their history) and sensor assets from an earlier run."""
    removed = 0
    demo_types = [t.iri for t in SDM_TYPES]
    rows = Entity.objects.filter(
        tenant__operator=operator, entity_id__contains=DEMO_ID_MARK, type__in=demo_types
    ).values_list("tenant_id", "entity_id")
    by_tenant: dict[int, list[str]] = {}
    for tenant_id, entity_id in rows:
        by_tenant.setdefault(tenant_id, []).append(entity_id)
    for tenant in Tenant.objects.filter(pk__in=by_tenant):
        removed += len(services.delete_entities(tenant=tenant, ids=by_tenant[tenant.pk]).success)
    prefixes = Q()
    for kind in SENSOR_KINDS.values():
        if kind.tag_prefix:
            prefixes |= Q(
                asset_type__code=kind.sdm.asset_type_code, inventory_tag__startswith=f"{kind.tag_prefix}-"
            )
    Asset.objects.filter(prefixes, operator=operator).delete()
    return removed


def remove_hub_data(operator: Operator) -> None:
    """Everything the hub holds for `operator`: history, entities, subscriptions, tenants.

    For the demo's reset (`demo.builder.reset_demo`), which deletes members and sites:
    tenants protect their member, and entities their tenant.
    """
    tenants = Tenant.objects.filter(operator=operator)
    entities = Entity.objects.filter(tenant__in=tenants)
    AttributeInstance.objects.filter(tenant_id__in=tenants.values("pk")).delete()
    entities.delete()
    Subscription.objects.filter(tenant__in=tenants).delete()
    tenants.delete()


def entity_for(sensor: Sensor, series: Series, stamp: str) -> dict[str, Any]:
    """The sensor's current state: the latest instance of each observed attribute, its
    descriptive attributes, location, and the registry relationships."""
    sdm = sensor.kind.sdm
    attrs: dict[str, list[dict[str, Any]]] = {}
    for iri, instances in series.items():
        attrs[iri] = [{**instances[-1], "createdAt": stamp, "modifiedAt": stamp}]
    lon, lat = sensor.position
    fixed: dict[str, dict[str, Any]] = {
        sdm.attribute("name").iri: prop(sensor.name),
        LOCATION_IRI: {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
        services.SITE_IRI: {"type": "Relationship", "object": f"{services.SITE_URN}{sensor.site.pk}"},
    }
    if sensor.asset is not None:
        fixed[services.ASSET_IRI] = {
            "type": "Relationship",
            "object": f"{services.ASSET_URN}{sensor.asset.inventory_tag}",
        }
    for term, value in sensor.static.items():
        fixed[sdm.attribute(term).iri] = prop(value)
    for iri, instance in fixed.items():
        attrs[iri] = [{**instance, "createdAt": stamp, "modifiedAt": stamp}]
    return {"id": sensor.entity_id, "type": [sdm.iri], "attrs": attrs}


def build(
    *,
    operator: Operator,
    now: dt.datetime,
    progress: Progress | None = None,
    scale: float = 1.0,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
) -> DemoHubSummary:
    """Create (or re-create) the hub's demo sensors of `operator`, with `days` of history
    ending at `now`. `scale` multiplies the number of communes (15 at 1.0)."""
    progress = progress or Progress()
    if days < 1:
        raise ValueError("The demo needs at least one day of history.")
    rng = random.Random(seed)  # noqa: S311 (seeded demo data, not secrets)
    clock = Clock(now, days)
    weather = Weather(clock, random.Random(rng.random()))  # noqa: S311 (as above)
    partitions.ensure_partitions(clock.start.date(), clock.end.date())
    with transaction.atomic():
        removed = remove_previous(operator)
        if removed:
            progress.say(f"Data hub: removed {removed} demo entities of an earlier run")
        towns = choose_towns(operator, max(1, round(COMMUNES_AT_SCALE_1 * scale)))
        sensors = plan_sensors(towns, rng)
        assets = create_assets(sensors, operator=operator, now=clock.end, rng=rng)
        progress.say(f"Data hub: {len(sensors)} sensors in {len(towns)} communes, {assets} new assets")
        by_tenant: dict[int, list[tuple[Sensor, dict[str, Any]]]] = {}
        pending: list[tuple[int, int, Series]] = []
        pending_size = 0
        histories: dict[str, Series] = {}
        for sensor in sensors:
            series = GENERATORS[sensor.kind.sdm.name](sensor, clock, weather)
            histories[sensor.entity_id] = series
            by_tenant.setdefault(sensor.tenant.pk, []).append(
                (sensor, entity_for(sensor, series, clock.now_stamp))
            )
        for pairs in by_tenant.values():
            tenant = pairs[0][0].tenant
            result = services.create_entities(tenant=tenant, entities=[e for _s, e in pairs], now=clock.end)
            if result.errors:
                raise RuntimeError(f"The hub refused demo entities: {result.errors}")
        pks = dict(
            Entity.objects.filter(
                tenant__operator=operator, entity_id__in=[s.entity_id for s in sensors]
            ).values_list("entity_id", "pk")
        )
        for done, sensor in enumerate(sensors, start=1):
            series = histories.pop(sensor.entity_id)
            pending.append((sensor.tenant.pk, pks[sensor.entity_id], series))
            pending_size += sum(len(instances) for instances in series.values())
            if pending_size >= HISTORY_BATCH or done == len(sensors):
                history.record_many(pending, recorded_at=clock.end)
                pending, pending_size = [], 0
                progress.count("Data hub history", done, len(sensors))
        # Counted rather than summed: creating the entities already wrote their latest values.
        rows_written = AttributeInstance.objects.filter(entity_id__in=pks.values()).count()
    counts: dict[str, int] = {}
    for sensor in sensors:
        counts[sensor.kind.sdm.name] = counts.get(sensor.kind.sdm.name, 0) + 1
    return DemoHubSummary(
        communes=[t.commune.name for t in towns],
        entities=counts,
        assets_created=assets,
        history_rows=rows_written,
        first=clock.start,
        last=clock.end,
        seconds=progress.elapsed(),
    )
