"""The data hub's cases (issue 6 "Speed", issue 7, issue 8 clause 4), measured against the
running server with the API token of the member whose tenant holds the bench sensors.

- writes: a batch upsert of 1,000 sensors × 4 attributes (NGSI-LD 6.15), the HTTP ingestion
  of 1,000 compact readings, and MQTT end to end (publish → `ingest_mqtt` → stored); next
  to them, the same rows as one upsert written by a bare COPY into the history as it stands
  (`live_copy`), the least any writer of them pays;
- reads: one sensor's hourly averages over 30 days (6.19), and the daily averages of the
  1,000 sensors over 30 days in one request (6.18, limit 1,000: the API's maximum).

Every write uses instants after everything already stored (`Slots`), so that no iteration,
and no later `--reuse` run, writes an instance that exists (which would cost nothing).
Attribute and type names are sent expanded (full IRIs, no @context): a request means the
same whatever context a client would send, and the bench measures the hub, not a lookup.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from django.db import connection, transaction

from mutualis.datahub import history
from mutualis.datahub.ngsild.timestamps import format_instant

from .cases import Case
from .config import MQTT_TARGET_PER_S, MUTUALIS, TEMPORAL_TARGET_MS, UPSERT_TARGET_PER_S, Config
from .hub_data import CADENCE, TABLE, HubData, HubSensor

NGSI = "/ngsi-ld/v1"
WINDOW = dt.timedelta(days=30)
MQTT_READINGS_PER_MESSAGE = 50
MQTT_SLOTS_PER_CALL = 5  # 5 slots × 1,000 sensors = 100 messages of 50 readings = 20,000 values
MQTT_TIMEOUT_SECONDS = 120
MQTT_BROKER = ("127.0.0.1", 1883)
# The concurrent upsert's clients: one per core, as gunicorn runs one worker per core.
UPSERT_CLIENTS = 2
HUB_CASES = (
    "history_copy_live",
    "ngsild_batch_upsert",
    "ngsild_batch_upsert_concurrent",
    "temporal_entity_hourly",
    "temporal_1000_daily",
    "ingest_http",
    "ingest_http_alerts",
    "ingest_mqtt",
    "ingest_mqtt_alerts",
)
RULE_PREFIX = "bench: "


# The run's writes go one second apart, not at the history's 15-minute cadence: a full run
# takes a few thousand instants, which must stay behind the hub's clock (a reading ahead of
# it is refused), and a day after the loaded history holds 86,400 of them.
SLOT_STEP = dt.timedelta(seconds=1)


class Slots:
    """Fresh instants after the latest stored one, a second apart, handed out in order."""

    def __init__(self, hub: HubData) -> None:
        # The latest instant of any sensor, not of one: the concurrent upsert's clients each
        # write their own share of the sensors at their own instant, so after it (a run with
        # --reuse starts where an earlier one stopped) the sensors' latest instants differ,
        # and starting after a lower one would write instances that exist, which the hub
        # skips at a cost that is not the one measured. One index probe per sensor, on the
        # first attribute (a sensor's four attributes are always written together).
        iris = {sensor.measures[0].iri for sensor in hub.sensors}
        ids = history.attribute_ids(iris)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT max(latest) FROM unnest(%s::bigint[], %s::bigint[]) AS k(entity_id, attribute_id)"  # noqa: S608 (the module's table name)
                f" CROSS JOIN LATERAL (SELECT max(observed_at) AS latest FROM {TABLE} h"
                " WHERE h.entity_id = k.entity_id AND h.attribute_id = k.attribute_id AND h.dataset_id = '') AS s",
                [[s.pk for s in hub.sensors], [ids[s.measures[0].iri] for s in hub.sensors]],
            )
            latest = (cursor.fetchone() or (None,))[0] or hub.last
        self.next = max(latest, hub.last) + SLOT_STEP
        self.lock = threading.Lock()

    def take(self, count: int = 1) -> list[dt.datetime]:
        with self.lock:
            taken = [self.next + SLOT_STEP * i for i in range(count)]
            self.next += SLOT_STEP * count
        return taken


def _value(rng: random.Random, sensor: HubSensor, index: int) -> float:
    measure = sensor.measures[index]
    value = rng.uniform(measure.low, measure.high)
    return float(round(value)) if measure.integer else round(value, 2)


def upsert_body(hub: HubData, slots: Slots, rng: random.Random, *, clients: int = 1) -> Callable[[int], Any]:
    """The sensors, each with its four attributes observed at a new instant. With several
    clients, request i is client i % clients' (bench/measure.py), which sends its own
    share of the sensors, as gateways each send theirs: no two clients write the same rows
    (which would wait on each other's locks)."""
    size = -(-len(hub.sensors) // clients)
    shares = [hub.sensors[k * size : (k + 1) * size] for k in range(clients)]

    def body(i: int) -> Any:
        stamp = format_instant(slots.take()[0])
        entities = []
        for sensor in shares[i % clients]:
            entity: dict[str, Any] = {"id": sensor.entity_id, "type": sensor.model.iri}
            for index, measure in enumerate(sensor.measures):
                attribute: dict[str, Any] = {"type": "Property", "value": _value(rng, sensor, index)}
                # A count (traffic intensity) has no unit: unitCode, when given, must be a
                # code (4.5.2), and an empty one made the hub refuse the traffic third of
                # every batch (answered 207, so the case counted instances never written).
                if measure.unit:
                    attribute["unitCode"] = measure.unit
                attribute["observedAt"] = stamp
                entity[measure.iri] = attribute
            entities.append(entity)
        return entities

    return body


def live_copy(hub: HubData, slots: Slots) -> Callable[[int], object]:
    """The rows one upsert writes (every sensor's four attributes at a new instant), written
    by the bench itself with one COPY straight into the history as it stands, its primary key
    in place, and committed: the least any writer of these rows pays, the hub's verbs
    included, and the second reference their rates are compared with (the load's COPY, with
    the key dropped, is the first). Only the instant changes from call to call: the rest of
    each line is made once, so the call times the COPY, not the making of its text."""
    tenant = hub.tenant.pk
    ids = history.attribute_ids({m.iri for s in hub.sensors for m in s.measures})
    heads, tails = [], []  # each line: head, instant, "\tt\t", recorded instant, tail
    for sensor in hub.sensors:
        for measure in sensor.measures:
            heads.append(f"{tenant}\t{sensor.pk}\t{ids[measure.iri]}\t\t")
            tails.append(f"\t{(measure.low + measure.high) / 2!r}\t{measure.unit}\t\\N\n")
    statement = f"COPY {TABLE} ({', '.join(history.COLUMNS)}) FROM STDIN"

    def call(_i: int) -> object:
        moment = slots.take()[0]
        middle = f"{moment.isoformat()}\tt\t{dt.datetime.now(dt.UTC).isoformat()}"
        text = "".join([head + middle + tail for head, tail in zip(heads, tails, strict=True)])
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            copy.write(text)
        return moment

    return call


def readings(hub: HubData, moment: dt.datetime, rng: random.Random) -> list[dict[str, Any]]:
    """One compact reading per sensor (docs/ingestion.md), values named by their terms."""
    stamp = format_instant(moment)
    return [
        {
            "sensor": sensor.entity_id,
            "observedAt": stamp,
            "values": {m.term: _value(rng, sensor, i) for i, m in enumerate(sensor.measures)},
        }
        for sensor in hub.sensors
    ]


def _window(hub: HubData) -> dict[str, str]:
    end = hub.last + CADENCE
    return {"timerel": "between", "timeAt": format_instant(end - WINDOW), "endTimeAt": format_instant(end)}


def hourly_path(hub: HubData, seed: int) -> Callable[[int], str]:
    """One attribute of a random sensor, hourly averages over the last 30 days."""
    rng = random.Random(seed)
    picks = [(rng.choice(hub.sensors), rng.randrange(4)) for _ in range(1000)]
    window = _window(hub)

    def path(i: int) -> str:
        sensor, index = picks[i % len(picks)]
        query = {
            "attrs": sensor.measures[index].iri,
            "options": "aggregatedValues",
            "aggrMethods": "avg",
            "aggrPeriodDuration": "PT1H",
            **window,
        }
        return f"{NGSI}/temporal/entities/{quote(sensor.entity_id, safe=':')}?{urlencode(query)}"

    return path


def daily_path(hub: HubData) -> str:
    """The 1,000 sensors' daily averages over 30 days, one page of 1,000 (DATAHUB_MAX_LIMIT)."""
    types = sorted({s.model.iri for s in hub.sensors})
    attrs = sorted({m.iri for s in hub.sensors for m in s.measures})
    query = {
        "type": ",".join(types),
        # The bench's sensors only, should the member's tenant hold others of these types.
        "idPattern": r"^urn:ngsi-ld:[A-Za-z]+:bench-[0-9]+$",
        "attrs": ",".join(attrs),
        "options": "aggregatedValues",
        "aggrMethods": "avg",
        "aggrPeriodDuration": "P1D",
        **_window(hub),
        "limit": str(len(hub.sensors)),
    }
    return f"{NGSI}/temporal/entities?{urlencode(query)}"


@dataclass
class MqttRun:
    """`mutualis ingest_mqtt` on the bench database, started for the MQTT case and stopped
    after it; a publisher; and the check that what was published is stored."""

    config: Config
    hub: HubData
    slots: Slots
    seed: int
    prefix: str = field(default_factory=lambda: f"bench{int(time.time())}")
    process: subprocess.Popen[bytes] | None = None
    publisher: Any = None

    @property
    def client_id(self) -> str:
        return f"{self.prefix}-ingest"

    def start(self) -> None:
        import paho.mqtt.client as mqtt

        self.config.var_dir.mkdir(parents=True, exist_ok=True)
        log = (self.config.var_dir / "ingest_mqtt.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(MUTUALIS), "ingest_mqtt", "--host", MQTT_BROKER[0], "--port", str(MQTT_BROKER[1]),
                "--prefix", self.prefix, "--client-id", self.client_id,
                "--operator", self.hub.tenant.operator.slug,
            ],
            env=self.config.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.publisher = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"{self.prefix}-publisher", protocol=mqtt.MQTTv5
        )
        self.publisher.connect(*MQTT_BROKER)
        self.publisher.loop_start()
        # The worker subscribes once connected: probe until a reading comes back stored.
        deadline = time.monotonic() + MQTT_TIMEOUT_SECONDS
        rng = random.Random(self.seed)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"ingest_mqtt stopped (see {self.config.var_dir / 'ingest_mqtt.log'}).")
            moment = self.slots.take()[0]
            self.publish([readings(self.hub, moment, rng)[0]])
            if self.wait_stored(self.hub.sensors[:1], moment, timeout=1.0):
                return
        raise SystemExit("ingest_mqtt stored nothing of what was published.")

    def publish(self, items: list[dict[str, Any]]) -> None:
        topic = f"{self.prefix}/{self.hub.tenant.name}/observations"
        sent = [
            self.publisher.publish(topic, json.dumps(items[start : start + MQTT_READINGS_PER_MESSAGE]), qos=1)
            for start in range(0, len(items), MQTT_READINGS_PER_MESSAGE)
        ]
        for info in sent:
            info.wait_for_publish(timeout=MQTT_TIMEOUT_SECONDS)

    def stored(self, sensors: list[HubSensor], moment: dt.datetime) -> int:
        ids = history.attribute_ids({m.iri for s in sensors for m in s.measures})
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {TABLE} WHERE entity_id = ANY(%s) AND attribute_id = ANY(%s)"  # noqa: S608 (the module's table name)
                " AND dataset_id = '' AND observed_at = %s",
                [[s.pk for s in sensors], list(ids.values()), moment],
            )
            return int((cursor.fetchone() or (0,))[0])

    def wait_stored(self, sensors: list[HubSensor], moment: dt.datetime, *, timeout: float) -> bool:
        expected = sum(len(s.measures) for s in sensors)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stored(sensors, moment) >= expected:
                return True
            time.sleep(0.01)
        return False

    def call(self) -> Callable[[int], object]:
        rng = random.Random(self.seed + 1)

        def call(_i: int) -> object:
            if self.process is None:
                self.start()
            moments = self.slots.take(MQTT_SLOTS_PER_CALL)
            self.publish([r for moment in moments for r in readings(self.hub, moment, rng)])
            # The worker writes batches in the order it receives them, each in one
            # transaction: when the last message is stored, every earlier one is.
            tail = self.hub.sensors[-MQTT_READINGS_PER_MESSAGE:]
            if not self.wait_stored(tail, moments[-1], timeout=MQTT_TIMEOUT_SECONDS):
                raise SystemExit(f"ingest_mqtt did not store the readings of {format_instant(moments[-1])}.")
            return moments

        return call

    def stop(self) -> None:
        import paho.mqtt.client as mqtt

        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.publisher is not None:
            self.publisher.disconnect()
            self.publisher.loop_stop()
        if self.process is not None:
            # The worker's persistent session would stay in the broker for a week: a clean
            # start under its client id, then a disconnect, ends it.
            cleaner = mqtt.Client(
                mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5
            )
            cleaner.connect(*MQTT_BROKER, clean_start=True)
            cleaner.loop_start()
            cleaner.disconnect()
            cleaner.loop_stop()
        self.process = None


