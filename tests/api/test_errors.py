"""Every error is a problem-details answer (RFC 9457), never an HTML page or a 500."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import pytest

from tests.factories import SiteFactory

from .support import field_messages, ids, problem

pytestmark = pytest.mark.django_db


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/v1/sites", "No API endpoint at /api/v1/sites; did you mean /api/v1/sites/?"),
        (
            "/api/v1/assets/1/repair/",
            "No API endpoint at /api/v1/assets/1/repair/; the endpoints are listed at /api/docs/.",
        ),
        ("/api/v1/", "No API endpoint at /api/v1/; the endpoints are listed at /api/docs/."),
    ],
)
def test_unknown_addresses_are_404_problems(cast, api, path, detail):
    assert problem(api(cast.alice).get(path), 404)["detail"] == detail
    # Whoever asks and however: there is nothing to authenticate for.
    assert problem(api().post(path, {}), 404)["detail"] == detail


def test_an_id_that_is_not_a_number_is_a_404_problem(cast, api):
    assert problem(api(cast.alice).get("sites/abc/"), 404) == problem(
        api(cast.alice).get("sites/999999/"), 404
    )


def test_a_method_a_route_does_not_have_is_405_with_allow(cast, api):
    response = api(cast.adam).delete(f"assets/{cast.asset_a.pk}/")
    problem(response, 405)
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH", "HEAD", "OPTIONS"}
    problem(api(cast.adam).get(f"assets/{cast.asset_a.pk}/status/"), 405)
    problem(api(cast.adam).post("me/", {}), 405)


def test_a_body_that_is_not_json_is_415(cast, api):
    body = problem(
        api(cast.adam).post("sites/", "name=Annexe", content_type="application/x-www-form-urlencoded"), 415
    )
    assert "application/x-www-form-urlencoded" in body["detail"]
    problem(api(cast.adam).patch(f"sites/{cast.site_a.pk}/", "name", content_type="text/plain"), 415)


def test_malformed_json_is_a_400_problem(cast, api):
    body = problem(api(cast.adam).post("sites/", '{"name": "Annexe",'), 400)
    assert "JSON" in body["detail"]
    problem(api(cast.adam).post(f"assets/{cast.asset_a.pk}/status/", "[1, 2"), 400)


def test_a_body_that_is_not_an_object_is_a_400_problem(cast, api):
    body = problem(api(cast.adam).post("sites/", [1, 2]), 400)
    assert body["errors"][0]["field"] == ""


def test_unknown_query_parameters_are_refused(cast, api):
    body = problem(api(cast.olivia).get("assets/", {"stauts": "lost"}), 400)
    assert field_messages(body, "stauts")[0].startswith(
        "Unknown name; the accepted ones are: asset_type, cursor,"
    )
    problem(api(cast.olivia).get("site-kinds/", {"page": "2"}), 400)
    problem(api(cast.olivia).get(f"assets/{cast.asset_a.pk}/history/", {"status": "lost"}), 400)


@pytest.mark.parametrize("limit", ["0", "501", "abc", "-1", "²", "1.5"])
def test_a_limit_out_of_bounds_is_a_400(cast, api, limit):
    body = problem(api(cast.olivia).get("sites/", {"limit": limit}), 400)
    assert field_messages(body, "limit") == ["Give a whole number from 1 to 500."]


def test_pages_follow_each_other_by_cursor(cast, api):
    extra = [SiteFactory(member=cast.member_a) for _ in range(3)]
    olivia = api(cast.olivia)
    page = olivia.get("sites/", {"limit": 2}).json()
    assert page["previous"] is None
    seen = [row["id"] for row in page["results"]]
    while page["next"]:
        link = urlparse(page["next"])
        assert parse_qs(link.query)["limit"] == ["2"]
        page = olivia.get(f"{link.path}?{link.query}").json()
        assert len(page["results"]) <= 2
        seen += [row["id"] for row in page["results"]]
    assert seen == sorted([cast.site_a.pk, cast.site_b.pk, *(site.pk for site in extra)])


@pytest.mark.parametrize(
    "cursor",
    ["not base64 at all!", _cursor("p=abc"), _cursor("p=1;drop"), _cursor("o=x"), _cursor("r=maybe"), "é"],
)
def test_a_tampered_cursor_is_a_problem_not_a_500(cast, api, cursor):
    body = problem(api(cast.olivia).get("sites/", {"cursor": cursor}), 404)
    assert body["detail"] == "This cursor is not one the API gave out; start again from the first page."


def test_a_cursor_far_beyond_the_last_id_is_an_empty_page(cast, api):
    response = api(cast.olivia).get("sites/", {"cursor": _cursor("p=99999999999999999999999999")})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_an_empty_filter_value_means_no_filter(cast, api):
    response = api(cast.olivia).get("assets/", {"status": "", "site": "", "updated_since": ""})
    assert ids(response) == sorted([cast.asset_a.pk, cast.asset_b.pk])
