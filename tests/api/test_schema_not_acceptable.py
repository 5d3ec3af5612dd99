"""The 406 of content negotiation (mutualis.lib.content_negotiation, docs/api.md, Errors) is
a documented answer of every operation: the served schema listed none, so a client generated
from it met a status its schema said could not come."""

from __future__ import annotations

import pytest

from .test_schema_conformance import _address, schema, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_every_operation_documents_its_406(schema):  # noqa: F811
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in schema.document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation and "406" not in operation["responses"]
    ]
    assert not undocumented


@pytest.mark.parametrize("accept", ["text/html", "application/problem+json"])
def test_a_406_is_the_documented_problem(cast, desk, world, schema, api, accept):  # noqa: F811
    client = api(cast.adam)
    client.headers["Accept"] = accept
    failures: list[str] = []
    for path, operation in schema.get_operations().items():
        address = _address(path, world)
        response = client.get(address)
        if response.streaming:
            # A file goes in its own type whatever Accept says, as RFC 9110 §12.5.1 allows.
            assert b"".join(response.streaming_content)
            continue
        if response.status_code != 406:
            failures.append(f"{address}: {response.status_code}")
        failures += schema.problems_with(operation, response, address)
    assert not failures, "\n".join(failures)