class AlertRules:
    """A realistic set of alert rules on the bench's sensors, active only during the
    `*_alerts` cases, so that the same run measures ingestion with and without them.

    One threshold rule on a headline measure of each model (two for air quality), at the
    top 1 % of the bench's range, to fire after 30 minutes beyond; a silence rule per model
    (an hour without data); and the WHO daily mean of PM2.5, which the periodic sweep
    judges, not the write path. The bench's values are independent draws, so every
    excursion lasts one reading: about two state writes per hundred watched readings, more
    churn than real series with the same exceedance would cause, and no rule fires."""

    THRESHOLDS = (("pm25", 0.99), ("no2", 0.99), ("LAeq", 0.99), ("occupancy", 0.99))

    def __init__(self, hub: HubData) -> None:
        self.hub = hub
        self.active: bool | None = None

    def _plan(self) -> list[dict[str, Any]]:
        by_term = {m.term: (s.model, m) for s in self.hub.sensors for m in s.measures}
        models = {s.model.iri: s.model for s in self.hub.sensors}
        plan: list[dict[str, Any]] = []
        for term, share in self.THRESHOLDS:
            if term not in by_term:
                continue  # a bench without that model
            model, measure = by_term[term]
            threshold = measure.low + share * (measure.high - measure.low)
            plan.append(
                {
                    "name": f"{RULE_PREFIX}{model.name} {term} above {threshold:.2f}",
                    "entity_type": model.iri,
                    "attribute": measure.iri,
                    "kind": "threshold",
                    "comparison": "above",
                    "threshold": threshold,
                    "clear_value": measure.low + (share - 0.05) * (measure.high - measure.low),
                    "for_minutes": 30,
                }
            )
        for model in models.values():
            first = next(s for s in self.hub.sensors if s.model is model).measures[0]
            plan.append(
                {
                    "name": f"{RULE_PREFIX}{model.name} silent for an hour",
                    "entity_type": model.iri,
                    "attribute": first.iri,
                    "kind": "silence",
                    "silence_minutes": 60,
                }
            )
        if "pm25" not in by_term:
            return plan
        model, measure = by_term["pm25"]
        plan.append(
            {
                "name": f"{RULE_PREFIX}PM2.5 daily mean above the WHO guideline",
                "entity_type": model.iri,
                "attribute": measure.iri,
                "kind": "threshold",
                "comparison": "above",
                "threshold": 15.0,
                "aggregation": "daily_mean",
            }
        )
        return plan

    def set(self, active: bool) -> None:
        """Create (or remove) the rules; nothing when they already are as asked."""
        if self.active is active:
            return
        from mutualis.datahub.models import AlertRule
        from mutualis.servicedesk.models import IncidentType

        operator = self.hub.tenant.operator
        AlertRule.objects.filter(operator=operator, name__startswith=RULE_PREFIX).delete()
        if active:
            incident_type = IncidentType.objects.filter(operator=operator).order_by("pk").first()
            if incident_type is None:
                raise SystemExit(
                    "The alert cases need an incident type of the operator (demo_data makes them)."
                )
            AlertRule.objects.bulk_create(
                [AlertRule(operator=operator, incident_type=incident_type, **rule) for rule in self._plan()]
            )
        self.active = active

    def stop(self) -> None:
        self.active = None
        self.set(False)


