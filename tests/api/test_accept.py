"""What a client's Accept header gets (mutualis.lib.content_negotiation): a client accepting
problem details alone is told of its request's errors as problem details, a read that goes
well is a 406 problem, and a write is refused before anything is written."""

from __future__ import annotations

from typing import Any

import pytest

from mutualis.registry.models import Site

from .support import Api, problem
from .test_sites import _new_site

pytestmark = pytest.mark.django_db

PROBLEMS_ONLY = "application/problem+json"


def _as(api: Any, user: Any, accept: str, **kwargs: Any) -> Api:
    client: Api = api(user, **kwargs) if user is not None else api()
    client.headers["Accept"] = accept
    return client


def test_a_read_that_goes_well_is_a_406_problem(cast, api):
    alice = _as(api, cast.alice, PROBLEMS_ONLY)
    for path in ("sites/", f"sites/{cast.site_a.pk}/", "me/"):
        body = problem(alice.get(path), 406)
        assert "application/json" in body["detail"]
        assert "Accept: application/json, application/problem+json" in body["detail"]


def test_the_errors_of_a_read_are_answered_as_they_are(cast, api):
    alice = _as(api, cast.alice, PROBLEMS_ONLY)
    problem(alice.get("sites/999999/"), 404)
    problem(alice.get(f"sites/{cast.site_b.pk}/"), 404)  # charlie's site: not alice's to see
    problem(alice.get("sites/", {"member": "abc"}), 400)
    problem(alice.get("nowhere/"), 404)
    problem(alice.post("me/", {}), 405)
    anonymous = problem(_as(api, None, PROBLEMS_ONLY).get("sites/"), 401)
    assert anonymous["type"].endswith("/401")
    assert _as(api, None, PROBLEMS_ONLY).get("sites/")["WWW-Authenticate"] == "Bearer"


def test_a_write_is_refused_before_anything_is_written(cast, api):
    body = problem(_as(api, cast.adam, PROBLEMS_ONLY).post("sites/", _new_site(cast)), 406)
    assert "application/json" in body["detail"]
    assert not Site.objects.filter(name="École Jules Ferry").exists()
    # Who asks, and whether they may write, come first.
    problem(_as(api, None, PROBLEMS_ONLY).post("sites/", _new_site(cast)), 401)
    problem(_as(api, cast.alice, PROBLEMS_ONLY).post("sites/", _new_site(cast)), 403)
    problem(_as(api, cast.oscar, PROBLEMS_ONLY).post("sites/", _new_site(cast)), 406)
    assert not Site.objects.filter(name="École Jules Ferry").exists()


def test_a_client_accepting_both_gets_data_and_problems(cast, api):
    adam = _as(api, cast.adam, "application/json, application/problem+json")
    response = adam.get(f"sites/{cast.site_a.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert adam.post("sites/", _new_site(cast)).status_code == 201
    problem(adam.get("sites/999999/"), 404)
    # The outsider: another operator's admin.
    problem(
        _as(api, cast.oscar, "application/json, application/problem+json").get(f"sites/{cast.site_a.pk}/"),
        404,
    )


@pytest.mark.parametrize("accept", ["text/html", "application/problem+json;q=0", "application/xml"])
def test_an_accept_nothing_here_satisfies_is_a_406_naming_what_to_ask(cast, api, accept):
    client = _as(api, cast.alice, accept)
    for response in (client.get("sites/999999/"), client.post("sites/", _new_site(cast))):
        body = problem(response, 406)
        assert accept in body["detail"]
        assert "application/json" in body["detail"]
