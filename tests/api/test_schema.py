"""The OpenAPI schema: generated without warnings, valid, and served with its docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(tmp_path: Path) -> dict[str, Any]:
    target = tmp_path / "schema.yaml"
    # --fail-on-warn raises on any generator warning; --validate checks against the
    # OpenAPI specification's JSON schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    loaded: dict[str, Any] = yaml.safe_load(target.read_text())
    return loaded


def test_every_endpoint_is_described(schema):
    assert set(schema["paths"]) >= {
        "/api/v1/me/",
        "/api/v1/members/",
        "/api/v1/members/{id}/",
        "/api/v1/sites/",
        "/api/v1/sites/{id}/",
        "/api/v1/assets/",
        "/api/v1/assets/{id}/",
        "/api/v1/assets/{id}/status/",
        "/api/v1/assets/{id}/history/",
        "/api/v1/territory/departements/",
        "/api/v1/territory/epci/",
        "/api/v1/territory/communes/",
        "/api/v1/site-kinds/",
        "/api/v1/asset-types/",
        "/api/v1/asset-models/",
    }


def test_the_bearer_token_scheme_is_documented(schema):
    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert {"apiToken": []} in schema["paths"]["/api/v1/sites/"]["get"]["security"]


def test_errors_are_documented_as_problem_details(schema):
    responses = schema["paths"]["/api/v1/assets/{id}/status/"]["post"]["responses"]
    assert set(responses) == {"200", "400", "401", "403", "404", "406", "409", "412", "413", "415"}
    conflict = responses["409"]["content"]["application/problem+json"]["schema"]
    assert conflict == {"$ref": "#/components/schemas/Problem"}
    assert set(schema["components"]["schemas"]["Problem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
    }


def test_filters_are_documented_as_query_parameters(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/assets/"]["get"]["parameters"]}
    assert parameters >= {
        "asset_type",
        "status",
        "site",
        "member",
        "inventory_tag",
        "serial_number",
        "updated_since",
    }
    assert parameters >= {"cursor", "limit"}


def test_the_schema_and_its_docs_are_served_without_a_cdn(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()


def test_the_docs_say_their_language(client):
    """WCAG 3.1.1: drf-spectacular's pages open with a bare <html>; the schema is English."""
    for path in ["/api/docs/", "/api/redoc/"]:
        page = client.get(path)
        assert page.status_code == 200
        assert page.content.decode().count('<html lang="en">') == 1, path


def test_the_schema_is_served_as_json_too(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Mutualis API"


def test_an_assets_history_documents_the_paging_it_accepts(schema, cast, api):
    """Its `next` address carries `cursor` and `limit`, which it accepts: the schema listed
    neither (drf-spectacular pages only what it takes for a list view)."""
    history = schema["paths"]["/api/v1/assets/{id}/history/"]["get"]
    parameters = {p["name"]: p for p in history["parameters"] if p["in"] == "query"}
    assert set(parameters) == {"cursor", "limit"}
    assert (parameters["limit"]["schema"]["maximum"], parameters["limit"]["allowEmptyValue"]) == (500, False)
    page = api(cast.adam).get(f"assets/{cast.asset_a.pk}/history/", {"limit": 1})
    assert page.status_code == 200, page.content


def test_no_operation_is_described_by_notes_for_programmers(schema):
    """Five operations of sites and assets were described by ConditionalObjectMixin's
    docstring, which speaks of `write_if_unchanged` and `stale_detail`."""
    described = {
        (method, path): operation.get("description", "")
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert [where for where, text in described.items() if "write_if_unchanged" in text] == []
    assert "If-Match" in described[("patch", "/api/v1/assets/{id}/")]
