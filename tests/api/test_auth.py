"""Who is calling: bearer tokens, browser sessions (with CSRF), and /me/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from mutualis.people.models import ApiToken
from mutualis.people.roles import Role
from mutualis.registry.models import Site
from tests.factories import DEMO_PASSWORD, UserFactory

from .support import Api, issue_token, membership_of, problem

pytestmark = pytest.mark.django_db


# Tokens.


def test_a_valid_token_authenticates_and_is_stamped(cast, client):
    token, clear = issue_token(cast.alice)
    response = Api(client, clear).get("me/")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "alice@versailles.example"
    token.refresh_from_db()
    assert token.last_used_at is not None


def _revoke(token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save()


def _expire(token: ApiToken) -> None:
    token.expires_at = timezone.now() - dt.timedelta(minutes=1)
    token.save()


def _deactivate_user(token: ApiToken) -> None:
    token.membership.user.is_active = False
    token.membership.user.save()


def _deactivate_membership(token: ApiToken) -> None:
    token.membership.is_active = False
    token.membership.save()


@pytest.mark.parametrize("spoil", [_revoke, _expire, _deactivate_user, _deactivate_membership])
def test_a_token_that_no_longer_counts_is_a_401(cast, client, spoil):
    token, clear = issue_token(cast.adam)
    spoil(token)
    response = Api(client, clear).get("sites/")
    body = problem(response, 401)
    assert body["detail"] == "Unknown, expired or revoked API token."
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("spoil", [_revoke, _expire, _deactivate_user, _deactivate_membership])
def test_a_token_in_use_that_stops_counting_is_refused_on_the_next_request(cast, client, spoil):
    """Nothing of a token is kept between requests: the next one sees the change."""
    token, clear = issue_token(cast.adam)
    api = Api(client, clear)
    assert api.get("sites/").status_code == 200
    spoil(token)
    assert problem(api.get("sites/"), 401)["detail"] == "Unknown, expired or revoked API token."


def test_a_changed_role_counts_on_the_next_request(cast, client):
    token, clear = issue_token(cast.alice)
    api = Api(client, clear)
    assert (api.get("me/").json()["role"], api.get("me/").json()["can_write"]) == ("member_agent", True)
    membership = token.membership
    membership.role = Role.ELECTED
    membership.save()
    body = api.get("me/").json()
    assert (body["role"], body["can_write"]) == ("elected", False)


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Bearer nonsense", "Malformed API token."),
        ("Bearer mut_abc", "Malformed API token."),
        ("Bearer mut_0123456789ab_not-the-secret", "Unknown, expired or revoked API token."),
    ],
)
def test_missing_malformed_and_unknown_tokens_are_401(cast, client, authorization, detail):
    api = Api(client, headers={"Authorization": authorization} if authorization else {})
    for path in ("me/", "members/", "sites/", "assets/", f"assets/{cast.asset_a.pk}/history/", "site-kinds/"):
        response = api.get(path)
        assert problem(response, 401)["detail"] == detail
        assert response["WWW-Authenticate"] == "Bearer"
    assert problem(api.post("sites/", {"name": "x"}), 401)["detail"] == detail


@pytest.mark.parametrize("key_id", ["ab\x00cd", "a" * 17, "ab-cd"])
def test_a_key_id_no_token_can_have_is_malformed_not_a_500(cast, client, key_id):
    """The NUL would make PostgreSQL refuse the lookup; the same check as NGSI-LD's."""
    body = problem(Api(client, f"mut_{key_id}_secret").get("sites/"), 401)
    assert body["detail"] == "Malformed API token."


def test_the_scheme_is_case_insensitive(cast, client):
    _token, clear = issue_token(cast.adam)
    api = Api(client, headers={"Authorization": f"bEaReR {clear}"})
    assert api.get("sites/").status_code == 200


def test_a_right_key_id_with_a_wrong_secret_is_refused(cast, client):
    token, _clear = issue_token(cast.adam)
    problem(Api(client, f"mut_{token.key_id}_wrong").get("sites/"), 401)


# /me/.


def test_me_says_whom_a_member_token_acts_for(cast, api):
    body = api(cast.alice).get("me/").json()
    assert body["authentication"] == "token"
    assert body["token"]["name"] == "test script"
    assert (body["role"], body["role_label"], body["acts_for"]) == ("member_agent", "member agent", "member")
    assert body["member"] == {"id": cast.member_a.pk, "name": cast.member_a.name}
    assert body["operator"] == {"id": cast.operator.pk, "name": cast.operator.name}
    assert body["site_ids"] is None
    assert body["can_write"] is True
    assert body["permissions"] == {
        "sites": {"add": False, "change": False},
        "assets": {"add": False, "change": False},
    }


def test_me_for_operator_staff_and_read_only_scopes(cast, api):
    adam = api(cast.adam).get("me/").json()
    assert (adam["acts_for"], adam["member"], adam["can_write"]) == ("operator", None, True)
    assert adam["permissions"] == {
        "sites": {"add": True, "change": True},
        "assets": {"add": True, "change": True},
    }
    olivia = api(cast.olivia).get("me/").json()
    assert olivia["permissions"]["assets"] == {"add": False, "change": False}
    read_only = api(cast.adam, can_write=False).get("me/").json()
    assert (read_only["can_write"], read_only["token"]["can_write"]) == (False, False)
    assert read_only["permissions"]["sites"] == {"add": False, "change": False}
    assert api(cast.bob).get("me/").json()["can_write"] is False
    oscar = api(cast.oscar).get("me/").json()
    assert oscar["operator"] == {"id": cast.other_operator.pk, "name": cast.other_operator.name}


def test_me_for_an_account_without_a_role(db, as_user, client):
    user = UserFactory()
    as_user(user)
    body = Api(client).get("me/").json()
    assert (body["role"], body["acts_for"], body["member"], body["operator"]) == (None, None, None, None)
    assert body["authentication"] == "session"
    assert body["token"] is None
    assert body["can_write"] is False


# Browser sessions.


def test_a_logged_in_browser_reads_the_api_with_its_session(cast, as_user, client):
    as_user(cast.alice)
    api = Api(client)
    assert api.get("me/").json()["authentication"] == "session"
    assert [row["id"] for row in api.get("sites/").json()["results"]] == [cast.site_a.pk]
    problem(api.get(f"sites/{cast.site_b.pk}/"), 404)


def _browser(user) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")
    response = browser.post(
        "/accounts/login/",
        {
            "email": user.email,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302
    return browser


def test_unsafe_methods_of_a_session_need_the_csrf_token(cast):
    browser = _browser(cast.adam)
    body = {"member": cast.member_a.pk, "kind": "mairie", "name": "Annexe", "commune": "78646"}
    refused = Api(browser).post("sites/", body)
    assert "CSRF" in problem(refused, 403)["detail"]
    assert not Site.objects.filter(name="Annexe").exists()
    api = Api(browser, headers={"X-CSRFToken": browser.cookies["csrftoken"].value})
    assert api.post("sites/", body).status_code == 201


def test_a_token_speaks_for_its_own_membership_even_in_a_logged_in_browser(cast, as_user, client):
    as_user(cast.adam)
    _token, clear = ApiToken.issue(
        membership=membership_of(cast.alice), name="alice's script", can_write=True
    )
    body = Api(client, clear).get("me/").json()
    assert (body["user"]["email"], body["authentication"]) == ("alice@versailles.example", "token")
