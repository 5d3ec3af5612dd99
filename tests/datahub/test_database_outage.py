"""The NGSI-LD and ingestion edge told the database is out of reach (a real error of a
database that cannot be opened): 503 with Retry-After and an InternalError problem;
a genuine database error stays a 500. On a real PostgreSQL outage:
test_database_outage_postgres.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from mutualis.datahub.ngsild.http import NgsiRequest, ngsild_view
from tests.datahub.conftest import Hub
from tests.test_database_outage import missing_table, unopenable_sqlite

pytestmark = pytest.mark.django_db


def _answer(hub: Hub, rf: RequestFactory, error: Exception) -> HttpResponse:
    @ngsild_view()
    def failing(nr: NgsiRequest) -> HttpResponse:
        raise error

    request = rf.get("/ngsi-ld/v1/entities", headers={"Authorization": f"Bearer {hub.alice_rw}"})
    return failing(request)


def test_the_database_out_of_reach_is_a_503_to_retry(hub: Hub, rf: RequestFactory, tmp_path: Path) -> None:
    response = _answer(hub, rf, unopenable_sqlite(tmp_path))
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    body = json.loads(response.content)
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/InternalError"
    assert body["status"] == 503


def test_a_genuine_database_error_stays_a_500(hub: Hub, rf: RequestFactory) -> None:
    error = missing_table()
    response = _answer(hub, rf, error)
    assert response.status_code == 500
    assert "Retry-After" not in response
