"""The language of the machine doors' errors (NGSI-LD /ngsi-ld/v1/, HTTP ingestion
/ingest/v1/): English whatever the request's Accept-Language, labelled so
(Content-Language), and a problem document for any address under them (docs/ngsi-ld.md
and docs/ingestion.md, "Language of errors"). The REST API answers in French by default
(docs/api.md): its readers are the members' own tools and people."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import translation

from mutualis.datahub.ngsild.http import NgsiRequest, ngsild_view
from tests.datahub.conftest import Hub, NgsiClient
from tests.test_database_outage import unopenable_sqlite

pytestmark = pytest.mark.django_db

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def test_an_ngsi_ld_error_asked_in_french_is_english_and_says_so(
    hub: Hub, ngsi: Callable[..., NgsiClient]
) -> None:
    response = ngsi(hub.alice_rw).get("entities/urn:ngsi-ld:Thing:none", headers=FRENCH)
    assert response.status_code == 404
    assert response["Content-Language"] == "en"
    body = json.loads(response.content)
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    assert (body["title"], body["detail"]) == (
        "Resource not found",
        "Entity urn:ngsi-ld:Thing:none does not exist.",
    )


def test_an_ingestion_refusal_asked_in_french_is_english_and_says_so(hub: Hub, client: Client) -> None:
    response = client.post(
        "/ingest/v1/observations",
        data=b"{oops",
        content_type="application/json",
        headers={"Authorization": f"Bearer {hub.alice_rw}", **FRENCH},
    )
    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    body = json.loads(response.content)
    assert body["title"] == "Bad request data"
    assert body["detail"] == "None of the readings could be written (1 refused); see errors."
    [refusal] = body["errors"]
    assert refusal["reason"] == "invalid_json"
    assert refusal["detail"].startswith("The message is not JSON")


@pytest.mark.parametrize("token", ["alice_rw", "charlie_rw", None])
def test_an_unknown_ingestion_address_is_a_problem_document_not_a_french_page(
    hub: Hub, client: Client, token: str | None
) -> None:
    """Whoever asks (an operator's device, another member's, nobody): nothing to see there."""
    headers = {**FRENCH, **({"Authorization": f"Bearer {getattr(hub, token)}"} if token else {})}
    response = client.post(
        "/ingest/v1/observation", data=b"[]", content_type="application/json", headers=headers
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Language"] == "en"
    body = json.loads(response.content)
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    assert "/ingest/v1/observations" in body["detail"]


def test_the_database_out_of_reach_is_said_in_english_to_a_french_request(
    hub: Hub, rf: RequestFactory, tmp_path: Path
) -> None:
    """The one sentence the machine doors share with the REST API (translated there)."""
    error = unopenable_sqlite(tmp_path)

    @ngsild_view()
    def failing(nr: NgsiRequest) -> HttpResponse:
        raise error

    request = rf.get("/ngsi-ld/v1/entities", headers={"Authorization": f"Bearer {hub.alice_rw}", **FRENCH})
    with translation.override("fr"):  # as LocaleMiddleware activates it for this request
        response = failing(request)
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["detail"].startswith("The service cannot reach its database for the moment")
    assert response["Content-Language"] == "en"


def test_the_rest_api_answers_in_french_by_default(client: Client) -> None:
    """The other mechanism, on purpose: the REST API follows Accept-Language (docs/api.md)."""
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert json.loads(response.content)["title"] == "Introuvable"
    english = client.get("/api/v1/nothing", headers={"Accept-Language": "en"})
    assert json.loads(english.content)["title"] == "Not found"
