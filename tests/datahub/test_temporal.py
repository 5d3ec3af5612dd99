"""The temporal API through HTTP (NGSI-LD 6.18 to 6.20, 6.24; representations 4.5.7, 4.5.8,
4.5.19), as member A's agent, with known numbers so that aggregates are checked exactly."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualis.datahub import history, services, temporal
from mutualis.datahub.models import AttributeInstance, Entity
from tests.datahub.conftest import Hub

pytestmark = pytest.mark.django_db

DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
SENSOR_ID = "urn:ngsi-ld:Sensor:1"
DAILY_ID = "urn:ngsi-ld:Sensor:daily"
PATH = f"temporal/entities/{SENSOR_ID}"
START = datetime(2026, 11, 23, tzinfo=UTC)
# Every 30 minutes from midnight: 10, 12, …, 20 (two per hour).
TEMPERATURES = [10.0, 12.0, 14.0, 16.0, 18.0, 20.0]
STATUSES = ["ok", "ok", "fault"]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def at(minutes: int) -> str:
    return stamp(START + timedelta(minutes=minutes))


def prop(value: Any, observed: str, **extra: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value, "observedAt": observed, **extra}


@pytest.fixture
def alice(hub: Hub, ngsi):
    return ngsi(hub.alice_rw)


@pytest.fixture
def sensor(hub: Hub) -> Entity:
    """Member A's sensor with six temperatures and three statuses in its history."""
    temperature, status = DEFAULT + "temperature", DEFAULT + "condition"
    row = services.create_entity(
        tenant=hub.tenant_a,
        entity={
            "id": SENSOR_ID,
            "type": [DEFAULT + "Sensor"],
            "attrs": {
                temperature: [prop(TEMPERATURES[-1], at(150), unitCode="CEL")],
                status: [prop(STATUSES[-1], at(60))],
            },
        },
        now=START + timedelta(hours=3),
    )
    history.record_instances(
        tenant_id=hub.tenant_a.pk,
        entity_pk=row.pk,
        attrs={
            temperature: [prop(value, at(30 * i), unitCode="CEL") for i, value in enumerate(TEMPERATURES)],
            status: [prop(value, at(30 * i)) for i, value in enumerate(STATUSES)],
        },
        recorded_at=START + timedelta(hours=3),
    )
    return row


@pytest.fixture
def daily(hub: Hub) -> Entity:
    """One reading a day across a month boundary: 1, 2 in October, 3, 4 in November."""
    days = [datetime(2026, 10, 30, 12, tzinfo=UTC) + timedelta(days=i) for i in range(4)]
    readings = [prop(float(i + 1), stamp(day)) for i, day in enumerate(days)]
    row = services.create_entity(
        tenant=hub.tenant_a,
        entity={
            "id": DAILY_ID,
            "type": [DEFAULT + "Sensor"],
            "attrs": {DEFAULT + "temperature": [readings[-1]]},
        },
        now=days[-1],
    )
    history.record_instances(
        tenant_id=hub.tenant_a.pk,
        entity_pk=row.pk,
        attrs={DEFAULT + "temperature": readings},
        recorded_at=days[-1],
    )
    return row


def problem(response, status: int = 400, error_type: str = "BadRequestData") -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == ERRORS + error_type
    detail: str = body["detail"]
    return detail


def values(attribute: list[dict[str, Any]]) -> list[Any]:
    return [instance["value"] for instance in attribute]


# ---------------------------------------------------------------- normalized (4.5.7)


