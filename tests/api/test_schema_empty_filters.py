"""An optional query parameter sent empty (`?status=`, `?site=`) is no filter (docs/api.md,
Filters), and the served schema says so (`allowEmptyValue`, OpenAPI 3.0.3 §4.7.12.1).

Schemathesis, run against the served schema, found `?q=`, `?service=` and `?site=` answered
200 where the schema said the value must be one character or more, or an integer: a client
generated from the schema refused to send what the API accepts, and a contract checker took
the API for broken. `?limit=` is the other way round: a 400, which the schema must not admit.
"""

from __future__ import annotations

import pytest

from .test_schema_conformance import _address, schema, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_an_empty_query_parameter_is_answered_as_the_schema_says(cast, desk, world, schema, api):  # noqa: F811
    client = api(cast.adam)
    failures: list[str] = []
    checked = 0
    for path, operation in schema.get_operations().items():
        address = _address(path, world)
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query" or parameter.get("required"):
                continue
            checked += 1
            response = client.get(f"{address}?{parameter['name']}=")
            admitted = parameter.get("allowEmptyValue", False)
            if response.status_code == 200 and not admitted:
                failures.append(f"{address}?{parameter['name']}= answers 200; the schema refuses it")
            elif response.status_code != 200 and admitted:
                failures.append(
                    f"{address}?{parameter['name']}= answers {response.status_code}; the schema admits it"
                )
            elif response.status_code not in (200, 400):
                failures.append(f"{address}?{parameter['name']}= answers {response.status_code}")
    assert checked > 50
    assert not failures, "\n".join(failures)


def test_an_empty_filter_lists_what_no_filter_lists(cast, desk, world, api):  # noqa: F811
    client = api(cast.adam)
    unfiltered = client.get("assets/").json()["results"]
    assert unfiltered
    assert client.get("assets/?site=&status=&q=").json()["results"] == unfiltered
    response = client.get("assets/?limit=")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == ["limit"]
