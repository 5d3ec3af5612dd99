"""One matrix: every URL of the product, and what an outsider gets there.

`test_every_url_is_in_the_matrix` fails when a URL is added without saying, in the part's
module of tests/outsiders/, how an outsider is kept out: a user of another member
(`charlie` for member A's data), a non-admin (`olivia`), an admin of another operator
(`oscar`). Detailed behaviour lives in the feature tests; this is the guard that no page
or endpoint is forgotten.
"""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import Cast, login
from tests.outsiders import PARTS, Case, Check, Extra

pytestmark = pytest.mark.django_db

OBJECTS: dict[str, Case] = {}
LISTS: dict[str, Case] = {}
ADMIN_ONLY: dict[str, str] = {}
NO_MEMBER_DATA: dict[str, str] = {}
EXTRA: Extra = {}
CHECKS: dict[str, Check] = {}
for _part in PARTS:
    _module = importlib.import_module(_part)
    for _name, _target in (
        ("OBJECTS", OBJECTS),
        ("LISTS", LISTS),
        ("ADMIN_ONLY", ADMIN_ONLY),
        ("NO_MEMBER_DATA", NO_MEMBER_DATA),
        ("EXTRA", EXTRA),
        ("CHECKS", CHECKS),
    ):
        _target.update(getattr(_module, _name, {}))  # type: ignore[attr-defined]


def product_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":  # the back-office: tests/web/test_backoffice.py
                    continue
                walk(pattern.url_patterns, namespace + (f"{pattern.namespace}:" if pattern.namespace else ""))
            elif pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_is_in_the_matrix() -> None:
    covered = set(OBJECTS) | set(LISTS) | set(NO_MEMBER_DATA)
    assert product_url_names() - covered == set()
    assert covered - product_url_names() == set()


@pytest.fixture
def extra(cast: Cast) -> dict[str, int]:
    return {name: build(cast) for name, build in EXTRA.items()}


# The JSON APIs: bodies are JSON, and an anonymous caller gets 401/403, not the login page.
API_PREFIXES = ("/api/", "/ngsi-ld/", "/ingest/")


def _is_api(url: str) -> bool:
    return url.startswith(API_PREFIXES)


def _request(client: Client, case: Case, url: str):  # type: ignore[no-untyped-def]
    if case.method == "post":
        body = case.body if case.body is not None else {"status": "retired"}
        if _is_api(url):
            return client.post(url, body, content_type="application/json")
        return client.post(url, body)
    return client.get(url)


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_outsiders_get_a_404_on_objects_of_others(
    client: Client, cast: Cast, extra: dict[str, int], name: str
) -> None:
    case = OBJECTS[name]
    url = case.path(cast, extra)
    for who in case.outsiders:
        client.logout()
        login(client, getattr(cast, who))
        response = _request(client, case, url)
        assert response.status_code in case.statuses, f"{who} on {url}: {response.status_code}"
    if name in CHECKS:
        CHECKS[name](cast, extra)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_outsiders_see_lists_without_the_others_rows(
    client: Client, cast: Cast, extra: dict[str, int], name: str
) -> None:
    case = LISTS[name]
    url = case.path(cast, extra)
    assert case.secret is not None
    for who in case.outsiders:
        client.logout()
        login(client, getattr(cast, who))
        response = client.get(url)
        assert response.status_code in case.statuses
        assert case.secret(cast) not in response.content.decode(), f"{who} sees {case.secret(cast)} on {url}"


@pytest.mark.parametrize("name", sorted(ADMIN_ONLY))
def test_admin_pages_are_refused_to_other_roles(client: Client, cast: Cast, name: str) -> None:
    for who in ("alice", "bob", "charlie", "olivia"):
        client.logout()
        login(client, getattr(cast, who))
        assert client.get(ADMIN_ONLY[name]).status_code == 403, who
    client.logout()
    login(client, cast.adam)
    assert client.get(ADMIN_ONLY[name]).status_code == 200


def test_anonymous_visitors_are_sent_to_login_or_refused(
    client: Client, cast: Cast, extra: dict[str, int]
) -> None:
    for name, case in {**OBJECTS, **LISTS}.items():
        url = case.path(cast, extra)
        response = _request(client, case, url)
        if _is_api(url):
            assert response.status_code in (401, 403), name
        else:
            assert response.status_code in (302, 405), name
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), name