def test_retrieve_gives_every_instance_in_time_order(alice, sensor: Entity) -> None:
    """NGSI-LD 6.19.3.1 / 4.5.7: each attribute is the list of its instances, with instanceId."""
    response = alice.get(PATH)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == SENSOR_ID
    assert body["type"] == "Sensor"
    assert values(body["temperature"]) == [10, 12, 14, 16, 18, 20]
    first = body["temperature"][0]
    assert first["type"] == "Property"
    assert first["observedAt"] == "2026-11-23T00:00:00.000Z"
    assert first["unitCode"] == "CEL"
    assert first["instanceId"].startswith("urn:ngsi-ld:attribute:instance:")
    assert len({instance["instanceId"] for instance in body["temperature"]}) == 6
    assert values(body["condition"]) == STATUSES


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"timerel": "before", "timeAt": "2026-11-23T01:00:00Z"}, [10, 12]),
        ({"timerel": "after", "timeAt": "2026-11-23T01:00:00Z"}, [14, 16, 18, 20]),
        (
            {"timerel": "between", "timeAt": "2026-11-23T00:30:00Z", "endTimeAt": "2026-11-23T02:00:00Z"},
            [12, 14, 16],
        ),
        # The names of NGSI-LD before 1.3 are understood too.
        (
            {"timerel": "between", "time": "2026-11-23T00:30:00Z", "endTime": "2026-11-23T02:00:00Z"},
            [12, 14, 16],
        ),
    ],
)
def test_timerel_selects_the_time_range(
    alice, sensor: Entity, params: dict[str, str], expected: list[int]
) -> None:
    """NGSI-LD 4.11: before excludes timeAt, after includes it, between is [timeAt, endTimeAt)."""
    body = alice.get(PATH, attrs="temperature", **params).json()
    assert values(body["temperature"]) == expected


def test_timeproperty_modified_at_uses_when_the_hub_received_them(alice, sensor: Entity) -> None:
    """NGSI-LD 4.11: timeproperty=modifiedAt filters on when instances were stored."""
    before = alice.get(
        PATH, timerel="before", timeAt="2026-11-23T02:00:00Z", timeproperty="modifiedAt"
    ).json()
    assert "temperature" not in before
    after = alice.get(PATH, timerel="after", timeAt="2026-11-23T02:00:00Z", timeproperty="modifiedAt").json()
    assert values(after["temperature"]) == [10, 12, 14, 16, 18, 20]


def test_last_n_gives_the_most_recent_in_time_order(alice, sensor: Entity) -> None:
    """NGSI-LD 6.3.10: lastN keeps the N most recent instances of each attribute."""
    body = alice.get(PATH, lastN="2").json()
    assert values(body["temperature"]) == [18, 20]
    assert values(body["condition"]) == ["ok", "fault"]
    bounded = alice.get(
        PATH, lastN="2", timerel="before", timeAt="2026-11-23T01:30:00Z", attrs="temperature"
    ).json()
    assert values(bounded["temperature"]) == [12, 14]


def test_an_instance_keeps_its_instance_id_from_one_answer_to_the_next(alice, sensor: Entity) -> None:
    """4.5.7: the instanceId names the instance (it is made of the history row's key), so
    the same instance has the same id whichever query reads it."""
    whole = alice.get(PATH, attrs="temperature").json()["temperature"]
    latest = alice.get(PATH, attrs="temperature", lastN="2").json()["temperature"]
    ranged = alice.get(PATH, attrs="temperature", timerel="after", timeAt="2026-11-23T01:00:00Z").json()
    ids = {instance["observedAt"]: instance["instanceId"] for instance in whole}
    assert len(set(ids.values())) == len(whole) == 6
    for instance in [*latest, *ranged["temperature"]]:
        assert instance["instanceId"] == ids[instance["observedAt"]]


def test_attrs_keeps_only_the_named_attributes(alice, sensor: Entity) -> None:
    body = alice.get(PATH, attrs="condition").json()
    assert set(body) == {"id", "type", "condition"}


def test_the_cap_on_instances_answers_206_with_the_range(alice, sensor: Entity, settings) -> None:
    """NGSI-LD 6.3.10: beyond the broker's limit, 206 Partial Content and a Content-Range
    saying up to when every attribute is complete."""
    settings.DATAHUB_TEMPORAL_MAX_INSTANCES = 4
    response = alice.get(PATH)
    assert response.status_code == 206
    assert response["Content-Range"] == "date-time 2026-11-23T00:00:00.000Z-2026-11-23T01:30:00.000Z/*"
    body = response.json()
    assert values(body["temperature"]) == [10, 12, 14, 16]
    assert values(body["condition"]) == STATUSES
    response = alice.get(PATH, attrs="temperature", lastN="5")
    assert response.status_code == 206
    assert response["Content-Range"] == "date-time 2026-11-23T01:00:00.000Z-*/5"
    assert values(response.json()["temperature"]) == [14, 16, 18, 20]


# ---------------------------------------------------------------- temporalValues (4.5.8)


