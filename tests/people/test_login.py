"""Logging in: email and password, throttled, language remembered."""

import pytest
from django.test import Client, override_settings

from mutualis.people.models import LoginAttempt
from tests.factories import DEMO_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_with_email_in_any_case_lands_on_home(client: Client) -> None:
    user = MembershipFactory(user__email="agent@versailles.example").user
    response = client.post(
        "/accounts/login/", {"email": "Agent@Versailles.EXAMPLE", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert user.full_name in home.content.decode()


def test_wrong_password_says_so_without_revealing_the_account(client: Client) -> None:
    MembershipFactory(user__email="agent@versailles.example")
    wrong = client.post(
        "/accounts/login/", {"email": "agent@versailles.example", "password": "not-the-password"}
    )
    unknown = client.post(
        "/accounts/login/", {"email": "nobody@versailles.example", "password": "not-the-password"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert "Adresse électronique ou mot de passe incorrect" in wrong.content.decode()
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_inactive_user_cannot_log_in(client: Client) -> None:
    MembershipFactory(user__email="gone@versailles.example", user__is_active=False)
    response = client.post(
        "/accounts/login/", {"email": "gone@versailles.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 400


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=3)
def test_login_is_throttled_after_repeated_failures_even_with_the_right_password(client: Client) -> None:
    MembershipFactory(user__email="target@versailles.example")
    for _ in range(3):
        client.post(
            "/accounts/login/", {"email": "target@versailles.example", "password": "guess-guess-guess"}
        )
    blocked = client.post(
        "/accounts/login/", {"email": "target@versailles.example", "password": DEMO_PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "Trop de tentatives" in blocked.content.decode()
    # Another account from elsewhere is not affected by this one's failures.
    other = MembershipFactory(user__email="other@versailles.example").user
    assert (
        Client().post("/accounts/login/", {"email": other.email, "password": DEMO_PASSWORD}).status_code
        == 302
    )


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=100, LOGIN_THROTTLE_MAX_FAILURES_PER_ADDRESS=4)
def test_login_is_throttled_per_client_address_across_accounts(client: Client) -> None:
    for n in range(4):
        client.post("/accounts/login/", {"email": f"sweep{n}@example.org", "password": "guess-guess-guess"})
    user = MembershipFactory().user
    assert (
        client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 429
    )


def test_successful_login_clears_the_failures_of_that_account(client: Client) -> None:
    user = MembershipFactory().user
    client.post("/accounts/login/", {"email": user.email, "password": "guess-guess-guess"})
    assert LoginAttempt.objects.filter(email=user.email).count() == 1
    client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    assert not LoginAttempt.objects.filter(email=user.email).exists()


def test_next_parameter_is_followed_only_within_the_site(client: Client) -> None:
    user = MembershipFactory().user
    inside = client.post("/accounts/login/?next=/sites/", {"email": user.email, "password": DEMO_PASSWORD})
    assert inside["Location"] == "/sites/"
    client.logout()
    outside = client.post(
        "/accounts/login/?next=https://evil.example/", {"email": user.email, "password": DEMO_PASSWORD}
    )
    assert outside["Location"] == "/"


def test_pages_require_login(client: Client) -> None:
    response = client.get("/sites/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/sites/")


def test_logout_is_a_post_and_ends_the_session(client: Client) -> None:
    user = MembershipFactory().user
    client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_user_language_is_applied_at_login(client: Client) -> None:
    user = MembershipFactory(user__language="en").user
    client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Skip to content" in page


def test_account_without_any_role_is_told_whom_to_ask(client: Client) -> None:
    user = UserFactory()
    client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    response = client.get("/")
    assert response.status_code == 403
    assert "pas encore rattaché" in response.content.decode()


def test_a_language_chosen_on_the_login_page_is_kept_after_logging_in(client: Client) -> None:
    user = MembershipFactory(user__language="fr").user
    switched = client.post("/accounts/language/", {"language": "en", "next": "/accounts/login/?next=/sites/"})
    assert switched["Location"] == "/accounts/login/?next=/sites/"
    assert "Log in to Mutualis" in client.get(switched["Location"]).content.decode()
    logged_in = client.post("/accounts/login/?next=/sites/", {"email": user.email, "password": DEMO_PASSWORD})
    assert logged_in["Location"] == "/sites/"
    assert 'lang="en"' in client.get("/sites/").content.decode()
    user.refresh_from_db()
    assert user.language == "en"
    # The next person on this computer gets their own language, not the cookie left behind.
    client.post("/accounts/logout/")
    other = MembershipFactory(user__language="fr").user
    client.post("/accounts/login/", {"email": other.email, "password": DEMO_PASSWORD})
    assert 'lang="fr"' in client.get("/").content.decode()
