"""Ingestion of sensor messages (issue 7 clause 1-2): the compact form, the HTTP endpoint,
dead letters, idempotency. The MQTT transport is in test_ingestion_mqtt.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.db import DataError

from mutualis.datahub import services
from mutualis.datahub.ingestion.compact import Rejected, parse_compact
from mutualis.datahub.ingestion.receive import ENTITIES, OBSERVATIONS, Message, ingest_batch, ingest_messages
from mutualis.datahub.models import AttributeInstance, DeadLetter, Entity, Tenant
from mutualis.datahub.smart_data_models import AIR_QUALITY_OBSERVED
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

AQ = AIR_QUALITY_OBSERVED
PM25 = AQ.attribute("pm25").iri
NO2 = AQ.attribute("no2").iri
SENSOR = "urn:ngsi-ld:AirQualityObserved:78646-0001"
LOCATION = "https://uri.etsi.org/ngsi-ld/location"


def make_sensor(tenant: Tenant, entity_id: str = SENSOR, asset=None) -> Entity:  # type: ignore[no-untyped-def]
    entity = {"id": entity_id, "type": [AQ.iri], "attrs": {}}
    row = services.create_entity(tenant=tenant, entity=entity, now=datetime(2026, 11, 1, tzinfo=UTC))
    if asset is not None:
        Entity.objects.filter(pk=row.pk).update(asset=asset)
    return row


def reading(value: float, at: str = "2026-11-23T10:00:00Z", sensor: str = SENSOR, **more: object) -> dict:
    return {"sensor": sensor, "observedAt": at, "values": {"pm25": value, **more}}


def message(tenant: Tenant, *readings: dict, raw: bytes | None = None, kind: str = OBSERVATIONS) -> Message:
    payload = raw if raw is not None else json.dumps(list(readings)).encode()
    return Message(
        tenant_name=tenant.name, kind=kind, payload=payload, topic=f"mutualis/{tenant.name}/{kind}"
    )


def history(entity: Entity, iri: str = PM25) -> list[tuple[datetime, float]]:
    return list(
        AttributeInstance.objects.filter(entity_id=entity.pk, attribute__iri=iri)
        .order_by("observed_at")
        .values_list("observed_at", "number")
    )


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"[]", "empty"),
        (b'"pm25"', "not_an_object"),
        (b'{"observedAt": "2026-11-23T10:00:00Z", "values": {"a": 1}}', "no_sensor"),
        (b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00", "values": {"a": 1}}', "bad_time"),
        (b'{"sensor": "s", "observedAt": "yesterday", "values": {"a": 1}}', "bad_time"),
        (b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00Z", "values": {}}', "no_values"),
        (b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00Z", "values": {"a": null}}', "bad_value"),
        (b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00Z", "values": {"a": [1]}}', "bad_value"),
        (
            b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00Z", "values": {"a": 1}, "x": 2}',
            "unknown_member",
        ),
        # Text no database stores (PostgreSQL refuses NUL; a lone surrogate encodes nowhere).
        (b'{"sensor": "s\\u0000", "observedAt": "2026-11-23T10:00:00Z", "values": {"a": 1}}', "bad_text"),
        (b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00Z", "values": {"a\\u0000": 1}}', "bad_text"),
        (b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00Z", "values": {"a": "\\ud800"}}', "bad_text"),
    ],
)
def test_malformed_readings_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    def verdict() -> str:
        try:
            items = parse_compact(payload)
        except Rejected as rejected:
            return rejected.reason
        assert len(items) == 1
        assert isinstance(items[0], Rejected)
        return items[0].reason

    assert verdict() == reason


def test_readings_update_the_sensor_and_its_history_with_units(hub: Hub) -> None:
    sensor = make_sensor(hub.tenant_a)
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, reading(12.5, no2=31), reading(14.0, at="2026-11-23T10:15:00Z"))],
    )
    assert (report.observations, report.rejected) == (3, 0)
    assert [v for _t, v in history(sensor)] == [12.5, 14.0]
    assert [v for _t, v in history(sensor, NO2)] == [31.0]
    current = Entity.objects.get(pk=sensor.pk).attributes[PM25][0]
    # The latest observation is the current state; units come from the Smart Data Model.
    assert current["value"] == 14.0
    assert current["unitCode"] == "GQ"
    assert current["observedAt"] == "2026-11-23T10:15:00.000Z"


def test_a_sensor_is_found_by_its_assets_inventory_tag(hub: Hub) -> None:
    sensor = make_sensor(hub.tenant_a, asset=hub.cast.asset_a)
    ingest_messages(
        operator_id=hub.cast.operator.pk, messages=[message(hub.tenant_a, reading(9.0, sensor="A-0001"))]
    )
    assert [v for _t, v in history(sensor)] == [9.0]


def test_readings_of_a_sensor_linked_to_its_site_and_asset_are_written(hub: Hub) -> None:
    """The entity holds its registry links; a fragment of observations does not repeat them."""
    entity = {
        "id": SENSOR,
        "type": [AQ.iri],
        "attrs": {
            services.SITE_IRI: [
                {"type": "Relationship", "object": f"{services.SITE_URN}{hub.cast.site_a.pk}"}
            ],
            services.ASSET_IRI: [{"type": "Relationship", "object": f"{services.ASSET_URN}A-0001"}],
        },
    }
    sensor = services.create_entity(tenant=hub.tenant_a, entity=entity)
    report = ingest_messages(
        operator_id=hub.cast.operator.pk, messages=[message(hub.tenant_a, reading(7.0, sensor="A-0001"))]
    )
    assert (report.observations, report.rejected) == (1, 0)
    assert [v for _t, v in history(sensor)] == [7.0]
    row = Entity.objects.get(pk=sensor.pk)
    assert (row.site_id, row.asset_id) == (hub.cast.site_a.pk, hub.cast.asset_a.pk)


def test_a_redelivered_message_creates_no_duplicate(hub: Hub) -> None:
    sensor = make_sensor(hub.tenant_a)
    once = message(hub.tenant_a, reading(12.5), reading(13.5, at="2026-11-23T10:15:00Z"))
    for _attempt in range(3):
        ingest_messages(operator_id=hub.cast.operator.pk, messages=[once])
    assert [v for _t, v in history(sensor)] == [12.5, 13.5]


def test_a_late_observation_is_kept_in_history_without_rolling_the_state_back(hub: Hub) -> None:
    sensor = make_sensor(hub.tenant_a)
    ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, reading(20.0, at="2026-11-23T11:00:00Z"))],
    )
    ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, reading(5.0, at="2026-11-23T09:00:00Z"))],
    )
    assert [v for _t, v in history(sensor)] == [5.0, 20.0]
    assert Entity.objects.get(pk=sensor.pk).attributes[PM25][0]["value"] == 20.0


def test_a_reading_stamped_ahead_of_the_clock_is_refused_and_does_not_freeze_the_state(hub: Hub) -> None:
    """A device whose clock jumped to next year: its reading would have stayed the current
    value, every true reading after it older, the alert rules never judging them again."""
    sensor = make_sensor(hub.tenant_a)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, reading(99.0, at="2027-11-23T10:00:00Z"))],
        now=now,
    )
    assert (report.observations, report.rejected) == (0, 1)
    letter = DeadLetter.objects.get()
    assert letter.reason == "future_time"
    assert "365 days ahead of the hub's clock" in letter.detail
    assert "NTP" in letter.detail
    # A clock a few minutes fast is a clock, not a fault; and the true readings go on.
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, reading(12.0, at="2026-11-23T10:05:00Z"))],
        now=now,
    )
    assert (report.observations, report.rejected) == (1, 0)
    assert Entity.objects.get(pk=sensor.pk).attributes[PM25][0]["value"] == 12.0
    assert [v for _t, v in history(sensor)] == [12.0]


def test_http_ingestion_names_a_reading_from_the_future(hub: Hub, ngsi) -> None:
    make_sensor(hub.tenant_a)
    response = post(ngsi, hub.alice_rw, [reading(1.0, at="2099-01-01T00:00:00Z"), reading(2.0)])
    body = response.json()
    assert [e["reason"] for e in body["errors"]] == ["future_time"]
    assert DeadLetter.objects.get().reason == "future_time"


def test_rejected_messages_become_dead_letters_and_good_ones_are_still_written(hub: Hub) -> None:
    sensor = make_sensor(hub.tenant_a)
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[
            message(hub.tenant_a, reading(12.5)),
            message(hub.tenant_a, raw=b"\xff\xfe garbage"),
            message(hub.tenant_a, reading(3.0, sensor="urn:ngsi-ld:AirQualityObserved:unknown")),
            Message(
                tenant_name="no-such-tenant",
                kind=OBSERVATIONS,
                payload=b"[]",
                topic="mutualis/no-such-tenant/observations",
            ),
        ],
    )
    assert (report.observations, report.rejected) == (1, 3)
    assert [v for _t, v in history(sensor)] == [12.5]
    letters = {letter.reason: letter for letter in DeadLetter.objects.all()}
    assert set(letters) == {"invalid_json", "unknown_sensor", "unknown_tenant"}
    assert letters["unknown_sensor"].tenant == hub.tenant_a
    assert "unknown" in letters["unknown_sensor"].payload
    assert letters["unknown_tenant"].tenant is None
    assert letters["invalid_json"].topic == f"mutualis/{hub.tenant_a.name}/observations"


def test_a_sensor_of_another_tenant_is_unknown_here(hub: Hub) -> None:
    make_sensor(hub.tenant_b, "urn:ngsi-ld:AirQualityObserved:nanterre-1")
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, reading(1.0, sensor="urn:ngsi-ld:AirQualityObserved:nanterre-1"))],
    )
    assert (report.observations, report.rejected) == (0, 1)
    assert AttributeInstance.objects.count() == 0


def test_ngsi_ld_fragments_are_upserted(hub: Hub) -> None:
    fragment = {
        "id": "urn:ngsi-ld:Streetlight:versailles-12",
        "type": "Streetlight",
        "status": {"type": "Property", "value": "defectiveLamp", "observedAt": "2026-11-23T06:00:00Z"},
        "@context": [
            "https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld"
        ],
    }
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, raw=json.dumps(fragment).encode(), kind=ENTITIES)],
    )
    assert (report.observations, report.rejected) == (1, 0)
    entity = Entity.objects.get(tenant=hub.tenant_a, entity_id="urn:ngsi-ld:Streetlight:versailles-12")
    assert entity.type == "https://smartdatamodels.org/dataModel.Streetlighting/Streetlight"


# ---------------------------------------------------------------- HTTP (issue 7 clause 2)


def post(ngsi, token: str | None, body: object, tenant: str | None = None):  # type: ignore[no-untyped-def]
    return ngsi(token, tenant).post("/ingest/v1/observations", body)


def test_http_ingestion_writes_the_readings_of_the_tokens_tenant(hub: Hub, ngsi) -> None:
    sensor = make_sensor(hub.tenant_a)
    response = post(ngsi, hub.alice_rw, [reading(12.5), reading(13.0, at="2026-11-23T10:05:00Z")])
    assert response.status_code == 200, response.content
    assert response.json() == {"written": 2, "rejected": 0, "errors": []}
    assert [v for _t, v in history(sensor)] == [12.5, 13.0]


def test_http_ingestion_reports_each_refused_reading(hub: Hub, ngsi) -> None:
    make_sensor(hub.tenant_a)
    response = post(ngsi, hub.alice_rw, [reading(12.5), reading(1.0, sensor="nope"), {"sensor": "x"}])
    assert response.status_code == 207
    body = response.json()
    assert body["written"] == 1
    assert sorted(e["reason"] for e in body["errors"]) == ["bad_time", "unknown_sensor"]
    assert DeadLetter.objects.filter(source="http").count() == 2


def test_http_ingestion_refuses_text_no_database_stores_and_keeps_the_rest(hub: Hub, ngsi) -> None:
    """A NUL or a lone surrogate in one reading was a server error on PostgreSQL: now that
    reading alone is refused with its reason (and kept as a dead letter); an accent escaped
    as \\u00e9 or an emoji as a surrogate pair is text like any other."""
    make_sensor(hub.tenant_a)
    body = [
        reading(12.5),
        reading(1.0, at="2026-11-23T11:00:00Z", note="caf\u00e9 \U0001f600"),
        reading(2.0, at="2026-11-23T12:00:00Z", note="a\x00b"),
        reading(3.0, at="2026-11-23T13:00:00Z", sensor="\ud800"),
    ]
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", json.dumps(body))
    assert response.status_code == 207
    answer = response.json()
    assert answer["written"] == 3  # values: 12.5, then 1.0 and its note
    assert [e["reason"] for e in answer["errors"]] == ["bad_text", "bad_text"]
    assert DeadLetter.objects.filter(source="http").count() == 2


def test_http_ingestion_with_nothing_good_is_a_problem(hub: Hub, ngsi) -> None:
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", "{oops")
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith("BadRequestData")
    assert problem["errors"][0]["reason"] == "invalid_json"
    assert DeadLetter.objects.filter(reason="invalid_json", tenant=hub.tenant_a).count() == 1


def test_http_ingestion_keeps_outsiders_out(hub: Hub, ngsi) -> None:
    sensor = make_sensor(hub.tenant_a)
    # Charlie (member B) naming A's tenant: as if it did not exist.
    assert post(ngsi, hub.charlie_rw, [reading(1.0)], tenant=hub.tenant_a.name).status_code == 404
    # Charlie in his own tenant: A's sensor is unknown there.
    assert post(ngsi, hub.charlie_rw, [reading(1.0)]).status_code == 400
    assert post(ngsi, hub.oscar_rw, [reading(1.0)], tenant=hub.tenant_a.name).status_code == 404
    assert post(ngsi, hub.bob_ro, [reading(1.0)]).status_code == 403
    assert post(ngsi, None, [reading(1.0)]).status_code == 401
    assert history(sensor) == []


def test_http_ingestion_refuses_other_media_types(hub: Hub, ngsi) -> None:
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", "pm25=3", content_type="text/plain")
    assert response.status_code == 415


def test_http_ingestion_refuses_an_oversize_body_with_its_limit(hub: Hub, ngsi) -> None:
    body = json.dumps([reading(1.0)] * 20_000)
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", body)
    assert response.status_code == 413
    assert "1048576" in response.json()["detail"]


# ------------------------------------------------- what the hub cannot store or must not take


@pytest.mark.parametrize(
    "payload",
    [
        b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00Z", "values": {"a": %s}}' % (b"9" * 309),
        b'{"sensor": "s", "observedAt": "2026-11-23T10:00:00Z", "values": {"a": -%s}}' % (b"9" * 309),
    ],
)
def test_an_integer_no_double_holds_is_a_bad_value(payload: bytes) -> None:
    """The history keeps numbers as doubles: 309 nines (about 10^309) made the write fail."""
    (item,) = parse_compact(payload)
    assert isinstance(item, Rejected)
    assert (item.reason, item.detail) == (
        "bad_value",
        "The value of 'a' is too large a number (beyond ±1.8e308).",
    )


def test_bytes_no_database_stores_are_kept_readable_in_the_dead_letter(hub: Hub) -> None:
    """A NUL byte made the dead letter itself fail on PostgreSQL (the batch was retried for
    ever); a byte that is not UTF-8 showed as "�". Both now show as escapes."""
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[message(hub.tenant_a, raw=b"abc\x00def"), message(hub.tenant_a, raw=b"caf\xe9")],
    )
    assert report.rejected == 2
    # A batch's letters are inserted in fingerprint order (receive._count_and_insert).
    letters = DeadLetter.objects.order_by("payload")
    assert [(d.reason, d.payload) for d in letters] == [
        ("invalid_json", "abc\\x00def"),
        ("invalid_json", "caf\\xe9"),
    ]


def test_a_topic_longer_than_the_dead_letter_keeps_is_cut_not_fatal(hub: Hub) -> None:
    """An MQTT topic may be 65,535 bytes long: one naming a long tenant made the dead letter
    fail on PostgreSQL (the topic column holds 500 characters)."""
    name = "x" * 600
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[
            Message(tenant_name=name, kind=OBSERVATIONS, payload=b"{}", topic=f"mutualis/{name}/observations")
        ],
    )
    assert report.rejected == 1
    letter = DeadLetter.objects.get()
    assert letter.reason == "unknown_tenant"
    assert letter.topic == f"mutualis/{name}"[:500]


def test_an_empty_tenant_level_names_no_tenant_not_the_shared_space(hub: Hub) -> None:
    """`<prefix>//observations` matches the worker's subscription; the empty name is the
    shared space's own (internal) name, which topics spell "_": it must not reach it."""
    shared_sensor = make_sensor(hub.shared)
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[
            Message(
                tenant_name="",
                kind=OBSERVATIONS,
                payload=json.dumps(reading(1.0)).encode(),
                topic="mutualis//observations",
            )
        ],
    )
    assert (report.observations, report.rejected) == (0, 1)
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.tenant) == ("unknown_tenant", None)
    assert "names no tenant" in letter.detail
    assert history(shared_sensor) == []
    # Spelled "_", the shared space is reached.
    ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[
            Message(tenant_name="_", kind=OBSERVATIONS, payload=json.dumps(reading(2.0)).encode(), topic="x")
        ],
    )
    assert [v for _t, v in history(shared_sensor)] == [2.0]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("location", "is a GeoProperty of the sensor"),
        ("observationSpace", "is a GeoProperty of the sensor"),
        ("type", "is reserved by NGSI-LD"),
        ("id", "is reserved by NGSI-LD"),
        ("observedAt", "is reserved by NGSI-LD"),
        ("unitCode", "is reserved by NGSI-LD"),
        ("@id", "is a JSON-LD keyword"),
        ("", "a name must be a non-empty string"),
        ("pm 25", "forbidden character ' '"),
        ("x" * 600, "the limit is 512"),
        ("https://example.org/" + "x" * 500, "the limit is 512"),
    ],
)
def test_a_value_name_that_names_no_measured_value_is_refused(hub: Hub, name: str, says: str) -> None:
    """A value called "location" replaced the sensor's position with a number (it fell off
    the map and out of geo-queries); "id" and "type" became attributes "@id" and "@type",
    which JSON-LD readers take for the entity's own; a name longer than the history's
    dictionary of names holds failed the whole batch on PostgreSQL."""
    location = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.13, 48.8]}}
    sensor = services.create_entity(
        tenant=hub.tenant_a,
        entity={"id": SENSOR, "type": [AQ.iri], "attrs": {LOCATION: [location]}},
        now=datetime(2026, 11, 1, tzinfo=UTC),
    )
    before = Entity.objects.get(pk=sensor.pk).attributes
    report = ingest_messages(
        operator_id=hub.cast.operator.pk,
        messages=[
            message(
                hub.tenant_a,
                reading(12.0),
                {"sensor": SENSOR, "observedAt": "2026-11-23T10:15:00Z", "values": {"pm25": 13.0, name: 1}},
            )
        ],
    )
    assert (report.observations, report.rejected) == (1, 1)
    (refusal,) = report.refusals
    assert refusal["reason"] == "bad_name"
    assert says in refusal["detail"]
    assert [v for _t, v in history(sensor)] == [12.0]  # the refused reading wrote nothing
    after = Entity.objects.get(pk=sensor.pk).attributes
    assert set(after) == set(before) | {PM25}
    assert after[LOCATION] == before[LOCATION]
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.tenant) == ("bad_name", hub.tenant_a)


