"""The API answers what its served OpenAPI schema says: every GET operation of the schema,
called as an operator admin and as a member agent, answers a documented status whose body
validates against the documented schema (pages followed by `next`), errors are documented
problem details, and an outsider gets, on every address of the schema, the 404 of a
missing object.

Integrators generate clients from /api/schema/; the probe that wrote this test found a
ticket's `reopen_deadline` null where the schema said a string, a timeline described as a
cursor-paged list it is not, and a list's 404 (an altered cursor) not documented.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest

from mutualis.registry import services as registry_services
from mutualis.registry.models import AssetStatus
from mutualis.servicedesk import services
from mutualis.servicedesk.attachments import check_uploads
from mutualis.servicedesk.models import Attachment, TicketState

from .desk_support import broken_screen, camera, photo
from .support import Api

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


# OpenAPI 3.0 schemas as JSON Schema (draft 7): `nullable` becomes a "null" type, the
# boolean exclusiveMinimum/Maximum of 3.0 become numbers, and references point into
# `definitions`.
_OPENAPI_ONLY = {"nullable", "readOnly", "writeOnly", "example", "discriminator", "xml", "externalDocs"}


def _json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref":
            out["$ref"] = "#/definitions/" + value.rsplit("/", 1)[1]
        elif key not in _OPENAPI_ONLY:
            out[key] = _json_schema(value)
    for bound in ("Maximum", "Minimum"):
        if out.pop(f"exclusive{bound}", False) is True:
            out[f"exclusive{bound}"] = out.pop(bound.lower())
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class Schema:
    """The served schema, and checks of answers against it."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.definitions = {
            name: _json_schema(component) for name, component in document["components"]["schemas"].items()
        }

    def get_operations(self) -> dict[str, dict[str, Any]]:
        return {path: item["get"] for path, item in self.document["paths"].items() if "get" in item}

    def problems_with(self, operation: dict[str, Any], response: Any, label: str) -> list[str]:
        """What in `response` the operation does not document (empty when it conforms)."""
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            return [f"{label}: status {response.status_code} is not documented"]
        media = response.get("Content-Type", "").split(";")[0]
        content = documented.get("content") or {}
        if media not in content and "*/*" not in content:
            return [f"{label}: {media} is not among the documented {sorted(content)}"]
        if media not in content or not media.endswith("json"):
            return []
        validator = jsonschema.Draft7Validator(
            {**_json_schema(content[media]["schema"]), "definitions": self.definitions},
            format_checker=jsonschema.FormatChecker(),
        )
        return [
            f"{label}: {'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
            for error in validator.iter_errors(response.json())
        ]