def test_temporal_values_pairs_each_value_with_its_time(alice, sensor: Entity) -> None:
    body = alice.get(PATH, options="temporalValues", lastN="2").json()
    assert body["temperature"] == {
        "type": "Property",
        "values": [[18, "2026-11-23T02:00:00.000Z"], [20, "2026-11-23T02:30:00.000Z"]],
    }
    assert body["condition"]["values"] == [
        ["ok", "2026-11-23T00:30:00.000Z"],
        ["fault", "2026-11-23T01:00:00.000Z"],
    ]


# ---------------------------------------------------------------- aggregatedValues (4.5.19)

ALL_METHODS = "totalCount,distinctCount,sum,avg,min,max,stddev,sumsq"


def test_every_aggregation_method_per_hour(alice, sensor: Entity) -> None:
    body = alice.get(
        PATH,
        options="aggregatedValues",
        aggrMethods=ALL_METHODS,
        aggrPeriodDuration="PT1H",
        timerel="between",
        timeAt="2026-11-23T00:00:00Z",
        endTimeAt="2026-11-23T03:00:00Z",
        attrs="temperature",
    ).json()
    temperature = body["temperature"]
    assert temperature["type"] == "Property"
    hours = [(f"2026-11-23T0{h}:00:00.000Z", f"2026-11-23T0{h + 1}:00:00.000Z") for h in range(3)]
    assert temperature["totalCount"] == [[2, *hours[0]], [2, *hours[1]], [2, *hours[2]]]
    assert temperature["distinctCount"] == [[2, *hours[0]], [2, *hours[1]], [2, *hours[2]]]
    assert temperature["sum"] == [[22, *hours[0]], [30, *hours[1]], [38, *hours[2]]]
    assert temperature["avg"] == [[11, *hours[0]], [15, *hours[1]], [19, *hours[2]]]
    assert temperature["min"] == [[10, *hours[0]], [14, *hours[1]], [18, *hours[2]]]
    assert temperature["max"] == [[12, *hours[0]], [16, *hours[1]], [20, *hours[2]]]
    assert temperature["sumsq"] == [[244, *hours[0]], [452, *hours[1]], [724, *hours[2]]]
    assert [item[1:] for item in temperature["stddev"]] == [list(hour) for hour in hours]
    assert [item[0] for item in temperature["stddev"]] == pytest.approx([math.sqrt(2)] * 3, rel=1e-12)


@pytest.mark.parametrize("duration", [None, "P0D"])
def test_without_a_period_the_whole_range_is_one(alice, sensor: Entity, duration: str | None) -> None:
    """NGSI-LD 6.3.x: aggrPeriodDuration defaults to P0D, one period over the whole range."""
    params = {"aggrPeriodDuration": duration} if duration else {}
    body = alice.get(PATH, options="aggregatedValues", aggrMethods=ALL_METHODS, **params).json()
    temperature = body["temperature"]
    bounds = ["2026-11-23T00:00:00.000Z", "2026-11-23T02:30:00.000Z"]
    assert temperature["totalCount"] == [[6, *bounds]]
    assert temperature["sum"] == [[90, *bounds]]
    assert temperature["avg"] == [[15, *bounds]]
    assert temperature["sumsq"] == [[1420, *bounds]]
    assert temperature["stddev"][0][0] == pytest.approx(math.sqrt(14), rel=1e-12)
    # Text values count, and count once each when distinct.
    assert body["condition"]["totalCount"] == [[3, "2026-11-23T00:00:00.000Z", "2026-11-23T01:00:00.000Z"]]
    assert body["condition"]["distinctCount"][0][0] == 2


def test_days_and_calendar_months(alice, daily: Entity) -> None:
    """P1D is a fixed 24 h step; P1M follows the calendar (October, then November)."""
    path = f"temporal/entities/{DAILY_ID}"
    by_day = alice.get(
        path,
        options="aggregatedValues",
        aggrMethods="sum",
        aggrPeriodDuration="P1D",
        timerel="after",
        timeAt="2026-10-30T00:00:00Z",
    ).json()
    assert by_day["temperature"]["sum"] == [
        [1, "2026-10-30T00:00:00.000Z", "2026-10-31T00:00:00.000Z"],
        [2, "2026-10-31T00:00:00.000Z", "2026-11-01T00:00:00.000Z"],
        [3, "2026-11-01T00:00:00.000Z", "2026-11-02T00:00:00.000Z"],
        [4, "2026-11-02T00:00:00.000Z", "2026-11-03T00:00:00.000Z"],
    ]
    by_month = alice.get(
        path, options="aggregatedValues", aggrMethods="sum,avg", aggrPeriodDuration="P1M"
    ).json()
    assert by_month["temperature"]["sum"] == [
        [3, "2026-10-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"],
        [7, "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"],
    ]
    assert [item[0] for item in by_month["temperature"]["avg"]] == [1.5, 3.5]