# ------------------------------------------------------ a message the write itself fails on

POISON = "urn:ngsi-ld:AirQualityObserved:poison"


@pytest.fixture
def poisoned_verbs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub's batch verbs fail, as on a value the database refuses, whenever their batch
    holds the entity POISON: a failure that comes with one message whatever the database's
    health, which writing the batch again cannot cure."""

    def poisoned(verb):  # type: ignore[no-untyped-def]
        def call(*, entities, **kwargs):  # type: ignore[no-untyped-def]
            if any(entity["id"] == POISON for entity in entities):
                raise DataError("value too long for type character varying(512)")
            return verb(entities=entities, **kwargs)

        return call

    monkeypatch.setattr(services, "record_observations", poisoned(services.record_observations))
    monkeypatch.setattr(services, "upsert_entities", poisoned(services.upsert_entities))


@pytest.mark.usefixtures("poisoned_verbs")
def test_a_message_the_write_fails_on_is_a_dead_letter_and_the_rest_is_written(hub: Hub) -> None:
    """Such a message failed its whole batch, and the MQTT worker retried it for ever. Now
    the batch is written in parts down to the reading (or entity) at fault, kept as a dead
    letter `write_failed`; everything else is written."""
    sensor = make_sensor(hub.tenant_a)
    make_sensor(hub.tenant_a, POISON)
    streetlight = {"id": "urn:ngsi-ld:Streetlight:ok", "type": "Streetlight", "powerState": {"value": "on"}}
    report = ingest_batch(
        operator_id=hub.cast.operator.pk,
        messages=[
            message(hub.tenant_a, reading(12.5)),
            message(
                hub.tenant_a,
                reading(1.0, sensor=POISON),
                reading(13.0, at="2026-11-23T10:15:00Z"),
                reading(14.0, at="2026-11-23T10:30:00Z"),
            ),
            message(
                hub.tenant_a,
                raw=json.dumps([{"id": POISON, "type": "AirQualityObserved"}, streetlight]).encode(),
                kind=ENTITIES,
            ),
            message(hub.tenant_a, reading(15.0, at="2026-11-23T10:45:00Z")),
        ],
    )
    assert [v for _t, v in history(sensor)] == [12.5, 13.0, 14.0, 15.0]
    assert Entity.objects.filter(tenant=hub.tenant_a, entity_id="urn:ngsi-ld:Streetlight:ok").exists()
    assert (report.messages, report.rejected) == (4, 2)
    assert [(r["message"], r["reason"]) for r in report.refusals] == [
        (1, "write_failed"),
        (2, "write_failed"),
    ]
    # Inserted in fingerprint order (receive._count_and_insert): read back by topic.
    letters = list(DeadLetter.objects.order_by("-topic"))
    assert [(d.reason, d.tenant, d.topic) for d in letters] == [
        ("write_failed", hub.tenant_a, f"mutualis/{hub.tenant_a.name}/observations"),
        ("write_failed", hub.tenant_a, f"mutualis/{hub.tenant_a.name}/entities"),
    ]
    # Each keeps the reading or the entity at fault, and the error, to act on.
    assert [json.loads(d.payload)[0].get("sensor") or json.loads(d.payload)[0]["id"] for d in letters] == [
        POISON,
        POISON,
    ]
    assert "DataError: value too long for type character varying(512)" in letters[0].detail


@pytest.mark.usefixtures("poisoned_verbs")
def test_http_ingestion_keeps_the_readings_around_one_the_write_fails_on(hub: Hub, ngsi) -> None:
    """It answered 500 and wrote none of them."""
    sensor = make_sensor(hub.tenant_a)
    make_sensor(hub.tenant_a, POISON)
    body = [reading(12.5), reading(1.0, sensor=POISON), reading(13.0, at="2026-11-23T10:15:00Z")]
    response = post(ngsi, hub.alice_rw, body)
    assert response.status_code == 207, response.content
    answer = response.json()
    assert (answer["written"], answer["rejected"]) == (2, 1)
    assert [e["reason"] for e in answer["errors"]] == ["write_failed"]
    assert [v for _t, v in history(sensor)] == [12.5, 13.0]
    assert DeadLetter.objects.get().source == "http"


def test_http_ingestion_refuses_a_value_name_and_writes_the_other_readings(hub: Hub, ngsi) -> None:
    """A name too long for the history failed the whole request with a 500 on PostgreSQL;
    "location" replaced the sensor's position."""
    sensor = make_sensor(hub.tenant_a)
    body = [
        reading(12.5),
        reading(1.0, at="2026-11-23T10:05:00Z", **{"x" * 600: 1}),
        reading(2.0, at="2026-11-23T10:10:00Z", location=3),
    ]
    response = post(ngsi, hub.alice_rw, body)
    assert response.status_code == 207, response.content
    assert [e["reason"] for e in response.json()["errors"]] == ["bad_name", "bad_name"]
    assert [v for _t, v in history(sensor)] == [12.5]
    assert LOCATION not in Entity.objects.get(pk=sensor.pk).attributes


def test_http_ingestion_of_nul_bytes_is_a_bad_request_with_its_dead_letter(hub: Hub, ngsi) -> None:
    """It was a 500 on PostgreSQL, the dead letter holding the NUL failing in turn."""
    response = ngsi(hub.alice_rw).post("/ingest/v1/observations", b"[\x00]")
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"] == "invalid_json"
    assert DeadLetter.objects.get(source="http").payload == "[\\x00]"


def test_http_ingestion_asks_for_the_length_of_a_chunked_body(hub: Hub, client) -> None:  # type: ignore[no-untyped-def]
    """Django reads the body of the declared length: a chunked body (no Content-Length)
    was read as empty, and the readings refused as "not JSON" with nothing kept."""
    make_sensor(hub.tenant_a)
    response = client.post(
        "/ingest/v1/observations",
        data=json.dumps([reading(1.0)]),
        content_type="application/json",
        headers={"Authorization": f"Bearer {hub.alice_rw}", "Transfer-Encoding": "chunked"},
        CONTENT_LENGTH="",
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]
    assert not DeadLetter.objects.exists()
