"""Errors as their reader expects them: problem JSON for programs, a page for people."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_a_problem_document(client: Client) -> None:
    response = client.get("/api/v2/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_unknown_page_is_an_html_page(client: Client) -> None:
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_server_error_on_an_api_path_is_a_problem_document(rf) -> None:
    from mutualis.web.errors import server_error

    response = server_error(rf.get("/api/v1/sites/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    page = server_error(rf.get("/sites/"))
    assert page.status_code == 500
    assert b"Erreur du serveur" in page.content