def _with_rules(rules: AlertRules, active: bool, make: Callable[[int], Any]) -> Callable[[int], Any]:
    """`make` (a body or a call) once the alert rules are as the case wants them."""

    def made(i: int) -> Any:
        rules.set(active)
        return make(i)

    return made


def cases(hub: HubData, config: Config) -> tuple[list[Case], list[Callable[[], None]]]:
    """The hub's cases, and what to call once they have run (the MQTT worker's stop)."""
    slots = Slots(hub)
    count = len(hub.sensors)
    values = count * 4
    seed = config.seed
    mqtt_run = MqttRun(config, hub, slots, seed)
    ingest_rng = random.Random(seed + 2)
    upsert_rng = random.Random(seed)
    rules = AlertRules(hub)
    mqtt_call = mqtt_run.call()
    mqtt_title = (
        f"MQTT ingestion end to end, {MQTT_SLOTS_PER_CALL * count // MQTT_READINGS_PER_MESSAGE} messages "
        f"of {MQTT_READINGS_PER_MESSAGE} readings (QoS 1) until stored"
    )
    http_title = f"HTTP ingestion (`/ingest/v1/observations`), {count:,} compact readings × 4 values"
    with_alerts = f", with {len(rules._plan())} alert rules active"

    def http_body(_i: int) -> Any:
        return readings(hub, slots.take()[0], ingest_rng)

    found = [
        Case("history_copy_live", f"Raw COPY of one upsert's rows ({values:,}) into the live history, its key in place",
             None, "CALL", "token", call=live_copy(hub, slots), iterations=30, units=values, unit="rows",
             group="hub", note="the second reference: what the upsert's rows cost PostgreSQL alone"),
        Case("ngsild_batch_upsert", f"NGSI-LD batch upsert (`options=update`), {count:,} entities × 4 attributes",
             None, "POST", "token", lambda _i: f"{NGSI}/entityOperations/upsert?options=update",
             body=upsert_body(hub, slots, upsert_rng), json=True, iterations=30,
             units=values, unit="attribute instances", rate_target=UPSERT_TARGET_PER_S, group="hub"),
        Case("ngsild_batch_upsert_concurrent",
             f"NGSI-LD batch upsert (`options=update`), {UPSERT_CLIENTS} concurrent clients × "
             f"{count // UPSERT_CLIENTS:,} entities × 4 attributes (rate in wall time)",
             None, "POST", "token", lambda _i: f"{NGSI}/entityOperations/upsert?options=update",
             body=upsert_body(hub, slots, random.Random(seed + 3), clients=UPSERT_CLIENTS), json=True,
             iterations=30, units=values // UPSERT_CLIENTS, unit="attribute instances",
             rate_target=UPSERT_TARGET_PER_S, group="hub", clients=UPSERT_CLIENTS,
             note="each client its own half of the sensors; compare with ngsild_batch_upsert (one client)"),
        Case("temporal_entity_hourly", "Temporal, one sensor's attribute: hourly averages over 30 days",
             TEMPORAL_TARGET_MS, "GET", "token", hourly_path(hub, seed), group="hub"),
        Case("temporal_1000_daily", f"Temporal, {count:,} sensors × 4 attributes: daily averages over 30 days",
             None, "GET", "token", lambda _i: daily_path(hub), iterations=20, group="hub"),
        Case("ingest_http", http_title, None, "POST", "token", lambda _i: "/ingest/v1/observations",
             body=_with_rules(rules, False, http_body), json=True, iterations=30,
             units=values, unit="observations", group="hub"),
        Case("ingest_http_alerts", http_title + with_alerts, None, "POST", "token",
             lambda _i: "/ingest/v1/observations", body=_with_rules(rules, True, http_body), json=True,
             iterations=30, units=values, unit="observations", group="hub",
             note="compare with ingest_http: issue 7 allows alert evaluation ≤ 20 % more cost"),
        Case("ingest_mqtt", mqtt_title, None, "CALL", "token",
             call=_with_rules(rules, False, mqtt_call), iterations=20, units=MQTT_SLOTS_PER_CALL * values,
             unit="observations", rate_target=MQTT_TARGET_PER_S, group="hub"),
        Case("ingest_mqtt_alerts", mqtt_title + with_alerts, None, "CALL", "token",
             call=_with_rules(rules, True, mqtt_call), iterations=20, units=MQTT_SLOTS_PER_CALL * values,
             unit="observations", rate_target=MQTT_TARGET_PER_S, group="hub",
             note="compare with ingest_mqtt: issue 7 allows alert evaluation ≤ 20 % more cost"),
    ]  # fmt: skip
    return found, [mqtt_run.stop, rules.stop]
