"""idPattern on the real PostgreSQL server (collected only when the suite runs on
PostgreSQL, see conftest.py), whose regular expressions (ARE) are not Python's: a pattern
Python reads and ARE refuses (`(?P<name>…)`, a count above 255, `\\N{…}`, `(?a)`) failed
the query with a DataError, a 500 found by fuzzing the hub. It is a 400 naming idPattern,
and the transaction of the request goes on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.datahub.conftest import Hub

from .test_subscriptions_bad_input import assert_problem

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

THING = "urn:ngsi-ld:Thing:pattern-a"


@pytest.mark.parametrize("pattern", ["(?P<x>Thing)", "a{256}", "\\N{LATIN SMALL LETTER A}", "(?a)\\w"])
def test_a_pattern_postgresql_cannot_read_is_a_400(hub: Hub, ngsi: Any, pattern: str) -> None:
    agent = ngsi(hub.alice_rw)
    assert agent.post("entities/", {"id": THING, "type": "Thing"}).status_code == 201
    detail = assert_problem(agent.get("entities", idPattern=pattern), 400, "BadRequestData")["detail"]
    assert "idPattern" in detail
    query = {"type": "Query", "entities": [{"type": "Thing", "idPattern": pattern}]}
    assert_problem(agent.post("entityOperations/query", query), 400, "BadRequestData")
    # The same request's transaction still answers: what ARE reads finds the entity.
    found = agent.get("entities", idPattern="pattern-a{1,255}$")
    assert [entity["id"] for entity in found.json()] == [THING]