# ---------------------------------------------------------------- refused requests


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"timerel": "before"}, "needs timeAt"),
        ({"timerel": "during", "timeAt": "2026-11-23T00:00:00Z"}, "timerel must be one of"),
        ({"timerel": "between", "timeAt": "2026-11-23T00:00:00Z"}, "needs endTimeAt"),
        (
            {"timerel": "between", "timeAt": "2026-11-23T02:00:00Z", "endTimeAt": "2026-11-23T01:00:00Z"},
            "later",
        ),
        ({"timeAt": "2026-11-23T00:00:00Z"}, "need timerel"),
        ({"timerel": "after", "timeAt": "yesterday"}, "timeAt is not an ISO 8601"),
        ({"timeproperty": "deletedAt"}, "timeproperty must be"),
        ({"lastN": "0"}, "lastN must be a positive integer"),
        ({"lastN": "many"}, "lastN must be a positive integer"),
        ({"options": "aggregatedValues"}, "needs aggrMethods"),
        ({"options": "aggregatedValues", "aggrMethods": "median"}, "median"),
        ({"aggrMethods": "sum"}, "need options=aggregatedValues"),
        (
            {"options": "aggregatedValues", "aggrMethods": "sum", "aggrPeriodDuration": "1H"},
            "not an ISO 8601 duration",
        ),
        (
            {"options": "aggregatedValues", "aggrMethods": "sum", "aggrPeriodDuration": "P"},
            "not an ISO 8601 duration",
        ),
        ({"options": "aggregatedValues", "aggrMethods": "sum", "aggrPeriodDuration": "-PT1H"}, "positive"),
        (
            {"options": "aggregatedValues", "aggrMethods": "sum", "aggrPeriodDuration": "P1M2D"},
            "mixes calendar",
        ),
        ({"options": "sideways"}, "Unknown option"),
    ],
)
def test_bad_temporal_parameters_are_refused(
    alice, sensor: Entity, params: dict[str, str], words: str
) -> None:
    assert words in problem(alice.get(PATH, **params))


# ---------------------------------------------------------------- queries (6.18.3.2, 6.24)


def test_query_temporal_entities_by_type(alice, sensor: Entity, daily: Entity) -> None:
    response = alice.get(
        "temporal/entities",
        type="Sensor",
        attrs="temperature",
        lastN="1",
        count="true",
        options="temporalValues",
    )
    assert response.status_code == 200, response.content
    assert response["NGSILD-Results-Count"] == "2"
    body = response.json()
    assert [entity["id"] for entity in body] == [SENSOR_ID, DAILY_ID]
    assert body[0]["temperature"]["values"] == [[20, "2026-11-23T02:30:00.000Z"]]
    assert body[1]["temperature"]["values"] == [[4, "2026-11-02T12:00:00.000Z"]]


