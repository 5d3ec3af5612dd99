"""The database out of reach: 503 Service Unavailable with Retry-After, not a 500.

A connection the database refuses, or one it ends (a restart, a failover, an
administrator's pg_terminate_backend), is a passing condition of the server, not a defect:
RFC 9110 §15.6.4 answers it with 503, and Retry-After (§10.2.3) tells the client (a sensor,
a program, a person) when to try again; nothing of the request was kept, since the
transaction it ran in could not commit. Only such connection errors count: any other
database error (a query refused, a missing table, a deadlock, a statement timeout) is a
defect or a conflict of the request and stays a 500, logged with its traceback.

Every edge uses `is_database_unavailable`: the NGSI-LD and ingestion edge
(mutualis.datahub.ngsild.http), the REST APIs' exception handler (mutualis.lib.problems)
and Django's 500 handler for web pages and everything else (mutualis.web.errors).
"""

from __future__ import annotations

import logging
import sqlite3

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# How long a client is asked to wait: a PostgreSQL restart or failover takes seconds to a
# minute; a client told 30 s neither hammers the server while it comes back nor waits long
# after. DATABASE_UNAVAILABLE_RETRY_AFTER (seconds) overrides it.
DEFAULT_RETRY_AFTER_SECONDS = 30

# PostgreSQL's SQLSTATEs (Appendix A of its manual) of a connection that could not be made
# or was ended: class 08 "connection exception"; 57P01 admin_shutdown (pg_terminate_backend,
# a fast shutdown), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, in
# recovery); 53300 too_many_connections (the server refuses one more connection).
_LOST_CONNECTION_STATES = ("57P01", "57P02", "57P03", "53300")


def retry_after_seconds() -> int:
    return int(getattr(settings, "DATABASE_UNAVAILABLE_RETRY_AFTER", DEFAULT_RETRY_AFTER_SECONDS))


def _database_error(exc: BaseException) -> OperationalError | InterfaceError | None:
    """The Django connection-class error `exc` is or was raised from (a view may wrap one)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OperationalError | InterfaceError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _some_connection_closed() -> bool:
    for wrapper in connections.all(initialized_only=True):
        driver = wrapper.connection
        if driver is not None and (getattr(driver, "closed", False) or getattr(driver, "broken", False)):
            return True
    return False


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` comes from the database being out of reach (refused or lost
    connection), rather than from a query of the request or a defect."""
    error = _database_error(exc)
    if error is None:
        return False
    driver_error = error.__cause__
    if isinstance(error, InterfaceError):
        # Using a connection that is gone (psycopg 2's "connection already closed"); an
        # interface error on a live connection is a misuse, a defect.
        return _some_connection_closed()
    if isinstance(driver_error, sqlite3.OperationalError):
        # The embedded database's file cannot be opened (a volume gone, permissions); a
        # missing table or a locked database are other codes, and stay 500s.
        return getattr(driver_error, "sqlite_errorcode", None) == sqlite3.SQLITE_CANTOPEN
    if driver_error is not None and hasattr(driver_error, "sqlstate"):  # psycopg
        state = driver_error.sqlstate
        # No SQLSTATE: the error is psycopg's own, not the server's, and psycopg raises
        # OperationalError itself only about the connection (refused, timed out, closed,
        # "server closed the connection unexpectedly").
        return state is None or state.startswith("08") or state in _LOST_CONNECTION_STATES
    return False


def log_outage(request: HttpRequest, exc: BaseException) -> None:
    """One line, no traceback: the cause is the database's, not the code's."""
    error = _database_error(exc) or exc
    logger.error(
        "Database unavailable (%s: %s); answered 503 to %s %s",
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
        request.method,
        request.path,
    )


def unavailable_detail() -> str:
    return _(
        "The service cannot reach its database for the moment; nothing of this request was "
        "kept. Send it again in %(seconds)s seconds."
    ) % {"seconds": retry_after_seconds()}


def with_retry_after(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = str(retry_after_seconds())
    return response


def unavailable_page(request: HttpRequest) -> HttpResponse:
    """A plain page for people, built without the database (no session, no menus) and
    without a template's context processors, which would read it."""
    title = _("Service temporarily unavailable")
    body = format_html(
        '<!doctype html>\n<html lang="{}">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{} – Mutualis</title></head>\n<body>\n<main>\n<h1>{}</h1>\n<p>{}</p>\n"
        '<p><a href="{}">{}</a></p>\n</main>\n</body>\n</html>\n',
        getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        title,
        title,
        _(
            "Mutualis cannot reach its database for the moment; what you were doing has not "
            "been saved. Please try again in a minute."
        ),
        request.get_full_path(),
        _("Try again"),
    )
    return with_retry_after(HttpResponse(body, status=503, content_type="text/html; charset=utf-8"))


# Paths whose readers are programs: they get a problem document (RFC 9457), not a page.
_MACHINE_PATHS = ("/api/", "/ngsi-ld/", "/ingest/")
# Of those, the data hub's doors answer in English whatever the request asks
# (datahub/ngsild/errors.py, LANGUAGE; docs/ngsi-ld.md, "Language of errors").
_ENGLISH_PATHS = ("/ngsi-ld/", "/ingest/")


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for a request the database's absence made fail outside the APIs' own
    handlers (a page, a middleware reading the session): logged, then a problem document
    for programs and a plain page for people."""
    from .problems import problem_json  # problems imports this module for the REST APIs

    log_outage(request, exc)
    if request.path.startswith(_ENGLISH_PATHS):
        with translation.override("en"):
            response = problem_json(503, unavailable_detail(), kind="database-unavailable")
        response["Content-Language"] = "en"
        return with_retry_after(response)
    if request.path.startswith(_MACHINE_PATHS):
        return with_retry_after(problem_json(503, unavailable_detail(), kind="database-unavailable"))
    return unavailable_page(request)
