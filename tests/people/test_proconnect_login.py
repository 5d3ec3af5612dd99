"""Logging in with ProConnect (OpenID Connect), against a local stand-in for ProConnect
(fake_proconnect.py): the whole round trip over HTTP, and every way it must refuse."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from django.http import HttpResponse
from django.test import Client

from mutualis.people.models import Membership, User
from mutualis.servicedesk import services
from mutualis.servicedesk.models import Category, IncidentType
from tests.conftest import Cast
from tests.factories import MembershipFactory

from .fake_proconnect import FakeProConnect, new_key

pytestmark = pytest.mark.django_db

REFUSED = "La réponse de ProConnect n’a pas pu être vérifiée ; personne n’a été connecté."


def local(url: str) -> str:
    """The path and query of an address of Mutualis, for the test client."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def leave_for_proconnect(client: Client, next_url: str = "") -> str:
    """Press the login page's ProConnect button: where the browser is sent."""
    response = client.post("/accounts/proconnect/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def log_in_through(client: Client, provider: FakeProConnect, next_url: str = "") -> HttpResponse:
    """The whole round trip: the button, ProConnect's pages, back to Mutualis."""
    back = provider.visit(leave_for_proconnect(client, next_url))
    return client.get(local(back))


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_an_existing_user_logs_in_with_proconnect(
    client: Client, cast: Cast, provider: FakeProConnect
) -> None:
    provider.email = "Alice@Versailles.EXAMPLE"  # ProConnect's spelling of the address
    people, memberships = User.objects.count(), Membership.objects.count()
    client.get("/accounts/login/")
    anonymous_key = client.session.session_key

    authorize = urllib.parse.urlsplit(leave_for_proconnect(client))
    asked = dict(urllib.parse.parse_qsl(authorize.query))
    assert asked["scope"] == "openid email given_name usual_name uid siret"
    assert asked["code_challenge_method"] == "S256"
    assert "acr_values" not in asked
    back = provider.visit(urllib.parse.urlunsplit(authorize))
    response = client.get(local(back))

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert cast.alice.full_name in home.content.decode()
    assert client.session["_auth_user_id"] == str(cast.alice.pk)
    # A new session key at login (no fixation); the method recorded with the session; the
    # ID token kept for logging out of ProConnect.
    assert client.session.session_key != anonymous_key
    assert client.session["_auth_user_backend"] == "mutualis.people.auth.ProConnectBackend"
    assert client.session["mutualis_proconnect_id_token"] == provider.issued_id_tokens[-1]
    cast.alice.refresh_from_db()
    assert cast.alice.last_login is not None
    assert (User.objects.count(), Membership.objects.count()) == (people, memberships)


def test_login_goes_on_to_the_page_asked_for(client: Client, cast: Cast, provider: FakeProConnect) -> None:
    response = log_in_through(client, provider, next_url="/tickets/")
    assert response["Location"] == "/tickets/"


def test_acr_values_are_asked_when_configured(client: Client, provider: FakeProConnect, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PROCONNECT_ACR_VALUES = "eidas2"
    asked = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(leave_for_proconnect(client)).query))
    assert asked["acr_values"] == "eidas2"


def test_a_forged_state_is_refused(client: Client, cast: Cast, provider: FakeProConnect) -> None:
    back = urllib.parse.urlsplit(provider.visit(leave_for_proconnect(client)))
    query = dict(urllib.parse.parse_qsl(back.query))
    response = client.get(back.path, {**query, "state": "forged-by-someone"})
    assert response.status_code == 400
    assert "Cette connexion avec ProConnect a expiré ou a déjà servi" in response.content.decode()
    assert not logged_in(client)
    # The attempt is spent: the right state no longer works either.
    assert client.get(local(urllib.parse.urlunsplit(back))).status_code == 400
    assert not logged_in(client)


def test_a_return_from_proconnect_serves_once(client: Client, cast: Cast, provider: FakeProConnect) -> None:
    back = provider.visit(leave_for_proconnect(client))
    assert client.get(local(back)).status_code == 302
    # Replayed in the same browser (the session kept its data across the login).
    replayed = client.get(local(back))
    assert replayed.status_code == 400
    assert "a expiré ou a déjà servi" in replayed.content.decode()
    client.logout()
    assert client.get(local(back)).status_code == 400
    assert not logged_in(client)


def test_a_return_in_another_browser_is_refused(cast: Cast, provider: FakeProConnect) -> None:
    """Login CSRF: a return address made in one browser does not log in another."""
    back = provider.visit(leave_for_proconnect(Client()))
    victim = Client()
    assert victim.get(local(back)).status_code == 400
    assert not logged_in(victim)


def test_an_id_token_with_another_nonce_is_refused(
    client: Client, cast: Cast, provider: FakeProConnect
) -> None:
    provider.id_token_claims = {"nonce": "the-nonce-of-another-login"}
    response = log_in_through(client, provider)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not logged_in(client)


