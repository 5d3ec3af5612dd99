"""Which database errors are the database out of reach (503 with Retry-After, RFC 9110
§15.6.4 and §10.2.3) and which stay 500s, with errors the databases really raise: an
SQLite file that cannot be opened, a PostgreSQL server refusing connections, a table
that does not exist. The edges answering them on a real outage: tests/datahub/
test_database_outage_postgres.py."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import DatabaseError, connection
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper
from django.test import RequestFactory
from django.utils import translation

from mutualis.lib.database_outage import is_database_unavailable
from mutualis.lib.problems import problem_exception_handler
from mutualis.web.errors import server_error

pytestmark = pytest.mark.django_db


def _raised(action: Callable[[], object]) -> Exception:
    try:
        action()
    except Exception as error:
        return error
    raise AssertionError("no error raised")


def unopenable_sqlite(tmp_path: Path) -> Exception:
    """The error of an SQLite database whose file cannot be opened (its folder is gone)."""
    wrapper = SqliteWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "gone" / "db.sqlite3")}, "gone"
    )
    wrapper.settings_dict.update(ENGINE="django.db.backends.sqlite3", OPTIONS={}, TIME_ZONE=None)
    try:
        return _raised(wrapper.ensure_connection)
    finally:
        wrapper.close()


def refused_postgres() -> Exception:
    """The error of a PostgreSQL server refusing the connection (nothing on the port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = {
        **connection.settings_dict,
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": port,
        "OPTIONS": {},
        "TIME_ZONE": None,
    }
    wrapper = PostgresWrapper(settings, "refused")
    try:
        return _raised(wrapper.ensure_connection)
    finally:
        wrapper.close()


def missing_table() -> Exception:
    """A query of the request the database refuses: a defect, whatever the database."""

    def query() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_anywhere")

    return _raised(query)


def test_a_file_that_cannot_be_opened_is_the_database_out_of_reach(tmp_path: Path) -> None:
    error = unopenable_sqlite(tmp_path)
    assert isinstance(error, DatabaseError)
    assert is_database_unavailable(error)


def test_a_refused_connection_is_the_database_out_of_reach() -> None:
    assert is_database_unavailable(refused_postgres())


def test_a_refused_connection_behind_another_error_is_still_an_outage() -> None:
    outage = refused_postgres()
    with pytest.raises(RuntimeError) as wrapping:
        raise RuntimeError("rendering the page failed") from outage
    assert is_database_unavailable(wrapping.value)


def test_a_query_the_database_refuses_is_not_an_outage() -> None:
    assert not is_database_unavailable(missing_table())
    assert not is_database_unavailable(ValueError("a defect"))


def test_the_rest_apis_answer_503_with_retry_after(rf: RequestFactory, caplog) -> None:  # type: ignore[no-untyped-def]
    response = problem_exception_handler(refused_postgres(), {"request": rf.get("/api/v1/sites/")})
    assert response is not None
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.content_type == "application/problem+json"
    assert response.data["type"].endswith("/database-unavailable")
    assert "base de données" in response.data["detail"]
    assert any(r.levelno == logging.ERROR and "503" in r.getMessage() for r in caplog.records)


def test_the_rest_apis_leave_a_genuine_database_error_to_the_500(rf: RequestFactory) -> None:
    assert problem_exception_handler(missing_table(), {"request": rf.get("/api/v1/sites/")}) is None


def _server_error_for(error: Exception, path: str, rf: RequestFactory):  # type: ignore[no-untyped-def]
    # Django calls its 500 handler while it handles the exception.
    try:
        raise error
    except Exception:
        return server_error(rf.get(path))


def test_a_page_is_a_plain_french_503(tmp_path: Path, rf: RequestFactory) -> None:
    page = _server_error_for(unopenable_sqlite(tmp_path), "/tickets/", rf)
    assert page.status_code == 503
    assert int(page["Retry-After"]) > 0
    assert "Service temporairement indisponible" in page.content.decode()
    problem = _server_error_for(unopenable_sqlite(tmp_path), "/ngsi-ld/v1/entities", rf)
    assert problem.status_code == 503
    assert problem["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "language"), [("/ngsi-ld/v1/entities", "en"), ("/ingest/v1/observations", "en")]
)
def test_the_hubs_doors_say_the_outage_in_english_before_their_views_too(
    tmp_path: Path, rf: RequestFactory, path: str, language: str
) -> None:
    # A middleware failing on the database answers for the data hub's doors as their views
    # do: in English, labelled so (docs/ngsi-ld.md, "Language of errors").
    with translation.override("fr"):
        problem = _server_error_for(unopenable_sqlite(tmp_path), path, rf)
    assert problem.status_code == 503
    assert problem["Content-Language"] == language
    assert "database" in json.loads(problem.content)["detail"].lower()


def test_a_page_failing_on_a_genuine_database_error_stays_a_500(rf: RequestFactory) -> None:
    page = _server_error_for(missing_table(), "/tickets/", rf)
    assert page.status_code == 500
    assert "Retry-After" not in page
