"""An address under /api/v1/ that leads nowhere is a 404 problem, whatever characters it
holds (Schemathesis sent a path with an encoded line break, `%0A`, and got the site's HTML
page), whatever it names (with DEBUG on, /api/v1/nothing answered Django's HTML debug page),
whoever asks and however; another member's ticket under it answers what a missing one does."""

from __future__ import annotations

import pytest

from mutualis.lib.problems import PROBLEM_CONTENT_TYPE

from .desk_support import broken_screen
from .support import issue_token, problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/1%0A2/assets/3/",
        "/api/v1/sites/1/%0A",
        "/api/v1/tickets/%0A",
        "/api/v1/me/%0D%0Ax",
    ],
)
def test_a_line_break_in_the_path_is_a_404_problem(cast, api, path):
    body = problem(api(cast.alice).get(path), 404)
    assert body["detail"].endswith("the endpoints are listed at /api/docs/.")
    problem(api().delete(path), 404)


# Any address under /api/v1/ that names none of its resources, however it is asked for.

NOWHERE = ["/api/v1/nothing", "/api/v1/nothing/", "/api/v1/tickets/abc/unknown", "/api/v1/v2/sites/"]
METHODS = ["get", "post", "put", "patch", "delete", "options", "head"]


def _nowhere(path: str) -> str:
    return f"No API endpoint at {path}; the endpoints are listed at /api/docs/."


def _ask(client, method: str, path: str, **headers: str):
    return getattr(client, method)(path, headers={"Accept-Language": "en", **headers})


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", NOWHERE)
def test_an_address_that_names_no_resource_is_a_404_problem(cast, client, settings, debug, path):
    # With DEBUG on (a developer's server), /api/v1/nothing answered Django's HTML debug page.
    settings.DEBUG = debug
    alice = issue_token(cast.alice)[1]
    for headers in ({}, {"Authorization": f"Bearer {alice}"}, {"Authorization": "Bearer not-a-token"}):
        for method in METHODS:
            response = _ask(client, method, path, **headers)
            assert response.status_code == 404, (method, headers)
            assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
            # RFC 9110 §10.2.1: Allow lists what a resource supports; there is none here.
            assert not response.has_header("Allow")
            assert not response.has_header("WWW-Authenticate")
            if method != "head":
                assert response.json() == {
                    "type": "https://mutualis.example/problems/404",
                    "title": "Not found",
                    "status": 404,
                    "detail": _nowhere(path),
                }


def test_the_404_problem_speaks_the_api_s_language(client):
    # French unless the client asks otherwise, like every other problem of the API.
    response = client.get("/api/v1/nothing")
    assert response["Content-Language"] == "fr"
    assert response.json()["title"] == "Introuvable"
    assert response.json()["detail"].startswith("Aucun point d’accès de l’API à /api/v1/nothing")


@pytest.mark.parametrize("tail", ["unknown", "timeline/unknown/", "replies"])
def test_another_member_s_ticket_under_an_unknown_address_is_the_404_of_a_missing_one(
    cast, desk, client, settings, tail
):
    settings.DEBUG = True
    ticket = broken_screen(cast, desk)
    theirs = f"/api/v1/tickets/{ticket.number}/{tail}"
    missing = f"/api/v1/tickets/999999/{tail}"
    for outsider in (None, cast.charlie, cast.oscar):
        headers = {"Authorization": f"Bearer {issue_token(outsider)[1]}"} if outsider else {}
        for method in ("get", "post", "delete"):
            seen = _ask(client, method, theirs, **headers)
            absent = _ask(client, method, missing, **headers)
            assert (seen.status_code, absent.status_code) == (404, 404)
            assert dict(seen.headers.items()).keys() == dict(absent.headers.items()).keys()
            # The same answer, but for the address the client itself sent.
            assert seen.json() == {
                **absent.json(),
                "detail": absent.json()["detail"].replace(missing, theirs),
            }


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/v1/tickets/", {"GET", "POST", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/me/", {"GET", "HEAD", "OPTIONS"}),
        ("post", "/api/v1/territory/communes/", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_a_method_an_address_does_not_have_is_a_405_problem_with_allow(
    cast, api, settings, method, path, allowed
):
    settings.DEBUG = True
    response = getattr(api(cast.alice), method)(path)
    problem(response, 405)
    assert set(response["Allow"].replace(" ", "").split(",")) == allowed


def test_the_served_schema_lists_no_catch_all(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "/api/v1/tickets/{number}/" in paths
    # Only the resources' addresses, none of them a regular expression.
    assert not [path for path in paths if not path.startswith("/api/v1/") or set(path) & set("()?*.^$\\")]