def test_a_token_signed_by_another_key_is_refused(
    client: Client, cast: Cast, provider: FakeProConnect
) -> None:
    provider.sign_with = new_key()  # same kid, not ProConnect's key
    response = log_in_through(client, provider)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not logged_in(client)


@pytest.mark.parametrize(
    ("token", "claims"),
    [
        ("id_token", {"aud": "another-service"}),
        ("id_token", {"iss": "https://auth.elsewhere.example/api/v2"}),
        ("id_token", {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 3700}),
        ("id_token", {"nonce": None}),
        ("userinfo", {"aud": "another-service"}),
        ("userinfo", {"iss": "https://auth.elsewhere.example/api/v2"}),
        ("userinfo", {"exp": int(time.time()) - 3600}),
        ("userinfo", {"sub": "someone-else"}),
    ],
    ids=[
        "id-aud",
        "id-iss",
        "id-expired",
        "id-no-nonce",
        "userinfo-aud",
        "userinfo-iss",
        "userinfo-expired",
        "userinfo-sub",
    ],
)
def test_tokens_for_another_service_issuer_time_or_person_are_refused(
    client: Client, cast: Cast, provider: FakeProConnect, token: str, claims: dict[str, object]
) -> None:
    if token == "id_token":
        provider.id_token_claims = claims
    else:
        provider.userinfo_claims = claims
    response = log_in_through(client, provider)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not logged_in(client)


def test_an_unsigned_userinfo_is_refused(client: Client, cast: Cast, provider: FakeProConnect) -> None:
    provider.userinfo_unsigned = True
    response = log_in_through(client, provider)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not logged_in(client)


def test_a_new_signing_key_is_fetched_once(client: Client, cast: Cast, provider: FakeProConnect) -> None:
    assert log_in_through(client, provider).status_code == 302
    client.post("/accounts/logout/")
    # ProConnect rotates its key: the key set kept in the process does not know the new kid.
    provider.key, provider.kid = new_key(), "key-2"
    assert log_in_through(Client(), provider).status_code == 302
    assert provider.count("/api/v2/jwks") == 2
    # Discovery and keys are kept between logins.
    assert log_in_through(Client(), provider).status_code == 302
    assert provider.count("/api/v2/.well-known/openid-configuration") == 1
    assert provider.count("/api/v2/jwks") == 2


def test_an_unknown_address_creates_nothing_and_says_whom_to_ask(
    client: Client, cast: Cast, provider: FakeProConnect
) -> None:
    provider.email = "nouvel.agent@versailles.example"
    people, memberships = User.objects.count(), Membership.objects.count()
    response = log_in_through(client, provider)
    assert response.status_code == 403
    page = response.content.decode()
    assert "aucun compte Mutualis actif n’utilise cette adresse" in page
    assert "nouvel.agent@versailles.example" in page
    assert "demandez-lui d’ouvrir un compte" in page
    assert not logged_in(client)
    assert (User.objects.count(), Membership.objects.count()) == (people, memberships)


def test_an_inactive_account_is_refused(client: Client, provider: FakeProConnect) -> None:
    MembershipFactory(user__email="parti@versailles.example", user__is_active=False)
    provider.email = "parti@versailles.example"
    response = log_in_through(client, provider)
    assert response.status_code == 403
    assert "aucun compte Mutualis actif" in response.content.decode()
    assert not logged_in(client)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ("access_denied", "La connexion avec ProConnect a été annulée ou refusée"),
        ("server_error", "ProConnect n’a pas pu vous identifier (erreur « server_error »)"),
        ("<script>", "ProConnect n’a pas pu vous identifier ; personne n’a été connecté."),
    ],
)
def test_an_error_sent_back_by_proconnect_is_explained(
    client: Client, cast: Cast, provider: FakeProConnect, error: str, said: str
) -> None:
    provider.authorize_error = error
    response = log_in_through(client, provider)
    assert response.status_code == 400
    page = response.content.decode()
    assert said in page
    assert "User cancelled" not in page  # the description comes from the address bar
    assert "<script>" not in page
    assert not logged_in(client)


