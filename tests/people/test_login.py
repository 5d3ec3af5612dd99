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


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=3)
def test_an_email_holding_a_nul_is_refused_and_counts_for_the_account(client: Client) -> None:
    """PostgreSQL refuses a NUL in a query: the login page said 500 to one typed in the
    email (probe of the demo). It is a wrong login like another, and a NUL slipped into the
    address does not give a stranger fresh guesses at the account."""
    MembershipFactory(user__email="target@versailles.example")
    for _ in range(3):
        refused = client.post(
            "/accounts/login/", {"email": "target@versailles\x00.example", "password": "guess-guess-guess"}
        )
        assert refused.status_code == 400
    blocked = client.post(
        "/accounts/login/", {"email": "target@versailles.example", "password": DEMO_PASSWORD}
    )
    assert blocked.status_code == 429


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


VICTIM_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.66"


def _guess(client: Client, email: str, times: int) -> None:
    for n in range(times):
        client.post("/accounts/login/", {"email": email, "password": f"guess-guess-{n}"})


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=3)
def test_a_stranger_cannot_keep_a_person_out_of_the_browser_they_log_in_with() -> None:
    user = MembershipFactory().user
    victim = Client(REMOTE_ADDR=VICTIM_ADDRESS)
    assert (
        victim.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 302
    )
    victim.post("/accounts/logout/")
    # Someone elsewhere guesses at the account, and keeps at it.
    attacker = Client(REMOTE_ADDR=ATTACKER_ADDRESS)
    _guess(attacker, user.email, 3)
    assert (
        attacker.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 429
    )
    # The person's own browser is not locked out by the stranger's failures...
    assert (
        victim.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 302
    )
    victim.post("/accounts/logout/")
    _guess(attacker, user.email, 3)
    # ...while a browser that never logged in to the account still is.
    unknown = Client(REMOTE_ADDR=VICTIM_ADDRESS)
    assert (
        unknown.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 429
    )
    assert (
        victim.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 302
    )


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=3)
def test_a_trusted_browser_still_has_few_guesses_at_the_account() -> None:
    user = MembershipFactory().user
    browser = Client(REMOTE_ADDR=VICTIM_ADDRESS)
    browser.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    browser.post("/accounts/logout/")
    _guess(browser, user.email, 3)
    assert (
        browser.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 429
    )


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=3)
def test_the_trust_of_a_browser_cannot_be_forged_nor_carried_to_another_account() -> None:
    user = MembershipFactory().user
    other = MembershipFactory().user
    browser = Client(REMOTE_ADDR=VICTIM_ADDRESS)
    response = browser.post("/accounts/login/", {"email": other.email, "password": DEMO_PASSWORD})
    cookie = response.cookies["mutualis_device"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert other.email not in cookie.value  # nobody's address for the next person to read
    browser.post("/accounts/logout/")
    attacker = Client(REMOTE_ADDR=ATTACKER_ADDRESS)
    _guess(attacker, user.email, 3)
    _guess(attacker, other.email, 3)
    forged = Client(REMOTE_ADDR=VICTIM_ADDRESS)
    forged.cookies["mutualis_device"] = cookie.value[:-2] + "xx"
    assert (
        forged.post("/accounts/login/", {"email": other.email, "password": DEMO_PASSWORD}).status_code == 429
    )
    assert (
        browser.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 429
    )
    assert (
        browser.post("/accounts/login/", {"email": other.email, "password": DEMO_PASSWORD}).status_code == 302
    )


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=100, LOGIN_THROTTLE_MAX_FAILURES_PER_ADDRESS=4)
def test_the_addresses_of_one_ipv6_network_count_as_one_client() -> None:
    """A single IPv6 client commonly holds a whole /64: counting each address apart would give
    it billions of fresh counters."""
    for n in range(4):
        Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}").post(
            "/accounts/login/", {"email": f"sweep{n}@example.org", "password": "guess-guess-guess"}
        )
    user = MembershipFactory().user
    same_network = Client(REMOTE_ADDR="2001:db8:1:2:abcd:ef01:2345:6789")
    assert (
        same_network.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code
        == 429
    )
    next_network = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert (
        next_network.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code
        == 302
    )


@override_settings(LOGIN_THROTTLE_MAX_FAILURES=3)
def test_guessing_the_old_password_on_the_change_page_is_throttled_too(client: Client) -> None:
    """Someone who finds a session open must not get unlimited guesses at its password there."""
    user = MembershipFactory().user
    client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    wanted = {"new_password1": "Un-Nouveau-Secret-2026", "new_password2": "Un-Nouveau-Secret-2026"}
    for n in range(3):
        wrong = client.post("/accounts/password/", {"old_password": f"guess-guess-{n}", **wanted})
        assert wrong.status_code == 200
    refused = client.post("/accounts/password/", {"old_password": DEMO_PASSWORD, **wanted})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Trop de tentatives" in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def test_other_spellings_of_an_address_are_not_the_account() -> None:
    """PostgreSQL's upper case of "ſ" is "S" and of "ı" is "I": compared that way, these
    spellings logged in to the account, each with a throttle counter of its own; and the
    two accounts below, both allowed by the unique constraint (lower case), made logging in
    to the first crash."""
    user = MembershipFactory(user__email="support@mutualis.example").user
    for spelling in ("ſupport@mutualis.example", "support@mutualıs.example"):
        response = Client().post("/accounts/login/", {"email": spelling, "password": DEMO_PASSWORD})
        assert response.status_code == 400
    MembershipFactory(user__email="ſupport@mutualis.example")
    assert (
        Client().post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 302
    )
