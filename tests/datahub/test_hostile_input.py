"""What the probe of the NGSI-LD API against hostile input found, each a 500 before: text a
database cannot hold (a NUL, which PostgreSQL refuses in text and JSON; a lone surrogate,
which no database encodes), periods longer than the hub's time axis, numbers int() refuses
or reads from other scripts' digits, and addresses no view serves (an HTML page); then, by a
second probe, numbers and times on which Python raises OverflowError (in q, in stored values,
in idPattern) and a Content-Length int() cannot read."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from mutualis.datahub.models import DeadLetter, Entity, Subscription
from tests.datahub.conftest import Hub

from .test_subscriptions_bad_input import assert_problem
from .test_subscriptions_support import subscription_payload
from .test_temporal import PATH, alice, sensor  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

THING = "urn:ngsi-ld:Thing:hostile-text"


def _entity(attribute: str, *, entity_id: str = THING) -> str:
    return '{"id": "%s", "type": "Thing", %s}' % (entity_id, attribute)  # noqa: UP031 (JSON text kept as sent)


UNSTORABLE_BODIES = [
    _entity('"t": {"type": "Property", "value": "a\\u0000b"}'),
    _entity('"t": {"type": "Property", "value": "\\ud800"}'),
    _entity('"t": {"type": "Property", "value": {"k\\u0000": 1}}'),
    _entity('"t": {"type": "Property", "value": ["ok", "\\udfff"]}'),
    _entity('"\\ud83d": {"type": "Property", "value": 1}'),
    _entity('"t": {"type": "Property", "value": 1}', entity_id="urn:ngsi-ld:Thing:\\u0000"),
]


@pytest.mark.parametrize("body", UNSTORABLE_BODIES)
def test_text_a_database_cannot_hold_is_refused_and_nothing_is_written(
    hub: Hub, ngsi: Any, body: str
) -> None:
    agent = ngsi(hub.alice_rw)
    detail = assert_problem(agent.post("entities/", body), 400, "BadRequestData")["detail"]
    assert "NUL character (\\u0000) or a lone UTF-16 surrogate" in detail
    assert_problem(agent.post("entityOperations/upsert", f"[{body}]"), 400, "BadRequestData")
    assert not Entity.objects.filter(tenant=hub.tenant_a).exists()


def test_an_update_holding_a_nul_is_refused_and_the_value_kept(hub: Hub, ngsi: Any) -> None:
    agent = ngsi(hub.alice_rw)
    created = agent.post("entities/", _entity('"t": {"type": "Property", "value": "calme"}'))
    assert created.status_code == 201, created.content
    refused = agent.patch(f"entities/{THING}/attrs", '{"t": {"type": "Property", "value": "x\\u0000"}}')
    assert_problem(refused, 400, "BadRequestData")
    assert agent.get(f"entities/{THING}", options="keyValues").json()["t"] == "calme"


def test_escaped_emoji_and_backslashes_are_still_welcome(hub: Hub, ngsi: Any) -> None:
    """A surrogate pair is a character; an escaped backslash before "u0000" is text."""
    agent = ngsi(hub.alice_rw)
    body = _entity('"t": {"type": "Property", "value": "\\ud83d\\ude00 \\\\u0000"}')
    assert agent.post("entities/", body).status_code == 201
    assert agent.get(f"entities/{THING}", options="keyValues").json()["t"] == "\U0001f600 \\u0000"


@pytest.mark.parametrize(
    "params",
    [
        {"type": "a\x00b"},
        {"type": "Thing", "q": 't=="a\x00"'},
        {"type": "Thing", "attrs": "t\x00"},
        {"id": "urn:x:\x00"},
        {"idPattern": "a\x00"},
        {"type": "Thing", "pick": "\x00"},
        {"type": "Thing", "scopeQ": "/a\x00"},
        {"type": "Thing", "lang": "\x00"},
    ],
)
@pytest.mark.parametrize("path", ["entities", "temporal/entities"])
def test_a_nul_in_a_query_parameter_is_a_400(hub: Hub, ngsi: Any, params: dict[str, str], path: str) -> None:
    if path.startswith("temporal"):
        params = {**params, "timerel": "after", "timeAt": "2026-01-01T00:00:00Z"}
    body = assert_problem(ngsi(hub.alice_rw).get(path, **params), 400, "BadRequestData")
    assert "holds a NUL character" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "entities/urn:x:%00"),
        ("DELETE", "entities/urn:x:%00"),
        ("GET", "temporal/entities/urn:x:%00"),
        ("DELETE", "entities/urn:x:%00/attrs/t"),
    ],
)
def test_a_nul_in_an_entity_id_of_the_address_is_no_such_entity(
    hub: Hub, ngsi: Any, method: str, path: str
) -> None:
    assert_problem(ngsi(hub.alice_rw).request(method, path), 404, "ResourceNotFound")


def test_a_number_of_thousands_of_digits_is_refused_in_words_a_client_understands(
    hub: Hub, ngsi: Any
) -> None:
    body = _entity('"t": {"type": "Property", "value": %s}' % ("9" * 5000))
    detail = assert_problem(ngsi(hub.alice_rw).post("entities/", body), 400, "InvalidRequest")["detail"]
    assert "has 5000 digits; numbers have at most 309" in detail
    assert "set_int_max_str_digits" not in detail


@pytest.mark.parametrize(
    "duration", ["P9999Y", "P301Y", "P1000000000D", "P1000000W", "PT9467280001S", "P" + "9" * 5000 + "D"]
)
def test_a_period_longer_than_the_time_axis_is_refused(alice, sensor, duration: str) -> None:  # noqa: F811
    response = alice.get(
        PATH,
        timerel="after",
        timeAt="2026-11-23T00:00:00Z",
        options="aggregatedValues",
        aggrMethods="avg",
        aggrPeriodDuration=duration,
    )
    detail = assert_problem(response, 400, "BadRequestData")["detail"]
    assert "longer than the 300 years from 1900 to 2199" in detail


@pytest.mark.parametrize("duration", ["P300Y", "P3600M"])
@pytest.mark.parametrize(
    "window",
    [
        {"timerel": "after", "timeAt": "2026-11-22T00:00:00Z"},
        {"timerel": "before", "timeAt": "2199-12-31T00:00:00Z"},
        {"timerel": "between", "timeAt": "1900-01-01T00:00:00Z", "endTimeAt": "2199-12-31T23:59:59Z"},
    ],
)
def test_the_longest_period_makes_one_bucket(
    alice,  # noqa: F811
    sensor,  # noqa: F811
    duration: str,
    window: dict[str, str],
) -> None:
    response = alice.get(
        PATH,
        attrs="temperature",
        options="aggregatedValues",
        aggrMethods="totalCount",
        aggrPeriodDuration=duration,
        **window,
    )
    assert response.status_code == 200, response.content
    counts = [bucket[0] for bucket in response.json()["temperature"]["totalCount"]]
    assert counts == [6]


def test_a_period_in_other_scripts_digits_is_no_duration(alice, sensor) -> None:  # noqa: F811
    response = alice.get(
        PATH,
        timerel="after",
        timeAt="2026-11-23T00:00:00Z",
        options="aggregatedValues",
        aggrMethods="avg",
        aggrPeriodDuration="P١D",
    )
    assert "not an ISO 8601 duration" in assert_problem(response, 400, "BadRequestData")["detail"]


@pytest.mark.parametrize("value", ["１２", "1_0", " 5", "+5", "9" * 5000])
@pytest.mark.parametrize("name", ["limit", "offset"])
def test_paging_numbers_are_ascii_digits(hub: Hub, ngsi: Any, name: str, value: str) -> None:
    response = ngsi(hub.alice_rw).get("entities", type="Thing", **{name: value})
    detail = assert_problem(response, 400, "BadRequestData")["detail"]
    assert f"{name} must be a non-negative integer in digits 0-9" in detail


@pytest.mark.parametrize("value", ["１２", "1_0", "9" * 5000])
def test_last_n_is_ascii_digits(alice, sensor, value: str) -> None:  # noqa: F811
    response = alice.get(PATH, lastN=value)
    assert "lastN must be a positive integer" in assert_problem(response, 400, "BadRequestData")["detail"]


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("", 404, "ResourceNotFound"),
        ("entitys", 404, "ResourceNotFound"),
        ("nothing/here", 404, "ResourceNotFound"),
        ("types", 422, "OperationNotSupported"),
        ("attributes/temperature", 422, "OperationNotSupported"),
        ("csourceRegistrations", 422, "OperationNotSupported"),
    ],
)
def test_addresses_no_view_serves_answer_problem_details(
    hub: Hub, ngsi: Any, client: Any, path: str, status: int, error: str
) -> None:
    """In production Django's 404 page was HTML (handler404 speaks JSON under /api/ only)."""
    for caller in (ngsi(hub.alice_rw), ngsi()):
        assert_problem(caller.get(f"/ngsi-ld/v1/{quote(path)}"), status, error)
    assert_problem(ngsi(hub.alice_rw).post(f"/ngsi-ld/v1/{quote(path)}", {}), status, error)


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("t==" + "9" * 309, "number out of range"),
        ("t>-" + "9" * 400, "number out of range"),
        ("t==0001-01-01T00:00:00+01:00", "invalid DateTime or Date"),
        ("t<9999-12-31T23:59:59-01:00", "invalid DateTime or Date"),
    ],
)
@pytest.mark.parametrize("path", ["entities", "temporal/entities"])
def test_a_literal_no_double_or_utc_instant_holds_is_refused(
    hub: Hub, ngsi: Any, q: str, says: str, path: str
) -> None:
    """math.isfinite() of a 309-digit integer and the UTC instant of year 1 at +01:00 raise
    OverflowError: each was a 500."""
    params = {"type": "Thing", "q": q}
    if path.startswith("temporal"):
        params = {**params, "timerel": "after", "timeAt": "2026-01-01T00:00:00Z"}
    detail = assert_problem(ngsi(hub.alice_rw).get(path, **params), 400, "BadRequestData")["detail"]
    assert says in detail