def test_proconnect_down_gives_a_page_not_an_error(client: Client, unreachable_issuer: str) -> None:
    response = client.post("/accounts/proconnect/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "ProConnect est injoignable pour le moment." in page
    assert "Retour à la page de connexion" in page
    assert not logged_in(client)


def test_proconnect_going_down_during_a_login(client: Client, cast: Cast, provider: FakeProConnect) -> None:
    back = provider.visit(leave_for_proconnect(client))
    provider.stop()  # before Mutualis exchanges the code
    response = client.get(local(back))
    assert response.status_code == 503
    assert "ProConnect est injoignable pour le moment." in response.content.decode()
    assert not logged_in(client)


def test_logout_ends_the_proconnect_session_too(client: Client, cast: Cast, provider: FakeProConnect) -> None:
    log_in_through(client, provider)
    id_token = client.session["mutualis_proconnect_id_token"]

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    end = urllib.parse.urlsplit(response["Location"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{provider.issuer}/session/end"
    asked = dict(urllib.parse.parse_qsl(end.query))
    assert asked["id_token_hint"] == id_token
    assert asked["post_logout_redirect_uri"].endswith("/accounts/proconnect/logged-out/")
    assert not logged_in(client)

    back = provider.visit(response["Location"])
    assert provider.ended_sessions[0]["state"] == asked["state"]
    landed = client.get(local(back), follow=True)
    assert landed.redirect_chain[-1][0] == "/accounts/login/"
    assert "Vous êtes déconnecté de Mutualis et de ProConnect." in landed.content.decode()
    assert client.get("/").status_code == 302


def test_a_logout_return_with_another_state_says_nothing_of_proconnect(
    client: Client, cast: Cast, provider: FakeProConnect
) -> None:
    log_in_through(client, provider)
    client.post("/accounts/logout/")
    landed = client.get("/accounts/proconnect/logged-out/", {"state": "forged"}, follow=True)
    assert landed.redirect_chain[-1][0] == "/accounts/login/"
    assert "de ProConnect" not in landed.content.decode()


def test_a_password_session_logs_out_here_only(
    client: Client, cast: Cast, provider: FakeProConnect, as_user
) -> None:  # type: ignore[no-untyped-def]
    as_user(cast.alice)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert provider.count("/api/v2/.well-known/openid-configuration") == 0


def test_logout_when_proconnect_is_down_still_logs_out(
    client: Client, cast: Cast, provider: FakeProConnect
) -> None:
    from mutualis.people import proconnect

    log_in_through(client, provider)
    provider.stop()
    proconnect.clear_caches()
    landed = client.post("/accounts/logout/", follow=True)
    assert landed.redirect_chain[-1][0] == "/accounts/login/"
    assert "fermez votre navigateur pour mettre fin à votre session ProConnect" in landed.content.decode()
    assert not logged_in(client)


def _ticket_of(cast: Cast, *, site_of_b: bool) -> int:
    category = Category.objects.create(operator=cast.operator, name="Réseau")
    incident_type = IncidentType.objects.create(
        operator=cast.operator, category=category, name="Wi-Fi en panne"
    )
    site = cast.site_b if site_of_b else cast.site_a
    incident_type.site_kinds.add(site.kind)
    by = cast.charlie if site_of_b else cast.alice
    return services.open_ticket(site=site, incident_type=incident_type, title="Plus de Wi-Fi", by=by).number


def test_a_proconnect_login_acts_for_its_member_only(
    client: Client, cast: Cast, provider: FakeProConnect
) -> None:
    """Outsider: alice (member A) logged in through ProConnect gets a 404 on member B's ticket."""
    theirs = _ticket_of(cast, site_of_b=True)
    log_in_through(client, provider)
    assert client.get(f"/tickets/{theirs}/").status_code == 404
    tickets = client.get("/tickets/").content.decode()
    assert "Plus de Wi-Fi" not in tickets
    assert "Versailles" in client.get("/").content.decode()


def test_off_when_not_configured(client: Client, cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PROCONNECT_ISSUER = settings.PROCONNECT_CLIENT_ID = settings.PROCONNECT_CLIENT_SECRET = ""
    page = client.get("/accounts/login/").content.decode()
    assert "ProConnect" not in page
    assert client.post("/accounts/proconnect/").status_code == 404
    assert client.get("/accounts/proconnect/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert client.get("/accounts/proconnect/logged-out/", {"state": "y"}).status_code == 404


def test_start_is_a_post(client: Client, provider: FakeProConnect) -> None:
    assert client.get("/accounts/proconnect/").status_code == 405
    assert provider.requests == []


def test_login_page_offers_proconnect_in_french(client: Client, provider: FakeProConnect) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert (
        '<span class="proconnect-login">S’identifier avec</span> <span class="proconnect-brand">ProConnect</span>'
        in page
    )
    assert "Qu’est-ce que ProConnect ?" in page
    assert "(nouvelle fenêtre)" in page
    assert 'action="/accounts/proconnect/"' in page
    assert "Avec votre adresse électronique et votre mot de passe" in page
    # Nothing loaded from elsewhere for the button.
    assert "<img" not in page
    assert provider.requests == []  # nothing fetched to show the page


def test_login_page_offers_proconnect_in_english(client: Client, provider: FakeProConnect, settings) -> None:  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/login/").content.decode()
    assert (
        '<span class="proconnect-login">Log in with</span> <span class="proconnect-brand">ProConnect</span>'
        in page
    )
    assert "What is ProConnect?" in page
    assert "With your email and password" in page
