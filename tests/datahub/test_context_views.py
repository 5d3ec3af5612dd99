"""/ngsi-ld/v1/jsonldContexts (NGSI-LD 1.8, 5.13 / 6.29): list, read, host, delete."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from mutualis.datahub.models import StoredContext
from mutualis.datahub.ngsild import context
from mutualis.datahub.ngsild.context import CORE_CONTEXT_URL, context_from_request
from tests.datahub.conftest import Hub

STREETLIGHTING = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld"
)
CUSTOM = {"@context": {"ex": "http://example.org/mutualis#", "lampCount": "ex:lampCount"}}


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    context.clear_caches()
    yield
    context.clear_caches()


def _path(response_url: str) -> str:
    return response_url[response_url.index("/ngsi-ld/v1/") :]


def test_the_list_names_the_shipped_contexts(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    response = ngsi(hub.alice_rw).get("jsonldContexts")
    assert response.status_code == 200
    urls = response.json()
    assert CORE_CONTEXT_URL in urls
    assert STREETLIGHTING in urls
    details = ngsi(hub.alice_rw).get("jsonldContexts", details="true").json()
    core = next(row for row in details if row["URL"] == CORE_CONTEXT_URL)
    assert core["localId"] == "ngsi-ld-core-context-v1.8"
    assert "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld" in core["aliases"]
    assert ngsi(hub.alice_rw).get("jsonldContexts", kind="Hosted").json() == []
    bad = ngsi(hub.alice_rw).get("jsonldContexts", kind="Everything")
    assert bad.status_code == 400
    assert "kind" in bad.json()["detail"]


def test_anonymous_callers_are_refused(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    assert ngsi().get("jsonldContexts").status_code == 401


def test_a_shipped_context_by_local_id_or_by_url(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    by_id = ngsi(hub.bob_ro).get("jsonldContexts/ngsi-ld-core-context-v1.8")
    assert by_id.status_code == 200
    assert by_id["Content-Type"] == "application/ld+json"
    document = json.loads(by_id.content)
    assert document["@context"]["@vocab"] == "https://uri.etsi.org/ngsi-ld/default-context/"
    by_url = ngsi(hub.bob_ro).get("jsonldContexts/" + quote(STREETLIGHTING, safe=""))
    assert by_url.status_code == 200
    assert "Streetlight" in json.loads(by_url.content)["@context"]
    missing = ngsi(hub.bob_ro).get("jsonldContexts/" + quote("https://example.org/nothing.jsonld", safe=""))
    assert missing.status_code == 404
    assert "https://example.org/nothing.jsonld" in missing.json()["detail"]


def test_a_writer_hosts_a_context_that_then_works_in_link_headers(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    response = ngsi(hub.alice_rw).post("jsonldContexts", CUSTOM, content_type="application/ld+json")
    assert response.status_code == 201
    url = response["Location"]
    assert response.json() == {"URL": url, "localId": url.rsplit("/", 1)[1]}
    served = ngsi(hub.charlie_rw).get(_path(url))
    assert json.loads(served.content) == CUSTOM
    details = ngsi(hub.alice_rw).get(_path(url), details="true").json()
    assert details["kind"] == "Hosted"
    assert ngsi(hub.alice_rw).get("jsonldContexts", kind="Hosted").json() == [url]
    link = f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    ctx = context_from_request(link_header=link, content_type="application/json", body=None)
    assert ctx.expand_term("lampCount") == "http://example.org/mutualis#lampCount"


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"ex": "http://example.org/"}, 400, '"@context" member'),
        ({"@context": {"lampCount": 3}}, 400, "Invalid @context"),
        ({"@context": "https://contexts.example.org/unknown.jsonld"}, 503, "allowed hosts"),
    ],
)
def test_only_working_contexts_are_hosted(hub: Hub, ngsi, body: dict, status: int, detail: str) -> None:  # type: ignore[no-untyped-def]
    response = ngsi(hub.alice_rw).post("jsonldContexts", body)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert not StoredContext.objects.exists()


def test_hosting_needs_the_right_to_write(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    response = ngsi(hub.bob_ro).post("jsonldContexts", CUSTOM)
    assert response.status_code == 403
    assert not StoredContext.objects.exists()


def test_a_body_that_is_not_json_is_refused(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    assert ngsi(hub.alice_rw).post("jsonldContexts", "{not json").status_code == 400
    assert ngsi(hub.alice_rw).post("jsonldContexts", "x", content_type="text/plain").status_code == 415


def test_only_operator_staff_delete_and_shipped_contexts_stay(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    url = ngsi(hub.alice_rw).post("jsonldContexts", CUSTOM)["Location"]
    refused = ngsi(hub.alice_rw).delete(_path(url))
    assert refused.status_code == 403
    assert ngsi(hub.charlie_rw).delete(_path(url)).status_code == 403
    assert StoredContext.objects.filter(url=url).exists()
    assert ngsi(hub.adam_rw).delete(_path(url)).status_code == 204
    assert ngsi(hub.alice_rw).get(_path(url)).status_code == 404
    core = ngsi(hub.adam_rw).delete("jsonldContexts/ngsi-ld-core-context-v1.8")
    assert core.status_code == 400
    assert "core context" in core.json()["detail"]


def test_other_methods_are_not_allowed(hub: Hub, ngsi) -> None:  # type: ignore[no-untyped-def]
    response = ngsi(hub.alice_rw).put("jsonldContexts/ngsi-ld-core-context-v1.8", CUSTOM)
    assert response.status_code == 405
    assert response["Allow"] == "DELETE, GET"