def test_stored_values_no_double_or_utc_instant_holds_fail_no_query(hub: Hub, ngsi: Any) -> None:
    """An entity may hold an integer beyond a double, kept whole, and a text that reads as
    a time of year 1 east of UTC: q compared them through math.isfinite() and astimezone(),
    which raised, and every query of the tenant meeting them was a 500."""
    agent = ngsi(hub.alice_rw)
    for name, value in [("big", "9" * 309), ("old", '"0001-01-01T00:00:00+01:00"')]:
        attribute = '"t": {"type": "Property", "value": ' + value + "}"
        body = _entity(attribute, entity_id=f"urn:ngsi-ld:Thing:{name}")
        assert agent.post("entities/", body).status_code == 201
    found = agent.get("entities", type="Thing", q="t>5")
    assert found.status_code == 200, found.content
    assert [entity["id"] for entity in found.json()] == ["urn:ngsi-ld:Thing:big"]
    found = agent.get("entities", type="Thing", q="t<2026-01-01T00:00:00Z")
    assert found.status_code == 200, found.content
    assert found.json() == []


def test_an_id_pattern_with_a_repetition_re_cannot_count_is_a_400(hub: Hub, ngsi: Any) -> None:
    """re.compile() raises OverflowError, not re.error, for a count beyond its limit: a 500
    in a query; a subscription holding one was stored, to fail at every change."""
    agent = ngsi(hub.alice_rw)
    pattern = "a{99999999999}"
    assert_problem(agent.get("entities", idPattern=pattern), 400, "BadRequestData")
    query = {"type": "Query", "entities": [{"type": "Thing", "idPattern": pattern}]}
    assert_problem(agent.post("entityOperations/query", query), 400, "BadRequestData")
    subscription = subscription_payload(entities=[{"type": "Thing", "idPattern": pattern}])
    detail = assert_problem(agent.post("subscriptions/", subscription), 400, "BadRequestData")["detail"]
    assert "idPattern" in detail
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("length", ["\u00b2", "9" * 5000, "1e3", "abc", "-1"])
@pytest.mark.parametrize("path", ["/ingest/v1/observations", "/ngsi-ld/v1/entities"])
def test_a_content_length_that_is_no_number_of_bytes_is_a_400(
    hub: Hub, client: Any, length: str, path: str
) -> None:
    """RFC 9110 §8.6: Content-Length is digits. The ingestion read it with int(), as
    Django's `request.body` does: "²", "1e3" or 5,000 digits were a 500 there."""
    response = client.post(
        path,
        data="[]",
        content_type="application/json",
        headers={"Authorization": f"Bearer {hub.alice_rw}"},
        CONTENT_LENGTH=length,
    )
    assert "is not a number of bytes" in assert_problem(response, 400, "InvalidRequest")["detail"]
    assert not DeadLetter.objects.exists()


def test_a_period_shorter_than_a_microsecond_is_the_whole_range(alice, sensor) -> None:  # noqa: F811
    """PostgreSQL's date_bin refused the zero stride that PT0.0000001S is to microseconds (a
    500), where SQLite counted one second: like PT0S, it is one period over the range."""

    def counts(duration: str) -> list[int]:
        response = alice.get(
            PATH,
            attrs="temperature",
            timerel="after",
            timeAt="2026-11-22T00:00:00Z",
            options="aggregatedValues",
            aggrMethods="totalCount",
            aggrPeriodDuration=duration,
        )
        assert response.status_code == 200, response.content
        return [bucket[0] for bucket in response.json()["temperature"]["totalCount"]]

    assert counts("PT0.0000001S") == counts("PT0S") == [6]
