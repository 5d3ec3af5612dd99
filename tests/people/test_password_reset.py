"""A forgotten password: a link by email, that works once, and says nothing of who has an
account."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from mutualis.jobs import Job, run_pending
from mutualis.people.models import LoginAttempt, User
from tests.factories import DEMO_PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Un-Nouveau-Secret-2026"
LINK = re.compile(r"https?://\S+/accounts/password/reset/\S+/\S+/")


def ask_for_link(client: Client, email: str) -> None:
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302, response.content.decode()[:300]
    assert response["Location"] == "/accounts/password/reset/sent/"


def emailed_link(to: str) -> str:
    run_pending()  # what the worker does
    sent = [m for m in mail.outbox if m.to == [to]]
    assert len(sent) == 1
    found = LINK.search(sent[0].body)
    assert found is not None, sent[0].body
    return "/accounts/" + found.group(0).split("/accounts/", 1)[1]  # the path, for the test client


def choose_password(client: Client, link: str, password: str = NEW_PASSWORD) -> Client:
    opened = client.get(link)
    assert opened.status_code == 302  # the token leaves the address bar
    form_page = opened["Location"]
    assert client.get(form_page).status_code == 200
    done = client.post(form_page, {"new_password1": password, "new_password2": password})
    assert done.status_code == 302, done.content.decode()[:500]
    assert done["Location"] == "/accounts/login/"
    return client


def test_the_login_page_leads_to_the_reset_page(client: Client) -> None:
    login_page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in login_page
    assert "Mot de passe oublié" in login_page
    reset_page = client.get("/accounts/password/reset/").content.decode()
    assert '<label for="id_email">Adresse électronique' in reset_page


def test_a_person_gets_a_link_and_chooses_a_new_password(client: Client) -> None:
    user = MembershipFactory(user__email="marie@versailles.example", user__full_name="Marie Dupont").user
    ask_for_link(client, "Marie@Versailles.example")
    assert (
        "Si un compte utilise cette adresse" in client.get("/accounts/password/reset/sent/").content.decode()
    )
    message = [m for m in mail.outbox if m.to == [user.email]]
    assert message == []  # not sent by the page itself: the worker sends it
    link = emailed_link(user.email)
    assert mail.outbox[0].subject == "Choisissez un nouveau mot de passe Mutualis"
    assert "Bonjour Marie Dupont" in mail.outbox[0].body

    choose_password(client, link)
    login_page = client.get("/accounts/login/").content.decode()
    assert "Votre mot de passe a été changé. Connectez-vous avec celui-ci." in login_page
    assert (
        client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 400
    )
    assert client.post("/accounts/login/", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302


def test_the_link_works_only_once(client: Client) -> None:
    user = MembershipFactory().user
    ask_for_link(client, user.email)
    link = emailed_link(user.email)
    choose_password(client, link)
    again = Client().get(link, follow=True)
    assert again.status_code == 200
    page = again.content.decode()
    assert "Ce lien ne fonctionne plus" in page
    assert 'href="/accounts/password/reset/"' in page  # what to do instead
    assert "new_password1" not in page


def test_the_link_dies_when_the_password_is_changed_otherwise(client: Client) -> None:
    user = MembershipFactory().user
    ask_for_link(Client(), user.email)
    link = emailed_link(user.email)
    client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    changed = client.post(
        "/accounts/password/",
        {"old_password": DEMO_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert "Ce lien ne fonctionne plus" in Client().get(link, follow=True).content.decode()


def test_the_link_dies_once_the_person_logs_in(client: Client) -> None:
    """They remembered their password after all: a link lying in a mailbox must not outlive it."""
    user = MembershipFactory().user
    ask_for_link(client, user.email)
    link = emailed_link(user.email)
    assert (
        Client().post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 302
    )
    assert "Ce lien ne fonctionne plus" in client.get(link, follow=True).content.decode()


def test_a_reset_ends_the_sessions_open_elsewhere(client: Client) -> None:
    user = MembershipFactory().user
    elsewhere = Client()
    elsewhere.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD})
    assert elsewhere.get("/accounts/profile/").status_code == 200
    ask_for_link(client, user.email)
    choose_password(client, emailed_link(user.email))
    assert elsewhere.get("/accounts/profile/").status_code == 302


def test_the_answer_is_the_same_whether_the_account_exists_or_not(client: Client) -> None:
    MembershipFactory(user__email="known@versailles.example")
    MembershipFactory(user__email="gone@versailles.example", user__is_active=False)
    known = client.post("/accounts/password/reset/", {"email": "known@versailles.example"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@versailles.example"})
    inactive = client.post("/accounts/password/reset/", {"email": "gone@versailles.example"})
    assert known.status_code == unknown.status_code == inactive.status_code == 302
    assert known["Location"] == unknown["Location"] == inactive["Location"]
    run_pending()
    assert [m.to for m in mail.outbox] == [["known@versailles.example"]]


def test_the_email_is_written_in_the_persons_language(client: Client) -> None:
    user = MembershipFactory(user__language="en", user__full_name="Jane Smith").user
    ask_for_link(client, user.email)
    emailed_link(user.email)
    assert mail.outbox[0].subject == "Choose a new Mutualis password"
    assert mail.outbox[0].body.startswith("Hello Jane Smith,")


def test_no_usable_token_waits_in_the_job_queue(client: Client) -> None:
    user = MembershipFactory().user
    ask_for_link(client, user.email)
    job = Job.objects.get(name="people.send_password_reset")
    assert job.kwargs == {"user_id": user.pk}


def test_asking_again_and_again_is_throttled(client: Client) -> None:
    user = MembershipFactory().user
    for _ in range(3):
        ask_for_link(client, user.email)
    refused = client.post("/accounts/password/reset/", {"email": user.email.upper()})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Trop de liens demandés" in refused.content.decode()
    run_pending()
    assert len(mail.outbox) == 3
    # Asking for links does not count as failed logins: the person can still log in.
    assert (
        Client().post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 302
    )


def test_a_reset_lifts_the_lock_of_failed_logins(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_THROTTLE_MAX_FAILURES = 2
    user = MembershipFactory().user
    for _ in range(2):
        client.post("/accounts/login/", {"email": user.email, "password": "guess-guess-guess"})
    assert (
        client.post("/accounts/login/", {"email": user.email, "password": DEMO_PASSWORD}).status_code == 429
    )
    ask_for_link(client, user.email)
    choose_password(client, emailed_link(user.email))
    assert client.post("/accounts/login/", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    assert not LoginAttempt.objects.filter(kind="login", email=user.email).exists()


def test_the_new_password_must_be_strong_and_the_errors_say_so(client: Client) -> None:
    user = MembershipFactory().user
    ask_for_link(client, user.email)
    form_page = client.get(emailed_link(user.email))["Location"]
    weak = client.post(form_page, {"new_password1": "motdepasse", "new_password2": "motdepasse"})
    assert weak.status_code == 200
    assert "au minimum 12 caractères" in weak.content.decode()
    assert 'class="error-summary"' in weak.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


@pytest.mark.parametrize(
    "email", ["a" * 400 + "@example.org", "nul\x00@example.org", "pas une adresse", "", "é" * 70 + "@ex.fr"]
)
def test_odd_addresses_get_an_error_not_a_crash(client: Client, email: str) -> None:
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/reset/MQ/not-a-token/",
        "/accounts/password/reset/%00/x-y/",
        "/accounts/password/reset/OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk/set-password/",
        "/accounts/password/reset/w6k/set-password/",
    ],
)
def test_odd_links_say_the_link_no_longer_works(client: Client, path: str) -> None:
    MembershipFactory()
    response = client.get(path)
    assert response.status_code == 200
    assert "Ce lien ne fonctionne plus" in response.content.decode()


def test_an_account_without_password_gets_no_link(client: Client) -> None:
    user = MembershipFactory().user
    User.objects.filter(pk=user.pk).update(password="!unusable")
    ask_for_link(client, user.email)
    run_pending()
    assert mail.outbox == []


def test_the_link_dies_when_the_account_is_deactivated(client: Client) -> None:
    """A person who left keeps their mailbox a while: a link sent before must not let them
    choose the password of an account that was closed since."""
    user = MembershipFactory().user
    ask_for_link(client, user.email)
    link = emailed_link(user.email)
    User.objects.filter(pk=user.pk).update(is_active=False)
    page = client.get(link, follow=True).content.decode()
    assert "Ce lien ne fonctionne plus" in page
    assert "new_password1" not in page
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def test_a_new_password_keeps_a_stranger_from_locking_the_person_out_again(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_THROTTLE_MAX_FAILURES = 2
    user = MembershipFactory().user
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(2):
        attacker.post("/accounts/login/", {"email": user.email, "password": "guess-guess-guess"})
    ask_for_link(client, user.email)
    choose_password(client, emailed_link(user.email))
    for _ in range(2):  # at it again, as soon as the lock was lifted
        attacker.post("/accounts/login/", {"email": user.email, "password": "guess-guess-guess"})
    assert client.post("/accounts/login/", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302