@pytest.fixture
def schema(client) -> Schema:
    response = client.get("/api/schema/", {"format": "json"}, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return Schema(response.json())


@pytest.fixture
def world(cast, desk) -> dict[str, int]:
    """Member A's data in every shape the answers take: a new ticket with an asset and a
    photo, one resolved (with a reopen deadline), an internal note, an asset with history."""
    screen = broken_screen(cast, desk)
    resolved = camera(cast, desk, title="Caméra de la cour")
    services.take(ticket=resolved, by=desk.tess)
    services.reply(ticket=resolved, by=desk.tess, as_staff=True, body="Redémarrée.")
    services.transition(ticket=resolved, to=TicketState.RESOLVED, by=desk.tess, as_staff=True)
    services.add_note(
        ticket=screen,
        by=desk.tess,
        body="Pièce commandée.",
        files=check_uploads([photo("devis.png")], max_bytes=10_000_000, max_count=5),
    )
    registry_services.change_asset_status(
        asset=desk.tablet, status=AssetStatus.IN_REPAIR, note="Écran", by=cast.adam
    )
    public_file = Attachment.objects.filter(comment__ticket=screen, comment__internal=False).first()
    file_id = public_file.pk if public_file else Attachment.objects.filter(comment__ticket=screen).first().pk
    return {
        "members": cast.member_a.pk,
        "sites": desk.college.pk,
        "assets": desk.tablet.pk,
        "site_id": desk.college.pk,
        "number": screen.number,
        "asset_id": desk.tablet.pk,
        "file_id": file_id,
        "resolved": resolved.number,
    }


def _address(path: str, values: dict[str, int], *, missing: bool = False) -> str:
    """`path` of the schema with its parameters filled in (with ids nobody has, `missing`)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if missing:
            return "999999"
        if name == "id":
            return str(values[path.split("/")[3]])
        return str(values[name])

    return re.sub(r"\{(\w+)\}", value, path)


def _check_get(schema: Schema, api: Api, path: str, operation: dict[str, Any], address: str) -> list[str]:
    failures: list[str] = []
    response = api.get(address)
    if response.streaming:  # a file: read it whole, which closes it
        assert b"".join(response.streaming_content)
    failures += schema.problems_with(operation, response, address)
    pages = 0
    # A page's `next` too: its cursor and the rows after the first page.
    while response.status_code == 200 and response.get("Content-Type") == "application/json":
        body = response.json()
        if not (isinstance(body, dict) and body.get("next")) or pages == 3:
            break
        pages += 1
        response = api.get(urlparse(body["next"]).path + "?" + urlparse(body["next"]).query)
        failures += schema.problems_with(operation, response, f"{address} (page {pages + 1})")
    return failures


def test_every_get_operation_answers_as_documented(cast, desk, world, schema, api):
    failures: list[str] = []
    for caller in (cast.adam, cast.alice):
        client = api(caller)
        for path, operation in schema.get_operations().items():
            limit = "limit=1&" if any(p["name"] == "limit" for p in operation.get("parameters", [])) else ""
            address = _address(path, world)
            failures += _check_get(schema, client, path, operation, f"{address}?{limit}".rstrip("?&"))
    # The resolved ticket, whose reopen deadline is a date-time.
    detail = schema.document["paths"]["/api/v1/tickets/{number}/"]["get"]
    failures += schema.problems_with(
        detail, api(cast.alice).get(f"tickets/{world['resolved']}/"), "resolved ticket"
    )
    assert not failures, "\n".join(failures)


def test_errors_are_documented_problem_details(cast, desk, world, schema, api):
    failures: list[str] = []
    for path, operation in schema.get_operations().items():
        address = _address(path, world)
        failures += schema.problems_with(operation, api().get(address), f"{address} without a token")
        if "{" in path:
            missing = _address(path, world, missing=True)
            failures += schema.problems_with(operation, api(cast.adam).get(missing), missing)
        if any(p["name"] == "limit" for p in operation.get("parameters", [])):
            for query in ("limit=0", "limit=" + "9" * 5000, "cursor=bm90IG91cnM="):
                failures += schema.problems_with(
                    operation, api(cast.adam).get(f"{address}?{query}"), f"{address}?{query[:20]}"
                )
    assert not failures, "\n".join(failures)


def test_the_bounds_of_limit_are_documented(schema):
    for path, operation in schema.get_operations().items():
        limit = next((p for p in operation.get("parameters", []) if p["name"] == "limit"), None)
        if limit is not None:
            assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}, path
            assert "404" in operation["responses"], f"{path}: an altered cursor's 404 is not documented"


def test_the_timeline_is_documented_as_the_list_it_is(schema):
    operation = schema.document["paths"]["/api/v1/tickets/{number}/timeline/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/TimelineEntry"},
    }
    assert [p["name"] for p in operation["parameters"]] == ["number"]


def test_components_are_not_described_by_the_code_s_internal_docstrings(schema):
    """drf-spectacular describes a component by the first docstring up its bases: every
    response said "Every field read-only: these serializers never parse a body."."""
    descriptions = {
        name: component.get("description", "")
        for name, component in schema.document["components"]["schemas"].items()
    }
    leaked = {
        name: text
        for name, text in descriptions.items()
        if any(word in text for word in ("serializer", "Mixin", "selectors.", "ScopedFields", "DRF"))
    }
    assert not leaked


def test_outsiders_get_the_404_of_a_missing_object_at_every_documented_address(
    cast, desk, world, schema, api
):
    """Member B's agent, and the other operator's admin, on each address of the schema that
    names member A's data: the very answer a missing object gets."""
    failures = []
    for path in schema.document["paths"]:
        if "{" not in path:
            continue
        for method in schema.document["paths"][path]:
            for outsider in (cast.charlie, cast.oscar):
                answers = []
                for address in (_address(path, world), _address(path, world, missing=True)):
                    call = getattr(api(outsider), method)
                    response = call(address) if method in ("get", "delete") else call(address, {})
                    answers.append((response.status_code, response.content))
                if answers[0] != answers[1] or answers[0][0] != 404:
                    failures.append(f"{method.upper()} {path} as {outsider.email}: {answers[0]!r:.200}")
    assert not failures, "\n".join(failures)


def test_every_documented_operation_refuses_a_repeated_parameter_as_documented(
    cast, desk, world, schema, api
):
    """Each operation of the schema (those to come too): a parameter given twice is its
    documented 400 naming it, before anything is read or written, so member B's agent gets,
    on member A's objects, the answer a missing object gets."""
    failures: list[str] = []
    for path, item in schema.document["paths"].items():
        for method, operation in item.items():
            for caller in (cast.adam, cast.charlie):
                answers = set()
                for missing in {False, "{" in path}:
                    url = _address(path, world, missing=missing) + "?limit=1&limit=2"
                    call = getattr(api(caller), method)
                    response = call(url) if method in ("get", "delete") else call(url, {})
                    label = f"{method.upper()} {url} as {caller.email}"
                    failures += schema.problems_with(operation, response, label)
                    answers.add(response.content)
                    # A write or a list this caller may not make at all: who asks comes first.
                    refused = response.status_code == 403 and "{" not in path
                    fields = [error["field"] for error in response.json().get("errors", [])]
                    if not refused and (response.status_code, fields) != (400, ["limit"]):
                        failures.append(f"{label}: {response.status_code} {response.content[:200]!r}")
                if len(answers) != 1:
                    failures.append(
                        f"{method.upper()} {path} as {caller.email}: not the answer of a missing object"
                    )
    assert not failures, "\n".join(failures)


def test_the_choices_are_described_in_the_language_of_the_request(schema):
    """Built at import, the service desk's choices were described in French in every schema."""
    components = schema.document["components"]["schemas"]
    assert "`in_progress`: in progress" in components["TicketState"]["description"]
    assert "`1`: P1 – critical" in components["Priority"]["description"]
    assert "`phone`: phone" in components["TicketChannel"]["description"]
    assert "`in_repair`: in repair" in components["AssetStatus"]["description"]
