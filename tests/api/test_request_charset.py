"""A request whose Content-Type names a codec that is no text encoding (`charset=rot13`,
`base64`, `zlib`) is read in UTF-8, as one naming an unknown charset is: each was a server
error (a LookupError while Django built the request) on every address with a query string,
and on every form and JSON body, for anyone (found by the twelfth probe).

Served by the application's own handler (`mutualis.wsgi`), which the test client does not
use: the client builds Django's request class itself."""

from __future__ import annotations

import io
import json
import re
from wsgiref.util import setup_testing_defaults

import pytest

from mutualis.lib.request_charset import ASGIRequest, WSGIHandler, WSGIRequest
from mutualis.people.models import User
from mutualis.servicedesk.models import Ticket
from tests.api.support import issue_token
from tests.api.test_tickets_declaring import declaration
from tests.factories import DEMO_PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOT_TEXT = ["rot13", "base64", "hex", "zlib", "quopri", "undefined", "punycode"]


def serve(
    method: str, path: str, *, query: str = "", body: bytes = b"", **headers: str
) -> tuple[int, dict, bytes]:
    """The status, headers and body `mutualis.wsgi` answers."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": "testserver",
        **headers,
    }
    setup_testing_defaults(environ)
    started: list[tuple[str, list[tuple[str, str]]]] = []
    response = WSGIHandler()(
        environ, lambda status, headers, exc_info=None: started.append((status, headers))
    )
    content = b"".join(response)
    status, header_list = started[0]
    return int(status.split()[0]), dict(header_list), content


@pytest.mark.parametrize("charset", NOT_TEXT)
def test_a_page_asked_with_such_a_charset_is_shown(charset: str) -> None:
    status, _, content = serve(
        "GET",
        "/accounts/login/",
        query="next=%2Fdesk%2F%C3%A9",
        CONTENT_TYPE=f"text/plain; charset={charset}",
    )
    assert status == 200
    assert b'name="password"' in content


@pytest.mark.parametrize("charset", NOT_TEXT)
def test_signing_in_with_a_form_sent_in_such_a_charset(charset: str) -> None:
    MembershipFactory(user__email="alice@versailles.example")
    _, headers, page = serve("GET", "/accounts/login/")
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1].decode()  # type: ignore[index]
    status, headers, _ = serve(
        "POST",
        "/accounts/login/",
        body=f"email=alice%40versailles.example&password={DEMO_PASSWORD}&csrfmiddlewaretoken={token}".encode(),
        CONTENT_TYPE=f"application/x-www-form-urlencoded; charset={charset}",
        HTTP_COOKIE=cookie,
    )
    assert (status, headers["Location"]) == (302, "/")


def declare(user: User, body: dict, charset: str) -> tuple[int, dict, bytes]:
    return serve(
        "POST",
        "/api/v1/tickets/",
        body=json.dumps(body).encode(),
        CONTENT_TYPE=f"application/json; charset={charset}",
        HTTP_AUTHORIZATION=f"Bearer {issue_token(user)[1]}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.parametrize("charset", NOT_TEXT)
def test_a_declaration_sent_with_such_a_charset_is_read_as_utf8(cast, desk, charset: str) -> None:
    status, _, content = declare(cast.alice, declaration(desk), charset)
    assert status == 201, content
    assert Ticket.objects.get().title == "Écran fissuré"


def test_an_outsider_sending_such_a_charset_still_gets_no_such_site(cast, desk) -> None:
    status, headers, content = declare(cast.charlie, declaration(desk), "rot13")
    assert (status, headers["Content-Type"]) == (400, "application/problem+json")
    assert [e["field"] for e in json.loads(content)["errors"]] == ["site"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("request_class", [WSGIRequest, ASGIRequest])
def test_a_text_charset_is_still_followed(request_class) -> None:
    """Latin-1, as an old form may send it, is read as such; an unknown name is ignored."""
    request = request_class.__new__(request_class)
    request._set_content_type_params({"CONTENT_TYPE": "application/x-www-form-urlencoded; charset=latin-1"})
    assert request.encoding == "latin-1"
    request = request_class.__new__(request_class)
    request._encoding = None
    request._set_content_type_params({"CONTENT_TYPE": "text/plain; charset=rot13"})
    assert request.encoding is None
