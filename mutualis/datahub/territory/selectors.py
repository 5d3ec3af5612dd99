"""Reads of the territory dashboards, all through the tenancy door.

`visible_sensors(scope)` is the one door: the hub's entities of the Smart Data Models types
whose tenant the scope may see (`Entity.objects.visible_to`: the operator's staff every
tenant of their operator, a member's people their member's), narrowed to a site contact's
sites as every other page narrows them. Every other read here takes the sensors it returns.

Figures come from the database grouped by hour (`hourly_partials`: one statement for any
number of sensors and attributes, on the history's primary key (entity, attribute,
dataset_id, observed_at)); the latest state of each sensor from its entity row, which holds
the latest instance of every attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from mutualis.people.tenancy import Scope
from mutualis.registry.models import Commune, Member, MemberKind, Site

from ..models import AlertRule, AlertState, Attribute, AttributeInstance, Entity
from ..models.alerts import AlertStatus, RuleKind
from ..smart_data_models import (
    BY_IRI,
    EV_CHARGING_STATION,
    FLOOD_MONITORING,
    LOCATION_IRI,
    STREETLIGHT,
    SdmType,
)
from .labels import code_label

# Without a reading for this long a sensor is shown as silent. Street lights report once a
# day (a self-test at noon) and switch at dusk and dawn; chargers report on a change only.
SILENT_AFTER = dt.timedelta(hours=3)
SILENT_AFTER_BY_TYPE = {
    STREETLIGHT.name: dt.timedelta(hours=26),
    EV_CHARGING_STATION.name: None,
}
LIGHT_FAULTS = frozenset({"defectiveLamp", "columnIssue", "brokenLantern"})
CHARGER_OUT = frozenset({"outOfService", "withIncidence"})
CHARGER_OCCUPIED = frozenset({"full"})
FLOOD_RAISED = frozenset({"Alert", "Danger"})
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class State:
    OK = "ok"
    ATTENTION = "attention"
    SILENT = "silent"


@dataclass(frozen=True)
class Reading:
    value: Any
    observed_at: dt.datetime | None


@dataclass
class Sensor:
    """One sensor as the dashboards show it: where, what, its latest readings and state."""

    pk: int
    entity_id: str
    sdm: SdmType
    name: str
    site: Site | None
    commune: Commune | None
    member_id: int | None
    position: tuple[float, float] | None  # (longitude, latitude)
    latest: dict[str, Reading]  # SDM attribute term → latest reading
    alerts: list[str] = field(default_factory=list)  # names of firing alert rules
    state: str = State.OK
    state_text: str = ""

    @property
    def last_seen(self) -> dt.datetime | None:
        moments = [r.observed_at for r in self.latest.values() if r.observed_at is not None]
        return max(moments, default=None)

    def value(self, term: str) -> Any:
        reading = self.latest.get(term)
        return reading.value if reading else None

    def code(self, term: str) -> str | None:
        """The latest value of an enumeration, when it is one code (the API takes any JSON
        value: a list or an object there is no code the pages know)."""
        value = self.value(term)
        return value if isinstance(value, str) else None


def visible_sensors(scope: Scope) -> QuerySet[Entity]:
    """The tenancy door of the territory dashboards (see the module's docstring)."""
    rows = Entity.objects.visible_to(scope).filter(type__in=list(BY_IRI))
    if scope.site_ids is not None:
        rows = rows.filter(site_id__in=scope.site_ids)
    return rows


def communes_visible(scope: Scope) -> QuerySet[Commune]:
    """The communes whose page the scope may open: a member's people the communes of their
    member's territory; the operator's staff those where their operator has members or sites."""
    member = scope.member
    if scope.operator_id is None:
        return Commune.objects.none()
    if not scope.is_operator_staff:
        return member.territory_communes() if member is not None else Commune.objects.none()
    sites = Site.objects.visible_to(scope).values("commune_id")
    members = Member.objects.visible_to(scope).exclude(commune=None).values("commune_id")
    return Commune.objects.filter(Q(pk__in=sites) | Q(pk__in=members))


def _instance(instances: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The default instance (no datasetId), or the first."""
    for instance in instances:
        if not instance.get("datasetId"):
            return instance
    return instances[0] if instances else None


def _moment(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _position(attrs: dict[str, Any]) -> tuple[float, float] | None:
    instance = _instance(attrs.get(LOCATION_IRI) or [])
    geometry = (instance or {}).get("value") or {}
    if geometry.get("type") == "Point":
        coordinates = geometry.get("coordinates") or []
        if len(coordinates) >= 2:
            return float(coordinates[0]), float(coordinates[1])
    return None


def _sensor(row: Entity) -> Sensor:
    sdm = BY_IRI[row.type]
    terms = {a.iri: a.name for a in sdm.attributes}
    latest: dict[str, Reading] = {}
    for iri, instances in row.attributes.items():
        term = terms.get(iri)
        instance = _instance(instances)
        if term is None or instance is None or iri == LOCATION_IRI:
            continue
        value = instance.get("value", instance.get("object"))
        latest[term] = Reading(value, _moment(instance.get("observedAt")))
    name_reading = latest.pop("name", None)
    site = row.site
    commune = site.commune if site is not None else None
    member = row.tenant.member
    if commune is None and member is not None and member.kind == MemberKind.COMMUNE:
        commune = member.commune
    return Sensor(
        pk=row.pk,
        entity_id=row.entity_id,
        sdm=sdm,
        name=str(name_reading.value) if name_reading and name_reading.value else row.entity_id,
        site=site,
        commune=commune,
        member_id=member.pk if member is not None else (site.member_id if site is not None else None),
        position=_position(row.attributes),
        latest=latest,
    )


def judge(sensor: Sensor, now: dt.datetime) -> None:
    """Set the sensor's state and the sentence that says it (shown beside its marker)."""
    name = sensor.sdm.name
    status = sensor.code("status")
    silent_after = SILENT_AFTER_BY_TYPE.get(name, SILENT_AFTER)
    last = sensor.last_seen
    faulty = (name == STREETLIGHT.name and status in LIGHT_FAULTS) or (
        name == EV_CHARGING_STATION.name and status in CHARGER_OUT
    )
    if faulty:
        sensor.state = State.ATTENTION
        sensor.state_text = _("out of service (%(status)s)") % {"status": code_label(status)}
    elif name == FLOOD_MONITORING.name and sensor.code("floodLevelStatus") in FLOOD_RAISED:
        sensor.state = State.ATTENTION
        sensor.state_text = _("flood level: %(status)s") % {
            "status": code_label(sensor.code("floodLevelStatus"))
        }
    elif sensor.alerts:
        sensor.state = State.ATTENTION
        sensor.state_text = _("alert: %(rules)s") % {"rules": ", ".join(sensor.alerts)}
    elif last is None or (silent_after is not None and now - last > silent_after):
        sensor.state, sensor.state_text = State.SILENT, _("no recent data")
    else:
        sensor.state, sensor.state_text = State.OK, _("working")


def load_sensors(rows: QuerySet[Entity], now: dt.datetime) -> list[Sensor]:
    """The sensors of `rows` (already scoped), with their state: two queries."""
    sensors = [
        _sensor(row)
        for row in rows.select_related("site__commune", "tenant__member__commune").order_by(
            "type", "entity_id"
        )
    ]
    by_pk = {s.pk: s for s in sensors}
    if by_pk:
        firing = AlertState.objects.filter(entity_id__in=rows.values("pk"), status=AlertStatus.FIRING)
        for entity_pk, rule_name in firing.values_list("entity_id", "rule__name"):
            if entity_pk in by_pk:
                by_pk[entity_pk].alerts.append(rule_name)
    for sensor in sensors:
        judge(sensor, now)
    return sensors


# ---------------------------------------------------------------- history, grouped by hour


@dataclass
class Partial:
    """What the database summed up for one series over one UTC hour."""

    hour: dt.datetime
    count: int
    total: float
    low: float
    high: float
    energy: float  # sum of 10^(value/10), for decibel levels; 0 when not asked


def _hour_sql() -> str:
    # Hours since the epoch: the same integer on both databases, cheap to compute (no
    # time-zone conversion per row; Paris offsets are whole hours, see periods.py).
    if connection.vendor == "postgresql":
        return "CAST(floor(extract(epoch FROM observed_at) / 3600) AS bigint)"
    return "(CAST(strftime('%%s', observed_at) AS integer) / 3600)"


def _in(column: str, values: list[Any], params: list[Any]) -> str:
    if connection.vendor == "postgresql":
        params.append(values)
        return f"{column} = ANY(%s)"
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def attribute_ids(iris: Iterable[str]) -> dict[str, int]:
    """Ids of the attribute dictionary (read only: an attribute never written has none)."""
    return dict(Attribute.objects.filter(iri__in=set(iris)).values_list("iri", "pk"))


def hourly_partials(
    entity_pks: list[int],
    iris: list[str],
    start: dt.datetime,
    end: dt.datetime,
    *,
    energy: bool = False,
) -> dict[tuple[int, str], list[Partial]]:
    """Count, sum, min, max (and with `energy` the sum of 10^(L/10)) of the numeric values
    of each (sensor, attribute) per hour of [start, end): one GROUP BY statement."""
    ids = attribute_ids(iris)
    if not entity_pks or not ids:
        return {}
    iri_of = {pk: iri for iri, pk in ids.items()}
    params: list[Any] = []
    entity_sql = _in("entity_id", sorted(entity_pks), params)
    attribute_sql = _in("attribute_id", sorted(ids.values()), params)
    adapt = connection.ops.adapt_datetimefield_value
    params += [adapt(start), adapt(end)]
    energy_sql = ", sum(power(10.0, number / 10.0))" if energy else ""
    hour = _hour_sql()
    sql = (
        f"SELECT entity_id, attribute_id, {hour} AS hour, count(number), sum(number), min(number), max(number)"  # noqa: S608 (this module's own column names)
        f"{energy_sql} FROM {AttributeInstance._meta.db_table}"
        f" WHERE {entity_sql} AND {attribute_sql} AND dataset_id = '' AND observed_at >= %s AND observed_at < %s"
        " AND number IS NOT NULL GROUP BY entity_id, attribute_id, hour"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: dict[tuple[int, str], list[Partial]] = {}
    for row in rows:
        found.setdefault((row[0], iri_of[row[1]]), []).append(
            Partial(
                hour=dt.datetime.fromtimestamp(int(row[2]) * 3600, tz=dt.UTC),
                count=int(row[3]),
                total=float(row[4]),
                low=float(row[5]),
                high=float(row[6]),
                energy=float(row[7]) if energy else 0.0,
            )
        )
    for partials in found.values():
        partials.sort(key=lambda p: p.hour)
    return found


def fault_since(sensors: list[Sensor]) -> dict[int, dt.datetime]:
    """For each street light in a fault, since when: its first non-"ok" status after the
    last "ok" one (or its first status ever). One query, whatever the number of lights."""
    pks = [s.pk for s in sensors]
    status_id = attribute_ids([STREETLIGHT.attribute("status").iri]).get(STREETLIGHT.attribute("status").iri)
    if not pks or status_id is None:
        return {}
    statuses = AttributeInstance.objects.filter(
        entity_id=OuterRef("pk"), attribute_id=status_id, dataset_id=""
    )
    last_ok = statuses.filter(value__value="ok").order_by("-observed_at").values("observed_at")[:1]
    after = Coalesce(OuterRef("last_ok"), Value(EPOCH), output_field=DateTimeField())
    first_fault = (
        statuses.exclude(value__value="ok")
        .filter(observed_at__gt=after)
        .order_by("observed_at")
        .values("observed_at")[:1]
    )
    rows = (
        Entity.objects.filter(pk__in=pks)
        .annotate(last_ok=Subquery(last_ok))
        .annotate(since=Subquery(first_fault))
        .values_list("pk", "since")
    )
    return {pk: since for pk, since in rows if since is not None}


@dataclass(frozen=True)
class Threshold:
    label: str
    value: float


def thresholds(operator_id: int | None, sensors: list[Sensor]) -> dict[tuple[str, str], list[Threshold]]:
    """Alert thresholds that apply, by (SDM type name, attribute term): the operator's
    active threshold rules. (A flood sensor's own alert and danger levels are read from the
    sensor itself, see figures.py.)"""
    if operator_id is None or not sensors:
        return {}
    types = {s.sdm.iri: s.sdm for s in sensors}
    found: dict[tuple[str, str], list[Threshold]] = {}
    rules = AlertRule.objects.filter(
        operator_id=operator_id,
        is_active=True,
        kind=RuleKind.THRESHOLD,
        entity_type__in=list(types),
        threshold__isnull=False,
    ).order_by("name")
    for rule in rules:
        sdm = types[rule.entity_type]
        term = next((a.name for a in sdm.attributes if a.iri == rule.attribute), None)
        if term is None or rule.threshold is None:
            continue
        found.setdefault((sdm.name, term), []).append(Threshold(rule.name, rule.threshold))
    return found
