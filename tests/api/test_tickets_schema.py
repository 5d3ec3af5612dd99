"""The ticket API in the OpenAPI schema: every endpoint, its errors as problem details, the
bodies that may carry files, one component per choice set."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any
) -> dict[str, Any]:
    """Generated once for the module (about two seconds), against the test database."""
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        # --fail-on-warn: a warning of the generator (an unnamed enum, a field it cannot
        # type) fails, as in CI.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    loaded: dict[str, Any] = yaml.safe_load(target.read_text())
    return loaded


def test_every_ticket_endpoint_is_described(schema):
    ticket = "/api/v1/tickets/{number}/"
    assert {
        path: set(operations) - {"parameters"}
        for path, operations in schema["paths"].items()
        if path.startswith(("/api/v1/tickets/", "/api/v1/teams/")) or path.endswith("/catalogue/")
    } == {
        "/api/v1/sites/{site_id}/catalogue/": {"get"},
        "/api/v1/teams/": {"get"},
        "/api/v1/tickets/": {"get", "post"},
        ticket: {"get", "patch"},
        ticket + "timeline/": {"get"},
        ticket + "replies/": {"post"},
        ticket + "notes/": {"post"},
        ticket + "transitions/": {"post"},
        ticket + "assign/": {"post"},
        ticket + "take/": {"post"},
        ticket + "assets/": {"post"},
        ticket + "assets/{asset_id}/": {"get", "delete"},
        ticket + "merge/": {"post"},
        ticket + "files/{file_id}/": {"get"},
    }


def test_bodies_with_files_take_json_or_multipart(schema):
    for path in ("/api/v1/tickets/", "/api/v1/tickets/{number}/replies/", "/api/v1/tickets/{number}/notes/"):
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        assert set(content) == {"application/json", "multipart/form-data"}, path
    components = schema["components"]["schemas"]
    assert "attachments" not in components["DeclarationRequest"]["properties"]
    attachments = components["DeclarationFormRequest"]["properties"]["attachments"]
    assert attachments["items"] == {"type": "string", "format": "binary"}
    assert components["DeclarationFormRequest"]["properties"]["answers"]["type"] == "string"
    assert components["DeclarationRequest"]["properties"]["answers"]["type"] == "object"


def test_conflicts_are_documented_as_problem_details(schema):
    responses = schema["paths"]["/api/v1/tickets/{number}/transitions/"]["post"]["responses"]
    assert set(responses) == {"200", "400", "401", "403", "404", "406", "409", "413", "415"}
    conflict = responses["409"]
    assert conflict["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert "life cycle" in conflict["description"]


def test_the_ticket_choices_are_one_component_each(schema):
    components = schema["components"]["schemas"]
    assert components["TicketState"]["enum"] == [
        "new",
        "assigned",
        "in_progress",
        "waiting_member",
        "waiting_third_party",
        "resolved",
        "closed",
        "cancelled",
    ]
    assert components["Priority"] == {**components["Priority"], "type": "integer", "enum": [1, 2, 3, 4]}
    transition = components["TransitionRequest"]["properties"]["to"]
    assert {"$ref": "#/components/schemas/TicketState"} in transition["allOf"]


def test_the_list_filters_are_query_parameters(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]}
    assert parameters == {
        "view",
        "state",
        "priority",
        "member",
        "site",
        "site_kind",
        "category",
        "incident_type",
        "team",
        "assignee",
        "older_than_days",
        "created_after",
        "created_before",
        "asset",
        "q",
        "updated_since",
        "cursor",
        "limit",
    }
