"""Every list of the product, given hostile query strings, answers without a server error.

An exploratory crawl of the demo found 162 server errors behind one kind of input: a day at
the end of the calendar in a filter (tests/web/test_date_bounds.py). This is the net for the
whole family: each list of the outsider matrix (tests/test_outsiders.py), as a member's
agent, the desk's agent and the operator's admin, with every name its own filter forms send
(and the API's usual ones) set at once to each value below. A list may refuse (400, 403,
404) or ignore what it cannot use; it may not fail.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import Cast, login
from tests.test_outsiders import EXTRA, LISTS

pytestmark = pytest.mark.django_db

HOSTILE = [
    "9999-12-31",
    "0001-01-01",
    "2026-13-45",
    "9999-12-31T23:59:59-01:00",
    "-1",
    "99999999999999999999999",
    "9" * 5000,  # beyond the 4,300 digits Python's int() reads
    "²",  # a digit for str.isdigit(), not for int()
    "abc",
    "%",
    "[(*",
    "é" * 300,
    "\x00",
    "<script>alert(1)</script>",
]
# The API lists have no forms to read their names from; these are their filters' usual ones
# (an unknown name is a 400 there, which is an answer).
API_NAMES = ["q", "created_after", "created_before", "updated_since", "state", "cursor", "limit", "page"]
_GET_FORM = re.compile(r'<form[^>]*method="get"[^>]*>(.*?)</form>', re.S | re.I)
_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', re.I)
# A link's own query names (a keyset page's cursor, a table's page number): `href="?a=1&amp;b=2"`.
_LINK_QUERY = re.compile(r'href="\?([^"#]*)')


def _filter_names(page: str) -> set[str]:
    names = {name for form in _GET_FORM.findall(page) for name in _NAME.findall(form)}
    for query in _LINK_QUERY.findall(page):
        names |= {part.split("=")[0] for part in query.replace("&amp;", "&").split("&") if "=" in part}
    return names


@pytest.mark.parametrize("name", sorted(LISTS))
def test_lists_answer_hostile_query_strings_without_failing(client: Client, cast: Cast, name: str) -> None:
    url = LISTS[name].path(cast, {key: build(cast) for key, build in EXTRA.items()})
    path = url.split("?")[0]
    for who in ("alice", "olivia", "adam"):
        client.logout()
        login(client, getattr(cast, who))
        first = client.get(url)
        assert first.status_code < 500, f"{who} on {url}: {first.status_code}"
        is_html = first.get("Content-Type", "").startswith("text/html")
        # The keyset pages' cursors too, which only a list longer than a page links to.
        names = _filter_names(first.content.decode()) | {"after", "before"} if is_html else set(API_NAMES)
        names -= {"csrfmiddlewaretoken"}
        for value in HOSTILE:
            response = client.get(path, dict.fromkeys(names or {"q"}, value))
            assert response.status_code < 500, f"{who} on {path} with {sorted(names)} = {value!r}"