def test_query_by_post_with_a_temporal_q(alice, sensor: Entity, daily: Entity) -> None:
    """NGSI-LD 6.24.3.1: the Query in the body, temporalQ (5.2.21) in it."""
    response = alice.post(
        "temporal/entityOperations/query",
        {
            "type": "Query",
            "entities": [{"id": SENSOR_ID, "type": "Sensor"}],
            "attrs": ["temperature"],
            "temporalQ": {"timerel": "before", "timeAt": "2026-11-23T01:00:00Z"},
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [entity["id"] for entity in body] == [SENSOR_ID]
    assert values(body[0]["temperature"]) == [10, 12]
    bad = alice.post(
        "temporal/entityOperations/query",
        {
            "type": "Query",
            "entities": [{"type": "Sensor"}],
            "temporalQ": {"timerel": "between", "timeAt": "2026-11-23T01:00:00Z"},
        },
    )
    assert "needs endTimeAt" in problem(bad)


# ---------------------------------------------------------------- temporal writes (6.18.3.1, 6.20.3.1, 6.19.3.2)


def test_create_then_extend_a_temporal_entity(alice, hub: Hub) -> None:
    created = alice.post(
        "temporal/entities",
        {
            "id": "urn:ngsi-ld:Sensor:new",
            "type": "Sensor",
            "temperature": [prop(5, at(0)), prop(7, at(60)), prop(6, at(30))],
        },
    )
    assert created.status_code == 201, created.content
    assert created["Location"].endswith("/temporal/entities/urn:ngsi-ld:Sensor:new")
    # The current state is the latest observation.
    current = alice.get("entities/urn:ngsi-ld:Sensor:new").json()
    assert current["temperature"]["value"] == 7
    again = alice.post(
        "temporal/entities",
        {"id": "urn:ngsi-ld:Sensor:new", "type": "Sensor", "temperature": [prop(8, at(90))]},
    )
    assert again.status_code == 204, again.content
    added = alice.post(
        "temporal/entities/urn:ngsi-ld:Sensor:new/attrs", {"humidity": [prop(40, at(0)), prop(42, at(60))]}
    )
    assert added.status_code == 204, added.content
    body = alice.get("temporal/entities/urn:ngsi-ld:Sensor:new").json()
    assert values(body["temperature"]) == [5, 6, 7, 8]
    assert values(body["humidity"]) == [40, 42]
    missing = alice.post("temporal/entities/urn:ngsi-ld:Sensor:nobody/attrs", {"humidity": [prop(1, at(0))]})
    problem(missing, 404, "ResourceNotFound")


def test_delete_forgets_the_history(alice, sensor: Entity) -> None:
    assert alice.delete(PATH).status_code == 204
    assert not AttributeInstance.objects.filter(entity_id=sensor.pk).exists()
    assert alice.get(PATH).json() == {"id": SENSOR_ID, "type": "Sensor"}


# ---------------------------------------------------------------- outsiders (4.14)


def test_an_outsider_cannot_read_or_change_the_history(ngsi, hub: Hub, sensor: Entity) -> None:
    """Member B's agent and another operator's admin get 404, as for an entity that does
    not exist; their queries list nothing of A's."""
    for token in (hub.charlie_rw, hub.oscar_rw):
        outsider = ngsi(token)
        problem(outsider.get(PATH), 404, "ResourceNotFound")
        assert outsider.delete(PATH).status_code == 404
        assert outsider.post(f"{PATH}/attrs", {"temperature": [prop(99, at(5))]}).status_code == 404
        assert outsider.get("temporal/entities", type="Sensor").json() == []
        query = outsider.post(
            "temporal/entityOperations/query", {"type": "Query", "entities": [{"type": "Sensor"}]}
        )
        assert query.json() == []
        # Naming A's tenant does not help.
        assert ngsi(token, tenant=hub.tenant_a.name).get(PATH).status_code == 404
    assert AttributeInstance.objects.filter(entity_id=sensor.pk).count() == 9


def test_a_read_only_caller_cannot_delete(ngsi, hub: Hub, sensor: Entity) -> None:
    bob = ngsi(hub.bob_ro)
    assert bob.get(PATH).status_code == 200
    assert bob.delete(PATH).status_code == 403
    assert AttributeInstance.objects.filter(entity_id=sensor.pk).count() == 9


# ---------------------------------------------------------------- many entities at once


def _history_queries(captured: CaptureQueriesContext) -> list[str]:
    table = AttributeInstance._meta.db_table
    return [query["sql"] for query in captured.captured_queries if table in query["sql"]]


def _sensors(hub: Hub, count: int) -> list[str]:
    """`count` more sensors, sensor i reading i + 1, then i + 2, an hour apart, with a
    second series (datasetId raw) of ten times that on every third one."""
    ids = []
    for i in range(count):
        entity_id = f"urn:ngsi-ld:Sensor:many{i:02d}"
        readings = [prop(float(i + 1), at(0)), prop(float(i + 2), at(60))]
        raw = [{**reading, "value": reading["value"] * 10, "datasetId": RAW} for reading in readings]
        attrs = {DEFAULT + "temperature": [readings[-1], *([raw[-1]] if i % 3 == 0 else [])]}
        row = services.create_entity(
            tenant=hub.tenant_a,
            entity={"id": entity_id, "type": [DEFAULT + "Sensor"], "attrs": attrs},
            now=START + timedelta(hours=3),
        )
        history.record_instances(
            tenant_id=hub.tenant_a.pk,
            entity_pk=row.pk,
            attrs={DEFAULT + "temperature": readings + (raw if i % 3 == 0 else [])},
            recorded_at=START + timedelta(hours=3),
        )
        ids.append(entity_id)
    return ids


RAW = "urn:ngsi-ld:Dataset:raw"
MANY = {"type": "Sensor", "idPattern": "many", "attrs": "temperature", "limit": "100"}


@pytest.mark.parametrize("count", [2, 7])
def test_a_page_of_entities_is_aggregated_in_one_statement(alice, hub: Hub, count: int) -> None:
    """NGSI-LD 6.18.3.2 with aggregatedValues: the history of every entity of the page is
    read by one grouped statement, whatever the number of entities; each entity and each
    datasetId gets its own aggregates."""
    ids = _sensors(hub, count)
    with CaptureQueriesContext(connection) as captured:
        response = alice.get(
            "temporal/entities",
            **MANY,
            options="aggregatedValues",
            aggrMethods="sum,avg,totalCount",
            aggrPeriodDuration="PT1H",
            timerel="between",
            timeAt=at(0),
            endTimeAt=at(120),
        )
    assert response.status_code == 200, response.content
    assert len(_history_queries(captured)) == 1
    body = response.json()
    assert [entity["id"] for entity in body] == ids
    hours = [[at(0), at(60)], [at(60), at(120)]]
    for i, entity in enumerate(body):
        series = entity["temperature"] if i % 3 else entity["temperature"][0]
        assert series["sum"] == [[i + 1, *hours[0]], [i + 2, *hours[1]]]
        assert series["totalCount"] == [[1, *hours[0]], [1, *hours[1]]]
        if i % 3 == 0:
            raw = entity["temperature"][1]
            assert raw["datasetId"] == RAW
            assert raw["avg"] == [[10 * (i + 1), *hours[0]], [10 * (i + 2), *hours[1]]]


def test_instances_of_two_datasets_at_one_instant_have_their_own_ids(alice, hub: Hub) -> None:
    """The default instance and a datasetId's, observed at the same instant, are two
    instances: two instanceIds, and each entity's ids differ from the others'."""
    _sensors(hub, 4)
    body = alice.get("temporal/entities", **MANY, lastN="1").json()
    first = body[0]["temperature"]
    assert [x.get("datasetId") for x in first] == [None, RAW]
    assert first[0]["observedAt"] == first[1]["observedAt"]
    every = [x["instanceId"] for entity in body for x in entity["temperature"]]
    assert len(every) == 6
    assert len(set(every)) == 6


@pytest.mark.parametrize("options", ["normalized", "temporalValues"])
def test_a_page_of_entities_is_read_in_one_statement(alice, hub: Hub, options: str) -> None:
    """NGSI-LD 6.18.3.2: instances of every series of the page in one statement, lastN
    applied to each series on its own (6.3.10)."""
    ids = _sensors(hub, 5)
    with CaptureQueriesContext(connection) as captured:
        response = alice.get("temporal/entities", **MANY, options=options, lastN="1")
    assert response.status_code == 200, response.content
    assert len(_history_queries(captured)) == 1
    body = response.json()
    assert [entity["id"] for entity in body] == ids
    for i, entity in enumerate(body):
        if options == "normalized":
            instances = entity["temperature"]
            assert [(x["value"], x.get("datasetId")) for x in instances] == [(i + 2, None)] + (
                [(10 * (i + 2), RAW)] if i % 3 == 0 else []
            )
        else:
            series = entity["temperature"] if i % 3 else entity["temperature"][0]
            assert series["values"] == [[i + 2, at(60)]]


def test_sqlite_chunks_give_the_same_answer(alice, hub: Hub, monkeypatch) -> None:
    """SQLite binds every id of an IN list: entities are read a bounded number at a time,
    and the answer is the same as from one statement."""
    _sensors(hub, 4)
    params = {**MANY, "options": "aggregatedValues", "aggrMethods": "sum,stddev"}
    whole = alice.get("temporal/entities", **params).json()
    values_whole = alice.get("temporal/entities", **MANY, options="temporalValues").json()
    monkeypatch.setattr(temporal.series, "SQLITE_CHUNK", 1)  # where the chunks are cut
    assert alice.get("temporal/entities", **params).json() == whole
    assert alice.get("temporal/entities", **MANY, options="temporalValues").json() == values_whole
    first = whole[0]["temperature"][0]
    assert first["sum"] == [[3, at(0), at(60)]]
    assert first["stddev"][0][0] == pytest.approx(math.sqrt(0.5), rel=1e-12)
